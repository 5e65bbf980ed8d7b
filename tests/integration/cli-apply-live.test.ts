/**
 * A whole live `syncdrift apply --profile P` session from the CLI: a real Samba AD DC over LDAPS,
 * the sandbox tenant over HTTPS, the real msal-node device-code sign-in entered as the Global
 * Administrator, the preflight's live rescan, the tenant-wide bypass, the full sync cycle run by
 * "the admin on the Connect server" (the simulator reading Samba, writing the tenant) when the CLI
 * asks for it, verification, `sessions`, and `undo`. The field report is replayed on one user first.
 *
 * Every command goes through main() but apply, which goes through runApplyCommand with the CLI's own
 * wiring (cliRemediationDeps) plus an `ask`: main() asks a terminal's stdin, and the test is the admin
 * answering the CLI's questions (the confirmation, "Type done when the cycle has finished").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../main/cli/syncdrift';
import { runApplyCommand, type RemediationCommandIo } from '../../main/cli/remediation-commands';
import { cliRemediationDeps } from '../../main/cli/remediation-wiring';
import { DriftReport } from '../../main/core/model';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile } from '../../main/core/onprem-profile';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { TenantUser } from '../../main/sandbox/tenant-model';
import { startSandboxTenant, type SandboxTenant } from '../../main/sandbox/server';
import { createNodeNetwork, type NodeNetwork } from '../../main/cloud/network';
import { systemClock } from '../../main/core/ports';
import { sambaSkipReason, startSambaDc, userDn, type SambaDc, type TestUser } from '../support/samba';
import { enterDeviceCode } from '../support/cloud-sandbox';
import { helpdesk } from '../support/remediation-env';

const unavailable = sambaSkipReason();

// The cases share one DC and one tenant and run in order: each starts from what the one before left.
describe.skipIf(unavailable !== null)('syncdrift apply --profile: a live session on a Samba AD DC and the sandbox tenant over HTTPS', () => {
  let dir: string;
  let dc: SambaDc;
  let ldap: LdapDirectory;
  let tenant: TenantStore;
  let sync: SyncSimulator;
  let sb: SandboxTenant;
  let net: NodeNetwork;
  let env: Record<string, string>;
  /** Distinct users of OU=Staff with a mobile: [0] the field report's, [1] resume's, [2] the hand-edited plan's, [3] the late edit's. */
  let staff: TestUser[];
  let tm: TestUser;
  const deviceCodes: Promise<void>[] = [];

  const cloud = (u: TestUser): TenantUser => {
    const c = tenant.findByUpn(u.userPrincipalName);
    if (!c) throw new Error(`no cloud user ${u.userPrincipalName}`);
    return c;
  };
  /** An on-prem admin's edit (Set-ADUser), done as a compare-and-set write on the DC. */
  async function setMobile(u: TestUser, value: string | null): Promise<void> {
    const dn = userDn(u, dc.baseDn);
    const now = await ldap.readUser(dn);
    await ldap.writeMobile({ dn, expected: now?.mobile ?? null, next: value });
  }

  /** The admin at the browser: each device code the CLI prints on stderr is entered as the Global Administrator. */
  function io(out: { out: string; err: string }, isTTY: boolean): CliIO & RemediationCommandIo {
    return {
      stdout: { write: (s: string) => (out.out += s) },
      stderr: {
        write: (s: string) => {
          out.err += s;
          const m = /open the page (https:\/\/\S+) and enter the code (\S+) to authenticate/.exec(s);
          if (m) deviceCodes.push(enterDeviceCode(net, m[1]!, m[2]!, sb.users.globalAdmin));
          return true;
        },
      },
      env: { SYNCDRIFT_HOME: join(dir, 'home'), ...env },
      cwd: dir,
      isTTY,
    };
  }

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const r = { out: '', err: '' };
    const code = await main(argv, io(r, false));
    return { code, ...r };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-cli-apply-live-'));
    // Same name and size as the other Samba suites: the provisioned, loaded DC comes from the cache.
    dc = await startSambaDc({ name: 'ldap-it', users: 240 });
    const [source] = parseOnPremProfile({ url: dc.url, bindDn: dc.adminUpn, baseDn: dc.baseDn, caFile: dc.caFile });
    ldap = new LdapDirectory(source!, { getPassword: async () => dc.password });
    tenant = new TenantStore({ clock: systemClock, organization: { initialDomain: 'syncdrift-test.onmicrosoft.com' } });
    sync = new SyncSimulator(ldap, tenant, { server: 'SAMBA-SYNC01' });
    staff = dc.users.filter((x) => x.expectInScope && x.ou === 'Staff' && x.mobile).slice(0, 4);
    expect(staff).toHaveLength(4);
    tm = staff[0]!;
    // The field report: synced, then a help-desk edit in the cloud (a legacy override), then an AD change the next delta ignores.
    await setMobile(tm, '8035551212');
    await sync.runCycle('initial');
    expect(cloud(tm).mobilePhone).toBe('8035551212');
    tenant.legacyCloudEdit(cloud(tm).id, '1234567890', helpdesk);
    await setMobile(tm, '0987654321');
    const ignored = await sync.runCycle('delta');
    expect(ignored.ignoredDueToOverride.map((x) => x.upn.toLowerCase())).toContain(tm.userPrincipalName.toLowerCase());
    expect(cloud(tm).mobilePhone).toBe('1234567890');

    sb = await startSandboxTenant({ tenant, caDir: join(dir, 'ca') });
    net = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
    env = { SD_LDAP_PASSWORD: dc.password, NODE_EXTRA_CA_CERTS: sb.caFile! };
    writeFileSync(
      join(dir, 'samba.json'),
      JSON.stringify({
        name: 'Samba',
        onPrem: { url: dc.url, bindDn: dc.adminUpn, passwordEnv: 'SD_LDAP_PASSWORD', baseDn: dc.baseDn, caFile: dc.caFile, sourceAnchor: 'mS-DS-ConsistencyGuid' },
        cloud: { environment: 'sandbox', tenantId: sb.tenantId, clientId: sb.apps.workbench.appId, auth: { type: 'deviceCode' }, authorityHost: sb.origin, graphBaseUrl: sb.origin },
        defaultRegion: 'US',
      }),
    );
  }, 600_000);
  afterAll(async () => {
    await Promise.allSettled(deviceCodes);
    await net?.close();
    await sb?.close();
    await ldap?.close();
    await dc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scans, plans keep-onprem via the bypass, applies with the live rescan and the admin\u2019s cycle, lists the session and undoes it', async () => {
    const ws = ['--workspace', 'ws.db'];
    const scan = await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--out', 'report.json', ...ws]);
    expect(scan.code, scan.err).toBe(0);
    const report = DriftReport.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
    const row = report.rows.find((r) => r.upn.toLowerCase() === tm.userPrincipalName.toLowerCase());
    expect(row).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890', changedBy: 'helpdesk@fortmillems.org' } });

    const plan = await run(['plan', '--report', 'report.json', '--decide', 'cloud-override=keep-onprem', '--users', tm.userPrincipalName, '--connect-server', 'SAMBA-SYNC01', '--out', 'plan.json', ...ws]);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.err).toContain('BLAST RADIUS');

    // The admin confirms on a terminal, and plays the Connect server's admin when asked for the full cycle.
    const asked: string[] = [];
    let cycles = 0;
    const ask = async (q: string): Promise<string> => {
      asked.push(q);
      if (/Type "yes"/.test(q)) return 'yes';
      if (/Type "done" when the cycle has finished/.test(q)) {
        // The bypass is on by now: the cycle the admin runs on the Connect server pushes AD's value.
        expect(tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
        await sync.runCycle('initial');
        cycles++;
        return 'done';
      }
      return 'no';
    };
    const applied = { out: '', err: '' };
    const code = await runApplyCommand(['plan.json', '--profile', 'samba.json', ...ws], io(applied, true), { ...cliRemediationDeps(), ask });
    expect(code, applied.err + applied.out).toBe(0);
    expect(asked[0]).toMatch(/Apply 0 write\(s\) and turn on the tenant-wide bypass \(\d+ user\(s\) affected\)\? Type "yes"/);
    expect(cycles).toBe(1);
    expect(applied.err).toMatch(/To sign in, use a web browser to open the page https:\/\/\S+ and enter the code/);
    expect(applied.err).toContain('Run the full sync cycle now:');
    // The preflight's rescan read the DC and the tenant again.
    expect(applied.err).toMatch(new RegExp(`^  onprem:${ldap.describe().id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+`, 'm'));
    expect(applied.err).toMatch(/^ {2}cloud: \d+/m);
    expect(applied.err).toMatch(/A fresh scan found \d+ user\(s\) in the blast radius \(the plan lists \d+\)/);
    expect(applied.out).toMatch(new RegExp(`fixed\\s+${tm.userPrincipalName.replace(/[.]/g, '\\.')}: AD 0987654321, cloud 0987654321`, 'i'));
    expect(cloud(tm).mobilePhone).toBe('0987654321');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('0987654321');

    const sessions = await run(['sessions', '--json', ...ws]);
    expect(sessions.code).toBe(0);
    const list = JSON.parse(sessions.out) as Array<{ id: string; state: string; profile: string }>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ state: 'completed', profile: 'Samba' });

    // Undo of a bypass session: the value the bypass + cycle erased can come back only as an AD write, the bypass stays on.
    const undo = await run(['undo', list[0]!.id, '--profile', 'samba.json', '--yes', '--restore-out', 'restore.json', ...ws]);
    expect(undo.code, undo.err + undo.out).toBe(7);
    expect(undo.out).toContain('can come back only as AD writes');
    expect(undo.out).toContain('note: BypassDirSyncOverrides left on (this session turned it on)');
    expect(undo.err).toContain('Wrote the restore plan (AD writes)');
    expect(tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(cloud(tm).mobilePhone).toBe('0987654321');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('0987654321');
    // The restore plan is a signed plan of AD writes bringing the help-desk value back, applied by the admin if wanted.
    const restore = readFileSync(join(dir, 'restore.json'), 'utf8');
    expect(restore).toContain('1234567890');
    const restoreAsked: string[] = [];
    const restored = { out: '', err: '' };
    const restoreCode = await runApplyCommand(['restore.json', '--profile', 'samba.json', ...ws], io(restored, true), {
      ...cliRemediationDeps(),
      ask: async (q) => (restoreAsked.push(q), /Type "yes"/.test(q) ? 'yes' : 'no'),
    });
    expect(restoreCode, restored.err + restored.out).toBe(0);
    expect(restoreAsked).toEqual(['Apply 1 write(s)? Type "yes": ']);
    // It says what it did: one AD write, the cloud following on the next cycle (not "0 row(s) verified").
    expect(restored.out).toMatch(/completed - Done: 1 AD write\(s\) made \(compare-and-set\); Entra ID gets them with the next sync cycle/);
    expect(restored.out).toContain('Writes: AD 1, Graph 0, bypass 0, cycles 0');
    expect((await ldap.readUser(userDn(tm, dc.baseDn)))?.mobile).toBe('1234567890');
    await sync.runCycle('delta');
    expect(cloud(tm).mobilePhone).toBe('1234567890');
    const after = JSON.parse((await run(['sessions', '--json', ...ws])).out) as Array<{ id: string; state: string }>;
    expect(after).toHaveLength(2);
    expect(after.find((x) => x.id === list[0]!.id)?.state).toBe('undo-partial');
    expect(after.find((x) => x.id !== list[0]!.id)?.state).toBe('completed');

    // Turning the bypass off is the admin's explicit choice: undo again with --turn-bypass-off (through Graph, as the Global Administrator).
    const off = await run(['undo', list[0]!.id, '--profile', 'samba.json', '--yes', '--turn-bypass-off', ...ws]);
    // Still undo-partial: AlternateMobilePhones the bypass pushed cannot be restored (Graph cannot read it).
    expect(off.code, off.err + off.out).toBe(7);
    expect(off.out).toContain('restored tenant: BypassDirSyncOverrides turned off again (this session had turned it on).');
    expect(off.out).not.toContain(`NOT restored ${tm.userPrincipalName}`);
    expect(tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
  }, 180_000);

  it('stops at the cycle when the admin has not run it yet (exit 7), and `resume --cycle-done` finishes it after the cycle ran', async () => {
    const ws = ['--workspace', 'later.db'];
    // The same field report on another user, with the bypass off again.
    expect(tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    const u = staff[1]!;
    await setMobile(u, '8035551313');
    await sync.runCycle('delta');
    tenant.legacyCloudEdit(cloud(u).id, '1234567899', helpdesk);
    await setMobile(u, '0987654329');
    expect((await sync.runCycle('delta')).ignoredDueToOverride.map((x) => x.upn.toLowerCase())).toContain(u.userPrincipalName.toLowerCase());
    expect((await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--out', 'later-report.json', ...ws])).code).toBe(0);
    const plan = await run(['plan', '--report', 'later-report.json', '--decide', 'cloud-override=keep-onprem', '--users', u.userPrincipalName, '--connect-server', 'SAMBA-SYNC01', '--out', 'later.json', ...ws]);
    expect(plan.code, plan.err).toBe(0);

    const r = { out: '', err: '' };
    const code = await runApplyCommand(['later.json', '--profile', 'samba.json', ...ws], io(r, true), { ...cliRemediationDeps(), ask: async (q) => (/Type "yes"/.test(q) ? 'yes' : 'later') });
    expect(code, r.err + r.out).toBe(7);
    expect(tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(cloud(u).mobilePhone).toBe('1234567899');
    const [s] = JSON.parse((await run(['sessions', '--json', ...ws])).out) as Array<{ id: string; state: string }>;
    expect(s?.state).toBe('awaiting-cycle');
    expect(r.out).toContain(`syncdrift resume ${s!.id}`);

    // The admin ran the cycle on the Connect server, then resumes from a script (no terminal): --cycle-done.
    await sync.runCycle('initial');
    const resumed = await run(['resume', s!.id, '--profile', 'samba.json', '--cycle-done', ...ws]);
    expect(resumed.code, resumed.err + resumed.out).toBe(0);
    expect(resumed.out).toMatch(new RegExp(`fixed\\s+${u.userPrincipalName.replace(/[.]/g, '\\.')}: AD 0987654329, cloud 0987654329`, 'i'));
    expect(cloud(u).mobilePhone).toBe('0987654329');
    expect((JSON.parse((await run(['sessions', '--json', ...ws])).out) as Array<{ state: string }>)[0]?.state).toBe('completed');
  }, 180_000);

  it('refuses a hand-edited plan before any sign-in or write', async () => {
    const ws = ['--workspace', 'edited.db'];
    // Another help-desk edit: a fresh override to plan for.
    const other = staff[2]!;
    tenant.legacyCloudEdit(cloud(other).id, '+1 425 555 0142', helpdesk);
    const before = { cloud: cloud(other).mobilePhone, bypass: tenant.features.bypassDirSyncOverridesEnabled };
    expect((await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--out', 'edited-report.json', ...ws])).code).toBe(0);
    // Written whether or not it is ready to apply: the integrity check comes first either way.
    expect((await run(['plan', '--report', 'edited-report.json', '--decide', 'cloud-override=keep-onprem', '--users', other.userPrincipalName, '--out', 'edited.json', ...ws])).err).toContain('Wrote ');
    // Somebody changes the planned cloud value on the way (a ticket, a shared folder).
    const text = readFileSync(join(dir, 'edited.json'), 'utf8');
    const edited = text.replace('"+1 425 555 0142"', '"+1 425 555 0199"');
    expect(edited).not.toBe(text);
    writeFileSync(join(dir, 'edited.json'), edited);
    const codesBefore = deviceCodes.length;
    const r = { out: '', err: '' };
    const asked: string[] = [];
    const code = await runApplyCommand(['edited.json', '--profile', 'samba.json', '--yes', '--cycle-done', ...ws], io(r, true), { ...cliRemediationDeps(), ask: async (q) => (asked.push(q), 'yes') });
    expect(code).toBe(2);
    expect(r.err).toMatch(/syncdrift: edited\.json: was changed after syncdrift plan wrote it/);
    expect(r.err).not.toContain('To sign in');
    expect(deviceCodes.length).toBe(codesBefore);
    expect({ cloud: cloud(other).mobilePhone, bypass: tenant.features.bypassDirSyncOverridesEnabled }).toEqual(before);
    expect(asked).toEqual([]);
    expect(JSON.parse((await run(['sessions', '--json', ...ws])).out)).toEqual([]);
  }, 120_000);

  it('refuses the apply when the preflight’s live rescan finds drift the plan does not list (a help-desk edit after the plan)', async () => {
    const ws = ['--workspace', 'late.db'];
    expect((await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--out', 'late-report.json', ...ws])).code).toBe(0);
    const plan = await run(['plan', '--report', 'late-report.json', '--decide', 'cloud-override=keep-onprem', '--out', 'late.json', ...ws]);
    expect(plan.code, plan.err).toBe(0);
    // After the plan: the help desk edits one more synced user in the cloud. The bypass would overwrite it unseen.
    const late = staff[3]!;
    const was = cloud(late).mobilePhone;
    tenant.legacyCloudEdit(cloud(late).id, '+1 425 555 0177', helpdesk);
    const r = { out: '', err: '' };
    const code = await runApplyCommand(['late.json', '--profile', 'samba.json', '--yes', '--cycle-done', ...ws], io(r, true), { ...cliRemediationDeps(), ask: async () => 'no' });
    expect(code, r.err + r.out).toBe(8);
    expect(r.err).toMatch(/^ {2}onprem:\S+: \d+/m);
    expect(r.err).toContain(late.userPrincipalName.toLowerCase());
    expect(r.err).toMatch(/now differs \(cloud-override: AD "[^"]+", cloud "\+1 425 555 0177"\) and the bypass would change it, but the plan does not list it/);
    expect(r.out).toContain('Preflight failed: nothing was written.');
    expect(cloud(late).mobilePhone).toBe('+1 425 555 0177');
    expect(was).not.toBe('+1 425 555 0177');
    expect(JSON.parse((await run(['sessions', '--json', ...ws])).out)).toEqual([]);
  }, 120_000);
});
