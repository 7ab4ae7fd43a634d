import { describe, expect, it } from 'vitest';
import { createBurstMeter } from '../../../../lambdas/core/events/burst-meter.js';

describe('createBurstMeter', () => {
  const allowance = { events: 3, perSeconds: 30 };

  it("allows a tenant's burst up to its allowance, then refuses until the bucket refills", () => {
    let now = 0;
    const meter = createBurstMeter(allowance, () => now);
    expect([1, 2, 3, 4].map(() => meter.take('acme'))).toEqual([true, true, true, false]);
    now += 9_999; // one event refills every 10 s
    expect(meter.take('acme')).toBe(false);
    now += 1;
    expect(meter.take('acme')).toBe(true);
    expect(meter.take('acme')).toBe(false);
    now += 60_000; // a quiet minute refills the bucket, never beyond its size
    expect([1, 2, 3, 4].map(() => meter.take('acme'))).toEqual([true, true, true, false]);
  });

  it("keeps each tenant's allowance apart", () => {
    const meter = createBurstMeter(allowance, () => 0);
    for (let event = 0; event < 10; event += 1) meter.take('acme');
    expect(meter.take('acme')).toBe(false);
    expect(meter.take('globex')).toBe(true);
  });
});
