/**
 * A live profile's remediation target (#17 point 1): a Cloud Sync profile gets Cloud Sync plans and
 * a cycle the product runs itself (the job restarted with the empty criteria), a Connect profile
 * gets Connect plans and no cycle of the product's own (the admin runs it on the Connect server).
 */
import { describe, expect, it } from 'vitest';
import { liveRemediationTarget } from '../../main/api/remediation-service';
import type { ScanTarget } from '../../main/api/scan-service';
import type { Profile } from '../../main/core/profile';
import { buildPlan, syncCycleInstructions } from '../../main/remediation';

const SP = '11111111-2222-4333-8444-555555555555';

function target(calls: string[]): ScanTarget {
  const cloudSync = {
    getJob: async (sp: string) => {
      calls.push(`getJob ${sp}`);
      return { servicePrincipalId: sp, jobId: 'AD2AADProvisioning.abc.def', templateId: 'AD2AADProvisioning', scheduleState: 'Active', statusCode: 'OK', lastSuccessAt: null, quarantineReason: null };
    },
    restartJob: async (at: { servicePrincipalId: string; jobId: string }) => {
      calls.push(`restart ${at.servicePrincipalId} ${at.jobId}`);
    },
  };
  return { profileId: 'p1', profileName: 'Contoso', kind: 'live', defaultRegion: 'US', directories: [], client: { cloudSync } as unknown as ScanTarget['client'], tenantId: 't', cloud: 'global', closeDirectories: true } as unknown as ScanTarget;
}

const profile = (cloudSync?: { servicePrincipalId: string }) =>
  ({ cloud: { tenantId: 't', clientId: 'c', ...(cloudSync ? { cloudSync } : {}) }, onPrem: [{ url: 'ldaps://dc01', replicaDcs: ['dc02'] }] }) as unknown as Pick<Profile, 'cloud' | 'onPrem'>;

describe('liveRemediationTarget', () => {
  it('a Cloud Sync profile: Cloud Sync plans, and the cycle is the job restarted by the product', async () => {
    const calls: string[] = [];
    const t = liveRemediationTarget(target(calls), profile({ servicePrincipalId: SP }));
    expect(t).toMatchObject({ syncEngine: 'cloud-sync', connectServer: null, replicaDcs: ['dc02'] });
    expect(t.runSyncCycle).toBeTypeOf('function');
    const r = await t.runSyncCycle!();
    expect(calls).toEqual([`getJob ${SP}`, `restart ${SP} AD2AADProvisioning.abc.def`]);
    expect(r.summary).toContain('restarted');
    const plan = buildPlan({ generatedAt: '2026-01-01T00:00:00Z', profile: 'p', summary: { onPremUsers: 0, cloudUsers: 0, outOfScope: 0, byStatus: {} as never, phases: {} }, rows: [] }, [], { syncEngine: t.syncEngine });
    expect(plan.syncEngine).toBe('cloud-sync');
    expect(syncCycleInstructions(t.syncEngine, null)).not.toContain('Start-ADSyncSyncCycle');
  });

  it('a Connect profile: Connect plans, and no cycle the product runs', () => {
    const t = liveRemediationTarget(target([]), profile());
    expect(t).toMatchObject({ syncEngine: 'connect', replicaDcs: ['dc02'] });
    expect(t.runSyncCycle).toBeUndefined();
    expect(syncCycleInstructions(t.syncEngine, null)).toContain('Start-ADSyncSyncCycle -PolicyType Initial');
  });
});
