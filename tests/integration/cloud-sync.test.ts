/**
 * Cloud Sync over HTTPS with real msal-node (#18): the sandbox tenant in Cloud Sync mode serves the
 * provisioning job, its schema (an expression mapping that writes mobile in E.164 for the French
 * users), the provisioning logs the sync simulator writes as it provisions, and provisionOnDemand.
 * The product's readers (main/cloud/cloud-sync.ts) read them through CloudClient; a missing
 * permission is a typed error naming the permission.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudClient } from '../../main/cloud';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { cloudSyncOf } from '../../main/sandbox/cloud-sync';
import { cloudSyncCyclePort } from '../../main/remediation/ports';
import { CLOUD_SYNC_RESTART_BODY } from '../../main/cloud/cloud-sync';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../main/cli/syncdrift';
import type { ScanSources } from '../../main/cli/context';
import { DriftReport } from '../../main/core/model';
import { startCloudSandbox, type CloudSandbox } from '../support/cloud-sandbox';
import { rescanEngineView } from '../../main/cli/remediation-wiring';
import type { Profile } from '../../main/core/profile';

const BASE = 'DC=corp,DC=contoso,DC=com';
const person = (cn: string, ou: string, guid: string, mobile: string, c: string) => `dn: CN=${cn},OU=${ou},${BASE}
objectClass: user
sAMAccountName: ${cn.toLowerCase().replace(/ /g, '.')}
userPrincipalName: ${cn.toLowerCase().replace(/ /g, '.')}@contoso.com
displayName: ${cn}
objectGUID: ${guid}
mobile: ${mobile}
c: ${c}
`;
const CLOUD_SYNC_LDIF = `version: 1

${person('Paris One', 'Paris', '2b3c4d5e-0000-4000-8000-000000000001', '06 12 34 56 01', 'FR')}
${person('Paris Two', 'Paris', '2b3c4d5e-0000-4000-8000-000000000002', '06 12 34 56 02', 'FR')}
${person('Seattle One', 'Seattle', '2b3c4d5e-0000-4000-8000-000000000003', '+1 425 555 0103', 'US')}
${person('Stuck User', 'Seattle', '2b3c4d5e-0000-4000-8000-000000000004', '+1 425 555 0104', 'US')}
`;
const helpdesk: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@contoso.com', displayName: 'Help Desk' };

let env: CloudSandbox;
let sync: SyncSimulator;
let dir: SandboxDirectory;

async function appClient(roles: string[]): Promise<CloudClient> {
  const { app, clientSecret } = env.sb.tenant.registerApp({ displayName: `Cloud Sync test ${roles.join(' ')}`, appRoles: roles });
  const c = env.client({ clientId: app.appId, appRoles: roles, secrets: { getClientSecret: async () => clientSecret! } });
  await c.signIn({ flow: 'client-credentials' });
  return c;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'syncdrift-cloudsync-'));
  env = await startCloudSandbox({ caDir: join(work, 'ca') });
  dir = SandboxDirectory.fromLdif(CLOUD_SYNC_LDIF, { baseDn: BASE });
  sync = new SyncSimulator(dir, env.sb.tenant, { engine: 'cloud-sync', server: 'CLOUDSYNC-AGENT01' });
  cloudSyncOf(env.sb.tenant).setMobileMapping({ country: 'FR', countryCode: '33' });
  await sync.runCycle('initial');
  const stuck = env.sb.tenant.findByUpn('stuck.user@contoso.com')!;
  env.sb.tenant.legacyCloudEdit(stuck.id, '+1 206 555 0199', helpdesk);
  await sync.runCycle('initial');
});
let work: string | undefined;
afterAll(async () => {
  await env?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * `syncdrift scan` of a profile whose tenant uses Cloud Sync: the AD side is the sandbox directory
 * (injected in place of LDAP), the cloud side a real CloudClient over HTTPS, so the Cloud Sync join
 * the command does runs against the sandbox's Graph.
 */
