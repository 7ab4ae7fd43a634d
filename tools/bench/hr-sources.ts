import { HR_API_SOURCES, type HrApiSource } from '../../lambdas/contract/settings.js';
import {
  type FakeChange,
  type FakeSourceEndpoints,
  fakeApiRequests,
  HR_FAKE_DRIVERS,
  putFakePerson,
} from '../fakes/hr-fake-driver.js';
import type { RunningLocalMode } from '../local/local-mode.js';
import { startMotoServer } from '../local/moto-server.js';
import { type RunningSandbox, startSandbox } from '../sandbox/index.js';
import { startBenchLocalMode, waitUntil } from './revoke-latency.js';
import { uniqueSuffix } from './unique-suffix.js';

/**
 * Employees per source: each is hired, changed, then terminated. Eight, below the deletion brake's
 * minimum of 10 terminations per window, so no leaver is held.
 */
export const HR_SOURCE_EMPLOYEES = 8;
const APPLY_TIMEOUT_MS = 300_000;

export interface HrSourceFigures {
  readonly source: HrApiSource;
  /** Milliseconds from sending each signed webhook to its answer (the provider's own sender waits this long). */
  readonly ingestMs: readonly number[];
  readonly events: number;
  /** Requests the provider's API received (fetches; retries would count too). */
  readonly hrApiCalls: number;
  readonly cpaasCalls: number;
}

function totalCalls(sandbox: RunningSandbox): number {
  return Object.values(sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0);
}

function servedByFake(mode: RunningLocalMode, source: HrApiSource): FakeSourceEndpoints {
  const served = mode.ready.sources[source];
  if (served?.controlUrl === undefined) throw new Error(`bench: ${source} is not served by its fake`);
  return { ...served, controlUrl: served.controlUrl };
}

/**
 * Each native HR source through one fresh local mode over real sockets, as its provider would
 * drive it: `HR_SOURCE_EMPLOYEES` people set up in the source's fake, one hire webhook each, then
 * (once all are VoIP users) one termination webhook each, timing every webhook's answer and
 * counting the calls the pipeline made to the provider's API and to the CPaaS API until every
 * user is gone. The sources run one after the other, so the counts are each source's own.
 */
export async function measureHrSources(log: (line: string) => void): Promise<HrSourceFigures[]> {
  const moto = await startMotoServer();
  const sandbox = await startSandbox();
  const suffix = uniqueSuffix();
  const figures: HrSourceFigures[] = [];
  try {
    for (const source of HR_API_SOURCES) {
      log(`bench: ${source}, ${HR_SOURCE_EMPLOYEES} hires, changes, then terminations`);
      // A local mode (and state table) per source: each source's leavers count against a brake of their own.
      const mode = await startBenchLocalMode(moto.endpoint, sandbox, `hr-${source}`, suffix);
      try {
        const endpoints = servedByFake(mode, source);
        const driver = HR_FAKE_DRIVERS[source];
        const people = Array.from({ length: HR_SOURCE_EMPLOYEES }, (_, index) => ({
          id: `${9000 + index}`,
          person: {
            workEmail: `hr-${source}-${suffix}-${index}@bench.example.com`,
            firstName: 'Hr',
            lastName: source,
          },
        }));
        const hrBefore = await fakeApiRequests(endpoints);
        const cpaasBefore = totalCalls(sandbox);
        const ingestMs: number[] = [];
        const send = async (change: FakeChange, id: string) => {
          const started = performance.now();
          const response = await driver.sendWebhook(endpoints, change, id);
          ingestMs.push(performance.now() - started);
          if (response.status >= 300) throw new Error(`bench: ${source} webhook answered ${response.status}`);
        };
        const present = () => {
          const emails = new Set(sandbox.control.users().map((user) => user.email));
          return people.filter(({ person }) => emails.has(person.workEmail)).length;
        };
        for (const { id, person } of people) {
          await putFakePerson(source, endpoints, id, person);
          await send('hired', id);
        }
        await waitUntil(() => present() === people.length, `the ${source} hires applied`, APPLY_TIMEOUT_MS);
        for (const { id, person } of people) {
          await putFakePerson(source, endpoints, id, { ...person, firstName: 'Renamed' });
          await send('changed', id);
        }
        await waitUntil(
          () =>
            sandbox.control
              .users()
              .filter((user) => user.last_name === source && user.first_name === 'Renamed').length ===
            people.length,
          `the ${source} changes applied`,
          APPLY_TIMEOUT_MS,
        );
        for (const { id, person } of people) {
          await putFakePerson(source, endpoints, id, { ...person, terminated: true });
          await send('terminated', id);
        }
        await waitUntil(() => present() === 0, `the ${source} leavers revoked`, APPLY_TIMEOUT_MS);
        figures.push({
          source,
          ingestMs,
          events: ingestMs.length,
          hrApiCalls: (await fakeApiRequests(endpoints)) - hrBefore,
          cpaasCalls: totalCalls(sandbox) - cpaasBefore,
        });
      } finally {
        await mode.stop();
      }
    }
    return figures;
  } finally {
    await sandbox.close();
    await moto.stop();
  }
}
