import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Check = (name: string) => boolean;

/** A fresh copy of the module (its memory empty), and how many zones `Intl` was asked about. */
async function freshCheck(): Promise<{ isIanaTimeZone: Check; asked: () => number }> {
  vi.resetModules();
  const spy = vi.spyOn(Intl, 'DateTimeFormat');
  const { isIanaTimeZone } = await import('../../../../lambdas/core/events/time-zone.js');
  return { isIanaTimeZone, asked: () => spy.mock.calls.length };
}

/** `count` spellings of one zone that differ only in ASCII case, every one a valid name. */
function caseVariants(name: string, count: number): string[] {
  const letters = [...name]
    .map((character, index) => [character, index] as const)
    .filter(([character]) => /[a-z]/i.test(character));
  return Array.from({ length: count }, (_, variant) => {
    const characters = [...name.toLowerCase()];
    letters.forEach(([character, index], bit) => {
      if ((variant >> bit) & 1) characters[index] = character.toUpperCase();
    });
    return characters.join('');
  });
}

describe('isIanaTimeZone', () => {
  let check: Awaited<ReturnType<typeof freshCheck>>;

  beforeEach(async () => {
    check = await freshCheck();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes IANA names and the aliases Intl lists no more, in any ASCII case', () => {
    for (const name of [
      'Europe/Paris',
      'America/Argentina/Buenos_Aires',
      'UTC',
      'US/Pacific',
      'Asia/Calcutta',
      'europe/PARIS',
    ]) {
      expect(check.isIanaTimeZone(name), name).toBe(true);
    }
  });

  it('refuses made-up names, and a look-alike whose lower case would be one (Kelvin sign for K)', () => {
    for (const name of ['Mars/Base', '', 'Europe/Paris ', 'Asia/\u212Aolkata']) {
      expect(check.isIanaTimeZone(name), JSON.stringify(name)).toBe(false);
    }
  });

  it('asks Intl once for a name it accepted, and every time for one it refused', () => {
    for (let round = 0; round < 3; round += 1) check.isIanaTimeZone('Europe/Paris');
    expect(check.asked()).toBe(1);
    for (let round = 0; round < 3; round += 1) check.isIanaTimeZone('Mars/Base');
    expect(check.asked()).toBe(4);
  });

  it('remembers at most 1,000 names, so spellings without end cannot grow its memory', () => {
    const spellings = caseVariants('America/Argentina/Buenos_Aires', 1_001);
    expect(new Set(spellings).size).toBe(1_001);
    for (const name of spellings) expect(check.isIanaTimeZone(name)).toBe(true);
    expect(check.asked()).toBe(1_001);
    for (const name of spellings.slice(0, 1_000)) check.isIanaTimeZone(name);
    expect(check.asked()).toBe(1_001);
    check.isIanaTimeZone(spellings[1_000] as string);
    expect(check.asked()).toBe(1_002);
  });
});
