import { describe, expect, it } from 'vitest';
import { SHORT_SOAK, SHORT_SOAK_FAULTS } from '../../../tools/bench/soak-profiles.js';
import { describeSoak, runSoak } from '../../../tools/bench/soak-run.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';

describe('soak through the local pipeline with seeded CPaaS faults', () => {
  it('ends with the modelled roster, no duplicates, nothing lost and only the poison events in the DLQ', async () => {
    const report = await runSoak({
      ...SHORT_SOAK,
      faults: SHORT_SOAK_FAULTS,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: {
        queueName: `${uniqueName('soak')}.fifo`,
        deadLetterQueueName: `${uniqueName('soak-dlq')}.fifo`,
        stateTableName: uniqueName('soak-state'),
        apiKeySecretName: uniqueName('soak-key'),
        webhookSecretsSecretName: uniqueName('soak-webhook'),
        scimTokensSecretName: uniqueName('soak-scim-tokens'),
      },
      timeoutMs: 90_000,
      log: () => {},
    });
    process.stdout.write(`${describeSoak(report).join('\n')}\n`);

    expect(report.scenario.counts.emailChanged).toBeGreaterThan(0);
    expect(report.scenario.counts.rehired).toBeGreaterThan(0);
    expect(report.scenario.duplicated.size).toBeGreaterThan(0);
    expect(report.faultRate).toBeGreaterThan(0.25);
    expect(report.rosterMismatches).toEqual([]);
    expect(report.managedUsers).toBe(report.scenario.roster.size);
    expect(report.duplicateUsers).toBe(0);
    expect(report.lostEvents).toEqual([]);
    // A poison change its employee's termination overtook on the priority lane is stale, not dead-lettered.
    const accounted = [...report.deadLettered.map((entry) => entry.eventId), ...report.poisonOvertaken];
    expect(new Set(accounted)).toEqual(report.scenario.poison);
    expect(accounted).toHaveLength(report.scenario.poison.size);
    expect(report.deadLettered.every((entry) => entry.failureKind === 'permanent')).toBe(true);
    expect(report.passed).toBe(true);
  }, 120_000);
});
