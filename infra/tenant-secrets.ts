import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import {
  TENANT_SECRET_KINDS,
  TENANT_SECRETS_PREFIX,
  type TenantSecretKind,
} from '../lambdas/contract/tenants.js';

/**
 * The secret name pattern of one kind of secret of every registered tenant: the tenant id is not
 * known at deploy time (`tenants add` needs no redeploy), and Secrets Manager appends `-` and 6
 * random characters to every secret's name in its ARN.
 */
export function tenantSecretNamePattern(kind: TenantSecretKind): string {
  return `${TENANT_SECRETS_PREFIX}*/${TENANT_SECRET_KINDS[kind]}-??????`;
}

/**
 * Lets `fn` read one kind of secret of every registered tenant and nothing else: GetSecretValue on
 * `cpaas-lifecycle/tenants/*\/<kind>-??????`, so the ingest function reads the tenants' signing
 * secrets but no tenant's API key. The secrets are created by the CLI with the account's default
 * Secrets Manager key, so no KMS grant is needed. The one wildcard is suppressed on this role,
 * for exactly that pattern.
 */
export function grantTenantSecretRead(fn: IFunction, kind: TenantSecretKind): void {
  const resource = Stack.of(fn).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: tenantSecretNamePattern(kind),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [resource] }),
  );
  if (fn.role === undefined) return;
  NagSuppressions.addResourceSuppressions(
    fn.role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Tenant secrets are created per tenant by `cpaas-lifecycle tenants add` without a redeploy, so ' +
          'their names are matched by pattern: the tenant id (*) and the random 6-character suffix Secrets ' +
          `Manager appends (-??????), for the ${TENANT_SECRET_KINDS[kind]} secrets only.`,
        appliesTo: [
          `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${tenantSecretNamePattern(kind)}`,
        ],
      },
    ],
    true,
  );
}
