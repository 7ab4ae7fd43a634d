import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CpaasAttempt,
  CpaasClient,
  type CpaasClientOptions,
} from '../../../../lambdas/core/cpaas/client.js';
import {
  CpaasAbortError,
  CpaasError,
  CpaasNetworkError,
  CpaasRateLimitError,
  CpaasRequestValidationError,
  CpaasResponseError,
  CpaasServerError,
  CpaasTimeoutError,
  CpaasValidationError,
} from '../../../../lambdas/core/cpaas/errors.js';
import { mergeUserUpdate } from '../../../../lambdas/core/cpaas/user-merge.js';
import type { Logger } from '../../../../lambdas/core/telemetry/logger.js';

/**
 * The client's retry, timeout and secrecy mechanics over a real socket, against a server whose
 * every answer the test scripts (including answers the sandbox never gives, such as a 2xx that
 * breaks the contract). The sandbox tests cover the endpoints themselves.
 */

const API_KEY = 'sk-live-ZZtopSecretKey0123456789';
const ACCOUNT = 'A'.repeat(32);
const USER_ID = 'U'.repeat(32);
const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Step =
  | 'hang'
  | 'reset'
  | Answer
  | ((request: IncomingMessage, body: string, response: ServerResponse) => void);

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

let script: Step[] = [];
let received: Received[] = [];
const okUser: Answer = {
  status: 200,
  body: { data: { id: USER_ID, email: 'x@example.test' }, request_id: 'req-ok' },
};

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    received.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      body,
    });
    const step = script.shift() ?? okUser;
    if (step === 'hang') return;
    if (step === 'reset') {
      request.socket.destroy();
      return;
    }
    if (typeof step === 'function') {
      step(request, body, response);
      return;
    }
    response
      .writeHead(step.status, { 'content-type': 'application/json', ...step.headers })
      .end(step.body === undefined ? '' : JSON.stringify(step.body));
  });
});
let baseUrl = '';
const clients: CpaasClient[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  script = [];
  received = [];
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  server.closeAllConnections();
});

function clientFor(overrides: Partial<CpaasClientOptions> = {}): CpaasClient {
  const client = new CpaasClient({
    baseUrl,
    accountId: ACCOUNT,
    apiKey: API_KEY,
    allowInsecureHttp: true,
    retry: fastRetry,
    ...overrides,
  });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<CpaasError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CpaasError);
  return error as CpaasError;
}

const person = { email: 'someone@example.test', first_name: 'Some', last_name: 'One' };
const unavailable = (status = 503): Answer => ({ status, body: { message: 'try later' } });