async function cliScan(client: CloudClient, cloudSync: boolean): Promise<{ code: number; report: DriftReport | null; err: string }> {
  work ??= mkdtempSync(join(tmpdir(), 'syncdrift-cloudsync-'));
  const file = join(work, `profile-${cloudSync}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name: 'Cloud Sync tenant',
      onPrem: { url: 'ldaps://dc01.corp.contoso.com', bindDn: 'svc@contoso.com', passwordEnv: 'SD_LDAP_PASSWORD', baseDn: BASE },
      cloud: {
        environment: 'sandbox', tenantId: env.sb.tenantId, clientId: env.sb.apps.reader.appId, auth: { type: 'clientSecret', secretEnv: 'SD_CLIENT_SECRET' }, authorityHost: env.sb.origin, graphBaseUrl: env.sb.origin,
        ...(cloudSync ? { cloudSync: { servicePrincipalId: env.sb.tenant.cloudSyncJob.servicePrincipalId } } : {}),
      },
      defaultRegion: 'US',
    }),
  );
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: { write: (x: string) => (out += x) },
    stderr: { write: (x: string) => (err += x) },
    env: { SYNCDRIFT_HOME: join(work, 'home') },
    cwd: work,
    isTTY: false,
    services: {
      openLiveSources: async (): Promise<ScanSources> => ({ onPrem: [dir], cloudUsers: client.listUsers(), client, tenantId: env.sb.tenantId, missing: [], close: async () => {} }),
    },
  };
  const code = await main(['scan', '--profile', file, '--format', 'json', '--all', '--no-save'], io);
  return { code, report: out ? DriftReport.parse(JSON.parse(out)) : null, err };
}

describe('Cloud Sync verdicts in a live scan (syncdrift scan)', () => {
  it('shows the mapping\'s reformatted users as rule-formatted and a user whose log shows the AD value exported as a confirmed override citing the log entry', async () => {
    const c = await appClient(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.Read.All']);
    const without = await cliScan(c, false);
    expect(without.report!.rows.find((r) => r.upn === 'paris.one@contoso.com')!.status).toBe('format-only');

    const r = await cliScan(c, true);
    expect(r.err).toMatch(/Cloud Sync job AD2AADProvisioning\.\S+: mobile is mapped by Switch\(/);
    const by = (upn: string) => r.report!.rows.find((x) => x.upn === upn)!;
    for (const upn of ['paris.one@contoso.com', 'paris.two@contoso.com']) {
      expect(by(upn).status, upn).toBe('rule-formatted');
      expect(by(upn).engine).toMatchObject({ engine: 'cloud-sync', state: 'exported', rule: { name: 'Provision Active Directory users: mobile', precedence: null } });
      expect(by(upn).engine!.rule!.expression).toMatch(/^Switch\(\[c\]/);
    }
    expect(by('paris.two@contoso.com').cause).toMatch(/Cloud Sync's mapping "Provision Active Directory users: mobile", expression Switch\(.*no override/);
    expect(by('seattle.one@contoso.com').status).toBe('in-sync');

    const stuck = by('stuck.user@contoso.com');
    const stuckCloud = env.sb.tenant.findByUpn('stuck.user@contoso.com')!;
    const entry = cloudSyncOf(env.sb.tenant).entries().filter((e) => e.cloudId === stuckCloud.id && e.action === 'update').pop()!;
    expect(stuck.status).toBe('cloud-override');
    expect(stuck.flags).toContain('override-confirmed');
    expect(stuck.engine!.exported!.mobile).toBe('+1 425 555 0104');
    expect(stuck.engine!.evidence[0]).toEqual({ source: 'provisioning-log', origin: `/auditLogs/provisioning/${entry.id}`, line: null });
    expect(stuck.cause).toMatch(/^Confirmed override: Cloud Sync exported mobile exactly as AD holds it .*provisioning-log \/auditLogs\/provisioning\//);
  });

  it('a sign-in without Synchronization.Read.All still scans, and names the permission among the gaps (exit 4)', async () => {
    const c = await appClient(['User.Read.All', 'AuditLog.Read.All']);
    const r = await cliScan(c, true);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/Cloud Sync's view .*Synchronization\.Read\.All/);
    expect(r.report!.rows.find((x) => x.upn === 'paris.one@contoso.com')!.status).toBe('format-only');
  });
});

describe('Cloud Sync readers against the sandbox tenant', () => {
  it('reads the job, the mobile mapping as an expression naming its functions and sources, and the provisioning logs', async () => {
    const c = await appClient(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.Read.All']);
    const spId = env.sb.tenant.cloudSyncJob.servicePrincipalId;
    const job = await c.cloudSync.getJob(spId);
    expect(job.jobId).toBe(env.sb.tenant.cloudSyncJob.jobId);
    expect(job.templateId).toBe('AD2AADProvisioning');

    const schema = await c.cloudSync.getSchema(spId, job.jobId);
    const mobile = schema.mappings.find((m) => m.target === 'mobile')!;
    expect(mobile.transforms).toBe(true);
    expect(mobile.functions[0]).toBe('Switch');
    expect(mobile.sources.sort()).toEqual(['c', 'mobile']);
    expect(mobile.expression).toMatch(/^Switch\(\[c\], \[mobile\], "FR", Join\("", "\+33", Mid\(StripSpaces\(\[mobile\]\)/);
    expect(schema.mappings.find((m) => m.target === 'otherMobile')!.expression).toBe('direct');

    const logs = await c.cloudSync.provisioningLogs({ jobId: job.jobId });
    const paris = env.sb.tenant.findByUpn('paris.two@contoso.com')!;
    expect(paris.mobilePhone).toBe('+33612345602');
    const created = logs.find((l) => l.targetId === paris.id && l.action === 'create')!;
    expect(created.status).toBe('success');
    expect(created.modified.find((m) => m.name === 'mobile')!.newValue).toBe('+33612345602');
    const stuck = env.sb.tenant.findByUpn('stuck.user@contoso.com')!;
    const update = logs.find((l) => l.targetId === stuck.id && l.action === 'update')!;
    expect(update.modified.find((m) => m.name === 'mobile')).toEqual({ name: 'mobile', oldValue: '+1 206 555 0199', newValue: '+1 425 555 0104' });
    expect(stuck.mobilePhone).toBe('+1 206 555 0199');
    // Newest first, and a per-user filter.
    const mine = await c.cloudSync.provisioningLogs({ jobId: job.jobId, targetId: stuck.id });
    expect(mine.map((l) => l.action)).toEqual(['update', 'create']);
  });

  it('names the missing permission: Synchronization.Read.All for the job, AuditLog.Read.All for the logs, Synchronization.ReadWrite.All for provisionOnDemand', async () => {
    const spId = env.sb.tenant.cloudSyncJob.servicePrincipalId;
    const jobId = env.sb.tenant.cloudSyncJob.jobId;
    const noSync = await appClient(['User.Read.All', 'AuditLog.Read.All']);
    await expect(noSync.cloudSync.getJob(spId)).rejects.toMatchObject({ code: 'GRAPH_FORBIDDEN', kind: 'permission', details: { permission: 'Synchronization.Read.All' } });
    await expect(noSync.cloudSync.getSchema(spId, jobId)).rejects.toThrow(/Synchronization\.Read\.All/);
    const noAudit = await appClient(['User.Read.All', 'Synchronization.Read.All']);
    await expect(noAudit.cloudSync.provisioningLogs({ jobId })).rejects.toMatchObject({ code: 'GRAPH_FORBIDDEN', details: { permission: 'AuditLog.Read.All' } });
    const readOnly = await appClient(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.Read.All']);
    await expect(readOnly.cloudSync.provisionOnDemand({ servicePrincipalId: spId, jobId, ruleId: 'AD2AADProvisioning.UserRule' }, { objectId: '2b3c4d5e-0000-4000-8000-000000000001' })).rejects.toThrow(
      /provisioning a user on demand .* needs Synchronization\.ReadWrite\.All/,
    );
  });

  it('gives apply\u2019s preflight rescan Cloud Sync\u2019s view, as the scan had it; without the permission, none, said (#18)', async () => {
    const spId = env.sb.tenant.cloudSyncJob.servicePrincipalId;
    const profile = { name: 'Contoso', cloud: { cloudSync: { servicePrincipalId: spId } } } as unknown as Profile;
    const said: string[] = [];
    const c = await appClient(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.Read.All']);
    const view = await rescanEngineView({ profile, client: c, workspaceFile: join(work!, 'rescan.db'), connectExports: [], clock: { now: () => new Date() }, say: (l) => said.push(l) });
    const paris = view.objects?.find((o) => o.cloudId === env.sb.tenant.findByUpn('paris.two@contoso.com')!.id);
    expect(paris).toMatchObject({ engine: 'cloud-sync', exported: { mobile: '+33612345602' } });
    expect(view.flows).toBeDefined();
    const noSync = await appClient(['User.Read.All', 'AuditLog.Read.All']);
    expect(await rescanEngineView({ profile, client: noSync, workspaceFile: join(work!, 'rescan.db'), connectExports: [], clock: { now: () => new Date() }, say: (l) => said.push(l) })).toEqual({});
    expect(said.at(-1)).toMatch(/^The rescan goes without Cloud Sync's view: .*Synchronization\.Read\.All/);
  });

  it('restarts the provisioning job as the portal does (empty criteria) over HTTPS, and names Synchronization.ReadWrite.All when missing (#17 point 1)', async () => {
    const spId = env.sb.tenant.cloudSyncJob.servicePrincipalId;
    const readOnly = await appClient(['User.Read.All', 'Synchronization.Read.All']);
    await expect(cloudSyncCyclePort(readOnly, spId)('initial', {})).rejects.toThrow(/restarting the provisioning job .* needs Synchronization\.ReadWrite\.All/);
    expect(env.sb.tenant.cloudSyncJob.lastRestart).toBeNull();
    const c = await appClient(['User.Read.All', 'Synchronization.ReadWrite.All']);
    const r = await cloudSyncCyclePort(c, spId)('initial', {});
    expect(r.summary).toContain(`Cloud Sync job ${env.sb.tenant.cloudSyncJob.jobId} restarted`);
    // What the sandbox received: no resetScope at all, so only what the portal's Restart clears.
    expect(env.sb.tenant.cloudSyncJob.lastRestart).toMatchObject({ resetScope: '', cleared: ['QuarantineState', 'Watermark', 'Escrows'] });
    expect(CLOUD_SYNC_RESTART_BODY).toEqual({ criteria: {} });
  });

  it('provisionOnDemand runs the simulator for that user alone and answers what it exported', async () => {
    const c = await appClient(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.ReadWrite.All']);
    const spId = env.sb.tenant.cloudSyncJob.servicePrincipalId;
    const job = await c.cloudSync.getJob(spId);
    const schema = await c.cloudSync.getSchema(spId, job.jobId);
    dir.modifyUser(`CN=Seattle One,OU=Seattle,${BASE}`, { mobile: '+1 425 555 0999' });
    const before = env.sb.tenant.findByUpn('seattle.one@contoso.com')!;
    expect(before.mobilePhone).toBe('+1 425 555 0103');
    const r = await c.cloudSync.provisionOnDemand({ servicePrincipalId: spId, jobId: job.jobId, ruleId: schema.ruleId }, { objectId: '2b3c4d5e-0000-4000-8000-000000000003' });
    expect(r.status).toBe('success');
    expect(r.modified).toContainEqual({ name: 'mobile', oldValue: '+1 425 555 0103', newValue: '+1 425 555 0999' });
    expect(env.sb.tenant.findByUpn('seattle.one@contoso.com')!.mobilePhone).toBe('+1 425 555 0999');
    // Only that user: Paris Two was not touched by this run.
    const logs = await c.cloudSync.provisioningLogs({ jobId: job.jobId });
    expect(logs[0]!.targetId).toBe(before.id);
    // A wrong rule id is Graph's 400, not a silent success.
    await expect(c.cloudSync.provisionOnDemand({ servicePrincipalId: spId, jobId: job.jobId, ruleId: 'nope' }, { objectId: '2b3c4d5e-0000-4000-8000-000000000003' })).rejects.toMatchObject({ code: 'GRAPH_400' });
  });
});

describe('syncdrift provision-on-demand (the verification step of a Cloud Sync tenant)', () => {
  async function pod(roles: string[], objectId: string | null): Promise<{ code: number; out: string; err: string }> {
    const { app, clientSecret } = env.sb.tenant.registerApp({ displayName: `POD ${roles.join(' ')}`, appRoles: roles });
    const file = join(work!, `pod-${app.appId}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Cloud Sync tenant',
        onPrem: { url: 'ldaps://dc01.corp.contoso.com', bindDn: 'svc@contoso.com', passwordEnv: 'SD_LDAP_PASSWORD', baseDn: BASE },
        cloud: { environment: 'sandbox', tenantId: env.sb.tenantId, clientId: app.appId, auth: { type: 'clientSecret', secretEnv: 'SD_CLIENT_SECRET' }, authorityHost: env.sb.origin, graphBaseUrl: env.sb.origin, cloudSync: { servicePrincipalId: env.sb.tenant.cloudSyncJob.servicePrincipalId } },
      }),
    );
    let out = '';
    let err = '';
    const io: CliIO = { stdout: { write: (x: string) => (out += x) }, stderr: { write: (x: string) => (err += x) }, env: { SYNCDRIFT_HOME: join(work!, 'home'), SD_CLIENT_SECRET: clientSecret!, NODE_EXTRA_CA_CERTS: env.sb.caFile! }, cwd: work!, isTTY: false };
    const code = await main(['provision-on-demand', '--profile', file, ...(objectId ? ['--object-id', objectId] : []), '--json'], io);
    return { code, out, err };
  }
  const WRITE = ['User.Read.All', 'AuditLog.Read.All', 'Synchronization.ReadWrite.All'];

  it('verifies a user whose new AD value Cloud Sync exports through the mapping and Entra ID takes (exit 0)', async () => {
    dir.modifyUser(`CN=Paris One,OU=Paris,${BASE}`, { mobile: '06 99 99 99 01' });
    const r = await pod(WRITE, '2b3c4d5e-0000-4000-8000-000000000001');
    expect(r.err).not.toMatch(/syncdrift/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ verdict: 'verified', provisioningStatus: 'success', exportedMobile: '+33699999901', entraMobile: '+33699999901', sentMobile: true });
    expect(env.sb.tenant.findByUpn('paris.one@contoso.com')!.mobilePhone).toBe('+33699999901');
  });

  it('does not verify the stuck user: Cloud Sync sends the AD value, Entra ID keeps its own (exit 5)', async () => {
    const r = await pod(WRITE, '2b3c4d5e-0000-4000-8000-000000000004');
    expect(r.code).toBe(5);
    const v = JSON.parse(r.out);
    expect(v).toMatchObject({ verdict: 'not-verified', exportedMobile: '+1 425 555 0104', entraMobile: '+1 206 555 0199' });
    expect(v.message).toMatch(/DirSyncOverrides, a confirmed override/);
  });

  it('names Synchronization.ReadWrite.All when the app lacks it (exit 3), and needs --object-id (exit 2)', async () => {
    const r = await pod(['User.Read.All', 'AuditLog.Read.All', 'Synchronization.Read.All'], '2b3c4d5e-0000-4000-8000-000000000001');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/provisioning a user on demand .* needs Synchronization\.ReadWrite\.All/);
    const u = await pod(WRITE, null);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/--object-id: is required/);
  });
});
