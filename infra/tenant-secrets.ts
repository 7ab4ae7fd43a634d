import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { tenantSecretName } from '../lambdas/contract/tenants.js';

/**
 * The name pattern of every registered tenant's CPaaS API key: `cpaas-lifecycle/tenants/<id>/
 * cpaas-api-key`, then the random 6-character suffix Secrets Manager appends in the ARN. Only
 * the API key: a function that calls the CPaaS API may not read a tenant's webhook secrets or
 * SCIM tokens through this grant.
 */
export const TENANT_API_KEY_NAME_PATTERN = `${tenantSecretName('*', 'cpaasApiKey')}-??????`;

/** As cdk-nag names the resource in a finding (and so in a suppression's `appliesTo`). */
export const TENANT_API_KEY_NAG_RESOURCE = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${TENANT_API_KEY_NAME_PATTERN}`;

/**
 * Lets `fn` read every tenant's CPaaS API key, present and future: tenants are onboarded without
 * a redeploy (`tenants add` creates the secret), so the grant is on the name pattern, not on ARNs
 * the stack could list. Its two wildcards (the tenant id, the suffix) are suppressed for
 * AwsSolutions-IAM5 on this role and this resource only. Secrets encrypted with the account's
 * default `aws/secretsmanager` key need no KMS grant.
 */
export function grantTenantApiKeys(fn: IFunction): void {
  const resource = Stack.of(fn).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: TENANT_API_KEY_NAME_PATTERN,
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
          'Tenants are added without a redeploy, each with its API key secret named ' +
          'cpaas-lifecycle/tenants/<tenant>/cpaas-api-key: the grant is GetSecretValue on that name ' +
          'pattern only (the tenant id, and the random suffix Secrets Manager appends), never on ' +
          "another secret or a tenant's webhook secrets or SCIM tokens.",
        appliesTo: [TENANT_API_KEY_NAG_RESOURCE],
      },
    ],
    true,
  );
}
