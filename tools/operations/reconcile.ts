import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import type { UserSummary } from '../../lambdas/core/cpaas/schemas.js';
import type { CpaasUsersApi } from '../../lambdas/core/cpaas/users-api.js';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import type { EventQueue } from '../../lambdas/core/events/event-queue.js';
import {
  createLifecycleEvent,
  type EmployeeData,
  type LifecycleEvent,
  tenantKeyPrefix,
} from '../../lambdas/core/events/lifecycle-event.js';
import type { EmployeeLink, StateStore } from '../../lambdas/core/state/state-store.js';
import { DeletionThresholdError } from './errors.js';

export type PlannedChange =
  | { readonly action: 'create'; readonly employee: EmployeeData }
  /** An unlinked CPaaS user with the employee's email: the worker's hire adopts it instead of creating. */
  | { readonly action: 'adopt'; readonly employee: EmployeeData; readonly userId: string }
  | {
      readonly action: 'update';
      readonly employee: EmployeeData;
      readonly userId: string;
      /** CPaaS field names that differ; names only, never values. */
      readonly fields: readonly string[];
    }
  /** Linked to someone who is not in the roster any more. */
  | { readonly action: 'deprovision'; readonly employeeId: string; readonly userId: string };

export interface ReconcilePlan {
  readonly changes: readonly PlannedChange[];
  readonly unchanged: number;
  /** CPaaS users neither linked nor matching a roster email: left alone, listed for a human. */
  readonly unmanagedUserIds: readonly string[];
}

export interface PlanInput {
  readonly roster: readonly EmployeeData[];
  readonly users: readonly UserSummary[];
  readonly links: readonly EmployeeLink[];
  readonly tenant?: string;
}

const normalizeEmail = (email: string | undefined) => email?.trim().toLowerCase();

/**
 * Fields the list endpoint shows and the worker manages. Timezone and caller ids are not in the
 * list rows, so drift there is not detected here (a GET per user would make a 10,000-user plan
 * cost 10,000 calls); the next HRIS change converges them.
 */
function differingFields(employee: EmployeeData, user: UserSummary): string[] {
  const fields: string[] = [];
  if (normalizeEmail(user.email) !== normalizeEmail(employee.workEmail)) fields.push('email');
  if (user.first_name !== employee.firstName) fields.push('first_name');
  if (user.last_name !== employee.lastName) fields.push('last_name');
  if (user.enabled === false) fields.push('enabled');
  if (employee.extension !== undefined && user.presence_id !== employee.extension) fields.push('presence_id');
  return fields;
}

/**
 * Compares the roster (who should have a VoIP user), the CPaaS users (who has one) and the
 * state table (who is linked to which user), like `terraform plan`: what would be created,
 * updated, adopted or deprovisioned. Pure, so the plan shown is exactly the plan applied.
 */
export function planReconcile(input: PlanInput): ReconcilePlan {
  const tenant = input.tenant ?? DEFAULT_TENANT_ID;
  const usersById = new Map(input.users.map((user) => [user.id, user]));
  // Links of this tenant that still point at a user (a `deleted` link is a finished termination).
  const prefix = tenantKeyPrefix(tenant);
  const links = input.links.flatMap((link) =>
    link.cpaasUserId !== undefined && link.status !== 'deleted' && link.employeeKey.startsWith(prefix)
      ? [{ employeeId: link.employeeKey.slice(prefix.length), userId: link.cpaasUserId }]
      : [],
  );
  const linkByEmployee = new Map(links.map((link) => [link.employeeId, link]));
  // Any tenant's: two tenants may share one CPaaS account, and a user linked by either is managed.
  const linkedUserIds = new Set(
    input.links.flatMap((link) =>
      link.cpaasUserId !== undefined && link.status !== 'deleted' ? [link.cpaasUserId] : [],
    ),
  );
  const unlinkedByEmail = new Map<string, UserSummary>();
  for (const user of input.users) {
    const email = normalizeEmail(user.email);
    if (email && !linkedUserIds.has(user.id)) unlinkedByEmail.set(email, user);
  }
  const rosterIds = new Set(input.roster.map((employee) => employee.employeeId));
  const adopted = new Set<string>();
  const changes: PlannedChange[] = [];
  let unchanged = 0;

  for (const employee of input.roster) {
    const link = linkByEmployee.get(employee.employeeId);
    const linkedUser = link ? usersById.get(link.userId) : undefined;
    if (linkedUser) {
      const fields = differingFields(employee, linkedUser);
      if (fields.length === 0) unchanged += 1;
      else changes.push({ action: 'update', employee, userId: linkedUser.id, fields });
      continue;
    }
    const match = unlinkedByEmail.get(normalizeEmail(employee.workEmail) ?? '');
    if (match && !adopted.has(match.id)) {
      adopted.add(match.id);
      changes.push({ action: 'adopt', employee, userId: match.id });
    } else {
      changes.push({ action: 'create', employee });
    }
  }

  for (const link of links) {
    const user = usersById.get(link.userId);
    // A disabled user of someone who left is already deprovisioned (policy `disable`).
    if (!rosterIds.has(link.employeeId) && user && user.enabled !== false) {
      changes.push({ action: 'deprovision', employeeId: link.employeeId, userId: link.userId });
    }
  }

  const unmanagedUserIds = input.users
    .filter((user) => !linkedUserIds.has(user.id) && !adopted.has(user.id))
    .map((user) => user.id);
  return { changes, unchanged, unmanagedUserIds };
}

