import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CpaasClient } from '../../../../lambdas/core/cpaas/client.js';
import { type ObservedRequest, type RunningSandbox, startSandbox } from '../../../../tools/sandbox/index.js';

/**
 * Checks the sandbox and the client against the vendor's OpenAPI document itself (not our zod
 * copy of it), so a drift in either shows up here. The document lives outside the repo.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CONTRACT = path.resolve(repoRoot, '..', 'shared', 'cpaas', 'voip-user-openapi.yaml');
const contractPresent = existsSync(CONTRACT);
if (!contractPresent) {
  if (process.env.CI === 'true') throw new Error(`vendor contract missing at ${CONTRACT} (required in CI)`);
  console.warn(`conformance tests skipped: vendor contract not found at ${CONTRACT}`);
}

type Json = Record<string, unknown>;
interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly spec: Json;
}

const DROPPED_KEYWORDS = new Set([
  'example',
  'xml',
  'externalDocs',
  'discriminator',
  'x-codegen-request-body-name',
]);

/**
 * OpenAPI 3.0 schema -> JSON Schema: drop annotation keywords ajv's strict mode rejects, turn
 * `nullable` into a null type, point refs at $defs, and close objects (no undocumented fields) so
 * the sandbox cannot invent fields and the client cannot send any.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED_KEYWORDS.has(key) || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', '#/$defs/');
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)]),
      );
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (source.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out.properties !== undefined && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

function loadContract() {
  const document = parse(readFileSync(CONTRACT, 'utf8')) as Json;
  const components = (document.components as Json).schemas as Json;
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('int32', true).addFormat('int64', true);
  const defs = Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toJsonSchema(v)])) as Record<
    string,
    { properties: Json }
  >;
  // The one field beyond the document, on purpose: the agreed sandbox interface puts `request_id` in error
  // bodies too (success envelopes document it). Any other undocumented field still fails.
  if (defs.CPAASError !== undefined) defs.CPAASError.properties.request_id = { type: 'string' };
  ajv.addSchema({ $id: 'cpaas', $defs: defs });
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths as Json)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, spec] of Object.entries(item as Json)) {
      operations.push({ method: method.toUpperCase(), template, pattern, spec: spec as Json });
    }
  }
  const compile = (schema: Json): ValidateFunction =>
    ajv.compile({ $ref: `cpaas${String((toJsonSchema(schema) as Json).$ref)}` });
  const errorSchema = compile({ $ref: '#/components/schemas/CPAASError' });
  return {
    operation(method: string, pathname: string): Operation {
      const found = operations.find((op) => op.method === method && op.pattern.test(pathname));
      if (found === undefined) throw new Error(`${method} ${pathname} is not in the contract`);
      return found;
    },
    /** The documented response schema, or CPAASError for statuses the document leaves out (401, 404, 429, 5xx). */
    responseValidator(op: Operation, status: number): ValidateFunction {
      const responses = op.spec.responses as Record<string, Json>;
      const documented = responses[String(status)] as
        | { content?: Record<string, { schema: Json }> }
        | undefined;
      const schema = documented?.content?.['application/json']?.schema;
      return schema === undefined ? errorSchema : compile(schema);
    },
    requestValidator(op: Operation): ValidateFunction | undefined {
      const body = op.spec.requestBody as { content: Record<string, { schema: Json }> } | undefined;
      return body === undefined ? undefined : compile(body.content['application/json']?.schema ?? {});
    },
    queryParameters(op: Operation): Map<string, string> {
      const parameters = (op.spec.parameters ?? []) as Array<{
        in: string;
        name: string;
        schema: { type: string };
      }>;
      return new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.schema.type]));
    },
  };
}

