/**
 * End to end on a real Samba AD DC through the LDAP adapter: the field report replayed with the
 * sync simulator reading the DC, then (a) keep-onprem via bypass + initial cycle and (b) keep-cloud
 * written into AD by compare-and-set, and its undo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../main/core/model';
import { systemClock } from '../../main/core/ports';
import { pagesOf, runScan } from '../../main/drift/pipeline';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile } from '../../main/core/onprem-profile';
import { buildPlan, decideBulk, RemediationEngine, sandboxCloudPort } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { TenantUser } from '../../main/sandbox/tenant-model';
import { sambaSkipReason, startSambaDc, userDn, type SambaDc, type TestUser } from '../support/samba';
import { admin, cloudUserOf, helpdesk } from '../support/remediation-env';
import { FAST } from '../support/remediation-engine';

const unavailable = sambaSkipReason();

describe.skipIf(unavailable !== null)('remediation end to end on a Samba AD DC', () => {
  let dc: SambaDc;
  let ldap: LdapDirectory;
  let tmp: string;

  beforeAll(async () => {
    // Same name and size as the LDAP adapter suite: the provisioned, loaded DC comes from the cache.
    dc = await startSambaDc({ name: 'ldap-it', users: 240 });
    const [source] = parseOnPremProfile({ url: dc.url, bindDn: dc.adminUpn, baseDn: dc.baseDn, caFile: dc.caFile });
    ldap = new LdapDirectory(source!, { getPassword: async () => dc.password });
    tmp = mkdtempSync(join(tmpdir(), 'sd-rem-samba-'));
  });
  afterAll(async () => {
    await ldap?.close();
    await dc?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const pick = (n: number): TestUser => {
    const u = dc.users.filter((x) => x.expectInScope && x.ou === 'Staff')[n];
    if (!u) throw new Error('not enough generated users');
    return u;
  };
  /** An on-prem admin's edit (Set-ADUser), done as a compare-and-set write on the DC. */
  async function setMobile(u: TestUser, value: string | null): Promise<void> {
    const dn = userDn(u, dc.baseDn);
    const now = await ldap.readUser(dn);
    await ldap.writeMobile({ dn, expected: now?.mobile ?? null, next: value });
  }

  interface World {
    tenant: TenantStore;
    sync: SyncSimulator;
    cloud(u: TestUser): TenantUser;
    scan(): Promise<DriftReport>;
  }

  /** The field report for `case_`, plus `empty` left with a cloud value and an empty AD mobile. */
  async function replay(case_: TestUser, empty: TestUser | null): Promise<World> {
    const tenant = new TenantStore({ clock: systemClock, organization: { initialDomain: 'syncdrift.onmicrosoft.com' } });
    const sync = new SyncSimulator(ldap, tenant, { server: 'SD-SYNC01' });
    const cloud = (u: TestUser) => {
      const c = tenant.findByUpn(u.userPrincipalName);
      if (!c) throw new Error(`no cloud user ${u.userPrincipalName}`);
      return c;
    };
    await setMobile(case_, '8035551212');
    if (empty) await setMobile(empty, null);
    await sync.runCycle('initial');
    expect(cloud(case_).mobilePhone).toBe('8035551212');
    await setMobile(case_, '9991112222');
    await sync.runCycle('delta');
    expect(cloud(case_).mobilePhone).toBe('9991112222');
    tenant.legacyCloudEdit(cloud(case_).id, '1234567890', helpdesk);
    if (empty) tenant.legacyCloudEdit(cloud(empty).id, '+1 425 555 0111', helpdesk);
    await setMobile(case_, '0987654321');
    const ignored = await sync.runCycle('delta');
    expect(ignored.ignoredDueToOverride.map((x) => x.upn.toLowerCase())).toContain(case_.userPrincipalName.toLowerCase());
    expect(cloud(case_).mobilePhone).toBe('1234567890');
    const scan = async () => {
      const users = [...tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled !== null).map((u) => cloudUserOf(tenant, u));
      return (await runScan({ onPrem: [ldap], cloudUsers: pagesOf([users]), profileName: 'samba', defaultRegion: 'US' })).report;
    };
    return { tenant, sync, cloud, scan };
  }

  const engineFor = (w: World, file: string) =>
    new RemediationEngine({
      journal: workspaceJournalAt(file),
      onPrem: () => ldap,
      cloud: sandboxCloudPort(w.tenant, { actor: admin }),
      runSyncCycle: async (_p, o) => ({ summary: `${(await w.sync.runCycle('initial', o)).exported} exported` }),
      timing: { ...FAST, verifyTimeoutMs: 10_000 },
    });

  it('(a) keep-onprem via the bypass and an initial cycle: both sides 0987654321, the AD-empty neighbour cleared', async () => {
    const tm = pick(0);
    const empty = pick(1);
    const w = await replay(tm, empty);
    const report = await w.scan();
    const row = (u: TestUser) => report.rows.find((r) => r.upn.toLowerCase() === u.userPrincipalName.toLowerCase());
    expect(row(tm)?.status).toBe('cloud-override');
    expect(row(empty)?.status).toBe('onprem-missing');
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [tm.userPrincipalName], others: { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' } });
    const plan = buildPlan(report, decisions, { selected, connectServer: 'SD-SYNC01' });
    expect(plan.blastRadius.map((b) => b.upn.toLowerCase()).sort()).toEqual([tm.userPrincipalName, empty.userPrincipalName].map((x) => x.toLowerCase()).sort());
    expect(plan.blastRadius.find((b) => b.status === 'onprem-missing')?.effect).toContain('cloud value will be cleared');

    const engine = engineFor(w, join(tmp, 'a.db'));
    const out = await engine.apply(plan);
    expect(out.state, out.message ?? '').toBe('completed');
    expect(w.cloud(tm).mobilePhone).toBe('0987654321');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('0987654321');
    expect(w.cloud(empty).mobilePhone).toBeNull();
  });

  it('(b) keep-cloud writes 1234567890 into AD through LDAP compare-and-set; undo restores 0987654321', async () => {
    const tm = pick(2);
    const w = await replay(tm, null);
    const report = await w.scan();
    const key = report.rows.find((r) => r.upn.toLowerCase() === tm.userPrincipalName.toLowerCase())?.key;
    expect(key).toBeTruthy();
    const plan = buildPlan(report, [{ rowKey: key!, action: 'keep-cloud' }]);
    const engine = engineFor(w, join(tmp, 'b.db'));
    const out = await engine.apply(plan);
    expect(out.state, out.message ?? '').toBe('completed');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('1234567890');
    expect(w.cloud(tm).mobilePhone).toBe('1234567890');
    const undo = await engine.undo(out.sessionId);
    expect(undo.state).toBe('undone');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('0987654321');
  });
});
