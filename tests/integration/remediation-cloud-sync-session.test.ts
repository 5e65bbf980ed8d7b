/**
 * A whole remediation session of a live Cloud Sync profile, through the services and the channels the
 * renderer uses (#18): scan, plan for the overridden users, preflight, apply, verify, undo and the
 * restore plan. The profile is a live one (`environment: 'sandbox'`, `cloud.cloudSync`) pointed at
 * a sandbox tenant over HTTPS, signed in through msal-node's device code flow as its Global
 * Administrator; the sandbox's demo runs in Cloud Sync mode, so the app picks Cloud Sync plans and runs
 * the cycle itself as the provisioning job's restart (`liveRemediationTarget`, `cloudSyncCyclePort`).
 *
 * The on-prem side: a live profile's only on-prem source is LDAP, and the only LDAP server the tests
 * have is Samba (not run here). So the LDAP adapter is replaced by the demo's own directory, the AD
 * that the sandbox's Cloud Sync agent (the simulator) provisions from: the services still open the
 * profile's source (`openDirectories`), read, write compare-and-set and check replicas through the
 * OnPremDirectory port; only the LDAP wire protocol is not exercised. The scheduled run that follows
 * Cloud Sync's restart (every 2 minutes in a real tenant) is played by the test: once the tenant has
 * recorded the restart, it runs the simulator's regular provisioning run ('delta', not 'initial'),
 * which evaluates every user again only because the job was restarted.
 *
 * Every check is on what the sandbox tenant and directory hold, not only on the service's report.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DriftRow } from '../../main/core/model';
import { systemClock } from '../../main/core/ports';
import { createNodeNetwork, type NodeNetwork } from '../../main/cloud/network';
import type { OnPremDirectory } from '../../main/onprem/port';
import { affectedUserCount, type Plan, type SessionOutcome, type UndoReport } from '../../main/remediation';
import { workspaceJournalStore } from '../../main/remediation/journal-workspace';
import { cloudSyncOf } from '../../main/sandbox/cloud-sync';
import { buildDemo, type SandboxDemo } from '../../main/sandbox/demo';
import { startSandboxTenant, type SandboxTenant } from '../../main/sandbox/server';
import { servicesHarness, type ServicesHarness } from '../support/services-harness';

/** The DC behind the profile's LDAP source: the demo's directory (see above). */
const dc = vi.hoisted(() => ({ directory: null as OnPremDirectory | null, opened: [] as string[] }));
vi.mock('../../main/onprem/ldap', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../main/onprem/ldap')>();
  class DemoDirectoryAsDc implements OnPremDirectory {
    constructor(source: { url: string }) {
      dc.opened.push(source.url);
    }
    private get d(): OnPremDirectory {
      if (!dc.directory) throw new Error('the test has not set the demo directory yet');
      return dc.directory;
    }
    describe() {
      return this.d.describe();
    }
    scan(o?: Parameters<OnPremDirectory['scan']>[0]) {
      return this.d.scan(o);
    }
    readUser(dn: string, o?: { signal?: AbortSignal }) {
      return this.d.readUser(dn, o);
    }
    writeMobile(w: Parameters<OnPremDirectory['writeMobile']>[0], o?: { signal?: AbortSignal }) {
      return this.d.writeMobile(w, o);
    }
    replicaStates(dn: string, dcs?: string[]) {
      return this.d.replicaStates(dn, dcs);
    }
    async close() {}
  }
  return { ...real, LdapDirectory: DemoDirectoryAsDc };
});

const DC_URL = 'ldaps://dc01.corp.contoso.com';
const TESTMOBILE = 'testmobile@contoso.com';
const LAYLA = 'layla.mansour@contoso.com'; // source of authority switched to the cloud: Graph writes her

let demo: SandboxDemo;
let server: SandboxTenant;
let network: NodeNetwork;
let h: ServicesHarness;
let profileId: string;
let deviceCodes = 0;

