import {
  createLifecycleEvent,
  type EmployeeData,
  type LifecycleEvent,
} from '../../lambdas/core/events/lifecycle-event.js';
import { seededRandom } from '../sandbox/random.js';

export interface SoakScenarioOptions {
  readonly events: number;
  readonly employees: number;
  /** Share of events delivered a second time (as SQS at-least-once delivery would). */
  readonly duplicateRate: number;
  /** How many changes move the employee to an address another (unmanaged) user holds. */
  readonly poisonEvents: number;
  /** Addresses already taken on the account by users this project does not manage. */
  readonly takenEmails: readonly string[];
  readonly seed: number;
}

/** One expected CPaaS user, as the independent model sees it. */
export interface ExpectedUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly extension: string;
}

export interface SoakScenario {
  /** In delivery order; events of one employee are in the order they happened. */
  readonly events: readonly LifecycleEvent[];
  /** Ids of events delivered twice. */
  readonly duplicated: ReadonlySet<string>;
  /** Ids of events the API must reject permanently (email taken), i.e. the expected DLQ. */
  readonly poison: ReadonlySet<string>;
  /** The managed users that must exist at the end, by employee id. */
  readonly roster: ReadonlyMap<string, ExpectedUser>;
  readonly counts: Readonly<Record<'hired' | 'rehired' | 'changed' | 'emailChanged' | 'terminated', number>>;
}

const SOURCE = 'soak';
const EVENT_SPACING_MS = 1_000;

/**
 * A reproducible HR history (hires, changes with and without a new email, terminations, rehires)
 * and, computed alongside it by a model that knows nothing of the worker, the roster it must
 * leave. Termination deletes (the default policy), so the roster is exactly the employed people.
 */
export function buildSoakScenario(options: SoakScenarioOptions): SoakScenario {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const employed = new Map<string, EmployeeData>();
  const everHired = new Set<string>();
  const versions = new Map<string, number>();
  const events: LifecycleEvent[] = [];
  const poison = new Set<string>();
  const counts = { hired: 0, rehired: 0, changed: 0, emailChanged: 0, terminated: 0 };
  const start = Date.now() - options.events * EVENT_SPACING_MS;
  const ids = Array.from({ length: options.employees }, (_, n) => `S${String(n).padStart(5, '0')}`);
  // Poison changes are spread over the second half, so the employee exists and has history.
  const poisonAt = new Set<number>();
  while (poisonAt.size < options.poisonEvents) {
    poisonAt.add(Math.floor(options.events / 2 + random() * (options.events / 2)));
  }

  const employeeData = (employeeId: string, extension: string): EmployeeData => {
    const version = (versions.get(employeeId) ?? 0) + 1;
    versions.set(employeeId, version);
    return {
      employeeId,
      workEmail: `${employeeId.toLowerCase()}.v${version}@soak.example.com`,
      firstName: `First${employeeId}`,
      lastName: `Last${version}`,
      extension,
    };
  };

  for (let index = 0; index < options.events; index += 1) {
    const time = new Date(start + index * EVENT_SPACING_MS).toISOString();
    const notYetHired = ids.filter((id) => !everHired.has(id));
    const roll = random();
    // Everyone is hired once in the first third; after that, the mix of a living company.
    if (notYetHired.length > 0 && (index < options.events / 3 || employed.size === 0)) {
      const employeeId = pick(notYetHired);
      const data = employeeData(employeeId, String(1000 + ids.indexOf(employeeId)));
      everHired.add(employeeId);
      employed.set(employeeId, data);
      counts.hired += 1;
      events.push(createLifecycleEvent({ type: 'employee.hired', data, source: SOURCE, time }));
      continue;
    }
    const active = [...employed.keys()];
    const gone = [...everHired].filter((id) => !employed.has(id));
    if (poisonAt.has(index) && active.length > 0) {
      const employeeId = pick(active);
      const current = employed.get(employeeId) as EmployeeData;
      const event = createLifecycleEvent({
        type: 'employee.changed',
        data: { ...current, workEmail: pick(options.takenEmails) },
        source: SOURCE,
        time,
      });
      poison.add(event.id);
      events.push(event);
      continue;
    }
    if (gone.length > 0 && roll < 0.08) {
      const employeeId = pick(gone);
      const data = employeeData(employeeId, String(1000 + ids.indexOf(employeeId)));
      employed.set(employeeId, data);
      counts.rehired += 1;
      events.push(createLifecycleEvent({ type: 'employee.hired', data, source: SOURCE, time }));
    } else if (active.length > 1 && roll < 0.2) {
      const employeeId = pick(active);
      employed.delete(employeeId);
      counts.terminated += 1;
      events.push(
        createLifecycleEvent({ type: 'employee.terminated', data: { employeeId }, source: SOURCE, time }),
      );
    } else {
      const employeeId = pick(active);
      const current = employed.get(employeeId) as EmployeeData;
      const next = employeeData(employeeId, current.extension as string);
      const emailChange = random() < 0.3;
      const data = emailChange ? next : { ...next, workEmail: current.workEmail };
      employed.set(employeeId, data);
      counts.changed += 1;
      if (emailChange) counts.emailChanged += 1;
      events.push(createLifecycleEvent({ type: 'employee.changed', data, source: SOURCE, time }));
    }
  }

  const duplicated = new Set(
    events
      .filter((event) => !poison.has(event.id) && random() < options.duplicateRate)
      .map((event) => event.id),
  );
  const roster = new Map<string, ExpectedUser>();
  for (const [employeeId, data] of employed) {
    roster.set(employeeId, {
      email: data.workEmail,
      firstName: data.firstName,
      lastName: data.lastName,
      extension: data.extension as string,
    });
  }
  return { events, duplicated, poison, roster, counts };
}