describe('CpaasClient requests', () => {
  it('puts account and user ids in the path, the key after its prefix, and sends JSON bodies', async () => {
    script = [{ status: 200, body: { data: { auth_token: 'tok' } } }];
    const client = clientFor({ baseUrl: `${baseUrl}/api/`, authPrefix: 'Token' });
    expect(await client.impersonateUser(USER_ID, { ttl: 60 })).toEqual({ authToken: 'tok' });
    expect(received).toEqual([
      {
        method: 'POST',
        url: `/api/v1/account/${ACCOUNT}/user/${USER_ID}/userauth`,
        authorization: `Token ${API_KEY}`,
        contentType: 'application/json',
        body: JSON.stringify({ action: 'impersonate_user', data: { ttl: 60 } }),
      },
    ]);
  });

  it('sends the bare key with an empty prefix, and asks a key function on every call', async () => {
    let asked = 0;
    const client = clientFor({
      authPrefix: '',
      apiKey: async () => {
        asked += 1;
        return API_KEY;
      },
    });
    script = [okUser, { status: 200, body: { data: [] } }];
    await client.getUser(USER_ID);
    await client.listUsers({ pageSize: 5, startKey: 'k/1' });
    expect(asked).toBe(2);
    expect(received.map((request) => [request.authorization, request.url])).toEqual([
      [API_KEY, `/v1/account/${ACCOUNT}/user/${USER_ID}`],
      [API_KEY, `/v1/account/${ACCOUNT}/user?start_key=k%2F1&page_size=5`],
    ]);
  });

  it('iterates 120 users across pages by next_start_key, and stops if the API repeats a key', async () => {
    const page = (ids: string[], next?: string) => ({
      status: 200,
      body: { data: ids.map((id) => ({ id })), ...(next ? { next_start_key: next } : {}) },
    });
    const all = Array.from({ length: 120 }, (_, n) => `user-${n}`);
    script = [page(all.slice(0, 50), 'k50'), page(all.slice(50, 100), 'k100'), page(all.slice(100))];
    const ids: string[] = [];
    for await (const user of clientFor().iterateUsers()) ids.push(user.id);
    expect(ids).toEqual(all);
    expect(received.map((request) => request.url.split('?')[1])).toEqual([
      'page_size=50',
      'start_key=k50&page_size=50',
      'start_key=k100&page_size=50',
    ]);

    script = [page(['a'], 'k1'), page(['b'], 'k1')];
    const looping = clientFor().iterateUsers();
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const user of looping) seen.push(user.id);
      })(),
    );
    expect(error).toBeInstanceOf(CpaasResponseError);
    expect(seen).toEqual(['a', 'b']);
  });

  it('never sends a request that breaks the contract, naming every bad field', async () => {
    const client = clientFor();
    const errors = await Promise.all(
      [
        client.createUser({ email: 'x', first_name: 'A'.repeat(129), last_name: 'B' }),
        client.getUser('../../admin'),
        client.updateUser(USER_ID, { ...person, email: 'e'.repeat(255) }),
        client.deleteUser('a'.repeat(31)),
        client.listUsers({ pageSize: 51 }),
      ].map(failure),
    );
    for (const error of errors) expect(error).toBeInstanceOf(CpaasRequestValidationError);
    expect(errors[0]?.message).toMatch(
      /^invalid CPaaS request, not sent: user\.email: .*; user\.first_name: /,
    );
    expect(errors[1]?.message).toContain('userId: must be 32 alphanumeric characters');
    expect(received).toEqual([]);
  });

  it('keeps response fields the contract does not know, so an update can write them back', async () => {
    script = [{ status: 200, body: { data: { id: USER_ID, vendor_flag: { beta: true } }, extra: 1 } }];
    const user = await clientFor().getUser(USER_ID);
    expect(user).toEqual({ id: USER_ID, vendor_flag: { beta: true } });
    expect(mergeUserUpdate(user, person)).toEqual({ ...person, vendor_flag: { beta: true } });
  });

  it('turns a 2xx that breaks the contract into CpaasResponseError, without retrying', async () => {
    script = [{ status: 200, body: { data: { email: 'no id' }, request_id: 'req-9' } }];
    const error = await failure(clientFor().getUser(USER_ID));
    expect(error).toBeInstanceOf(CpaasResponseError);
    expect(error.message).toMatch(/response does not match the contract \(data\.id: /);
    expect(error.requestId).toBe('req-9');
    expect(received).toHaveLength(1);
  });

  it('refuses plain http unless allowed, and a malformed account id, at construction', () => {
    expect(() => clientFor({ allowInsecureHttp: false })).toThrow(/must use https:\/\//);
    expect(() => clientFor({ baseUrl: 'not a url' })).toThrow(CpaasError);
    expect(() => clientFor({ accountId: 'acct-1' })).toThrow(CpaasRequestValidationError);
  });
});

describe('CpaasClient retries', () => {
  it('waits Retry-After (seconds) before retrying', async () => {
    script = [{ status: 429, headers: { 'retry-after': '1' }, body: { message: 'slow down' } }];
    const started = performance.now();
    await clientFor().getUser(USER_ID);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
    expect(received).toHaveLength(2);
  });

  it('waits Retry-After (HTTP-date) before retrying', async () => {
    script = [{ status: 503, headers: { 'retry-after': new Date(Date.now() + 2_000).toUTCString() } }];
    const started = performance.now();
    await clientFor().getUser(USER_ID);
    const waited = performance.now() - started;
    // The date has whole seconds: 2 s ahead is 1 to 2 s away.
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
    expect(received).toHaveLength(2);
  });

  it('throws the 429 at once when Retry-After would outlast the deadline', async () => {
    script = [{ status: 429, headers: { 'retry-after': '30' } }];
    const started = Date.now();
    const error = await failure(clientFor().getUser(USER_ID, { deadline: started + 2_000 }));
    expect(error).toBeInstanceOf(CpaasRateLimitError);
    expect(error.retryAfterMs).toBe(30_000);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(received).toHaveLength(1);
  });

  it('backs off and retries GET, PUT and DELETE on 5xx, resets and timeouts until they succeed', async () => {
    const attempts: CpaasAttempt[] = [];
    const client = clientFor({
      timeouts: { headersMs: 200 },
      onAttempt: (attempt) => attempts.push(attempt),
    });
    script = [unavailable(503), unavailable(502), 'reset', okUser, 'hang', okUser, unavailable(500), okUser];
    const user = await client.getUser(USER_ID);
    await client.updateUser(USER_ID, mergeUserUpdate(user, person));
    await client.deleteUser(USER_ID);
    expect(received.map((request) => request.method)).toEqual([
      'GET',
      'GET',
      'GET',
      'GET',
      'PUT',
      'PUT',
      'DELETE',
      'DELETE',
    ]);
    const retried = attempts.filter((attempt) => attempt.retryInMs !== undefined);
    expect(
      retried.map((attempt) => [attempt.method, attempt.attempt, attempt.error, attempt.status]),
    ).toEqual([
      ['GET', 1, 'CpaasServerError', 503],
      ['GET', 2, 'CpaasServerError', 502],
      ['GET', 3, 'CpaasNetworkError', undefined],
      ['PUT', 1, 'CpaasTimeoutError', undefined],
      ['DELETE', 1, 'CpaasServerError', 500],
    ]);
    for (const attempt of retried) expect(attempt.retryInMs).toBeLessThanOrEqual(fastRetry.maxDelayMs);
  });

  it('stops after maxAttempts with the last error', async () => {
    script = [unavailable(), unavailable(), unavailable(502), okUser];
    const error = await failure(clientFor({ retry: { ...fastRetry, maxAttempts: 3 } }).getUser(USER_ID));
    expect(error).toBeInstanceOf(CpaasServerError);
    expect(error.status).toBe(502);
    expect(received).toHaveLength(3);
  });

  it('never retries POST, whatever the failure', async () => {
    const client = clientFor();
    script = [unavailable(), 'reset', { status: 429, headers: { 'retry-after': '0' } }, unavailable(500)];
    expect(await failure(client.createUser(person))).toBeInstanceOf(CpaasServerError);
    expect(await failure(client.createUser(person))).toBeInstanceOf(CpaasNetworkError);
    expect(await failure(client.createUser(person))).toBeInstanceOf(CpaasRateLimitError);
    expect(await failure(client.impersonateUser(USER_ID))).toBeInstanceOf(CpaasServerError);
    expect(received.map((request) => request.method)).toEqual(['POST', 'POST', 'POST', 'POST']);
  });

  it('does not retry what repeating cannot fix (400)', async () => {
    script = [{ status: 400, body: { error_code: 1000, message: 'bad timezone' } }, okUser];
    expect(await failure(clientFor().updateUser(USER_ID, person))).toBeInstanceOf(CpaasValidationError);
    expect(received).toHaveLength(1);
  });
});

