import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type EmployeeData,
  employeeKey,
  type LifecycleEvent,
} from '../../../../lambdas/core/events/lifecycle-event.js';
import type { ScheduleStore } from '../../../../lambdas/core/state/schedule-store.js';
import { withBegin } from '../../../support/links.js';
import { eventRecord } from '../../../support/records.js';
import { unhandledRejectionsDuring } from '../../../support/unhandled-rejections.js';
import { until } from '../../../support/until.js';
import {
  employee,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../../support/worker-fixture.js';

describe('converge: hire, change, terminate against the sandbox and moto', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    // More terminations than the default brake admits an hour run here, in one window: the
    // brake's own tests hold them; here it must not, or a later test would see a held one.
    fx = await workerFixture(3, {}, 1000);
  });
  afterAll(() => fx.close());
  beforeEach(() => fx.sandbox.control.resetRequestCounts());

  const linkOf = (data: { employeeId: string }) => fx.store.getLink(`default:${data.employeeId}`);

  /** A hire's redelivery after its create went through: it adopts that user, so one user, linked. */
  async function expectRedeliveryAdopts(event: LifecycleEvent, data: EmployeeData): Promise<void> {
    const redelivered = await fx.apply(event);
    expect(redelivered.attributes).toMatchObject({ outcome: 'unchanged' });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    expect((await linkOf(data))?.cpaasUserId).toBe(fx.usersWithEmail(data.workEmail)[0]?.id);
  }

  it('hire creates the user with the mapped fields in one call and links it', async () => {
    const data = employee({ externalCallerId: '+14155550100' });
    const line = await fx.apply(lifecycleEvent('employee.hired', data));
    expect(line.attributes).toMatchObject({ outcome: 'created', apiCalls: 1 });
    const [user] = fx.usersWithEmail(data.workEmail);
    expect(user).toMatchObject({
      first_name: 'Grace',
      last_name: 'Hopper',
      enabled: true,
      timezone: 'America/New_York',
      presence_id: data.extension,
      caller_id: { internal: { number: data.extension }, external: { number: '+14155550100' } },
    });
    expect(await linkOf(data)).toMatchObject({ cpaasUserId: user?.id, status: 'active' });
  });

  it('change reads, merges and writes (2 calls), and writes nothing when nothing differs (1 call)', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const changed = await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Brewster' }));
    expect(changed.attributes).toMatchObject({ outcome: 'updated', apiCalls: 2 });
    expect(fx.usersWithEmail(data.workEmail)[0]?.last_name).toBe('Brewster');
    const again = await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Brewster' }));
    expect(again.attributes).toMatchObject({ outcome: 'unchanged', apiCalls: 1 });
  });

  it('keeps every field it does not manage (forwarding, recording, an admin-set external caller id)', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const link = await linkOf(data);
    const userId = link?.cpaasUserId ?? '';
    const current = await fx.admin.getUser(userId);
    const { id: _id, ...document } = current;
    await fx.admin.updateUser(userId, {
      ...document,
      email: current.email ?? data.workEmail,
      first_name: current.first_name ?? 'x',
      last_name: current.last_name ?? 'x',
      call_forward: { enabled: true, number: '+15551112222' },
      call_recording: { any: { any: { enabled: true, format: 'mp3' } } },
      caller_id: { ...current.caller_id, external: { number: '+15553334444' } },
    });
    await fx.apply(lifecycleEvent('employee.changed', { ...data, firstName: 'Amazing', extension: '7777' }));
    expect(await fx.admin.getUser(userId)).toMatchObject({
      first_name: 'Amazing',
      presence_id: '7777',
      call_forward: { enabled: true, number: '+15551112222' },
      call_recording: { any: { any: { enabled: true, format: 'mp3' } } },
      caller_id: { internal: { number: '7777' }, external: { number: '+15553334444' } },
    });
  });

  it('terminate (policy delete) deletes in one call; a repeat or an already-deleted user counts as done', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    expect(line.attributes).toMatchObject({ outcome: 'deleted', apiCalls: 1 });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
    expect((await linkOf(data))?.status).toBe('deleted');

    const other = employee();
    await fx.apply(lifecycleEvent('employee.hired', other));
    await fx.admin.deleteUser((await linkOf(other))?.cpaasUserId ?? '');
    const gone = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: other.employeeId }));
    expect(gone.attributes).toMatchObject({ outcome: 'deleted', apiCalls: 1 });
  });

  it('terminate (policy disable) sets enabled false by read-merge-write; a change keeps it disabled; a rehire re-enables', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), {
      policy: 'disable',
    });
    expect(line.attributes).toMatchObject({ outcome: 'disabled', apiCalls: 2 });
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ enabled: false, last_name: 'Hopper' });
    await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Later' }));
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ enabled: false, last_name: 'Later' });
    const rehire = await fx.apply(lifecycleEvent('employee.hired', data));
    expect(rehire.attributes).toMatchObject({ outcome: 'updated' });
    expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).toBe(true);
    expect((await linkOf(data))?.status).toBe('active');
  });

  describe('a rehire overtaken by a later change (another lane came first)', () => {
    const at = (minutes: number) => new Date(Date.UTC(2031, 0, 1, 9, minutes)).toISOString();

    it("re-enables the disabled user, keeping the later change's fields and time", async () => {
      const data = employee();
      await fx.apply(lifecycleEvent('employee.hired', data, { time: at(1) }));
      await fx.apply(
        lifecycleEvent('employee.terminated', { employeeId: data.employeeId }, { time: at(2) }),
        {
          policy: 'disable',
        },
      );
      await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Later' }, { time: at(4) }));
      expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ enabled: false, last_name: 'Later' });

      const rehire = await fx.apply(
        lifecycleEvent('employee.hired', { ...data, lastName: 'Rehired' }, { time: at(3) }),
        { policy: 'disable' },
      );
      expect(rehire.attributes).toMatchObject({ outcome: 'updated' });
      expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ enabled: true, last_name: 'Later' });
      expect(await linkOf(data)).toMatchObject({ status: 'active', lastEventTime: at(4) });
      expect((await linkOf(data))?.terminatedAt).toBeUndefined();
      // Still nothing older than the later change applies.
      const older = await fx.apply(
        lifecycleEvent('employee.changed', { ...data, lastName: 'Old' }, { time: at(3) }),
      );
      expect(older.attributes.outcome).toBe('stale');
    });

    /**
     * Hired, terminated (the user deleted), then later changes, one a minute from 09:14: the
     * rehire between (09:13) is still queued on another lane.
     */
    const deletedThenChanged = async (...later: ((data: ReturnType<typeof employee>) => object)[]) => {
      const data = employee();
      await fx.apply(lifecycleEvent('employee.hired', data, { time: at(11) }));
      await fx.apply(
        lifecycleEvent('employee.terminated', { employeeId: data.employeeId }, { time: at(12) }),
      );
      for (const [n, fields] of later.entries()) {
        const change = await fx.apply(
          lifecycleEvent('employee.changed', { ...data, ...fields(data) }, { time: at(14 + n) }),
        );
        expect(change.attributes.outcome).toBe('unchanged');
      }
      expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
      const rehire = lifecycleEvent('employee.hired', { ...data, lastName: 'Rehired' }, { time: at(13) });
      return { data, rehire };
    };
    const moved = (data: { workEmail: string }) => `moved.${data.workEmail}`;
    /** An address a user this project does not manage holds. */
    const someoneElses = () => {
      fx.sandbox.control.seedUsers(1, { emailDomain: 'someone-else.example.com' });
      const users = fx.sandbox.control.users();
      return users.filter((user) => user.email?.endsWith('@someone-else.example.com')).at(-1);
    };

    it("creates the user again when the termination deleted it, with the later change's fields", async () => {
      const { data, rehire } = await deletedThenChanged(
        () => ({ lastName: 'Between' }),
        (person) => ({ lastName: 'Later', workEmail: moved(person) }),
      );

      const applied = await fx.apply(rehire);
      expect(applied.attributes).toMatchObject({ outcome: 'created' });
      expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
      expect(fx.usersWithEmail(moved(data))).toMatchObject([{ enabled: true, last_name: 'Later' }]);
      const link = await linkOf(data);
      expect(link).toMatchObject({ status: 'active', lastEventTime: at(15) });
      expect(link?.changesWhileDeleted).toBeUndefined();
    });

    it("never adopts another user on a kept change's word: the newest change the API accepts is used", async () => {
      const other = someoneElses();
      const taken = other?.email as string;
      const { data, rehire } = await deletedThenChanged(
        (person) => ({ lastName: 'Later', workEmail: moved(person) }),
        () => ({ lastName: 'Latest', workEmail: taken }),
      );

      expect((await fx.apply(rehire)).attributes).toMatchObject({ outcome: 'created' });
      expect(fx.usersWithEmail(moved(data))).toMatchObject([{ enabled: true, last_name: 'Later' }]);
      expect(fx.usersWithEmail(taken)).toEqual([other]);
    });

    it("uses the rehire's own fields when every kept change's email is another user's", async () => {
      const other = someoneElses();
      const taken = other?.email as string;
      const { data, rehire } = await deletedThenChanged(() => ({ lastName: 'Later', workEmail: taken }));

      expect((await fx.apply(rehire)).attributes).toMatchObject({ outcome: 'created' });
      expect(fx.usersWithEmail(data.workEmail)).toMatchObject([{ enabled: true, last_name: 'Rehired' }]);
      expect(fx.usersWithEmail(taken)).toEqual([other]);
      expect((await linkOf(data))?.cpaasUserId).toBe(fx.usersWithEmail(data.workEmail)[0]?.id);
    });

    it("uses the rehire's own fields when the API rejects the kept change's", async () => {
      const { data, rehire } = await deletedThenChanged(() => ({ lastName: 'Later' }));
      fx.sandbox.control.setFaults('createUser', { script: [400] });
      try {
        expect((await fx.apply(rehire)).attributes).toMatchObject({ outcome: 'created' });
      } finally {
        fx.sandbox.control.clearFaults();
      }
      const users = fx.usersWithEmail(data.workEmail);
      expect(users).toMatchObject([{ enabled: true, last_name: 'Rehired' }]);
      expect((await linkOf(data))?.cpaasUserId).toBe(users[0]?.id);
    });

    it('a create from the later change whose answer was lost is that user on redelivery, not a second one', async () => {
      const { data, rehire } = await deletedThenChanged(() => ({ lastName: 'Later' }));
      fx.sandbox.control.setFaults('createUser', { script: [503], applyAfterHandling: true });
      try {
        expect((await fx.handler()([eventRecord(rehire)])).batchItemFailures).toHaveLength(1);
      } finally {
        fx.sandbox.control.clearFaults();
      }
      const redelivered = await fx.apply(rehire);
      expect(redelivered.attributes).toMatchObject({ outcome: 'created' });
      const users = fx.usersWithEmail(data.workEmail);
      expect(users).toMatchObject([{ enabled: true, last_name: 'Later' }]);
      expect((await linkOf(data))?.cpaasUserId).toBe(users[0]?.id);
    });

    it('stays stale when it is older than the termination', async () => {
      const data = employee();
      await fx.apply(lifecycleEvent('employee.hired', data, { time: at(21) }));
      await fx.apply(
        lifecycleEvent('employee.terminated', { employeeId: data.employeeId }, { time: at(23) }),
        {
          policy: 'disable',
        },
      );
      const rehire = await fx.apply(lifecycleEvent('employee.hired', data, { time: at(22) }), {
        policy: 'disable',
      });
      expect(rehire.attributes.outcome).toBe('stale');
      expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).toBe(false);
      expect(await linkOf(data)).toMatchObject({ status: 'disabled', terminatedAt: at(23) });
    });
  });

  it('rehire after a delete creates the user again and links the new one', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const first = (await linkOf(data))?.cpaasUserId;
    await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    const rehire = await fx.apply(lifecycleEvent('employee.hired', data));
    expect(rehire.attributes).toMatchObject({ outcome: 'created', apiCalls: 1 });
    const link = await linkOf(data);
    expect(link?.cpaasUserId).not.toBe(first);
    expect(fx.usersWithEmail(data.workEmail).map((user) => user.id)).toEqual([link?.cpaasUserId]);
  });

  it('a change for an unlinked employee is a hire; a linked user deleted by hand is created again', async () => {
    const data = employee();
    const line = await fx.apply(lifecycleEvent('employee.changed', data));
    expect(line.attributes).toMatchObject({ outcome: 'created', apiCalls: 1 });
    await fx.admin.deleteUser((await linkOf(data))?.cpaasUserId ?? '');
    const again = await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Back' }));
    expect(again.attributes).toMatchObject({ outcome: 'created', apiCalls: 2 });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('a termination of an employee never provisioned calls nothing and makes an older hire stale', async () => {
    const data = employee();
    const hire = lifecycleEvent('employee.hired', data);
    const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    expect(line.attributes).toMatchObject({ outcome: 'unchanged', apiCalls: 0 });
    const late = await fx.apply(hire);
    expect(late.attributes).toMatchObject({ outcome: 'stale', apiCalls: 0 });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
  });

  it('hire of an email that already has a user adopts it (link, then update) instead of failing', async () => {
    const data = employee();
    const existing = await fx.admin.createUser({
      email: data.workEmail,
      first_name: 'Old',
      last_name: 'Name',
      call_forward: { enabled: true, number: '+15559990000' },
    });
    const line = await fx.apply(lifecycleEvent('employee.hired', data));
    expect(line.attributes).toMatchObject({ outcome: 'updated', cpaasUserId: existing.id });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({
      first_name: 'Grace',
      call_forward: { enabled: true, number: '+15559990000' },
    });
    expect((await linkOf(data))?.cpaasUserId).toBe(existing.id);
  });

  it('a worker that dies after the create and before the link adopts on retry: one user, not two', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    let crashes = 1;
    const crashing = withBegin(fx.store, async (key, ref, deadline) => {
      const state = await fx.store.begin(key, ref, deadline);
      return {
        link: state.link,
        processed: state.processed,
        schedulePending: state.schedulePending,
        noteSchedule: (found) => state.noteSchedule(found),
        lock: () => state.lock(),
        save: (link, options) => {
          if (crashes-- > 0) throw new Error('worker died before the link was written');
          return state.save(link, options);
        },
        record: () => state.record(),
        markSchedulePending: () => state.markSchedulePending(),
        close: () => state.close(),
      };
    });
    const first = await fx.handler({ store: crashing })([eventRecord(event)]);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    await expectRedeliveryAdopts(event, data);
  });

  it('a create whose answer was lost (503 after the user was made) adopts on redelivery', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    fx.sandbox.control.setFaults('createUser', { script: [503], applyAfterHandling: true });
    try {
      const first = await fx.handler()([eventRecord(event)]);
      expect(first.batchItemFailures).toHaveLength(1);
    } finally {
      fx.sandbox.control.clearFaults();
    }
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    await expectRedeliveryAdopts(event, data);
  });

  it('the same hire delivered twice at once (two invocations) leaves one user, linked', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    const run = fx.handler();
    const responses = await Promise.all([run([eventRecord(event)]), run([eventRecord(event)])]);
    expect(responses.flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    expect((await linkOf(data))?.cpaasUserId).toBe(fx.usersWithEmail(data.workEmail)[0]?.id);
  });

  it('a duplicate delivery of an applied event is acknowledged without any API call', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    await fx.apply(event);
    fx.sandbox.control.resetRequestCounts();
    const duplicate = await fx.apply(event);
    expect(duplicate.attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });
    expect(Object.values(fx.sandbox.control.requestCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('an event older than the last applied one is stale: acknowledged, logged, not applied', async () => {
    const data = employee();
    const older = lifecycleEvent('employee.changed', { ...data, lastName: 'Older' });
    await fx.apply(lifecycleEvent('employee.hired', data));
    const line = await fx.apply(older);
    expect(line.attributes).toMatchObject({
      outcome: 'stale',
      apiCalls: 0,
      employeeKey: employeeKey({ subject: data.employeeId }),
    });
    expect(fx.usersWithEmail(data.workEmail)[0]?.last_name).toBe('Hopper');
  });

  describe('a new hire reads the pending schedule beside its create, not before it', () => {
    /** The fixture's schedules, with each `get` held until the test lets it answer or fail. */
    function heldSchedules() {
      let reads = 0;
      let answer: (failure?: Error) => void = () => {};
      const answered = new Promise<Error | undefined>((resolve) => {
        answer = resolve;
      });
      const schedules: ScheduleStore = {
        schedule: (event) => fx.schedules.schedule(event),
        remove: (key, eventId) => fx.schedules.remove(key, eventId),
        listDue: (now) => fx.schedules.listDue(now),
        get: async (key) => {
          reads += 1;
          const failure = await answered;
          if (failure !== undefined) throw failure;
          return fx.schedules.get(key);
        },
      };
      return { schedules, answer, reads: () => reads };
    }

    const creates = () => fx.sandbox.control.requestCounts().createUser;

    it('the create goes out while the read is in flight; the link then says none is pending', async () => {
      const data = employee();
      const held = heldSchedules();
      const applying = fx.apply(lifecycleEvent('employee.hired', data), { schedules: held.schedules });
      await until(() => creates() === 1, 'the create, with the schedule read still unanswered', 20_000);
      expect(held.reads()).toBe(1);
      expect(await linkOf(data)).toBeUndefined();
      held.answer();
      expect((await applying).attributes).toMatchObject({ outcome: 'created', apiCalls: 1 });
      expect((await linkOf(data))?.cpaasUserId).toBe(fx.usersWithEmail(data.workEmail)[0]?.id);
      // What the read found went into the link: the employee's next event skips the read.
      const next = heldSchedules();
      next.answer(new Error('a change of an employee with nothing pending read the schedule'));
      const changed = await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Next' }), {
        schedules: next.schedules,
      });
      expect(changed.attributes).toMatchObject({ outcome: 'updated' });
      expect(next.reads()).toBe(0);
    });

    it('a read that fails after the create fails the event unlinked; its redelivery adopts: one user', async () => {
      const data = employee();
      const event = lifecycleEvent('employee.hired', data);
      const held = heldSchedules();
      const run = fx.handler({ schedules: held.schedules })([eventRecord(event)]);
      await until(() => creates() === 1, 'the create, with the schedule read still unanswered', 20_000);
      held.answer(new Error('ProvisionedThroughputExceededException'));
      expect((await run).batchItemFailures).toHaveLength(1);
      expect(await linkOf(data)).toBeUndefined();
      await expectRedeliveryAdopts(event, data);
    });

    it('a read that fails after its event has already failed leaves no unhandled rejection', async () => {
      const data = employee();
      const unhandled = await unhandledRejectionsDuring(async () => {
        const held = heldSchedules();
        // A 400 to the create: the event is dead-lettered while its schedule read is unanswered.
        fx.sandbox.control.setFaults('createUser', { script: [400] });
        try {
          const { batchItemFailures } = await fx.handler({ schedules: held.schedules })([
            eventRecord(lifecycleEvent('employee.hired', data)),
          ]);
          expect(batchItemFailures).toHaveLength(0);
        } finally {
          fx.sandbox.control.clearFaults();
        }
        held.answer(new Error('the read failed after its event had ended'));
      });
      expect(unhandled).toEqual([]);
      expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
    });
  });
});
