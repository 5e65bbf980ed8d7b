/**
 * The field report ("Office 365: The mystery of mobile phone…") replayed on the sandbox (sandbox
 * directory, tenant store, sync simulator) up to the scan that says `cloud-override`, with the
 * neighbours a real tenant has: an AD-empty user with a cloud value (onprem-missing), a format-only
 * edit, a user in sync, and a user no longer synchronized (Graph accepts its PATCH).
 */
import type { CloudUser, DriftReport } from '../../main/core/model';
import { pagesOf, runScan } from '../../main/drift/pipeline';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor, TenantUser } from '../../main/sandbox/tenant-model';

/** A clock tests move by hand; `live` also lets real time pass (token lifetimes, throttle refill). */
export class ManualClock {
  private offset = 0;
  private readonly started = Date.now();
  constructor(
    private readonly t: number,
    private readonly live = false,
  ) {}
  now = () => new Date(this.t + this.offset + (this.live ? Date.now() - this.started : 0));
  advance(minutes: number) {
    this.offset += minutes * 60_000;
  }
}

/** Minutes the replay below advances the clock in total. */
export const REPLAY_MINUTES = 185;

export const BASE = 'OU=Users,OU=Fort Mill,DC=corp,DC=fortmillems,DC=org';
export const DN = {
  testmobile: `CN=testmobile,${BASE}`,
  ana: `CN=Ana Lima,${BASE}`,
  raj: `CN=Raj Patel,${BASE}`,
  eve: `CN=Eve Stone,${BASE}`,
  zoe: `CN=Zoe Park,${BASE}`,
};
export const UPN = {
  testmobile: 'testmobile@fortmillems.org',
  ana: 'ana.lima@fortmillems.org',
  raj: 'raj.patel@fortmillems.org',
  eve: 'eve.stone@fortmillems.org',
  zoe: 'zoe.park@fortmillems.org',
};

const LDIF = `version: 1

dn: ${DN.testmobile}
objectClass: user
sAMAccountName: testmobile
userPrincipalName: ${UPN.testmobile}
displayName: testmobile
objectGUID: 6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4101
mobile: 8035551212
c: US

dn: ${DN.ana}
objectClass: user
sAMAccountName: alima
userPrincipalName: ${UPN.ana}
displayName: Ana Lima
objectGUID: 7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4102
mobile: +1 803 555 0142
otherMobile: +1 803 555 0143

dn: ${DN.raj}
objectClass: user
sAMAccountName: rpatel
userPrincipalName: ${UPN.raj}
displayName: Raj Patel
objectGUID: 8b3c4d5e-6f70-4b8c-9d0e-1f2a3b4c5d6e
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4103

dn: ${DN.eve}
objectClass: user
sAMAccountName: estone
userPrincipalName: ${UPN.eve}
displayName: Eve Stone
objectGUID: 9c4d5e6f-7081-4c9d-8e0f-2a3b4c5d6e7f
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4104
mobile: +1 803 555 0150
c: US

dn: ${DN.zoe}
objectClass: user
sAMAccountName: zpark
userPrincipalName: ${UPN.zoe}
displayName: Zoe Park
objectGUID: 0d5e6f70-8192-4dae-9f10-3b4c5d6e7f80
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4105
mobile: +1 803 555 0160
c: US
`;

export const helpdesk: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@fortmillems.org', displayName: 'Help Desk' };
export const admin: AuditActor = { kind: 'user', id: '3f0e8a2c-aaaa-4bbb-8ccc-9dddeeefff00', userPrincipalName: 'admin@fortmillems.org', displayName: 'Global Admin' };

export interface FieldReportEnv {
  clock: ManualClock;
  dir: SandboxDirectory;
  tenant: TenantStore;
  sync: SyncSimulator;
  cloud(upn: string): TenantUser;
  scan(): Promise<DriftReport>;
}

