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

type Counts = { -readonly [K in keyof SoakScenario['counts']]: number };

/**
 * The history as it is written: who is employed, under which data version, and the events so
 * far. Every draw comes from the one seeded `random`, in a fixed order, so a seed always gives
 * the same history.
 */
class History {
  readonly employed = new Map<string, EmployeeData>();
  readonly everHired = new Set<string>();
  readonly events: LifecycleEvent[] = [];
  readonly poison = new Set<string>();
  readonly counts: Counts = { hired: 0, rehired: 0, changed: 0, emailChanged: 0, terminated: 0 };
  readonly #versions = new Map<string, number>();

  constructor(
    readonly random: () => number,
    readonly ids: readonly string[],
  ) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** A new version of the employee's data: a new address and last name, so changes are visible. */
  #nextData(employeeId: string, extension: string): EmployeeData {
    const version = (this.#versions.get(employeeId) ?? 0) + 1;
    this.#versions.set(employeeId, version);
    return {
      employeeId,
      workEmail: `${employeeId.toLowerCase()}.v${version}@soak.example.com`,
      firstName: `First${employeeId}`,
      lastName: `Last${version}`,
      extension,
    };
  }

  /** A first hire, or a rehire of someone who left; each person keeps one extension for life. */
  hire(employeeId: string, time: string, rehire: boolean): void {
    const data = this.#nextData(employeeId, String(1000 + this.ids.indexOf(employeeId)));
    this.everHired.add(employeeId);
    this.employed.set(employeeId, data);
    if (rehire) this.counts.rehired += 1;
    else this.counts.hired += 1;
    this.events.push(createLifecycleEvent({ type: 'employee.hired', data, source: SOURCE, time }));
  }

  /** A change to an address an unmanaged user holds: the API must reject it, the model ignores it. */
  poisonChange(employeeId: string, takenEmail: string, time: string): void {
    const current = this.employed.get(employeeId) as EmployeeData;
    const event = createLifecycleEvent({
      type: 'employee.changed',
      data: { ...current, workEmail: takenEmail },
      source: SOURCE,
      time,
    });
    this.poison.add(event.id);
    this.events.push(event);
  }

  terminate(employeeId: string, time: string): void {
    this.employed.delete(employeeId);
    this.counts.terminated += 1;
    this.events.push(
      createLifecycleEvent({ type: 'employee.terminated', data: { employeeId }, source: SOURCE, time }),
    );
  }

  /** A change of name, and three times in ten of the address too. */
  change(employeeId: string, time: string): void {
    const current = this.employed.get(employeeId) as EmployeeData;
    const next = this.#nextData(employeeId, current.extension as string);
    const emailChange = this.random() < 0.3;
    const data = emailChange ? next : { ...next, workEmail: current.workEmail };
    this.employed.set(employeeId, data);
    this.counts.changed += 1;
    if (emailChange) this.counts.emailChanged += 1;
    this.events.push(createLifecycleEvent({ type: 'employee.changed', data, source: SOURCE, time }));
  }

  /** The model's answer: every employed person with their last data. */
  roster(): Map<string, ExpectedUser> {
    const roster = new Map<string, ExpectedUser>();
    for (const [employeeId, data] of this.employed) {
      roster.set(employeeId, {
        email: data.workEmail,
        firstName: data.firstName,
        lastName: data.lastName,
        extension: data.extension as string,
      });
    }
    return roster;
  }
}

/** Event positions of the poison changes, spread over the second half so the employee has history. */
function poisonPositions(options: SoakScenarioOptions, random: () => number): Set<number> {
  const positions = new Set<number>();
  while (positions.size < options.poisonEvents) {
    positions.add(Math.floor(options.events / 2 + random() * (options.events / 2)));
  }
  return positions;
}

/** One event at `index`: everyone is hired once in the first third; after that, the mix of a living company. */
function nextEvent(
  history: History,
  options: SoakScenarioOptions,
  index: number,
  poisonAt: Set<number>,
  time: string,
): void {
  const notYetHired = history.ids.filter((id) => !history.everHired.has(id));
  const roll = history.random();
  if (notYetHired.length > 0 && (index < options.events / 3 || history.employed.size === 0)) {
    history.hire(history.pick(notYetHired), time, false);
    return;
  }
  const active = [...history.employed.keys()];
  const gone = [...history.everHired].filter((id) => !history.employed.has(id));
  if (poisonAt.has(index) && active.length > 0) {
    const employeeId = history.pick(active);
    history.poisonChange(employeeId, history.pick(options.takenEmails), time);
  } else if (gone.length > 0 && roll < 0.08) {
    history.hire(history.pick(gone), time, true);
  } else if (active.length > 1 && roll < 0.2) {
    history.terminate(history.pick(active), time);
  } else {
    history.change(history.pick(active), time);
  }
}

/**
 * A reproducible HR history (hires, changes with and without a new email, terminations, rehires)
 * and, computed alongside it by a model that knows nothing of the worker, the roster it must
 * leave. Termination deletes (the default policy), so the roster is exactly the employed people.
 */
export function buildSoakScenario(options: SoakScenarioOptions): SoakScenario {
  const random = seededRandom(options.seed);
  const ids = Array.from({ length: options.employees }, (_, n) => `S${String(n).padStart(5, '0')}`);
  const history = new History(random, ids);
  const start = Date.now() - options.events * EVENT_SPACING_MS;
  const poisonAt = poisonPositions(options, random);
  for (let index = 0; index < options.events; index += 1) {
    nextEvent(history, options, index, poisonAt, new Date(start + index * EVENT_SPACING_MS).toISOString());
  }
  const { events, poison, counts } = history;
  const duplicated = new Set(
    events
      .filter((event) => !poison.has(event.id) && random() < options.duplicateRate)
      .map((event) => event.id),
  );
  return { events, duplicated, poison, roster: history.roster(), counts };
}
