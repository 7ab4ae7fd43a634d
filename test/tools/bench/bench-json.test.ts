import { describe, expect, it } from 'vitest';
import { type BenchRow, benchJson } from '../../../tools/bench/bench-run.js';

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
