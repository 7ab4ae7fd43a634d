import { describe, expect, it } from 'vitest';
import { type BenchRow, benchJson, ratioRow } from '../../../tools/bench/bench-run.js';

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