describe('CpaasClient time budget', () => {
  it('gives up on a hanging API at the deadline with CpaasTimeoutError', async () => {
    script = ['hang', 'hang', 'hang', 'hang'];
    const started = Date.now();
    const error = await failure(clientFor().getUser(USER_ID, { deadline: started + 500 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CpaasTimeoutError);
    expect(error.message).toMatch(/ran out of its deadline after 1 attempt/);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('does not send a call whose deadline has already passed', async () => {
    const error = await failure(clientFor().getUser(USER_ID, { deadline: Date.now() - 1 }));
    expect(error).toBeInstanceOf(CpaasTimeoutError);
    expect(received).toEqual([]);
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    script = ['hang'];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(clientFor().getUser(USER_ID, { signal: controller.signal }));
    expect(error).toBeInstanceOf(CpaasAbortError);
    expect(error.retryable).toBe(false);
    expect(received).toHaveLength(1);
  });
});

describe('CpaasClient secrecy', () => {
  it('never shows the key in logs, error messages, stacks, enumerable fields or inspection', async () => {
    const lines: string[] = [];
    const line = (message: string, attributes: Record<string, unknown>) =>
      lines.push(`${message} ${JSON.stringify(attributes)}`);
    const logger: Logger = { debug: line, info: line, warn: line, error: line };
    const client = clientFor({ logger, retry: { ...fastRetry, maxAttempts: 2 } });
    script = [
      okUser,
      unavailable(),
      unavailable(),
      'reset',
      { status: 401, body: { message: 'unauthorized' } },
      { status: 400, body: { message: 'bad', errors: [{ field: 'email' }] } },
      'hang',
    ];
    await client.getUser(USER_ID);
    const errors: unknown[] = [
      await failure(client.getUser(USER_ID)),
      await failure(client.createUser(person)),
      await failure(client.listUsers()),
      await failure(client.createUser(person)),
      await failure(client.getUser(USER_ID, { deadline: Date.now() + 200 })),
      await failure(client.getUser('bad id')),
      await failure(clientFor({ apiKey: `${API_KEY}\n` }).getUser(USER_ID)),
    ];
    expect(lines.length).toBeGreaterThanOrEqual(7);
    const seen = [
      ...lines,
      inspect(client, { showHidden: true, depth: 10 }),
      JSON.stringify(client),
      ...errors.flatMap((error) => [
        JSON.stringify(error),
        inspect(error, { showHidden: true, depth: 10 }),
        String((error as Error).stack),
        Object.keys(error as object).join(','),
        JSON.stringify(Object.values(error as object)),
      ]),
    ].join('\n');
    expect(seen).toContain('CpaasServerError');
    expect(seen).toContain('CpaasNetworkError');
    expect(seen).toContain('CpaasAuthError');
    expect(seen).not.toContain(API_KEY);
    expect(seen).not.toContain('someone@example.test');
  });
});
