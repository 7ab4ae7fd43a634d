import type { TerminationPolicy } from '../../contract/settings.js';
import {
  CpaasNotFoundError,
  CpaasRequestValidationError,
  CpaasValidationError,
  isDuplicateEmailError,
} from '../cpaas/errors.js';
import { iterateItems } from '../cpaas/pagination.js';
import { PAGE_SIZE_MAX, type User } from '../cpaas/schemas.js';
import type { CallOptions, CpaasUsersApi } from '../cpaas/users-api.js';
import { type EmployeeData, employeeKey, type LifecycleEvent } from '../events/lifecycle-event.js';
import type { DeletionBrake } from '../state/deletion-brake.js';
import type { EmployeeState } from '../state/employee-state.js';
import { EmployeeBusyError } from '../state/errors.js';
import type { HoldStore } from '../state/hold-store.js';
import { CHANGES_KEPT_WHILE_DELETED } from '../state/link-item.js';
import type { ScheduledEvent, ScheduleStore } from '../state/schedule-store.js';
import {
  type EmployeeLink,
  type LeaseWithRead,
  type LinkStatus,
  normalizeEventTime,
  type StateStore,
} from '../state/state-store.js';
import {
  changedFields,
  desiredFields,
  type ManagedFields,
  mergedUserInput,
  newUserInput,
} from './desired-user.js';
import { AdoptionError } from './errors.js';

export type ConvergeOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'deleted'
  | 'disabled'
  | 'stale'
  | 'duplicate'
  /** Future `effectiveAt`: stored for the sweep, applied when due. */
  | 'scheduled'
  /** A termination the deletion brake held for an operator. */
  | 'held';

/** One step of what the worker did (or, in a dry run, would do). Field names only, never values. */
export interface PlanStep {
  readonly action:
    | 'read'
    | 'create'
    | 'adopt'
    | 'update'
    | 'delete'
    | 'link'
    | 'schedule'
    | 'unschedule'
    | 'hold'
    | 'none';
  readonly reason: string;
  readonly fields?: readonly string[];
}

export interface ConvergeResult {
  readonly outcome: ConvergeOutcome;
  /** CPaaS API requests made for this event (list pages count one each). */
  readonly apiCalls: number;
  readonly plan: readonly PlanStep[];
  readonly cpaasUserId?: string;
}

/** What converge needs from the world; the Lambda, the local mode and the tests pass their own. */
export interface ConvergePorts {
  readonly api: CpaasUsersApi;
  readonly store: StateStore;
  readonly clock: () => Date;
  readonly policy: TerminationPolicy;
  /** Compute and return the plan; call no writing API operation and write nothing to the store. */
  readonly dryRun: boolean;
  /**
   * Per-call options, asked for before every call. Their deadline (the invocation's) is also how
   * long the employee's lease is held and waited for.
   */
  readonly callOptions?: () => CallOptions;
  readonly brake: DeletionBrake;
  readonly holds: HoldStore;
  readonly schedules: ScheduleStore;
  /** `disable-then-delete`: days between the disable and the sweep's delete. */
  readonly deleteGraceDays: number;
}

/** How this delivery came about, when not straight from the HRIS. */
export interface ConvergeOptions {
  /** An operator released it from the deletion brake: counted, never held again. */
  readonly releasedHold?: boolean;
}

const DAY_MS = 86_400_000;
/** Without a deadline from `callOptions` (a preview, a tool): how long the lease may be waited for. */
const DEFAULT_DEADLINE_MS = 30_000;
/** Reads of a link that kept changing under the event before it fails as transient. */
const MAX_ATTEMPTS = 5;

/** Which events take the lease with their first read, and on which guess (`LeaseWithRead`). */
const LEASE_WITH_READ: Record<LifecycleEvent['type'], LeaseWithRead | undefined> = {
  'employee.hired': 'absent',
  'employee.changed': undefined,
  'employee.terminated': 'present',
};

