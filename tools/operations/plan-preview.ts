import {
  type ConvergeOutcome,
  type ConvergePorts,
  converge,
  type PlanStep,
} from '../../lambdas/core/converge/converge.js';
import type { CpaasUsersApi } from '../../lambdas/core/cpaas/users-api.js';
import {
  employeeKey,
  type LifecycleEvent,
  type LifecycleEventType,
} from '../../lambdas/core/events/lifecycle-event.js';
import type { BrakeDecision, DeletionBrake } from '../../lambdas/core/state/deletion-brake.js';
import type { EmployeeState } from '../../lambdas/core/state/employee-state.js';
import type { HoldStore } from '../../lambdas/core/state/hold-store.js';
import type { ScheduledEvent, ScheduleStore } from '../../lambdas/core/state/schedule-store.js';
import type { EmployeeLink, LinkStatus, StateStore } from '../../lambdas/core/state/state-store.js';
import { PreviewWriteError } from './errors.js';

/** What the preview needs: the worker's ports, minus `dryRun` (always on). */
export type PreviewPorts = Omit<ConvergePorts, 'dryRun'>;

/** A CPaaS API request the preview made: reads only. */
export interface ApiRead {
  readonly operation: 'getUser' | 'listUsers';
  readonly method: 'GET';
  readonly userId?: string;
}

/** A CPaaS API request the worker would make for this event, and the preview did not. */
export interface ApiWrite {
  readonly operation: 'createUser' | 'updateUser' | 'deleteUser';
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly userId?: string;
  /** Managed fields a PUT would change (names only, never values). */
  readonly fields?: readonly string[];
}

/** How the state table knows the employee (ids and times only: no email, no name). */
export interface PreviewMatch {
  readonly employeeKey: string;
  /** A CPaaS user id is recorded for the employee (also true for a deleted one: see `status`). */
  readonly linked: boolean;
  readonly cpaasUserId?: string;
  readonly status?: LinkStatus;
  readonly lastEventId?: string;
  readonly lastEventTime?: string;
  /** Disabled under `disable-then-delete`: when the sweep deletes the user. */
  readonly deleteAfter?: string;
  /** A future-dated event for the employee waiting for its time. */
  readonly pending?: { readonly eventId: string; readonly dueAt: string };
}

/** One event's preview: match -> steps -> decision, and the API calls behind it. */
export interface PlanPreview {
  readonly event: {
    readonly id: string;
    readonly type: LifecycleEventType;
    readonly time: string;
    readonly effectiveAt?: string;
  };
  readonly match: PreviewMatch;
  /** Converge's own plan: what the worker does, in order. */
  readonly steps: readonly PlanStep[];
  readonly decision: { readonly outcome: ConvergeOutcome; readonly cpaasUserId?: string };
  /** The deletion brake's window, when the event is a termination that would change a user. */
  readonly brake?: BrakeDecision;
  readonly apiCalls: { readonly made: readonly ApiRead[]; readonly wouldMake: readonly ApiWrite[] };
}

/** A port operation that rejects: callers await it, so it fails the way a refused request would. */
const refuse = (operation: string) => (): Promise<never> => Promise.reject(new PreviewWriteError(operation));

/** Reads once per key: the match the preview shows is the very snapshot converge decided on. */
function once<V>(read: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const seen = new Map<string, Promise<V>>();
  return (key) => {
    let value = seen.get(key);
    if (value === undefined) {
      value = read(key);
      seen.set(key, value);
    }
    return value;
  };
}

function readOnlyApi(api: CpaasUsersApi, made: ApiRead[]): CpaasUsersApi {
  return {
    listUsers: (params, options) => {
      made.push({ operation: 'listUsers', method: 'GET' });
      return api.listUsers(params, options);
    },
    // Not in `made`: converge pages with listUsers; only whole-account tools iterate.
    iterateUsers: (params, options) => api.iterateUsers(params, options),
    getUser: (userId, options) => {
      made.push({ operation: 'getUser', method: 'GET', userId });
      return api.getUser(userId, options);
    },
    createUser: refuse('createUser'),
    updateUser: refuse('updateUser'),
    deleteUser: refuse('deleteUser'),
    impersonateUser: refuse('impersonateUser'),
  };
}

/** The state as read, every write refused (closing writes nothing: no lease was taken). */
function readOnlyState(state: EmployeeState): EmployeeState {
  return {
    link: state.link,
    processed: state.processed,
    schedulePending: state.schedulePending,
    noteSchedule: () => {},
    lock: refuse('lock (take the employee lease)'),
    save: refuse('save link'),
    record: refuse('record event'),
    markSchedulePending: refuse('mark schedule pending'),
    close: () => state.close(),
  };
}