function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  const valid = validate(value);
  expect(valid, `${what}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

describe.runIf(contractPresent)('CPaaS contract conformance (vendor OpenAPI document)', () => {
  let contract: ReturnType<typeof loadContract>;
  let sandbox: RunningSandbox;
  const observed: ObservedRequest[] = [];

  beforeAll(async () => {
    contract = loadContract();
    sandbox = await startSandbox({ port: 0, onRequest: (request) => observed.push(request) });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('(a) every sandbox endpoint answers 200 and error bodies in the documented shapes', async () => {
    sandbox.control.reset();
    const users = `/v1/account/${sandbox.accountId}/user`;
    const auth = { authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json' };
    const full = {
      email: 'conformance@example.com',
      first_name: 'Con',
      last_name: 'Formance',
      enabled: true,
      verified: true,
      timezone: 'UTC',
      presence_id: '1001',
      caller_id: { internal: { number: '1001' } },
      call_forward: { enabled: false, number: '+15550100' },
      call_recording: { inbound: { onnet: { enabled: true, format: 'mp3', time_limit: 60 } } },
      do_not_disturb: { enabled: false },
      music_on_hold: { media_id: 'm1' },
    };
    const seen = new Set<string>();
    const check = async (method: string, pathname: string, body?: unknown, headers: Json = auth) => {
      const response = await fetch(`${sandbox.url}${pathname}`, {
        method,
        headers: headers as Record<string, string>,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as Json;
      const op = contract.operation(method, new URL(pathname, sandbox.url).pathname);
      expectValid(
        contract.responseValidator(op, response.status),
        json,
        `${method} ${op.template} ${response.status}`,
      );
      seen.add(`${method} ${op.template} ${response.status}`);
      return json;
    };

    const created = (await check('POST', users, full)).data as { id: string };
    await check('POST', users, { ...full, email: 'SECOND@example.com' });
    sandbox.control.seedUsers(3);
    await check('GET', `${users}?page_size=2`);
    await check('GET', users);
    await check('GET', `${users}/${created.id}`);
    await check('PUT', `${users}/${created.id}`, { ...full, first_name: 'Changed' });
    await check('POST', `${users}/${created.id}/userauth`, { action: 'impersonate_user' });
    await check('DELETE', `${users}/${created.id}`);
    // error bodies
    await check('POST', users, { ...full, email: 'second@EXAMPLE.com' });
    await check('POST', users, { email: 'x' });
    await check('GET', `${users}?page_size=99`);
    await check('GET', `${users}/${created.id}`);
    await check('PUT', `${users}/${created.id}`, full);
    await check('DELETE', `${users}/${created.id}`);
    await check('POST', `${users}/${created.id}/userauth`, { action: 'impersonate_user' });
    await check('GET', users, undefined, {});
    sandbox.control.setFaults('listUsers', { script: [429, 503] });
    await check('GET', users);
    await check('GET', users);
    sandbox.control.clearFaults();

    for (const route of [
      'GET /v1/account/{accountid}/user 200',
      'POST /v1/account/{accountid}/user 200',
      'GET /v1/account/{accountid}/user/{userid} 200',
      'PUT /v1/account/{accountid}/user/{userid} 200',
      'DELETE /v1/account/{accountid}/user/{userid} 200',
      'POST /v1/account/{accountid}/user/{userid}/userauth 200',
      'POST /v1/account/{accountid}/user 400',
      'GET /v1/account/{accountid}/user 400',
      'GET /v1/account/{accountid}/user 401',
      'GET /v1/account/{accountid}/user 429',
      'GET /v1/account/{accountid}/user/{userid} 404',
    ]) {
      expect(seen, route).toContain(route);
    }
  });

  it('(b) requests the CpaasClient sends match the documented paths, query, bodies and Authorization', async () => {
    sandbox.control.reset();
    observed.length = 0;
    const client = new CpaasClient({
      baseUrl: sandbox.url,
      accountId: sandbox.accountId,
      apiKey: sandbox.apiKey,
      allowInsecureHttp: true,
    });
    try {
      const input = {
        email: 'client@example.com',
        first_name: 'Cli',
        last_name: 'Ent',
        timezone: 'UTC',
        call_forward: { enabled: true, number: '+15550100' },
        do_not_disturb: { enabled: false },
      };
      const user = await client.createUser(input);
      sandbox.control.seedUsers(5);
      await client.listUsers({ pageSize: 2 });
      const all = [];
      for await (const row of client.iterateUsers({ pageSize: 2 })) all.push(row);
      expect(all).toHaveLength(6);
      await client.getUser(user.id);
      await client.updateUser(user.id, { ...input, first_name: 'Changed' });
      await client.impersonateUser(user.id);
      await client.deleteUser(user.id);
    } finally {
      await client.close();
    }

    const routes = new Set(observed.map((request) => request.route));
    expect(routes).toEqual(
      new Set(['createUser', 'listUsers', 'getUser', 'updateUser', 'impersonateUser', 'deleteUser']),
    );
    for (const request of observed) {
      const op = contract.operation(request.method, request.path);
      const what = `${request.method} ${op.template}`;
      expect(request.headers.authorization, what).toBe(`Bearer ${sandbox.apiKey}`);
      expect(request.path, what).toContain(`/account/${sandbox.accountId}/`);
      const documentedQuery = contract.queryParameters(op);
      for (const [name, value] of Object.entries(request.query)) {
        expect(documentedQuery.has(name), `${what} query ${name}`).toBe(true);
        if (documentedQuery.get(name) === 'integer') expect(value, `${what} ${name}`).toMatch(/^\d+$/);
      }
      const validateBody = contract.requestValidator(op);
      if (validateBody === undefined) {
        expect(request.body, what).toBeUndefined();
      } else {
        expect(request.headers['content-type'], what).toMatch(/^application\/json/);
        expectValid(validateBody, request.body, `${what} request body`);
      }
    }
  });
});
