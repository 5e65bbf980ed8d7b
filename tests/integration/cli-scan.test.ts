/**
 * `syncdrift scan` end to end against a real Samba AD DC and the sandbox tenant over HTTPS (real
 * msal-node, client secret), `syncdrift import` on exports of the same data (ldapsearch LDIF, raw
 * Graph /users pages) with identical verdicts, a DC that is down (exit 3), and `syncdrift demo`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../main/cli/syncdrift';
import { DriftReport } from '../../main/core/model';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile } from '../../main/core/onprem-profile';
import { EXPORT_ATTRIBUTES } from '../../main/onprem/import/export-kit';
import { SyncSimulator } from '../../main/sandbox/sync';
import { connectExports, mobileAfterRules, type SandboxSyncRule } from '../../main/sandbox/connect-rules';
import { liveRescan } from '../../main/cli/remediation-wiring';
import { buildPlan } from '../../main/remediation';
import { loadProfile, toCloudClientProfile } from '../../main/core/profile';
import { createCloudClient } from '../../main/cloud';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import type { OnPremUser } from '../../main/core/model';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { startSandboxTenant, type SandboxTenant } from '../../main/sandbox/server';
import { createNodeNetwork } from '../../main/cloud/network';
import { USER_SELECT } from '../../main/cloud/readers';
import { sambaSkipReason, startSambaDc, type SambaDc } from '../support/samba';

const unavailable = sambaSkipReason();

let dir: string;

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { SYNCDRIFT_HOME: join(dir, 'home'), ...env }, cwd: dir, isTTY: false };
  return { code: await main(argv, io), out, err };
}

const verdicts = (r: DriftReport) => Object.fromEntries(r.rows.map((x) => [x.key, x.status]));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdrift-cli-it-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('syncdrift demo', () => {
  it('scans the sandbox demo without arguments or credentials', async () => {
    const r = await run(['demo', '--format', 'json', '--all', '--no-save'], {});
    expect(r.err).not.toMatch(/syncdrift:/);
    expect(r.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(r.out));
    const statuses = new Set(report.rows.map((x) => x.status));
    for (const s of ['in-sync', 'format-only', 'cloud-override', 'onprem-missing', 'cloud-missing', 'unmatched-onprem']) expect(statuses, s).toContain(s);
    expect(report.rows.find((x) => x.upn.startsWith('testmobile@'))?.status).toBe('cloud-override');
    expect(report.rows.some((x) => x.cloud?.changeState === 'known')).toBe(true);
  });
});

describe.skipIf(unavailable !== null)('syncdrift scan and import (Samba AD DC + sandbox tenant)', () => {
  let dc: SambaDc;
  let sb: SandboxTenant;
  let env: Record<string, string>;
  const edited: string[] = [];

  beforeAll(async () => {
    dc = await startSambaDc({ name: 'ldap-it', users: 240 });
    const [source] = parseOnPremProfile({ url: dc.url, bindDn: dc.adminUpn, baseDn: dc.baseDn, caFile: dc.caFile });
    const ldap = new LdapDirectory(source!, { getPassword: async () => dc.password });
    const tenant = new TenantStore({ organization: { initialDomain: 'syncdrift-test.onmicrosoft.com' } });
    await new SyncSimulator(ldap, tenant, { server: 'SAMBA-SYNC01' }).runCycle('initial');
    await ldap.close();
    // Two help-desk edits from before 2025 (overrides): one other number, one cleared.
    const helpdesk: AuditActor = { kind: 'user', id: '0b8f9d1e-2222-4333-8444-955566677788', userPrincipalName: 'helpdesk@syncdrift.test' };
    const withMobile = dc.users.filter((u) => u.expectInScope && u.mobile && u.ou === 'Staff');
    for (const [u, value] of [
      [withMobile[0]!, '+1 425 555 0999'],
      [withMobile[1]!, null],
    ] as const) {
      const cloud = tenant.findByUpn(u.userPrincipalName)!;
      tenant.legacyCloudEdit(cloud.id, value, helpdesk);
      edited.push(u.userPrincipalName.toLowerCase());
    }
    sb = await startSandboxTenant({ tenant, caDir: join(dir, 'ca') });
    env = { SD_LDAP_PASSWORD: dc.password, SD_CLIENT_SECRET: sb.apps.reader.clientSecret!, NODE_EXTRA_CA_CERTS: sb.caFile! };
    const profile = (url: string) => ({
      name: 'Samba',
      onPrem: { url, bindDn: dc.adminUpn, passwordEnv: 'SD_LDAP_PASSWORD', baseDn: dc.baseDn, caFile: dc.caFile, sourceAnchor: 'mS-DS-ConsistencyGuid' },
      cloud: { environment: 'sandbox', tenantId: sb.tenantId, clientId: sb.apps.reader.appId, auth: { type: 'clientSecret', secretEnv: 'SD_CLIENT_SECRET' }, authorityHost: sb.origin, graphBaseUrl: sb.origin },
      defaultRegion: 'US',
    });
    writeFileSync(join(dir, 'samba.json'), JSON.stringify(profile(dc.url)));
    writeFileSync(join(dir, 'down.json'), JSON.stringify({ ...profile(dc.url), onPrem: { ...profile(dc.url).onPrem, url: `ldaps://${dc.host}:1` } }));
  }, 600_000);
  afterAll(async () => {
    await sb?.close();
    await dc?.stop();
  });

  it('scans live and gives the same verdicts from the exports of the same data', async () => {
    const live = await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--workspace', 'ws.db'], env);
    expect(live.err).not.toMatch(/syncdrift:/);
    expect(live.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(live.out));
    const byUpn = Object.fromEntries(report.rows.map((x) => [x.upn.toLowerCase(), x]));
    expect(byUpn[edited[0]!]?.status).toBe('cloud-override');
    expect(byUpn[edited[0]!]?.cloud?.changedBy).toBe('helpdesk@syncdrift.test');
    expect(byUpn[edited[1]!]?.status).toBe('cloud-missing');
    expect(report.summary.byStatus['in-sync']).toBeGreaterThan(100);

    // The customer's exports: ldapsearch LDIF (binary values Base64) and raw Graph /users pages.
    const ldif = execFileSync(
      'ldapsearch',
      ['-LLL', '-H', dc.url, '-x', '-D', dc.adminUpn, '-w', dc.password, '-b', dc.baseDn, '-E', 'pr=500/noprompt', '(&(objectCategory=person)(objectClass=user))', ...EXPORT_ATTRIBUTES],
      { env: { ...process.env, LDAPTLS_CACERT: dc.caFile }, maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(join(dir, 'users.ldf'), ldif);
    const net = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
    const tok = (await (
      await net.fetch(`${sb.authority}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sb.apps.reader.appId, client_secret: sb.apps.reader.clientSecret!, scope: sb.graphScope }).toString(),
      })
    ).json()) as { access_token: string };
    const pages: unknown[] = [];
    let next: string | undefined = `${sb.graphBaseUrl}/users?$select=${USER_SELECT.join(',')}&$top=100`;
    while (next) {
      const page = (await (await net.fetch(next, { headers: { authorization: `Bearer ${tok.access_token}` } })).json()) as { '@odata.nextLink'?: string };
      pages.push(page);
      next = page['@odata.nextLink'];
    }
    await net.close();
    writeFileSync(join(dir, 'users.json'), JSON.stringify(pages));

    const offline = await run(['import', '--ldif', 'users.ldf', '--graph-json', 'users.json', '--profile', 'samba.json', '--format', 'json', '--all', '--no-save'], env);
    expect(offline.err).not.toMatch(/syncdrift:/);
    expect(offline.code).toBe(0);
    const imported = DriftReport.parse(JSON.parse(offline.out));
    // The LDIF's source id is the profile's: keys line up one to one.
    expect(verdicts(imported)).toEqual(verdicts(report));
  });

  it('reads AD otherMobile over LDAP into the row, each value normalized, the cloud side said to be unreadable (#17 point 11)', async () => {
    const live = await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--no-save'], env);
    expect(live.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(live.out));
    const zoe = report.rows.find((x) => x.onPrem?.samAccountName === 'zoe.obrien');
    expect(zoe?.status).toBe('in-sync');
    expect(zoe?.otherMobile?.onPrem.slice().sort()).toEqual(['+353 86 000 0001', '+353 86 000 0002']);
    expect(zoe?.otherMobile?.normalized.slice().sort()).toEqual(['+353860000001', '+353860000002']);
    // The DC's replication metadata for otherMobile itself, not whenChanged.
    expect(zoe?.otherMobile?.changedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(zoe?.otherMobile).toMatchObject({ cloud: 'not-readable', verdict: 'bypass-pushes' });
    expect(zoe?.flags).toContain('othermobile-unverifiable');
    // The sandbox tenant holds the synced AlternateMobilePhones, and its Graph refuses to select it, as Graph does.
    const net = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
    const tok = (await (
      await net.fetch(`${sb.authority}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sb.apps.reader.appId, client_secret: sb.apps.reader.clientSecret!, scope: sb.graphScope }).toString(),
      })
    ).json()) as { access_token: string };
    const res = await net.fetch(`${sb.graphBaseUrl}/users/${zoe!.cloud!.id}?$select=id,alternateMobilePhones`, { headers: { authorization: `Bearer ${tok.access_token}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/alternateMobilePhones/);
    await net.close();
    expect(sb.tenant.getUser(zoe!.cloud!.id)?.alternateMobilePhones.slice().sort()).toEqual(['+353 86 000 0001', '+353 86 000 0002']);
  });

  it('joins the Entra Connect exports to a live scan (`scan --connect-export`), and takes them back unchanged on the next run (#18)', async () => {
    const first = DriftReport.parse(JSON.parse((await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--no-save'], env)).out));
    // What the engine exported: AD's value for every user (no custom rule), so the help-desk edits are confirmed overrides.
    const ex = connectExports({
      entries: first.rows.filter((r) => r.onPrem?.sourceAnchor).map((r) => ({ anchor: r.onPrem!.sourceAnchor!, dn: r.onPrem!.dn, mobile: r.onPrem!.value, otherMobile: r.onPrem!.otherMobile ?? [], cloudId: r.cloud?.id ?? null })),
      rules: [],
      adConnector: dc.host,
      lastExportAt: new Date(Date.now() - 600_000).toISOString(),
    });
    writeFileSync(join(dir, 'cs.xml'), ex.connectorSpaceXml);
    writeFileSync(join(dir, 'rules.json'), ex.rulesJson);
    const argv = ['scan', '--profile', 'samba.json', '--connect-export', 'cs.xml', '--connect-export', 'rules.json', '--format', 'json', '--all', '--workspace', 'engine.db'];
    const live = await run(argv, env);
    expect(live.err).not.toMatch(/syncdrift:/);
    expect(live.code).toBe(0);
    expect(live.err).toMatch(/Connect exports: \d+ Entra ID connector user\(s\)/);
    const report = DriftReport.parse(JSON.parse(live.out));
    const stuck = report.rows.find((x) => x.upn.toLowerCase() === edited[0]);
    expect(stuck).toMatchObject({ status: 'cloud-override', flags: expect.arrayContaining(['override-confirmed']) });
    expect(stuck?.engine?.evidence[0]).toMatchObject({ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: expect.any(Number) });
    expect(report.rows.filter((x) => x.status === 'in-sync').every((x) => x.engine?.state === 'exported')).toBe(true);

    const again = await run(argv, env);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/Connect exports: unchanged since they were read at .*, taken from .*engine\.db/);
    expect(verdicts(DriftReport.parse(JSON.parse(again.out)))).toEqual(verdicts(report));
  });

  it('apply\u2019s preflight rescan joins the kept Connect read: a user a sync rule reformats is not new blast-radius drift (#18)', async () => {
    const first = DriftReport.parse(JSON.parse((await run(['scan', '--profile', 'samba.json', '--format', 'json', '--all', '--no-save'], env)).out));
    // One in-sync user whose mobile a custom rule writes in E.164, as Entra ID then holds it.
    // A plain North American number written with spaces (no extension: the rule's E.164 would keep it).
    const u = first.rows.find((r) => r.status === 'in-sync' && /^\+1 \d{3} \d{3} \d{4}$/.test(r.onPrem?.value ?? '') && r.cloud)!;
    expect(u).toBeDefined();
    const rules: SandboxSyncRule[] = [{ name: 'Custom - Mobile E.164 (one user)', precedence: 50, connector: dc.host, dnSuffix: u.onPrem!.dn, transform: { kind: 'e164', countryCode: '1' } }];
    const ex = connectExports({
      entries: first.rows
        .filter((r) => r.onPrem?.sourceAnchor)
        .map((r) => ({ anchor: r.onPrem!.sourceAnchor!, dn: r.onPrem!.dn, mobile: mobileAfterRules(rules, { dn: r.onPrem!.dn, mobile: r.onPrem!.value } as OnPremUser), otherMobile: r.onPrem!.otherMobile ?? [], cloudId: r.cloud?.id ?? null })),
      rules,
      adConnector: dc.host,
      lastExportAt: new Date(Date.now() - 600_000).toISOString(),
    });
    const e164 = mobileAfterRules(rules, { dn: u.onPrem!.dn, mobile: u.onPrem!.value } as OnPremUser)!;
    expect(e164).toMatch(/^\+1\d{10}$/);
    sb.tenant.legacyCloudEdit(u.cloud!.id, e164, { kind: 'user', id: '0b8f9d1e-2222-4333-8444-955566677788', userPrincipalName: 'helpdesk@syncdrift.test' });
    writeFileSync(join(dir, 'rule-cs.xml'), ex.connectorSpaceXml);
    writeFileSync(join(dir, 'rule-rules.json'), ex.rulesJson);
    const scanned = await run(['scan', '--profile', 'samba.json', '--connect-export', 'rule-cs.xml', '--connect-export', 'rule-rules.json', '--format', 'json', '--all', '--workspace', 'rescan.db'], env);
    expect(scanned.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(scanned.out));
    expect(report.rows.find((r) => r.key === u.key)?.status).toBe('rule-formatted');
    // The plan: keep AD's value for the help-desk edit, which needs the tenant-wide bypass.
    const stuck = report.rows.find((r) => r.upn.toLowerCase() === edited[0])!;
    const decisions = [{ rowKey: stuck.key, action: 'keep-onprem' as const }];
    const plan = buildPlan(report, decisions, { selected: [stuck.key] });
    expect(plan.needsBypass).toBe(true);
    expect(plan.blastRadius.map((b) => b.rowKey)).not.toContain(u.key);

    const profile = await loadProfile(join(dir, 'samba.json'));
    const [source] = profile.onPrem;
    const ldap = new LdapDirectory(source!, { getPassword: async () => dc.password });
    const network = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
    const client = createCloudClient({ profileCloud: toCloudClientProfile(profile.cloud), network, logger: silentLogger, clock: systemClock, secrets: { getClientSecret: async () => sb.apps.reader.clientSecret! } });
    await client.signIn({ flow: 'client-credentials' });
    try {
      const said: string[] = [];
      const rescan = (workspaceFile: string) => liveRescan({ profile, directories: [ldap], client, workspaceFile, connectExports: [], clock: systemClock, say: (l) => said.push(l) });
      const phases = new Set<string>();
      const fresh = await rescan(join(dir, 'rescan.db'))({ onProgress: (e) => phases.add(e.phase) });
      // apply prints the rescan's progress (throttled): the directories' reads show.
      expect([...phases]).toEqual(expect.arrayContaining([`onprem:${ldap.describe().id}`, 'cloud', 'drift']));
      expect(said.join('\n')).toMatch(/The rescan joins the Connect exports read at .*rule-cs\.xml, .*rule-rules\.json\), unchanged since/);
      expect(fresh.rows.find((r) => r.key === u.key)?.status).toBe('rule-formatted');
      expect(buildPlan(fresh, decisions, { selected: [stuck.key] }).blastRadius.map((b) => b.rowKey)).not.toContain(u.key);
      // Without the engine's view (what the rescan did before): the same user is new drift the bypass would change.
      const blind = await rescan(join(dir, 'no-engine.db'))({});
      expect(blind.rows.find((r) => r.key === u.key)?.status).toBe('format-only');
      expect(buildPlan(blind, decisions, { selected: [stuck.key] }).blastRadius.map((b) => b.rowKey)).toContain(u.key);
    } finally {
      await ldap.close();
      await network.close();
    }
  });

  it('exits 3 when the DC is down, naming it', async () => {
    const r = await run(['scan', '--profile', 'down.json', '--no-save'], env);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(new RegExp(dc.host.replace(/\./g, '\\.')));
  });
});
