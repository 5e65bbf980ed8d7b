/**
 * Cloud Sync has no cycle cmdlet: the plan restarts the provisioning job. Microsoft's
 * synchronizationJobRestartCriteria: ConnectorDataStore "Clears the underlying cache for all users.
 * DO NOT USE", Full is "all of the options" (so it includes ConnectorDataStore and ForceDeletes), and
 * an empty criteria "emulates the Restart provisioning option in the Microsoft Entra admin center"
 * (QuarantineState, Watermark, Escrows). The plan must send the portal's Restart, never Full or
 * ForceDeletes, and the sandbox's restart endpoint refuses what would reset the connector data store
 * or force deletes (#17 point 1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../main/core/model';
import { buildPlan } from '../../main/remediation';
import { TenantStore } from '../../main/sandbox/tenant';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { fieldReportEnv, keyOf, UPN } from '../support/remediation-env';

let report: DriftReport;
beforeAll(async () => {
  report = await (await fieldReportEnv()).scan();
});

/** The Graph body the admin copies from the step's instructions. */
function restartBodyOf(instructions: string): unknown {
  const m = /(\{"criteria":\{[^}]*\}\})/.exec(instructions);
  if (!m) throw new Error(`no restart body in: ${instructions}`);
  return JSON.parse(m[1]!);
}

describe('the Cloud Sync restart a bypass plan asks for', () => {
  it('is the portal Restart (empty criteria), never Full or ForceDeletes, and says why', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-onprem' }], { syncEngine: 'cloud-sync' });
    const step = plan.steps.find((s) => s.kind === 'sync-cycle');
    expect(step?.kind).toBe('sync-cycle');
    const instructions = step!.kind === 'sync-cycle' ? step!.instructions : '';
    expect(restartBodyOf(instructions)).toEqual({ criteria: {} });
    expect(instructions).not.toMatch(/"resetScope"\s*:\s*"[^"]*(Full|ForceDeletes|ConnectorDataStore)/);
    expect(instructions).toMatch(/Restart provisioning/);
    expect(instructions).toMatch(/connector data store|ConnectorDataStore/i);
    expect(instructions).toMatch(/synchronizationjobrestartcriteria/i);
  });

  it('the sandbox restart endpoint accepts that body and clears only quarantine, watermark and escrows', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-onprem' }], { syncEngine: 'cloud-sync' });
    const step = plan.steps.find((s) => s.kind === 'sync-cycle')!;
    const tenant = new TenantStore();
    const job = tenant.cloudSyncJob;
    const r = tenant.restartProvisioningJob(job.servicePrincipalId, job.jobId, restartBodyOf(step.kind === 'sync-cycle' ? step.instructions : ''));
    expect(r.cleared.sort()).toEqual(['Escrows', 'QuarantineState', 'Watermark']);
    expect(tenant.cloudSyncJob.lastRestart).toMatchObject({ cleared: expect.not.arrayContaining(['ConnectorDataStore']) });
  });
});

describe('the sandbox provisioning job restart', () => {
  const tenant = new TenantStore();
  const { servicePrincipalId, jobId } = tenant.cloudSyncJob;
  it('refuses Full and ConnectorDataStore (the connector data store reset) and ForceDeletes, naming them', () => {
    for (const scope of ['Full', 'ConnectorDataStore', 'Watermark, ForceDeletes']) {
      expect(() => tenant.restartProvisioningJob(servicePrincipalId, jobId, { criteria: { resetScope: scope } })).toThrow(/ConnectorDataStore|ForceDeletes/);
    }
    expect(tenant.cloudSyncJob.lastRestart).toBeNull();
  });
  it('accepts explicit safe scopes, and names a bad value or an unknown job', () => {
    expect(tenant.restartProvisioningJob(servicePrincipalId, jobId, { criteria: { resetScope: 'Watermark,Escrows' } }).cleared.sort()).toEqual(['Escrows', 'Watermark']);
    expect(() => tenant.restartProvisioningJob(servicePrincipalId, jobId, { criteria: { resetScope: 'Everything' } })).toThrow(/resetScope.*Everything/);
    expect(() => tenant.restartProvisioningJob(servicePrincipalId, 'AD2AADProvisioning.nope', { criteria: {} })).toThrow(/job/i);
  });
});

describe('the sandbox provisioning run after a restart (Cloud Sync mode)', () => {
  const BASE = 'DC=corp,DC=contoso,DC=com';
  const DN = `CN=Ana Ruiz,OU=Staff,${BASE}`;
  const helpdesk: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@contoso.com', displayName: 'Help Desk' };
  async function overridden() {
    const dir = SandboxDirectory.fromLdif(
      `version: 1\n\ndn: ${DN}\nobjectClass: user\nsAMAccountName: ana\nuserPrincipalName: ana@contoso.com\ndisplayName: Ana Ruiz\nobjectGUID: 2b3c4d5e-0000-4000-8000-00000000000a\nmobile: +1 425 555 0100\nc: US\n`,
      { baseDn: BASE },
    );
    const tenant = new TenantStore();
    const sync = new SyncSimulator(dir, tenant, { engine: 'cloud-sync', server: 'CLOUDSYNC-AGENT01' });
    await sync.runCycle('initial');
    const ana = () => tenant.findByUpn('ana@contoso.com')!;
    tenant.legacyCloudEdit(ana().id, '+1 425 555 0199', helpdesk); // DirSyncOverrides: AD is ignored from now on
    tenant.setFeatures({ bypassDirSyncOverridesEnabled: true }, helpdesk);
    return { dir, tenant, sync, ana, restart: (body: unknown) => tenant.restartProvisioningJob(tenant.cloudSyncJob.servicePrincipalId, tenant.cloudSyncJob.jobId, body) };
  }

  it('a regular run after the portal Restart (Watermark cleared) evaluates every user against Entra ID, once', async () => {
    const { sync, ana, restart } = await overridden();
    // The bypass alone changes nothing: the run only exports what changed in AD since its watermark.
    await sync.runCycle('delta');
    expect(ana().mobilePhone).toBe('+1 425 555 0199');
    restart({ criteria: {} });
    const r = await sync.runCycle('delta');
    expect(ana().mobilePhone).toBe('+1 425 555 0100');
    expect(r.notes.join(' ')).toMatch(/restarted .*Watermark.* every user again/);
    expect(r.incrementalImport).toBe(false);
    // Honoured once: the next run is a regular one again.
    const again = await sync.runCycle('delta');
    expect(again.notes.join(' ')).not.toMatch(/restarted/);
  });

  it('a restart that kept the Watermark does not, and the honoured restart survives a save and restore', async () => {
    const { dir, tenant, sync, ana, restart } = await overridden();
    restart({ criteria: { resetScope: 'QuarantineState' } });
    await sync.runCycle('delta');
    expect(ana().mobilePhone).toBe('+1 425 555 0199');
    restart({ criteria: {} });
    await sync.runCycle('initial');
    expect(ana().mobilePhone).toBe('+1 425 555 0100');
    tenant.legacyCloudEdit(ana().id, '+1 425 555 0177', helpdesk);
    const restored = new SyncSimulator(dir, tenant, { engine: 'cloud-sync' });
    restored.restore(sync.serialize());
    await restored.runCycle('delta'); // the restart was honoured by the initial run: nothing re-evaluated
    expect(ana().mobilePhone).toBe('+1 425 555 0177');
  });
});