function readOnlyStore(store: StateStore, observed: PreviewObservations): StateStore {
  return {
    begin: async (key, event, deadline) => {
      const state = await store.begin(key, event, deadline);
      observed.link = state.link;
      return readOnlyState(state);
    },
    getLink: (key) => store.getLink(key),
    isProcessed: (key, eventId) => store.isProcessed(key, eventId),
    listLinks: () => store.listLinks(),
  };
}

function readOnlySchedules(schedules: ScheduleStore): ScheduleStore {
  return {
    get: once((key) => schedules.get(key)),
    listDue: (now) => schedules.listDue(now),
    schedule: refuse('schedule'),
    remove: refuse('remove schedule'),
  };
}

function readOnlyHolds(holds: HoldStore): HoldStore {
  return { list: () => holds.list(), hold: refuse('hold'), remove: refuse('remove hold') };
}

/** What the read-only ports saw while converge ran. */
export interface PreviewObservations {
  /** Every CPaaS request converge sent, in order. */
  readonly made: ApiRead[];
  /** The brake's last inspection, if converge asked it. */
  brake?: BrakeDecision;
  /** The link converge read and decided on. */
  link?: EmployeeLink | undefined;
}

/**
 * The worker's ports made read-only, with `dryRun` on: converge's dry run already skips every
 * write, and these refuse one with `PreviewWriteError` should it ever try (defence in depth: a
 * preview that changed a phone user would be worse than no preview). Reads go through, recorded.
 */
export function readOnlyPorts(ports: PreviewPorts): {
  readonly ports: ConvergePorts;
  readonly observed: PreviewObservations;
} {
  const observed: PreviewObservations = { made: [] };
  const brake: DeletionBrake = {
    admit: refuse('admit (count a termination)'),
    inspect: async () => {
      observed.brake = await ports.brake.inspect();
      return observed.brake;
    },
  };
  return {
    observed,
    ports: {
      ...ports,
      api: readOnlyApi(ports.api, observed.made),
      store: readOnlyStore(ports.store, observed),
      schedules: readOnlySchedules(ports.schedules),
      holds: readOnlyHolds(ports.holds),
      brake,
      dryRun: true,
    },
  };
}

function matchOf(
  key: string,
  link: EmployeeLink | undefined,
  pending: ScheduledEvent | undefined,
): PreviewMatch {
  return {
    employeeKey: key,
    linked: link?.cpaasUserId !== undefined,
    ...(link === undefined
      ? {}
      : {
          ...(link.cpaasUserId === undefined ? {} : { cpaasUserId: link.cpaasUserId }),
          status: link.status,
          lastEventId: link.lastEventId,
          lastEventTime: link.lastEventTime,
          ...(link.deleteAfter === undefined ? {} : { deleteAfter: link.deleteAfter }),
        }),
    ...(pending === undefined ? {} : { pending: { eventId: pending.eventId, dueAt: pending.dueAt } }),
  };
}

/** The API writes behind converge's steps, which a dry run plans but never sends. */
function writesOf(steps: readonly PlanStep[], userId: string | undefined): ApiWrite[] {
  const target = userId === undefined ? {} : { userId };
  return steps.flatMap((step): ApiWrite[] => {
    switch (step.action) {
      case 'create':
        return [{ operation: 'createUser', method: 'POST' }];
      case 'update':
        return [{ operation: 'updateUser', method: 'PUT', ...target, fields: step.fields ?? [] }];
      case 'delete':
        return [{ operation: 'deleteUser', method: 'DELETE', ...target }];
      default:
        return [];
    }
  });
}

/**
 * What the worker would do with one event, touching nothing: the worker's own `converge` in dry
 * run over read-only ports, so the preview cannot drift from the worker. Reads the state table
 * and the CPaaS API as the worker would (the same reads, so the decision is the one the worker
 * would reach now); writes neither, nor counts anything in the deletion brake.
 */
export async function previewEvent(event: LifecycleEvent, ports: PreviewPorts): Promise<PlanPreview> {
  const readOnly = readOnlyPorts(ports);
  const key = employeeKey(event);
  const result = await converge(event, readOnly.ports);
  // The schedule read is shared with converge when it made one (read once per key).
  const pending = await readOnly.ports.schedules.get(key);
  const { brake, made, link } = readOnly.observed;
  return {
    event: {
      id: event.id,
      type: event.type,
      time: event.time,
      ...(event.data.effectiveAt === undefined ? {} : { effectiveAt: event.data.effectiveAt }),
    },
    match: matchOf(key, link, pending),
    steps: result.plan,
    decision: {
      outcome: result.outcome,
      ...(result.cpaasUserId === undefined ? {} : { cpaasUserId: result.cpaasUserId }),
    },
    ...(brake === undefined ? {} : { brake }),
    apiCalls: { made, wouldMake: writesOf(result.plan, result.cpaasUserId) },
  };
}