/** The link changed since this attempt read it: the event reads again and decides again. */
class LinkChanged extends Error {}

/** One event's convergence: counts API calls, records the plan, skips writes in a dry run. */
class Convergence {
  readonly plan: PlanStep[] = [];
  apiCalls = 0;
  readonly #key: string;
  /** The event's time as the link stores it, so it compares with `lastEventTime` as a string. */
  readonly #eventTime: string;
  /** The link as it stood before this event. */
  #previous: EmployeeLink | undefined;
  #state: EmployeeState | undefined;

  constructor(
    readonly event: LifecycleEvent,
    readonly ports: ConvergePorts,
    readonly options: ConvergeOptions,
  ) {
    this.#key = employeeKey(event);
    this.#eventTime = normalizeEventTime(event.time);
  }

  get #options(): CallOptions {
    return this.ports.callOptions?.() ?? {};
  }

  #step(step: PlanStep): void {
    this.plan.push(step);
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    this.apiCalls += 1;
    return operation();
  }

  result(outcome: ConvergeOutcome, cpaasUserId?: string): ConvergeResult {
    return {
      outcome,
      apiCalls: this.apiCalls,
      plan: this.plan,
      ...(cpaasUserId === undefined ? {} : { cpaasUserId }),
    };
  }

  /**
   * Reads the employee's state, decides, writes. A change writes nothing before its decision is
   * final: CPaaS reads come first, the lease is taken just before the first CPaaS write, and an
   * event that changes nothing writes its record conditional on the link it read. A hire or a
   * termination due now almost always writes, so its first read takes the lease too
   * (`LEASE_WITH_READ`): one round trip less, a termination's revocation sooner. When the link
   * changed meanwhile (the other lane applied an event), the event starts over from a fresh read.
   */
  async run(): Promise<ConvergeResult> {
    const deadline = this.#options.deadline ?? Date.now() + DEFAULT_DEADLINE_MS;
    for (let attempt = 1; ; attempt += 1) {
      const leaseWithRead =
        attempt === 1 && !this.ports.dryRun && this.#effectiveLater() === undefined
          ? LEASE_WITH_READ[this.event.type]
          : undefined;
      const state = await this.ports.store.begin(this.#key, this.event, deadline, leaseWithRead);
      try {
        return await this.#attempt(state);
      } catch (error) {
        if (!(error instanceof LinkChanged)) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new EmployeeBusyError(`employee ${this.#key} kept changing while this event was applied`);
        }
        this.plan.length = 0;
      } finally {
        await state.close();
      }
    }
  }

  /** A future `effectiveAt`: the event is scheduled, not applied now (and writes no lease). */
  #effectiveLater(): string | undefined {
    const { effectiveAt } = this.event.data;
    return effectiveAt !== undefined && new Date(effectiveAt) > this.ports.clock() ? effectiveAt : undefined;
  }

  get #current(): EmployeeState {
    if (this.#state === undefined) throw new Error('no state read yet');
    return this.#state;
  }

  async #attempt(state: EmployeeState): Promise<ConvergeResult> {
    this.#state = state;
    const { link } = state;
    this.#previous = link;
    if (state.processed) {
      this.#step({ action: 'none', reason: 'event id already applied' });
      return this.result('duplicate');
    }
    if (link !== undefined && this.#eventTime < link.lastEventTime) {
      const rehire = this.#overtakenRehire(link);
      if (rehire !== undefined) return this.#endTermination(link, rehire);
      this.#step({ action: 'none', reason: 'older than the last applied event for this employee' });
      // Nothing written: the link's time only moves forward, so a redelivery is stale again, for
      // the same one read a recorded duplicate would cost.
      return this.result('stale', link.cpaasUserId);
    }
    const effectiveAt = this.#effectiveLater();
    if (effectiveAt !== undefined) return this.#schedule(normalizeEventTime(effectiveAt), link);
    const pending = this.#readPendingSchedule(state);
    const result = await this.#apply(link);
    await this.#unschedule(await pending);
    return result;
  }

  /**
   * Reads the pending schedule, only when one may be pending (the link says so, so most events
   * skip this read), beside the event's CPaaS calls rather than before them: nothing the event
   * decides depends on it. What it finds is needed by the link's next write (the state waits for
   * it) and by `#unschedule` once the event is applied: one round trip less for a new hire. A
   * failed read fails the event at the first of those, and is never left unhandled.
   */
  #readPendingSchedule(state: EmployeeState): Promise<ScheduledEvent | undefined> {
    const pending = state.schedulePending ? this.ports.schedules.get(this.#key) : Promise.resolve(undefined);
    const found = pending.then((event) => event !== undefined);
    found.catch(() => {});
    state.noteSchedule(found);
    return pending;
  }

  /**
   * A rehire older than the last applied event but newer than the termination that ended access:
   * a later change of the same person came first from another lane (the rehire waited on the bulk
   * lane) and, as a change, left the user disabled. Stale by time, the rehire still says the
   * person is employed again: its data, or undefined for any other event. A future-dated one
   * stays stale (it must not grant access early).
   */
  #overtakenRehire(link: EmployeeLink): EmployeeData | undefined {
    const { event } = this;
    if (event.type !== 'employee.hired' || link.status === 'active' || link.terminatedAt === undefined) {
      return undefined;
    }
    const { effectiveAt } = event.data;
    const due = effectiveAt === undefined || new Date(effectiveAt) <= this.ports.clock();
    return due && this.#eventTime > link.terminatedAt ? event.data : undefined;
  }

  /**
   * Applies an overtaken rehire: re-enables the linked user keeping the fields the later change
   * set (only `enabled` is written), or, when the termination deleted the user, creates it again
   * from the later changes the link kept (`changesWhileDeleted`: they found no user to update),
   * the newest the API accepts, else from the rehire's own fields. The link keeps the later
   * change's time, so nothing older than that applies after it.
   */
  async #endTermination(link: EmployeeLink, rehire: EmployeeData): Promise<ConvergeResult> {
    this.#step({ action: 'none', reason: 'a later change came first, but this rehire ends the termination' });
    if (link.cpaasUserId !== undefined && link.status === 'disabled') {
      const result = await this.#updateExisting(link.cpaasUserId, { enabled: true }, 'rehired');
      if (result !== undefined) return result;
    }
    for (const later of [...(link.changesWhileDeleted ?? [])].reverse()) {
      const created = await this.#createFromLaterChange(desiredFields(later, true));
      if (created !== undefined) return created;
    }
    return this.#createOrAdopt(desiredFields(rehire, true));
  }

  /**
   * Creates the user from a change that was only kept (it came while the user was deleted), so
   * no CPaaS check ever saw its email. A user already holding that email is taken only when it is
   * exactly what this create asked for (the retry of a create whose answer was lost); anyone
   * else's user is never adopted on a kept change's word: undefined, and an older one is tried.
   * So too when the API rejects the change's fields: that change was acknowledged long ago, and
   * must not cost the rehire its user.
   */
  async #createFromLaterChange(desired: ManagedFields): Promise<ConvergeResult | undefined> {
    this.#step({ action: 'create', reason: "the deleted user again, with a later change's fields" });
    if (this.ports.dryRun) return this.result('created');
    await this.#lock();
    try {
      const created = await this.#call(() => this.ports.api.createUser(newUserInput(desired), this.#options));
      return this.#saveAndReturn(this.#link(created.id, 'active'), this.result('created', created.id));
    } catch (error) {
      if (!isDuplicateEmailError(error)) {
        if (!(error instanceof CpaasValidationError || error instanceof CpaasRequestValidationError))
          throw error;
        this.#step({ action: 'none', reason: `the API rejected that change's fields: ${error.message}` });
        return undefined;
      }
    }
    // A list shows only some fields: the holder is read whole before it counts as this create's.
    const listed = await this.#findUserByEmail(desired.email);
    const holder = listed && (await this.#call(() => this.ports.api.getUser(listed.id, this.#options)));
    if (holder === undefined || changedFields(holder, desired).length > 0) {
      this.#step({ action: 'none', reason: "that change's email belongs to another user" });
      return undefined;
    }
    this.#step({ action: 'adopt', reason: 'the user this create made before its answer was lost' });
    return this.#saveAndReturn(this.#link(holder.id, 'active'), this.result('created', holder.id));
  }

  /** Not applied early: stored for the sweep, which queues it again when it is due. */
  async #schedule(dueAt: string, link: EmployeeLink | undefined): Promise<ConvergeResult> {
    this.#step({ action: 'schedule', reason: `takes effect at ${dueAt}; queued again then` });
    if (this.ports.dryRun) return this.result('scheduled', link?.cpaasUserId);
    // First the link's note, then the schedule: a crash between leaves a note with nothing to
    // find, never a schedule the next event would not look for.
    if (!(await this.#current.markSchedulePending())) throw new LinkChanged();
    const stored = await this.ports.schedules.schedule({
      employeeKey: this.#key,
      eventId: this.event.id,
      eventTime: this.#eventTime,
      dueAt,
      body: JSON.stringify(this.event),
    });
    if (!stored) return this.#superseded(link?.cpaasUserId);
    return this.result('scheduled', link?.cpaasUserId);
  }

  /**
   * The latest event for an employee wins: applying one cancels an older pending event (a rehire
   * or a withdrawn termination stops a scheduled deprovisioning), and applying the pending event
   * itself ends its schedule.
   */
  async #unschedule(pending: ScheduledEvent | undefined): Promise<void> {
    if (pending === undefined) return;
    const applied = pending.eventId === this.event.id;
    if (!applied && pending.eventTime >= this.#eventTime) return;
    this.#step({
      action: 'unschedule',
      reason: applied
        ? 'this event was the pending one: its schedule ends'
        : `cancels the older event pending for ${pending.dueAt}`,
    });
    if (!this.ports.dryRun) await this.ports.schedules.remove(this.#key, pending.eventId);
  }

  /** Records an outcome that writes no link (superseded) so a redelivery is a duplicate. */
  async #recorded(result: ConvergeResult): Promise<ConvergeResult> {
    if (!this.ports.dryRun && !(await this.#current.record())) throw new LinkChanged();
    return result;
  }

  /** Before every CPaaS write (and the brake's count): this event alone changes the employee now. */
  async #lock(): Promise<void> {
    if (!this.ports.dryRun && !(await this.#current.lock())) throw new LinkChanged();
  }

  async #apply(link: EmployeeLink | undefined): Promise<ConvergeResult> {
    const { event } = this;
    switch (event.type) {
      case 'employee.hired':
        return this.#ensureUser(desiredFields(event.data, true), link);
      case 'employee.changed':
        return this.#change(event.data, link);
      case 'employee.terminated':
        return this.#terminate(link);
    }
  }

  async #change(data: EmployeeData, link: EmployeeLink | undefined): Promise<ConvergeResult> {
    if (link?.status === 'deleted') {
      this.#step({
        action: 'none',
        reason: 'employee was terminated and the user deleted; a change does not re-provision',
      });
      // Kept with the link: a rehire this change overtook creates the user from it.
      const changesWhileDeleted = [...(link.changesWhileDeleted ?? []), data].slice(
        -CHANGES_KEPT_WHILE_DELETED,
      );
      return this.#saveAndReturn(
        { ...this.#link(link.cpaasUserId, 'deleted'), changesWhileDeleted },
        this.result('unchanged', link.cpaasUserId),
      );
    }
    // A change never re-enables a user a termination disabled: only a (re)hire does.
    return this.#ensureUser(desiredFields(data, link?.status !== 'disabled'), link);
  }

  async #ensureUser(desired: ManagedFields, link: EmployeeLink | undefined): Promise<ConvergeResult> {
    if (link?.cpaasUserId !== undefined && link.status !== 'deleted') {
      const result = await this.#updateExisting(link.cpaasUserId, desired, 'linked');
      if (result !== undefined) return result;
    }
    return this.#createOrAdopt(desired);
  }

  /** Read, merge, write if different. Undefined when the user is gone (404). */
  async #updateExisting(
    userId: string,
    desired: Partial<ManagedFields> & Pick<ManagedFields, 'enabled'>,
    why: string,
  ): Promise<ConvergeResult | undefined> {
    let current: User;
    try {
      current = await this.#call(() => this.ports.api.getUser(userId, this.#options));
    } catch (error) {
      if (error instanceof CpaasNotFoundError) return undefined;
      throw error;
    }
    this.#step({ action: 'read', reason: `${why} user` });
    const status: LinkStatus = desired.enabled ? 'active' : 'disabled';
    const fields = changedFields(current, desired);
    if (fields.length === 0) {
      this.#step({ action: 'none', reason: 'managed fields already match' });
      return this.#saveAndReturn(this.#link(userId, status), this.result('unchanged', userId));
    }
    this.#step({ action: 'update', reason: 'managed fields differ', fields });
    if (!this.ports.dryRun && !(await this.#write(userId, mergedUserInput(current, desired)))) {
      return undefined;
    }
    return this.#saveAndReturn(this.#link(userId, status), this.result('updated', userId));
  }

  /** PUTs the user; false when it vanished since the read (deleted by the sweep or an admin). */
  async #write(userId: string, input: ReturnType<typeof mergedUserInput>): Promise<boolean> {
    await this.#lock();
    try {
      await this.#call(() => this.ports.api.updateUser(userId, input, this.#options));
      return true;
    } catch (error) {
      if (error instanceof CpaasNotFoundError) return false;
      throw error;
    }
  }

  async #createOrAdopt(desired: ManagedFields): Promise<ConvergeResult> {
    this.#step({ action: 'create', reason: 'no live linked user (never linked, deleted, or gone: 404)' });
    if (this.ports.dryRun) return this.result('created');
    await this.#lock();
    let created: User;
    try {
      created = await this.#call(() => this.ports.api.createUser(newUserInput(desired), this.#options));
    } catch (error) {
      // Also the retry of a create whose answer was lost, or of a worker that died before linking.
      if (isDuplicateEmailError(error)) return this.#adopt(desired);
      throw error;
    }
    return this.#saveAndReturn(this.#link(created.id, 'active'), this.result('created', created.id));
  }

  async #adopt(desired: ManagedFields): Promise<ConvergeResult> {
    const userId = (await this.#findUserByEmail(desired.email))?.id;
    if (userId === undefined) {
      throw new AdoptionError(
        'create refused the email as taken, but no user with it was found (deleted meanwhile?)',
      );
    }
    this.#step({ action: 'adopt', reason: 'a user with this email already exists' });
    // Linked before the update, so a crash now leaves the adoption recorded.
    const status: LinkStatus = desired.enabled ? 'active' : 'disabled';
    if (!(await this.#save(this.#link(userId, status), { keepLease: true }))) throw new LinkChanged();
    const result = await this.#updateExisting(userId, desired, 'adopted');
    if (result === undefined)
      throw new AdoptionError('the user found by email disappeared before it could be adopted');
    return result;
  }

  /** Pages through `listUsers` (each page a counted call, refreshed on 401) until the email turns up. */
  async #findUserByEmail(email: string): Promise<User | undefined> {
    const wanted = email.toLowerCase();
    const users = iterateItems((startKey) =>
      this.#call(() =>
        this.ports.api.listUsers(
          { pageSize: PAGE_SIZE_MAX, ...(startKey === undefined ? {} : { startKey }) },
          this.#options,
        ),
      ),
    );
    for await (const user of users) if (user.email?.toLowerCase() === wanted) return user;
    return undefined;
  }

  async #terminate(link: EmployeeLink | undefined): Promise<ConvergeResult> {
    if (link?.cpaasUserId === undefined || link.status === 'deleted') {
      this.#step({ action: 'none', reason: 'no live linked user to terminate' });
      return this.#saveAndReturn(
        this.#link(link?.cpaasUserId, 'deleted'),
        this.result('unchanged', link?.cpaasUserId),
      );
    }
    const userId = link.cpaasUserId;
    const policy = this.#terminationPolicy();
    if (policy !== 'delete') {
      const outcome = await this.#disable(userId);
      if (outcome === 'held') return this.result('held', userId);
      if (outcome === 'gone') {
        return this.#saveAndReturn(this.#link(userId, 'deleted'), this.result('unchanged', userId));
      }
      return this.#saveAndReturn(
        this.#link(userId, 'disabled', this.#deleteAfter()),
        this.result(outcome, userId),
      );
    }
    if (!(await this.#admitTermination())) return this.result('held', userId);
    this.#step({
      action: 'delete',
      reason:
        policy === this.ports.policy ? 'terminated (policy delete)' : 'identity deleted (data.deleteUser)',
    });
    if (!this.ports.dryRun) {
      try {
        await this.#call(() => this.ports.api.deleteUser(userId, this.#options));
      } catch (error) {
        if (!(error instanceof CpaasNotFoundError)) throw error;
        this.#step({ action: 'none', reason: 'user already gone (404): counts as deleted' });
      }
    }
    return this.#saveAndReturn(this.#link(userId, 'deleted'), this.result('deleted', userId));
  }

  /** A termination whose identity is gone (`data.deleteUser`) deletes under any policy. */
  #terminationPolicy(): TerminationPolicy {
    const identityGone = this.event.type === 'employee.terminated' && this.event.data.deleteUser === true;
    return identityGone ? 'delete' : this.ports.policy;
  }

  /** `disable-then-delete`: a grace period already running is kept, not restarted. */
  #deleteAfter(): string | undefined {
    if (this.ports.policy !== 'disable-then-delete') return undefined;
    const running = this.#previous?.status === 'disabled' ? this.#previous.deleteAfter : undefined;
    if (running !== undefined) return running;
    return new Date(this.ports.clock().getTime() + this.ports.deleteGraceDays * DAY_MS).toISOString();
  }

  /**
   * Asks the deletion brake before a termination really changes a user. Held: kept whole for an
   * operator, not applied and not recorded as processed, so a release applies it normally.
   */
  async #admitTermination(): Promise<boolean> {
    const { brake, dryRun } = this.ports;
    const force = this.options.releasedHold === true;
    // Under the lease: a termination that starts over is counted once.
    if (!dryRun) await this.#lock();
    const decision = dryRun ? await brake.inspect() : await brake.admit(force ? { force } : {});
    if (decision.admitted || force) return true;
    this.#step({
      action: 'hold',
      reason: `deletion brake: ${decision.recent} terminations in the window, limit ${decision.limit}; held for an operator`,
    });
    if (!dryRun) {
      await this.ports.holds.hold({
        employeeKey: this.#key,
        eventId: this.event.id,
        body: JSON.stringify(this.event),
        heldAt: this.ports.clock().toISOString(),
        recent: decision.recent,
        limit: decision.limit,
      });
    }
    return false;
  }

  /** Disables by read-merge-write: `gone` when the user no longer exists. */
  async #disable(userId: string): Promise<'gone' | 'disabled' | 'unchanged' | 'held'> {
    let current: User;
    try {
      current = await this.#call(() => this.ports.api.getUser(userId, this.#options));
    } catch (error) {
      if (!(error instanceof CpaasNotFoundError)) throw error;
      this.#step({ action: 'none', reason: 'user already gone' });
      return 'gone';
    }
    this.#step({ action: 'read', reason: 'linked user' });
    const desired = { enabled: false };
    if (changedFields(current, desired).length === 0) {
      this.#step({ action: 'none', reason: 'already disabled' });
      return 'unchanged';
    }
    if (!(await this.#admitTermination())) return 'held';
    this.#step({ action: 'update', reason: `terminated (policy ${this.ports.policy})`, fields: ['enabled'] });
    if (!this.ports.dryRun && !(await this.#write(userId, mergedUserInput(current, desired)))) {
      this.#step({ action: 'none', reason: 'user already gone' });
      return 'gone';
    }
    return 'disabled';
  }

  /**
   * The link after this event. A user that stays disabled keeps its pending deletion (a change
   * to a terminated employee does not stop the grace period); only a (re)hire ends it.
   */
  #link(
    cpaasUserId: string | undefined,
    status: LinkStatus,
    deleteAfter = status === 'disabled' ? this.#previous?.deleteAfter : undefined,
  ): EmployeeLink {
    const previousTime = this.#previous?.lastEventTime;
    const terminatedAt =
      status === 'active'
        ? undefined
        : this.event.type === 'employee.terminated'
          ? this.#eventTime
          : this.#previous?.terminatedAt;
    return {
      employeeKey: this.#key,
      ...(cpaasUserId === undefined ? {} : { cpaasUserId }),
      status,
      lastEventId: this.event.id,
      // Only an overtaken rehire is older than the link: it keeps the later change's time.
      lastEventTime:
        previousTime !== undefined && previousTime > this.#eventTime ? previousTime : this.#eventTime,
      updatedAt: this.ports.clock().toISOString(),
      ...(deleteAfter === undefined ? {} : { deleteAfter }),
      ...(terminatedAt === undefined ? {} : { terminatedAt }),
    };
  }

  /**
   * Saves the link and records the event as applied in the same write. A user new to this
   * employee (created or adopted) is claimed first, so an adoption can never take a user already
   * linked to someone else.
   */
  async #save(link: EmployeeLink, options: { readonly keepLease?: boolean } = {}): Promise<boolean> {
    const grace =
      link.deleteAfter === undefined ? '' : `; the sweep deletes the user after ${link.deleteAfter}`;
    this.#step({ action: 'link', reason: `record status ${link.status}${grace}` });
    if (this.ports.dryRun) return true;
    const claimUser =
      link.cpaasUserId !== undefined &&
      link.status !== 'deleted' &&
      link.cpaasUserId !== this.#previous?.cpaasUserId;
    return this.#current.save(link, { ...options, ...(claimUser ? { claimUser } : {}) });
  }

  /** A save refused (the link changed since it was read) starts the event over. */
  async #saveAndReturn(link: EmployeeLink, result: ConvergeResult): Promise<ConvergeResult> {
    if (!(await this.#save(link))) throw new LinkChanged();
    return result;
  }

  /** A newer event for this employee is already pending: that one wins. */
  #superseded(cpaasUserId: string | undefined): Promise<ConvergeResult> {
    this.#step({
      action: 'none',
      reason: 'a newer event for this employee is already pending; this one is superseded',
    });
    return this.#recorded(this.result('stale', cpaasUserId));
  }
}

/**
 * Makes the employee's VoIP user look like the event says, whatever happened before: repeating an
 * event, or delivering it after a crash at any point, converges to the same user with no second
 * create. Reads first, writes only what differs, and records the outcome so a duplicate delivery
 * costs no API call.
 */
export function converge(
  event: LifecycleEvent,
  ports: ConvergePorts,
  options: ConvergeOptions = {},
): Promise<ConvergeResult> {
  return new Convergence(event, ports, options).run();
}
