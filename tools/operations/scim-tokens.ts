import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  generateScimToken,
  type ScimTokens,
  ScimTokensSchema,
  scimTokensSecretString,
} from '../../lambdas/scim/bearer-tokens.js';
import { OperationError } from './errors.js';

/** The tokens secret holds something other than `{"current", "previous"?}`: nothing is overwritten. */
export class MalformedScimTokensError extends OperationError {
  override readonly name = 'MalformedScimTokensError';
}

async function readTokens(client: SecretsManagerClient, secretId: string): Promise<ScimTokens | undefined> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new MalformedScimTokensError(`secret ${secretId} is not JSON`);
  }
  const parsed = ScimTokensSchema.safeParse(json);
  if (!parsed.success)
    throw new MalformedScimTokensError(`secret ${secretId} is not {"current", "previous"?}`);
  return parsed.data;
}

export interface RotatedScimToken {
  /** The new current token: shown once, to paste into the identity provider. */
  readonly token: string;
  /** Whether the secret existed; the old current token is then `previous` and still accepted. */
  readonly rotated: boolean;
}

/**
 * Creates the tokens secret with a fresh token, or rotates it: the current token becomes `previous`
 * (still accepted, so the identity provider keeps working until it is switched) and a fresh one
 * becomes `current`. Functions pick the change up within their secret cache period.
 */
export async function rotateScimToken(
  client: SecretsManagerClient,
  secretId: string,
  generate: () => string = generateScimToken,
): Promise<RotatedScimToken> {
  const existing = await readTokens(client, secretId);
  const token = generate();
  if (existing === undefined) {
    await client.send(
      new CreateSecretCommand({ Name: secretId, SecretString: scimTokensSecretString(token) }),
    );
    return { token, rotated: false };
  }
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: scimTokensSecretString(token, existing.current),
    }),
  );
  return { token, rotated: true };
}

/**
 * Ends a rotation once the identity provider uses the new token: `previous` is no longer accepted.
 * Resolves to whether there was one to retire.
 */
export async function retirePreviousScimToken(
  client: SecretsManagerClient,
  secretId: string,
): Promise<boolean> {
  const existing = await readTokens(client, secretId);
  if (existing === undefined) throw new MalformedScimTokensError(`secret ${secretId} does not exist`);
  if (existing.previous === undefined) return false;
  await client.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: scimTokensSecretString(existing.current) }),
  );
  return true;
}
