import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxRoute } from '../../../tools/sandbox/index.js';
import { bodyOf, type SandboxHarness, startHarness, userInput } from './helpers.js';

let h: SandboxHarness | undefined;
afterEach(async () => {
  await h?.sandbox.close();
  h = undefined;
});

/** Outcome of one request: the status, or what happened to the socket. */
async function outcome(
  harness: SandboxHarness,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 2_000,
) {
  try {
    const response = await fetch(`${harness.sandbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${harness.sandbox.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return (error as Error).name === 'TimeoutError' ? 'hang' : 'reset';
  }
}

async function runRateFaults(seed: number): Promise<Array<number | string>> {
  const harness = await startHarness({ seed });
  harness.sandbox.control.setFaults('listUsers', { errorRate: 0.3, rateLimitRate: 0.2, resetRate: 0.1 });
  const results: Array<number | string> = [];
  for (let i = 0; i < 40; i += 1) results.push(await outcome(harness, 'GET', harness.usersUrl));
  await harness.sandbox.close();
  return results;
}

describe('fault injection', () => {
  it('consumes a script one entry per request, then answers normally', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('getUser', { script: [500, 502, 503, 429, 'reset'] });
    const created = await h.json('POST', h.usersUrl, userInput(1));
    const path = `${h.usersUrl}/${created.body.data.id}`;
    const seen = [];
    for (let i = 0; i < 6; i += 1) seen.push(await outcome(h, 'GET', path));
    expect(seen).toEqual([500, 502, 503, 429, 'reset', 200]);
    expect(h.sandbox.control.requestCounts().getUser).toBe(6);
  });

  it('answers 429 with Retry-After and the vendor error body', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('*', { script: [429], retryAfterSeconds: 3 });
    const response = await h.call('GET', h.usersUrl);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    const body = await bodyOf(response);
    expect(body).toMatchObject({ status_code: 429, error_code: expect.any(Number) });
    expect(body.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('a route spec wins over "*" and other routes are unaffected', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('*', { errorRate: 1 });
    h.sandbox.control.setFaults('listUsers', {});
    expect(await outcome(h, 'GET', h.usersUrl)).toBe(200);
    expect([500, 502, 503]).toContain(await outcome(h, 'POST', h.usersUrl, userInput(1)));
  });

  it('random faults with the same seed reproduce exactly, and cover every kind asked for', async () => {
    const first = await runRateFaults(42);
    const second = await runRateFaults(42);
    expect(second).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(429);
    expect(first).toContain('reset');
    expect(first.some((r) => r === 500 || r === 502 || r === 503)).toBe(true);
  });

  it('uses only the configured error statuses', async () => {
    h = await startHarness({ seed: 1 });
    h.sandbox.control.setFaults('listUsers', { errorRate: 1, errorStatuses: [502] });
    for (let i = 0; i < 5; i += 1) expect(await outcome(h, 'GET', h.usersUrl)).toBe(502);
  });

  it('hang keeps the socket open without an answer, and close() ends it', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('listUsers', { hangRate: 1 });
    const pending = fetch(`${h.sandbox.url}${h.usersUrl}`, {
      headers: { authorization: `Bearer ${h.sandbox.apiKey}` },
    }).then(
      () => 'answered',
      () => 'socket closed',
    );
    const early = await Promise.race([pending, new Promise((r) => setTimeout(() => r('still open'), 200))]);
    expect(early).toBe('still open');
    await h.sandbox.close();
    h = undefined;
    expect(await pending).toBe('socket closed');
  });

  it('applyAfterHandling: the create takes effect but the response is lost', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('createUser', { script: ['reset', 503], applyAfterHandling: true });
    expect(await outcome(h, 'POST', h.usersUrl, userInput(1))).toBe('reset');
    expect(h.sandbox.control.users().map((u) => u.email)).toEqual([userInput(1).email]);
    expect(await outcome(h, 'POST', h.usersUrl, userInput(2))).toBe(503);
    expect(h.sandbox.control.users()).toHaveLength(2);
    const retry = await h.json('POST', h.usersUrl, userInput(1));
    expect(retry.body.message).toBe('email already exists');
  });

  it('without applyAfterHandling a faulted create changes nothing', async () => {
    h = await startHarness();
    h.sandbox.control.setFaults('createUser', { script: [500, 'reset'] });
    await outcome(h, 'POST', h.usersUrl, userInput(1));
    await outcome(h, 'POST', h.usersUrl, userInput(1));
    expect(h.sandbox.control.users()).toEqual([]);
  });

  it('adds the configured latency', async () => {
    h = await startHarness({ seed: 3 });
    h.sandbox.control.setFaults('listUsers', { latencyMs: 150, jitterMs: 50 });
    const started = performance.now();
    expect(await outcome(h, 'GET', h.usersUrl)).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('reset() drops users, faults and counts', async () => {
    h = await startHarness();
    h.sandbox.control.seedUsers(3);
    h.sandbox.control.setFaults('*' as SandboxRoute | '*', { errorRate: 1 });
    await outcome(h, 'GET', h.usersUrl);
    h.sandbox.control.reset();
    expect(h.sandbox.control.users()).toEqual([]);
    expect(h.sandbox.control.requestCounts().listUsers).toBe(0);
    expect(await outcome(h, 'GET', h.usersUrl)).toBe(200);
  });
});
