import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS } from '../../../lambdas/contract/settings.js';
import { powertoolsMetrics } from '../../../lambdas/worker/metrics.js';

interface EmfLine {
  readonly _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
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
      metrics.deadLetter('permanent', 'default');
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

  it('counts dead letters and held terminations by tenant too, in the same lines as the totals', () => {
    const metrics = powertoolsMetrics();
    const published = emfWrittenBy(() => {
      metrics.deadLetter('permanent', 'acme');
      metrics.deadLetter('permanent', 'acme');
      metrics.deadLetter('permanent', 'globex');
      metrics.deadLetter('exhausted', 'acme');
      metrics.terminationHeld('acme');
      metrics.terminationHeld('acme');
      metrics.outcome('created');
      metrics.publish();
    });
    const of = (metric: string) =>
      published
        .filter((doc) => doc[metric] !== undefined)
        .map((doc) => ({
          sets: doc._aws.CloudWatchMetrics[0]?.Dimensions,
          failureKind: doc.failureKind,
          tenant: doc.tenant,
          count: doc[metric],
        }));
    const byKindAndTenant = [
      ['service', 'failureKind'],
      ['service', 'tenant'],
    ];
    expect(of(METRICS.deadLetterSends)).toEqual([
      { sets: byKindAndTenant, failureKind: 'permanent', tenant: 'acme', count: 2 },
      { sets: byKindAndTenant, failureKind: 'permanent', tenant: 'globex', count: 1 },
      { sets: byKindAndTenant, failureKind: 'exhausted', tenant: 'acme', count: 1 },
    ]);
    expect(of(METRICS.terminationsHeld)).toEqual([
      { sets: [['service'], ['service', 'tenant']], failureKind: undefined, tenant: 'acme', count: 2 },
    ]);
    // The per-event counts carry no tenant: a tenant adds no series until it needs an operator.
    expect(of(METRICS.eventOutcome)).toEqual([
      { sets: [['service', 'outcome']], failureKind: undefined, tenant: undefined, count: 1 },
    ]);
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
