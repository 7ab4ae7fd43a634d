import { describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../lambdas/sweep/sweep.js';
import { startSweepLoop, sweepLogLines } from '../../../tools/local/sweep-loop.js';

const report: SweepReport = { queued: 0, deleted: 0, skipped: 0, outboxes: 0, failed: 0 };

describe('startSweepLoop', () => {
  it('runs on its interval, never two at once nor a backlog, and keeps going after a failed run', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const lines: string[] = [];
    const loop = startSweepLoop({
      intervalMs: 10,
      log: (line) => lines.push(line),
      run: async () => {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 25));
        active -= 1;
        if (runs === 1) throw new Error('CPaaS down');
        return report;
      },
    });
    // Until the third run has started (a loaded machine may take longer than 3 intervals).
    while (runs < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await loop.stop();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(after);
    expect(most).toBe(1);
    expect(lines[0]).toBe('sweep failed (Error): CPaaS down');
  });

  it('skips the ticks that find a run in flight instead of queueing them', async () => {
    let release: () => void = () => {};
    let runs = 0;
    const loop = startSweepLoop({
      intervalMs: 5,
      log: () => {},
      run: async () => {
        runs += 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return report;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const stopped = loop.stop();
    release();
    await stopped;
    expect(runs).toBe(1);
  });

  it('runNow runs after the run in flight and resolves to its report', async () => {
    const loop = startSweepLoop({
      intervalMs: 60_000,
      log: () => {},
      run: async () => ({ ...report, queued: 2 }),
    });
    expect(await loop.runNow()).toEqual({ ...report, queued: 2 });
    await loop.stop();
  });
});

describe('sweepLogLines', () => {
  it('prints the message with ids only', () => {
    const lines: string[] = [];
    sweepLogLines((line) => lines.push(line)).info('sweep: queued a due event', {
      employeeKey: 'default:E1',
      eventId: 'ev-1',
      email: 'someone@example.com',
    });
    expect(lines).toEqual(['sweep: queued a due event (employeeKey=default:E1 eventId=ev-1)']);
  });
});
