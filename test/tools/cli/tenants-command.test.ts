import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { createStateTable } from '../../support/holds-fixture.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCli } from './run-cli.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
let table: string;

beforeAll(async () => {
  Object.assign(process.env, awsSdkEnv());
  delete process.env[ENV.stateTableName];
  table = await createStateTable(dynamodb);
});
afterAll(() => dynamodb.destroy());

const newId = () => uniqueName('t').toLowerCase().slice(0, 30);

describe('cpaas-lifecycle tenants (moto)', () => {
  it('adds a tenant printing its URLs and secrets once; list, show and update never print a secret', async () => {
    const id = newId();
    const keyFile = join(tmpdir(), `${id}.key`);
    writeFileSync(keyFile, 'the-api-key\n');
    const added = await runCli(
      'tenants',
      'add',
      id,
      '--table',
      table,
      '--cpaas-account-id',
      'acct-77',
      '--api-key-file',
      keyFile,
      '--ingest-url',
      'https://ingest.example/',
      '--scim-url',
      'https://scim.example',
      '--json',
    );
    expect(added.code).toBe(EXIT.ok);
    const onboarded = JSON.parse(added.stdout);
    expect(onboarded.webhookUrls).toEqual({ standard: `https://ingest.example/t/${id}/webhooks/standard` });
    expect(onboarded.scimUrl).toBe(`https://scim.example/t/${id}/scim/v2`);
    expect(onboarded.webhookSecrets.standard).toMatch(/^whsec_/);

    const listed = await runCli('tenants', 'list', '--table', table);
    expect(listed.stdout).toMatch(new RegExp(`^${id} +acct-77 +standard$`, 'm'));
    const updated = await runCli('tenants', 'update', id, '--table', table, '--policy', 'disable', '--json');
    expect(JSON.parse(updated.stdout)).toMatchObject({ version: 2, deprovisioning: { policy: 'disable' } });
    const shown = await runCli('tenants', 'show', id, '--table', table);
    expect(shown.stdout).toContain('termination     disable');
    for (const output of [listed.stdout, updated.stdout, shown.stdout]) {
      expect(output).not.toContain(onboarded.webhookSecrets.standard);
      expect(output).not.toContain(onboarded.scimToken);
      expect(output).not.toContain('the-api-key');
    }
    expect((await runCli('tenants', 'remove', id, '--table', table)).code).toBe(EXIT.ok);
    expect((await runCli('tenants', 'show', id, '--table', table)).code).toBe(EXIT.usage);
  });

  it('refuses an API key as a plain flag value: it is read from a file, stdin or the environment', async () => {
    delete process.env.CPAAS_API_KEY;
    const run = await runCli('tenants', 'add', newId(), '--table', table, '--cpaas-account-id', 'a');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--api-key-file');
  });

  it('update gives a tenant its own HR API and credentials; show names the API, never the credentials', async () => {
    const id = newId();
    const keyFile = join(tmpdir(), `${id}.key`);
    writeFileSync(keyFile, 'the-api-key\n');
    const add = [
      'tenants',
      'add',
      id,
      '--table',
      table,
      '--cpaas-account-id',
      'a',
      '--api-key-file',
      keyFile,
    ];
    expect((await runCli(...add)).code).toBe(EXIT.ok);
    const credentials = join(tmpdir(), `${id}.bamboohr.json`);
    writeFileSync(credentials, '{"apiKey": "their-bamboohr-key"}');
    const api = 'https://api.bamboohr.com/api/gateway.php/acme';
    const update = ['tenants', 'update', id, '--table', table, '--sources', 'standard,bamboohr'];
    const updated = await runCli(
      ...update,
      '--hr-api',
      `bamboohr=${api}`,
      '--hr-credentials',
      `bamboohr=${credentials}`,
      '--json',
    );
    expect(updated.code).toBe(EXIT.ok);
    expect(JSON.parse(updated.stdout)).toMatchObject({ hrApis: { bamboohr: { apiBaseUrl: api } } });
    const shown = await runCli('tenants', 'show', id, '--table', table);
    expect(shown.stdout).toContain(`HR APIs         bamboohr ${api}`);
    expect(shown.stdout + updated.stdout).not.toContain('their-bamboohr-key');
    const unknown = await runCli(...update, '--hr-api', 'workday=https://x.example');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('workday is not one of');
  });
});
