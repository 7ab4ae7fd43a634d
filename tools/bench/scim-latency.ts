import type { User } from '../../lambdas/core/cpaas/schemas.js';
import type { RunningLocalMode } from '../local/local-mode.js';
import { startMotoServer } from '../local/moto-server.js';
import { type RunningSandbox, startSandbox } from '../sandbox/index.js';
import { queuedCount } from './queued-count.js';
import { benchSqsClient, startBenchLocalMode, waitUntil } from './revoke-latency.js';
import { uniqueSuffix } from './unique-suffix.js';

/** Users created before the timed POSTs, so the GETs filter a tenant of `SCIM_STORED_USERS`. */
export const SCIM_STORED_USERS = 50;
export const SCIM_CREATES = 30;
/**
 * Ten per stored user: row 11's p99 is the 5th-slowest of 500, where over 50 it was the slowest
 * one and a single pause of the 2 cores set it (16 and 103 ms in two runs 23 minutes apart).
 */
export const SCIM_GETS = 500;
export const SCIM_RENAMES = 30;
/** Deactivations, back to back: below the deletion brake's minimum of 10. */
export const SCIM_LEAVERS = 8;
const SETTLE_TIMEOUT_MS = 300_000;
const REVOKE_TIMEOUT_MS = 60_000;
/** How often the sandbox's users are looked at while the leavers are revoked. */
const WATCH_MS = 5;

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimLatencyFigures {
  /** Milliseconds per request, from sending it to its 2xx answer's body read. */
  readonly getFilterMs: readonly number[];
  readonly postMs: readonly number[];
  readonly patchMs: readonly number[];
  /** Seconds from each `active` false PATCH's 2xx until the sandbox shows its user deleted or disabled. */
  readonly revokeS: readonly number[];
}

/** A SCIM client for one local mode, timing each request. */
class ScimClient {
  constructor(readonly mode: RunningLocalMode) {}

  /** The answer's body and the request's time in ms; anything but a 2xx throws. */
  async request(method: string, path: string, body?: unknown): Promise<{ json: unknown; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${this.mode.ready.scimUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.mode.ready.scimToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    if (response.status < 200 || response.status > 299) {
      throw new Error(`bench: SCIM ${method} ${path} answered ${response.status}: ${text}`);
    }
    return { json: text === '' ? undefined : JSON.parse(text), ms };
  }

  /** Creates one user; its SCIM id and the time. */
  async create(userName: string): Promise<{ id: string; ms: number }> {
    const { json, ms } = await this.request('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName,
      name: { givenName: 'Scim', familyName: 'Bench' },
      emails: [{ type: 'work', value: userName, primary: true }],
    });
    return { id: (json as { id: string }).id, ms };
  }

