import { describe, expect, it } from 'vitest';
import { buildSoakScenario } from '../../../tools/bench/soak-scenario.js';

const options = {
  events: 400,
  employees: 50,
  duplicateRate: 0.05,
  poisonEvents: 5,
  takenEmails: ['seed.user0@taken.example.com', 'seed.user1@taken.example.com'],
  seed: 11,
};

describe('buildSoakScenario', () => {
  it('makes the same history for the same seed, with every kind of event the soak needs', () => {
    const first = buildSoakScenario(options);
    const second = buildSoakScenario(options);
    expect(second.events.map((event) => [event.type, event.data])).toEqual(
      first.events.map((event) => [event.type, event.data]),
    );
    expect(first.events).toHaveLength(400);
    expect(first.counts.hired).toBe(50);
    for (const count of Object.values(first.counts)) expect(count).toBeGreaterThan(0);
    expect(first.poison.size).toBe(5);
    expect(first.duplicated.size).toBeGreaterThan(0);
  });

  it('poisons only changes to a taken address, and never duplicates them', () => {
    const scenario = buildSoakScenario(options);
    for (const event of scenario.events.filter((candidate) => scenario.poison.has(candidate.id))) {
      expect(event.type).toBe('employee.changed');
      expect(options.takenEmails).toContain(event.data.workEmail);
      expect(scenario.duplicated.has(event.id)).toBe(false);
    }
  });

  it('expects exactly the employees whose last non-poison event is a hire or change, with that data', () => {
    const scenario = buildSoakScenario(options);
    const last = new Map<string, (typeof scenario.events)[number]>();
    for (const event of scenario.events) if (!scenario.poison.has(event.id)) last.set(event.subject, event);
    const employed = [...last].filter(([, event]) => event.type !== 'employee.terminated');
    expect([...scenario.roster.keys()].sort()).toEqual(employed.map(([id]) => id).sort());
    for (const [id, event] of employed) expect(scenario.roster.get(id)?.email).toBe(event.data.workEmail);
    const emails = [...scenario.roster.values()].map((user) => user.email);
    expect(new Set(emails).size).toBe(emails.length);
  });
});