/** Entra ID's mobilePhone of every user, by UPN, as the sandbox tenant holds it. */
const entra = () => new Map([...demo.tenant.listUsers()].map((u) => [u.userPrincipalName, u.mobilePhone ?? null]));
/** AD's mobile of every user, by DN, as the demo directory holds it. */
const ad = () => new Map(demo.directory.allUsers().map((u) => [u.dn, u.mobile ?? null]));
const entraOf = (upn: string) => demo.tenant.findByUpn(upn)!.mobilePhone ?? null;
const finished = async (operationId: string) => ((await h.waitFor('remediation.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { outcome: SessionOutcome }).outcome;
const undone = async (operationId: string) => ((await h.waitFor('remediation.undone', (p) => (p as { operationId: string }).operationId === operationId)) as { report: UndoReport }).report;
/** Cloud Sync's next scheduled provisioning run (the regular one, not a full cycle). */
const nextProvisioningRun = () => demo.sync.runCycle('delta');

// Shared by the steps of the one session, in order.
let scanId: string;
let rows: DriftRow[];
let row: (upn: string) => DriftRow;
let entraBefore: Map<string, string | null>;
let adBefore: Map<string, string | null>;
let plan: Plan;
let sessionId: string;
let keptInAd: Array<{ upn: string; dn: string; adBefore: string | null; cloud: string | null }>;
let offers: UndoReport['offers'];

beforeAll(async () => {
  demo = await buildDemo();
  server = await startSandboxTenant({ tenant: demo.tenant, clock: systemClock });
  network = await createNodeNetwork({ extraCaPem: [server.caPem], env: {} });
  // The tenant moves to Cloud Sync: its agent provisions every user once (its first run).
  demo.sync.setEngine('cloud-sync');
  await demo.sync.runCycle('initial');
  dc.directory = demo.directory;
  h = servicesHarness('sd-cloudsync-session-', {
    network,
    onEvent: (event, payload) => {
      if (event !== 'auth.deviceCode') return;
      deviceCodes++;
      const admin = server.users.globalAdmin;
      const refused = server.approveDeviceCode((payload as { userCode: string }).userCode, admin.userPrincipalName, admin.password);
      if (refused) throw new Error(`the sandbox refused the device code: ${refused}`);
    },
  });
  await h.open();
  const { summary } = await h.call<{ summary: { id: string } }>('profiles.save', {
    document: {
      name: 'Contoso (Cloud Sync)',
      onPrem: { url: DC_URL, bindDn: 'svc-syncdrift@contoso.com', passwordEnv: 'SD_CLOUDSYNC_SESSION_DC_PASSWORD', baseDn: 'DC=corp,DC=contoso,DC=com' },
      cloud: {
        environment: 'sandbox',
        tenantId: server.tenantId,
        clientId: server.apps.workbench.appId,
        auth: { type: 'deviceCode' },
        authorityHost: server.origin,
        graphBaseUrl: server.origin,
        cloudSync: { servicePrincipalId: demo.tenant.cloudSyncJob.servicePrincipalId },
      },
      defaultRegion: 'US',
    },
  });
  profileId = summary.id;
}, 120_000);

afterAll(async () => {
  await h?.close({ removeDir: true });
  await network?.close();
  await server?.close();
});

describe('a whole remediation session of a live Cloud Sync profile, through the services', () => {
  it('scans the tenant with Cloud Sync\'s view, and provisioning on demand confirms the override', async () => {
    ({ scanId, rows } = await h.scan(profileId));
    row = (upn) => rows.find((r) => r.upn === upn)!;
    expect(deviceCodes).toBe(1); // a live profile's own sign-in, over HTTPS
    expect(dc.opened).toContain(DC_URL); // the profile's on-prem source, opened by the services
    const tm = row(TESTMOBILE);
    expect(tm).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890' } });
    expect(tm.flags).toContain('override-confirmed');
    expect(tm.engine).toMatchObject({ engine: 'cloud-sync', state: 'exported' });
    expect(row(LAYLA)).toMatchObject({ status: 'cloud-override', cloud: { managed: true } });
    const pod = await h.call<{ verdict: string; entraMobile: string | null }>('remediation.provisionOnDemand', { scanId, rowKey: tm.key });
    expect(pod).toMatchObject({ verdict: 'not-verified', entraMobile: '1234567890' });
    entraBefore = entra();
    adBefore = ad();
    expect(demo.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
  }, 120_000);

  it('plans the overridden users as a Cloud Sync plan whose cycle is the job restart, and preflight reads both sides live', async () => {
    const chosen = [row(TESTMOBILE).key, row(LAYLA).key];
    const keepOnPrem = chosen.map((rowKey) => ({ rowKey, action: 'keep-onprem' }));
    const draft = await h.call<{ plan: Plan }>('remediation.plan', { scanId, selected: chosen, decisions: keepOnPrem });
    // Every other user the bypass reaches gets the decision the guided flow suggests.
    const blast = draft.plan.blastRadius.map((b) => b.rowKey).filter((k) => !chosen.includes(k));
    expect(blast.length).toBeGreaterThan(10);
    const { suggestions } = await h.call<{ suggestions: Array<{ rowKey: string; action: string }> }>('remediation.suggest', { scanId, rowKeys: blast });
    const built = await h.call<{ plan: Plan; readiness: { ready: boolean; why: string[] } }>('remediation.plan', {
      scanId,
      selected: chosen,
      decisions: [...keepOnPrem, ...suggestions.map((s) => ({ rowKey: s.rowKey, action: s.action }))],
    });
    plan = built.plan;
    expect(built.readiness.ready, built.readiness.why.join(' ')).toBe(true);
    expect(plan.syncEngine).toBe('cloud-sync');
    const cycle = plan.steps.find((s) => s.kind === 'sync-cycle');
    expect(cycle).toMatchObject({ engine: 'cloud-sync', policy: 'initial' });
    expect(cycle?.kind === 'sync-cycle' && cycle.instructions).toMatch(/\/synchronization\/jobs\/\{jobId\}\/restart with \{"criteria":\{\}\}/);
    expect(cycle?.kind === 'sync-cycle' && cycle.instructions).not.toMatch(/Start-ADSyncSyncCycle/);
    expect(plan.steps.find((s) => s.kind === 'graph-patch')).toMatchObject({ upn: LAYLA });
    // The users whose cloud value the admin keeps (suggested keep-cloud) are written into AD first.
    const adSteps = plan.steps.flatMap((s) => (s.kind === 'ad-write' ? [s] : []));
    expect(adSteps.length).toBeGreaterThan(0);
    keptInAd = adSteps.map((s) => ({ upn: s.upn, dn: s.dn, adBefore: s.expected, cloud: s.next }));
    expect(plan.coverage).toMatchObject({ notScanned: 0 });

    const pre = await h.call<{ ok: boolean; checks: Array<{ name: string; ok: boolean; message: string }>; conflicts: unknown[]; bypassWasOn: boolean | null }>('remediation.preflight', { plan });
    expect(pre.checks.filter((c) => !c.ok)).toEqual([]);
    expect(pre).toMatchObject({ ok: true, conflicts: [], bypassWasOn: false });
    expect(pre.checks.find((c) => c.name === 'onprem')?.message).toMatch(/^Read \d+ AD value/);
    expect(pre.checks.find((c) => c.name === 'blast-radius')?.message).toContain(`found ${plan.blastRadius.length} user(s)`);
    // Preflight writes nothing.
    expect(demo.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(demo.tenant.cloudSyncJob.lastRestart).toBeNull();
    expect(entra()).toEqual(entraBefore);
    expect(ad()).toEqual(adBefore);
  }, 120_000);

  it('applies: AD and Graph writes, the bypass, the Cloud Sync job restart over HTTPS; verification waits for Cloud Sync\'s run and reads its result back', async () => {
    const logBefore = cloudSyncOf(demo.tenant).entries().length;
    const cycleBefore = demo.sync.lastCycle;
    const { operationId } = await h.call<{ operationId: string }>('remediation.apply', { plan, confirmUsers: affectedUserCount(plan) });
    const started = Date.now();
    while (!demo.tenant.cloudSyncJob.lastRestart) {
      if (Date.now() - started > 60_000) throw new Error(`the session did not restart the Cloud Sync job: ${JSON.stringify(h.events.filter((e) => e.event.startsWith('remediation')))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // What the tenant received: the portal's Restart provisioning (no resetScope), with the bypass on.
    expect(demo.tenant.cloudSyncJob.lastRestart).toMatchObject({ resetScope: '', cleared: ['QuarantineState', 'Watermark', 'Escrows'] });
    expect(demo.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    for (const k of keptInAd) expect((await demo.directory.readUser(k.dn))?.mobile ?? null, k.upn).toBe(k.cloud);
    expect(entraOf(LAYLA)).toBe(row(LAYLA).onPrem!.value);
    // The restart provisions nothing by itself, and no sync cycle ran: the session now waits for Cloud Sync.
    expect(demo.sync.lastCycle).toEqual(cycleBefore);
    expect(entraOf(TESTMOBILE)).toBe('1234567890');
    expect(h.events.some((e) => e.event === 'remediation.finished' && (e.payload as { operationId: string }).operationId === operationId)).toBe(false);

    const run = await nextProvisioningRun();
    expect(run.notes.join(' ')).toMatch(/restarted .* every user again/);
    const outcome = await finished(operationId);
    sessionId = outcome.sessionId;
    expect(outcome.state, outcome.message ?? '').toBe('completed');
    expect(outcome.rows.filter((r) => r.state !== 'fixed')).toEqual([]);
    expect(outcome.rows.map((r) => r.upn)).toEqual(expect.arrayContaining([TESTMOBILE, LAYLA, ...keptInAd.map((k) => k.upn)]));
    // The verified values are the tenant's and the directory's, read back.
    for (const r of outcome.rows) {
      const planned = plan.rows.find((p) => p.key === r.rowKey)!;
      expect(r.actual?.cloud ?? null, r.upn).toBe(entraOf(r.upn));
      expect(r.actual?.onPrem ?? null, r.upn).toBe((await demo.directory.readUser(planned.onPrem!.dn))?.mobile ?? null);
    }
    expect(entraOf(TESTMOBILE)).toBe('0987654321');
    // Cloud Sync's own record of it: its provisioning log entry of that run, AD's value exported and taken.
    const entry = cloudSyncOf(demo.tenant).entries().slice(logBefore).find((e) => e.cloudName === TESTMOBILE);
    expect(entry).toMatchObject({ status: 'success', action: 'update' });
    expect(entry!.onDemand).toBeFalsy(); // the scheduled run's, not a provision on demand
    expect(entry!.modified).toContainEqual({ name: 'mobile', oldValue: '1234567890', newValue: '0987654321' });
    // What the session journalled for its cycle step.
    const cycleResult = workspaceJournalStore(h.services.workspace).entries(sessionId).find((e) => e.stepId === 'initial-cycle' && e.kind === 'result');
    expect(cycleResult?.data).toMatchObject({ outcome: 'ran', summary: expect.stringContaining(`Cloud Sync job ${demo.tenant.cloudSyncJob.jobId} restarted`) });
    // Outside the plan, nobody changed: the whole-tenant read after the cycle says so, and so does the tenant.
    expect(outcome.sweep).toMatchObject({ changedCount: 0, gone: 0 });
    const inPlan = new Set(plan.rows.map((r) => r.upn));
    const now = entra();
    expect([...entraBefore].filter(([upn, v]) => !inPlan.has(upn) && now.get(upn) !== v)).toEqual([]);

    // The guided flow's Cloud Sync check, and a rescan: Cloud Sync's view now agrees with AD.
    const pod = await h.call<{ verdict: string; entraMobile: string | null }>('remediation.provisionOnDemand', { scanId, rowKey: row(TESTMOBILE).key });
    expect(pod).toMatchObject({ verdict: 'verified', entraMobile: '0987654321' });
    const after = await h.scan(profileId);
    expect(after.rows.find((r) => r.upn === TESTMOBILE)).toMatchObject({ status: 'in-sync', engine: { engine: 'cloud-sync' } });
  }, 240_000);

  it('undoes with the bypass left on: Graph\'s write reverted, kept cloud values left kept, every overwritten value named and offered with its recorded value', async () => {
    const { operationId } = await h.call<{ operationId: string }>('remediation.undo', { sessionId });
    const report = await undone(operationId);
    expect(report.state).toBe('undo-partial');
    expect(demo.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(report.notes.join(' ')).toMatch(/BypassDirSyncOverrides left on/);
    expect(entraOf(LAYLA)).toBe(entraBefore.get(LAYLA));
    expect(report.restored).toContainEqual(expect.objectContaining({ upn: LAYLA, side: 'cloud', value: entraBefore.get(LAYLA) }));
    // Users whose Entra value is not as recorded any more are exactly the ones offered back, with the recorded value.
    const differing = [...entra()].filter(([upn, v]) => v !== entraBefore.get(upn)).map(([upn]) => upn).sort();
    expect(differing).toContain(TESTMOBILE);
    offers = report.offers;
    expect(offers.map((o) => o.upn).sort()).toEqual(differing);
    for (const o of offers) expect(o.recordedCloudValue, o.upn).toBe(entraBefore.get(o.upn));
    // The users whose cloud value was kept by an AD write: with the bypass on, restoring their old AD value
    // would let Cloud Sync's next run overwrite the kept value, so AD stays at it and undo says why.
    for (const k of keptInAd) {
      expect((await demo.directory.readUser(k.dn))?.mobile ?? null, k.upn).toBe(k.cloud);
      expect(report.notRestored.find((n) => n.upn === k.upn)?.message, k.upn).toMatch(/left at .*stays on/);
    }
    await nextProvisioningRun();
    for (const k of keptInAd) expect(entraOf(k.upn), k.upn).toBe(entraBefore.get(k.upn));
  }, 120_000);

  it('the restore plan writes the recorded values into AD, Cloud Sync\'s next run carries them, and turning the bypass off finishes: Entra ID back as recorded', async () => {
    const { plan: restore } = await h.call<{ plan: Plan }>('remediation.restorePlan', { sessionId, rowKeys: 'all' });
    // For the session's engine: Cloud Sync's next run carries the values, not a Connect cycle.
    expect(restore.syncEngine).toBe('cloud-sync');
    expect(restore.steps.filter((s) => s.kind === 'ad-write').map((s) => (s.kind === 'ad-write' ? s.upn : '')).sort()).toEqual(offers.map((o) => o.upn).sort());
    const { operationId } = await h.call<{ operationId: string }>('remediation.apply', { plan: restore, confirmUsers: affectedUserCount(restore) });
    const out = await finished(operationId);
    expect(out.state, out.message ?? '').toBe('completed');
    for (const o of offers) expect((await demo.directory.readUser(o.dn))?.mobile ?? null, o.upn).toBe(o.recordedCloudValue);
    await nextProvisioningRun();
    expect(entra()).toEqual(entraBefore);

    // "Turn the bypass off…" on the undone session: undo again, turning it off, which also restores the kept users' AD.
    const off = await h.call<{ operationId: string }>('remediation.undo', { sessionId, turnBypassOff: true });
    const report = await undone(off.operationId);
    expect(demo.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(report.restored).toContainEqual(expect.objectContaining({ side: 'tenant', value: 'false' }));
    expect(report.offers).toEqual([]);
    for (const k of keptInAd) expect((await demo.directory.readUser(k.dn))?.mobile ?? null, k.upn).toBe(k.adBefore);
    // Cloud Sync's next run changes nothing: the overrides hold again, and Entra ID stays as recorded.
    await nextProvisioningRun();
    expect(entra()).toEqual(entraBefore);
    // AD is as before but for the users the restore plan wrote their recorded cloud value into (the way back the plan offered).
    const offered = new Map(offers.map((o) => [o.dn, o.recordedCloudValue]));
    const expected = new Map([...adBefore].map(([dn, v]) => [dn, offered.has(dn) ? offered.get(dn)! : v]));
    expect(ad()).toEqual(expected);
  }, 180_000);
});