export function cloudUserOf(tenant: TenantStore, u: TenantUser): CloudUser {
  return {
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    mobilePhone: u.mobilePhone,
    businessPhones: [...u.businessPhones],
    onPremisesSyncEnabled: u.onPremisesSyncEnabled,
    onPremisesImmutableId: u.onPremisesImmutableId,
    onPremisesSecurityIdentifier: u.onPremisesSecurityIdentifier,
    onPremisesLastSyncDateTime: u.onPremisesLastSyncAt === null ? null : new Date(u.onPremisesLastSyncAt).toISOString(),
    onPremisesDistinguishedName: u.onPremisesDistinguishedName,
    onPremisesDomainName: u.onPremisesDomainName,
    onPremisesSamAccountName: u.onPremisesSamAccountName,
    onPremisesUserPrincipalName: u.onPremisesUserPrincipalName,
    cloudManaged: tenant.isCloudWritable(u),
  };
}

/** Replays the field report to the point where the scan says cloud-override for testmobile. */
export async function fieldReportEnv(options: { tenant?: TenantStore; clock?: ManualClock; extraManaged?: number } = {}): Promise<FieldReportEnv> {
  const clock = options.clock ?? new ManualClock(Date.parse('2025-02-03T14:00:00Z'));
  const dir = SandboxDirectory.fromLdif(LDIF, { clock, baseDn: 'DC=corp,DC=fortmillems,DC=org', dcName: 'FMDC01' });
  const tenant = options.tenant ?? new TenantStore({ clock, organization: { initialDomain: 'fortmillems.onmicrosoft.com' } });
  const sync = new SyncSimulator(dir, tenant, { clock, server: 'FMEMS-SYNC01' });
  const cloud = (upn: string): TenantUser => {
    const u = tenant.findByUpn(upn);
    if (!u) throw new Error(`no cloud user ${upn}`);
    return u;
  };
  // Users that left sync scope (Graph accepts their PATCH) and whose AD value moved on since.
  const extra = Array.from({ length: options.extraManaged ?? 0 }, (_, i) => ({
    dn: `CN=Moved ${i},${BASE}`,
    upn: `moved.${i}@fortmillems.org`,
  }));
  extra.forEach((x, i) => dir.addUser({ dn: x.dn, samAccountName: `moved${i}`, upn: x.upn, displayName: `Moved ${i}`, mobile: `+1 803 555 ${String(1000 + i)}`, c: 'US' }));
  await sync.runCycle('initial'); // 8035551212 syncs
  clock.advance(10);
  dir.modifyUser(DN.testmobile, { mobile: '9991112222' });
  clock.advance(20);
  await sync.runCycle('delta'); // 9991112222 syncs
  clock.advance(60);
  tenant.legacyCloudEdit(cloud(UPN.testmobile).id, '1234567890', helpdesk); // sets the override
  tenant.legacyCloudEdit(cloud(UPN.raj).id, '+1 803 555 0177', helpdesk); // AD empty: onprem-missing
  tenant.legacyCloudEdit(cloud(UPN.eve).id, '(803) 555-0150', helpdesk); // same number: format-only
  tenant.stopSync(cloud(UPN.zoe).id); // no longer synchronized: Graph accepts its PATCH
  for (const x of extra) tenant.stopSync(cloud(x.upn).id);
  clock.advance(60);
  dir.modifyUser(DN.testmobile, { mobile: '0987654321' });
  dir.modifyUser(DN.zoe, { mobile: '+1 803 555 0161' });
  extra.forEach((x, i) => dir.modifyUser(x.dn, { mobile: `+1 803 555 ${String(5000 + i)}` }));
  clock.advance(30);
  await sync.runCycle('delta'); // 0987654321 ignored
  clock.advance(5);
  const scan = async (): Promise<DriftReport> => {
    const users = [...tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled !== null).map((u) => cloudUserOf(tenant, u));
    const out = await runScan({ onPrem: [dir], cloudUsers: pagesOf([users]), profileName: 'fortmillems', defaultRegion: 'US', clock });
    return out.report;
  };
  return { clock, dir, tenant, sync, cloud, scan };
}

/** The row key of a UPN in a report (throws when absent, so a test says which user is missing). */
export function keyOf(report: DriftReport, upn: string): string {
  const r = report.rows.find((x) => x.upn.toLowerCase() === upn.toLowerCase());
  if (!r) throw new Error(`no row for ${upn}`);
  return r.key;
}
