import { RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface LifecycleSecretProps {
  /** Import the existing secret with this complete ARN. */
  readonly arn?: string;
  /** Import the existing secret with this name. */
  readonly name?: string;
  /** Name of the secret created when neither `arn` nor `name` is given. */
  readonly defaultName: string;
  /** Shown in the console on a created secret: how to set its value. */
  readonly instructions: string;
}

/**
 * A secret the functions read: imported when context names one, otherwise created EMPTY. No value
 * is generated on purpose: the vendor issues the API key and the HRIS issues the signing secrets,
 * and a missing value fails loudly at GetSecretValue where a random one would fail as a 401 later.
 */
export class LifecycleSecret extends Construct {
  readonly secret: ISecret;
  /** True when this stack owns the secret (it was created here). */
  readonly created: boolean;
  private readonly importedByName?: string;

  constructor(scope: Construct, id: string, props: LifecycleSecretProps) {
    super(scope, id);
    if (props.arn !== undefined) {
      this.secret = Secret.fromSecretCompleteArn(this, 'Imported', props.arn);
      this.created = false;
      return;
    }
    if (props.name !== undefined) {
      this.secret = Secret.fromSecretNameV2(this, 'Imported', props.name);
      this.importedByName = props.name;
      this.created = false;
      return;
    }
    const resource = new CfnSecret(this, 'Resource', {
      name: props.defaultName,
      description: props.instructions,
    });
    // The value was typed in by an operator; `cdk destroy` must not throw it away.
    resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
    NagSuppressions.addResourceSuppressions(resource, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is issued outside AWS (CPaaS vendor API key, HRIS signing secrets), so a rotation ' +
          'Lambda could not mint a new one; rotation is the documented manual put-secret-value, and the ' +
          'webhook secrets JSON holds a list per source so old and new secrets overlap during it.',
      },
    ]);
    this.secret = Secret.fromSecretCompleteArn(this, 'Created', resource.ref);
    this.created = true;
  }

  /**
   * Lets `fn` read this secret and nothing else. A secret imported by name has an ARN ending in a
   * random suffix the stack cannot know, so IAM must match it with `-??????`: that one wildcard is
   * suppressed here, on exactly that resource, and nowhere else.
   */
  grantRead(fn: IFunction): void {
    this.secret.grantRead(fn);
    if (this.importedByName === undefined || fn.role === undefined) return;
    NagSuppressions.addResourceSuppressions(
      fn.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Secret imported by name: Secrets Manager appends a random 6-character suffix to the ARN, matched ' +
            'with -??????; pass the complete ARN in context (apiKeySecretArn, webhookSecretsSecretArn) to drop the wildcard.',
          appliesTo: [
            `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.importedByName}-??????`,
          ],
        },
      ],
      true,
    );
  }
}
