import { describe, expect, it } from 'vitest';
import {
  type BenchRow,
  benchJson,
  ratioRow,
  type SoakFigures,
  soakRows,
} from '../../../tools/bench/bench-run.js';

const row = (figure: string, extra: Partial<BenchRow> = {}): BenchRow => ({
  figure,
  measured: '',
  target: '',
  ...extra,
});

describe('benchJson', () => {
  it('keeps every keyed figure under its key, nests dotted keys, and counts missed targets', () => {
    const rows = [
      row('7. total', { met: false, json: { key: 'costPerMillionUsd', value: 4.5 } }),
      row('write units, hire', { json: { key: 'writeUnitsPerEvent.hire', value: 1 } }),
      row('write units, noop', { json: { key: 'writeUnitsPerEvent.noop', value: 0 } }),
      row('9. cli', { met: true, json: { key: 'cliHelpRatio', value: 1.8 } }),
      row('context only'),
      row('a miss without a key', { met: false }),
    ];
    expect(benchJson(rows)).toEqual({
      costPerMillionUsd: 4.5,
      writeUnitsPerEvent: { hire: 1, noop: 0 },
      cliHelpRatio: 1.8,
      missedTargets: 2,
    });
  });

  it('is one line of JSON a dashboard can parse', () => {
    const line = JSON.stringify(benchJson([row('x', { json: { key: 'logBytesPerEvent', value: 412 } })]));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ logBytesPerEvent: 412, missedTargets: 0 });
  });
});

describe('ratioRow', () => {
  it('holds a ratio to the issue bound it is given, and leaves a row without one as context', () => {
    const floor = ratioRow('1. in-memory 0 ms', '0.60', 0.6, 'throughputRatio0ms', { atLeast: 0.8 });
    const ceiling = ratioRow('2. batch moto', '1.9x', 1.9, 'batchRatioMoto', { atMost: 2 }, 'x');
    const context = ratioRow('1. moto 0 ms', '0.02', 0.02, 'throughputRatio0msMoto', undefined);
    expect([floor.target, floor.met]).toEqual(['>= 0.8', false]);
    expect([ceiling.target, ceiling.met]).toEqual(['<= 2x', true]);
    expect([context.target, context.met]).toEqual(['', undefined]);
    expect(benchJson([floor, ceiling, context])).toEqual({
      throughputRatio0ms: 0.6,
      batchRatioMoto: 1.9,
      throughputRatio0msMoto: 0.02,
      missedTargets: 1,
    });
  });
});

describe('soakRows', () => {
  const exact: SoakFigures = {
    events: 2000,
    durationMs: 137_000,
    faultRate: 0.288,
    lostEvents: [],
    duplicateUsers: 0,
    rosterMismatches: [],
    deadLettered: [{ eventId: 'poison-1', failureKind: 'permanent', errorClass: 'CpaasValidationError' }],
    poisonOvertaken: ['poison-2'],
    deadLettersArePoison: true,
    passed: true,
  };

  it("holds the duration to issue 16's 240 s and reports an exact final state as met", () => {
    const [duration, state] = soakRows(exact);
    expect([duration?.measured, duration?.target, duration?.met]).toEqual(['137.0 s', '< 240 s', true]);
    expect([state?.measured, state?.met]).toEqual(['0, 0, 0; yes (DLQ 1, 1 poison overtaken)', true]);
    expect(benchJson(soakRows(exact))).toEqual({ soakSeconds: 137, soakPassed: 1, missedTargets: 0 });
  });

  it('misses on a lost event however fast the soak was, and on time however exact it was', () => {
    const lost = soakRows({ ...exact, lostEvents: ['hire-7'], passed: false });
    expect(lost.map((row) => row.met)).toEqual([true, false]);
    expect(lost[1]?.measured).toBe('1, 0, 0; yes (DLQ 1, 1 poison overtaken)');
    expect(benchJson(lost)).toMatchObject({ soakPassed: 0, missedTargets: 1 });
    const slow = soakRows({ ...exact, durationMs: 240_000 });
    expect(slow.map((row) => row.met)).toEqual([false, true]);
  });
});
