import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS } from '../../../lambdas/contract/settings.js';
import { powertoolsMetrics } from '../../../lambdas/worker/metrics.js';

interface EmfLine {
  readonly _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The EMF documents the metrics write to stdout while `run` runs. */
function emfWrittenBy(run: () => void): EmfLine[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as EmfLine).filter((doc) => doc._aws !== undefined);
}

afterEach(() => vi.restoreAllMocks());

describe('powertoolsMetrics', () => {
  it('writes one EMF line per outcome of an invocation, with the summed count, and nothing before publish', () => {
    const metrics = powertoolsMetrics();
    const early = emfWrittenBy(() => {
      for (let i = 0; i < 10; i++) metrics.outcome('created');
      metrics.outcome('stale');
      metrics.outcome('stale');
      metrics.deadLetter('permanent');
    });
    expect(early).toEqual([]);
    const published = emfWrittenBy(() => metrics.publish());
    const outcomes = published.filter((doc) => doc.outcome !== undefined);
    expect(outcomes.map((doc) => [doc.outcome, doc[METRICS.eventOutcome]])).toEqual([
      ['created', 10],
      ['stale', 2],
    ]);
    expect(
      published.filter((doc) => doc.failureKind === 'permanent').map((doc) => doc[METRICS.deadLetterSends]),
    ).toEqual([1]);
  });

  it('starts every invocation from zero', () => {
    const metrics = powertoolsMetrics();
    emfWrittenBy(() => {
      metrics.outcome('created');
      metrics.publish();
    });
    const second = emfWrittenBy(() => {
      metrics.outcome('created');
      metrics.publish();
    });
    expect(second.map((doc) => doc[METRICS.eventOutcome])).toEqual([1]);
  });
});