export function countByAction(plan: ReconcilePlan): Record<PlannedChange['action'], number> {
  const counts = { create: 0, adopt: 0, update: 0, deprovision: 0 };
  for (const change of plan.changes) counts[change.action] += 1;
  return counts;
}

const SYMBOLS: Record<PlannedChange['action'], string> = {
  create: '+',
  adopt: '&',
  update: '~',
  deprovision: '-',
};

function describeChange(change: PlannedChange): string {
  const symbol = SYMBOLS[change.action];
  if (change.action === 'create') return `  ${symbol} create       ${change.employee.employeeId}`;
  if (change.action === 'adopt') {
    return `  ${symbol} adopt        ${change.employee.employeeId} -> user ${change.userId} (same email, not linked)`;
  }
  if (change.action === 'update') {
    return `  ${symbol} update       ${change.employee.employeeId} (user ${change.userId}): ${change.fields.join(', ')}`;
  }
  return `  ${symbol} deprovision  ${change.employeeId} (user ${change.userId}): not in the roster`;
}

/**
 * The plan as text: one line per change (employee and user ids only, no personal data), then
 * totals. User ids come from the CPaaS API, so each line is escaped for the terminal.
 */
export function formatPlan(plan: ReconcilePlan): string {
  const lines = plan.changes.map((change) => escapeUnsafeText(describeChange(change)));
  const counts = countByAction(plan);
  lines.push(
    '',
    `Plan: ${counts.create} to create, ${counts.adopt} to adopt, ${counts.update} to update, ` +
      `${counts.deprovision} to deprovision; ${plan.unchanged} unchanged; ` +
      `${plan.unmanagedUserIds.length} CPaaS user(s) not managed by cpaas-lifecycle.`,
  );
  return lines.join('\n');
}

/** The plan for `--json`: ids, actions and field names, without the roster's emails and names. */
export function planSummary(plan: ReconcilePlan) {
  return {
    changes: plan.changes.map((change) => ({
      action: change.action,
      employeeId: change.action === 'deprovision' ? change.employeeId : change.employee.employeeId,
      ...(change.action === 'create' ? {} : { userId: change.userId }),
      ...(change.action === 'update' ? { fields: change.fields } : {}),
    })),
    counts: countByAction(plan),
    unchanged: plan.unchanged,
    unmanagedUserIds: plan.unmanagedUserIds,
  };
}

export const DEFAULT_ALLOWED_DELETES = 10;
export const RECONCILE_EVENT_SOURCE = 'cpaas-lifecycle/reconcile';

/** The canonical events that make the worker carry out the plan. */
export function planEvents(plan: ReconcilePlan, tenant?: string): LifecycleEvent[] {
  const common = { source: RECONCILE_EVENT_SOURCE, ...(tenant === undefined ? {} : { tenant }) };
  return plan.changes.map((change) => {
    if (change.action === 'deprovision') {
      return createLifecycleEvent({
        ...common,
        type: 'employee.terminated',
        data: { employeeId: change.employeeId },
      });
    }
    // A disabled user of someone in the roster is a rehire, which the worker handles as a hire.
    const rehire = change.action === 'update' && change.fields.includes('enabled');
    const type = change.action === 'update' && !rehire ? 'employee.changed' : 'employee.hired';
    return createLifecycleEvent({ ...common, type, data: change.employee });
  });
}

export interface ApplyOptions {
  readonly queue: EventQueue;
  /** Deprovisions allowed in this run (default 10). */
  readonly allowDeletes?: number;
  readonly tenant?: string;
  readonly onProgress?: (sent: number, total: number) => void;
}

/**
 * Enqueues the plan as canonical events, so the worker applies it with the same ordering,
 * idempotency and DLQ reasons as HRIS events; refuses before sending anything when the plan
 * would deprovision more users than allowed.
 */
export async function applyReconcilePlan(
  plan: ReconcilePlan,
  options: ApplyOptions,
): Promise<LifecycleEvent[]> {
  const allowed = options.allowDeletes ?? DEFAULT_ALLOWED_DELETES;
  const deletes = countByAction(plan).deprovision;
  if (deletes > allowed) {
    throw new DeletionThresholdError(
      `the plan deprovisions ${deletes} users, more than the ${allowed} allowed; ` +
        `check the roster, then pass --allow-deletes ${deletes}`,
    );
  }
  const events = planEvents(plan, options.tenant);
  const chunk = 100;
  for (let start = 0; start < events.length; start += chunk) {
    await options.queue.enqueue(events.slice(start, start + chunk));
    options.onProgress?.(Math.min(start + chunk, events.length), events.length);
  }
  return events;
}

/**
 * Reads what reconcile compares the roster with: every CPaaS user (the list endpoint, 50 a page)
 * and every link in the state table. `onUsers` reports progress, since a large account takes
 * hundreds of pages.
 */
export async function loadReconcileState(options: {
  readonly api: Pick<CpaasUsersApi, 'iterateUsers'>;
  readonly store: Pick<StateStore, 'listLinks'>;
  readonly onUsers?: (count: number) => void;
}): Promise<{ users: UserSummary[]; links: EmployeeLink[] }> {
  const users: UserSummary[] = [];
  for await (const user of options.api.iterateUsers({ pageSize: 50 })) {
    users.push(user);
    options.onUsers?.(users.length);
  }
  const links: EmployeeLink[] = [];
  for await (const link of options.store.listLinks()) links.push(link);
  return { users, links };
}