  patch(id: string, operations: readonly unknown[]): Promise<{ json: unknown; ms: number }> {
    return this.request('PATCH', `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: operations });
  }
}

/** True once nothing is queued or in flight on either lane. */
async function drained(mode: RunningLocalMode, sqs: ReturnType<typeof benchSqsClient>): Promise<boolean> {
  return (
    (await queuedCount(sqs, mode.ready.queueUrl)) === 0 &&
    (await queuedCount(sqs, mode.ready.priorityQueueUrl)) === 0
  );
}

function sandboxUser(sandbox: RunningSandbox, email: string): User | undefined {
  return sandbox.control.users().find((user) => user.email === email);
}

/**
 * SCIM request latency and revocation through SCIM, in one fresh local mode over real sockets
 * (SCIM and the ingest on local mode's HTTP server, both lanes on moto_server, the worker, the
 * CPaaS sandbox in this process): `SCIM_STORED_USERS - SCIM_CREATES` users created, then the timed
 * POSTs, GETs filtered on `userName eq`, PATCHes replacing `name.givenName`, each phase starting
 * once the pipeline has applied the last (queues empty), and last the deactivations, each timed
 * from its PATCH's 2xx until the sandbox shows its VoIP user gone or disabled.
 */
export async function measureScim(log: (line: string) => void): Promise<ScimLatencyFigures> {
  const moto = await startMotoServer();
  const sandbox = await startSandbox();
  const suffix = uniqueSuffix();
  const mode = await startBenchLocalMode(moto.endpoint, sandbox, 'scim', suffix);
  const sqs = benchSqsClient(moto.endpoint);
  const scim = new ScimClient(mode);
  const settle = async (what: string, users: number) => {
    await waitUntil(
      async () => sandbox.control.users().length >= users && (await drained(mode, sqs)),
      what,
      SETTLE_TIMEOUT_MS,
    );
  };
  try {
    const userNames = Array.from(
      { length: SCIM_STORED_USERS },
      (_, index) => `scim-${suffix}-${index}@bench.example.com`,
    );
    const ids: string[] = [];
    log(`bench: SCIM, ${SCIM_STORED_USERS - SCIM_CREATES} users before the timed creates`);
    for (const userName of userNames.slice(0, SCIM_STORED_USERS - SCIM_CREATES))
      ids.push((await scim.create(userName)).id);

    log(`bench: SCIM, ${SCIM_CREATES} POST /Users`);
    const postMs: number[] = [];
    for (const userName of userNames.slice(SCIM_STORED_USERS - SCIM_CREATES)) {
      const created = await scim.create(userName);
      ids.push(created.id);
      postMs.push(created.ms);
    }
    await settle(`the ${SCIM_STORED_USERS} SCIM users provisioned`, SCIM_STORED_USERS);

    log(`bench: SCIM, ${SCIM_GETS} GET /Users?filter=userName eq over ${SCIM_STORED_USERS} users`);
    const getFilterMs: number[] = [];
    for (let index = 0; index < SCIM_GETS; index += 1) {
      const userName = userNames[index % SCIM_STORED_USERS] as string;
      const filter = encodeURIComponent(`userName eq "${userName}"`);
      const { json, ms } = await scim.request('GET', `/Users?filter=${filter}`);
      if ((json as { totalResults: number }).totalResults !== 1)
        throw new Error(`bench: ${userName} not found`);
      getFilterMs.push(ms);
    }

    log(`bench: SCIM, ${SCIM_RENAMES} PATCH replace name.givenName`);
    const patchMs: number[] = [];
    for (const id of ids.slice(0, SCIM_RENAMES)) {
      patchMs.push((await scim.patch(id, [{ op: 'replace', path: 'name.givenName', value: 'Renamed' }])).ms);
    }
    await settle('the renames applied', SCIM_STORED_USERS);

    log(`bench: SCIM, ${SCIM_LEAVERS} PATCH active=false, back to back`);
    const leavers = Array.from({ length: SCIM_LEAVERS }, (_, index) => ({
      id: ids[SCIM_STORED_USERS - 1 - index] as string,
      email: userNames[SCIM_STORED_USERS - 1 - index] as string,
    }));
    for (const leaver of leavers) {
      const user = sandboxUser(sandbox, leaver.email);
      if (user === undefined || user.enabled === false) {
        throw new Error(`bench: ${leaver.email} is not an enabled VoIP user before its deactivation`);
      }
    }
    const acceptedAt = new Map<string, number>();
    const revokedAt = new Map<string, number>();
    const look = () => {
      for (const leaver of leavers) {
        if (!acceptedAt.has(leaver.email) || revokedAt.has(leaver.email)) continue;
        const user = sandboxUser(sandbox, leaver.email);
        if (user === undefined || user.enabled === false) revokedAt.set(leaver.email, performance.now());
      }
    };
    const watcher = setInterval(look, WATCH_MS);
    try {
      for (const leaver of leavers) {
        await scim.patch(leaver.id, [{ op: 'replace', path: 'active', value: false }]);
        acceptedAt.set(leaver.email, performance.now());
      }
      await waitUntil(
        () => revokedAt.size === leavers.length,
        'every SCIM leaver revoked',
        REVOKE_TIMEOUT_MS,
      );
    } finally {
      clearInterval(watcher);
    }
    const revokeS = leavers.map(
      (leaver) =>
        ((revokedAt.get(leaver.email) ?? Number.NaN) - (acceptedAt.get(leaver.email) ?? Number.NaN)) / 1000,
    );
    return { getFilterMs, postMs, patchMs, revokeS };
  } finally {
    sqs.destroy();
    await mode.stop();
    await sandbox.close();
    await moto.stop();
  }
}
