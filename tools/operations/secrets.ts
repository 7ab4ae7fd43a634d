import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';

/**
 * Writes a secret, creating it or replacing its value, and resolves to its ARN: a rerun of a
 * set-up that stopped half-way (local mode provisioning again, a `tenants add` whose registry
 * write failed) then succeeds, and values that were never shown to anyone are replaced.
 */
export async function createOrReplaceSecret(
  client: SecretsManagerClient,
  name: string,
  value: string,
  labels: { readonly description?: string; readonly tags?: Tag[] } = {},
): Promise<string> {
  try {
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: value,
        ...(labels.description === undefined ? {} : { Description: labels.description }),
        ...(labels.tags === undefined ? {} : { Tags: labels.tags }),
      }),
    );
    return created.ARN ?? name;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    const updated = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return updated.ARN ?? name;
  }
}
