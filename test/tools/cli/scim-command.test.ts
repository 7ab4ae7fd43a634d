import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretsManagerScimTokens } from '../../../lambdas/scim/bearer-tokens.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCli } from './run-cli.js';

const secrets = new SecretsManagerClient(motoClientConfig());
const stored = async (secretId: string) =>
  JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '');
/** What the SCIM function accepts: its own verifier over the secret, uncached. */
const accepts = (secretId: string, token: string) =>
  secretsManagerScimTokens({ client: secrets, secretId, maxAgeSeconds: 0 })
    .verify(token)
    .then(
      () => true,
      () => false,
    );

beforeAll(() => {
  Object.assign(process.env, awsSdkEnv());
});

describe('cpaas-lifecycle scim', () => {
  it('creates the secret, rotates keeping the old token valid, then retires it', async () => {
    const secretId = uniqueName('scim-tokens');
    const created = await runCli('scim', 'rotate-token', '--secret-id', secretId, '--json');
    expect(created.code).toBe(EXIT.ok);
    const first = JSON.parse(created.stdout) as { token: string; rotated: boolean };
    expect(first.rotated).toBe(false);
    expect(await accepts(secretId, first.token)).toBe(true);

    const rotated = await runCli('scim', 'rotate-token', '--secret-id', secretId);
    const second = rotated.stdout.trim();
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await stored(secretId)).toEqual({ current: second, previous: first.token });
    expect(await accepts(secretId, first.token)).toBe(true);
    expect(await accepts(secretId, second)).toBe(true);

    const retired = await runCli('scim', 'retire-token', '--secret-id', secretId, '--json');
    expect(JSON.parse(retired.stdout)).toEqual({ retired: true });
    expect(await accepts(secretId, first.token)).toBe(false);
    expect(await accepts(secretId, second)).toBe(true);
    expect(
      JSON.parse((await runCli('scim', 'retire-token', '--secret-id', secretId, '--json')).stdout),
    ).toEqual({
      retired: false,
    });
  });

  it('refuses to overwrite a secret that is not a tokens object, and needs a secret id', async () => {
    const secretId = uniqueName('scim-tokens');
    await runCli('scim', 'rotate-token', '--secret-id', secretId);
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: '["a"]' }));
    const result = await runCli('scim', 'rotate-token', '--secret-id', secretId);
    expect(result.code).not.toBe(EXIT.ok);
    expect(result.stderr).toContain('is not {"current", "previous"?}');
    expect(await stored(secretId)).toEqual(['a']);
    delete process.env.SCIM_TOKENS_SECRET_ID;
    expect((await runCli('scim', 'rotate-token')).code).toBe(EXIT.usage);
  });
});
