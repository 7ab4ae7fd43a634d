import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import {
  HR_APIS,
  type HrApiFacts,
  type HrApiSource,
  hrCredentialsSecretKind,
} from '../lambdas/contract/settings.js';
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
  return namePattern(TENANT_SECRET_KINDS[kind]);
}

/** The name pattern of every registered tenant's credentials for one HR API. */
export function tenantHrCredentialsNamePattern(source: HrApiSource): string {
  return namePattern(hrCredentialsSecretKind(source));
}

function namePattern(secretKind: string): string {
  return `${TENANT_SECRETS_PREFIX}*/${secretKind}-??????`;
}

/**
 * Lets `fn` read one kind of secret of every registered tenant and nothing else: GetSecretValue on
 * `cpaas-lifecycle/tenants/*\/<kind>-??????`, so the ingest function reads the tenants' signing
 * secrets but no tenant's API key. The secrets are created by the CLI with the account's default
 * Secrets Manager key, so no KMS grant is needed. The one wildcard is suppressed on this role,
 * for exactly that pattern.
 */
export function grantTenantSecretRead(fn: IFunction, kind: TenantSecretKind): void {
  grantOnPattern(fn, TENANT_SECRET_KINDS[kind], ['secretsmanager:GetSecretValue']);
}

/**
 * Lets the worker read every registered tenant's credentials for each HR API, and write them back
 * for a provider whose refresh tokens rotate (`rotatesCredentials`): one statement per provider,
 * so no function can touch a tenant's CPaaS key or signing secrets through it.
 */
export function grantTenantHrCredentials(fn: IFunction, sources: readonly HrApiSource[]): void {
  for (const source of sources) {
    const facts: HrApiFacts = HR_APIS[source];
    grantOnPattern(fn, hrCredentialsSecretKind(source), [
      'secretsmanager:GetSecretValue',
      ...(facts.rotatesCredentials === true ? ['secretsmanager:PutSecretValue'] : []),
    ]);
  }
}

function grantOnPattern(fn: IFunction, secretKind: string, actions: string[]): void {
  const resource = Stack.of(fn).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: namePattern(secretKind),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToRolePolicy(new PolicyStatement({ actions, resources: [resource] }));
  if (fn.role === undefined) return;
  NagSuppressions.addResourceSuppressions(
    fn.role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Tenant secrets are created per tenant by `cpaas-lifecycle tenants add` without a redeploy, so ' +
          'their names are matched by pattern: the tenant id (*) and the random 6-character suffix Secrets ' +
          `Manager appends (-??????), for the ${secretKind} secrets only.`,
        appliesTo: [
          `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${namePattern(secretKind)}`,
        ],
      },
    ],
    true,
  );
}
