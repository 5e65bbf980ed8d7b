/**
 * The field report replayed through the sandbox (directory, tenant, sync simulator) and scanned by
 * the drift engine, packed as an EvidenceInput: what the evidence tests build packages from.
 * Story: testmobile's AD number changes after a help-desk cloud edit and never arrives; Raj got a
 * cloud number AD never had; Eve's cloud text was retyped (same number); Ana's alternates were edited.
 */
import type { CloudUser, DriftReport, OnPremUser } from '../../main/core/model';
import { WireUser, toCloudUser } from '../../main/cloud/readers';
import { auditLookupFrom, buildReport, computeDrift, parseDirectoryAudits } from '../../main/drift';
import type { EvidenceInputData } from '../../main/evidence';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import { toGraphAudit } from '../../main/sandbox/tenant-audit';
import type { AuditActor, TenantUser } from '../../main/sandbox/tenant-model';

export const BASE = 'OU=Users,OU=Fort Mill,DC=corp,DC=fortmillems,DC=org';
export const TESTMOBILE_DN = `CN=testmobile,${BASE}`;

const LDIF = `version: 1

dn: ${TESTMOBILE_DN}
objectClass: user
sAMAccountName: testmobile
userPrincipalName: testmobile@fortmillems.org
displayName: testmobile
objectGUID: 6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4101
mobile: 8035551212
c: US

dn: CN=Ana Lima,${BASE}
objectClass: user
sAMAccountName: alima
userPrincipalName: ana.lima@fortmillems.org
displayName: Ana Lima
objectGUID: 7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4102
mobile: +1 803 555 0142
otherMobile: +1 803 555 0143
c: US

dn: CN=Raj Patel,${BASE}
objectClass: user
sAMAccountName: rpatel
userPrincipalName: raj.patel@fortmillems.org
displayName: Raj Patel
objectGUID: 8b3c4d5e-6f70-4b8c-9d0e-1f2a3b4c5d6e
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4103
c: US

dn: CN=Eve Stone,${BASE}
objectClass: user
sAMAccountName: estone
userPrincipalName: eve.stone@fortmillems.org
displayName: Eve Stone
objectGUID: 9c4d5e6f-7081-4c9d-8e0f-2a3b4c5d6e7f
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4104
mobile: +1 803 555 0150
c: US
`;

export const HELPDESK: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@fortmillems.org', displayName: 'Help Desk' };

class ManualClock {
  constructor(private t: number) {}
  now = () => new Date(this.t);
  advance(minutes: number) {
    this.t += minutes * 60_000;
  }
}

/** A Graph user as the cloud reader would return it for the scan's $select. */
function asGraphUser(u: TenantUser): CloudUser {
  return toCloudUser(
    WireUser.parse({
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
    }),
  );
}

export interface FieldReportScan {
  input: Omit<EvidenceInputData, 'report' | 'onPremUsers' | 'cloudUsers' | 'auditRecords'> & { report: DriftReport; onPremUsers: OnPremUser[]; cloudUsers: CloudUser[]; auditRecords: Record<string, unknown>[] };
  tenant: TenantStore;
  ids: { testmobile: string; raj: string; eve: string; ana: string };
}

/** Replays the story and scans it; the same call always yields the same scan data apart from random ids. */
export async function fieldReportScan(): Promise<FieldReportScan> {
  const clock = new ManualClock(Date.parse('2025-02-03T14:00:00Z'));
  const dir = SandboxDirectory.fromLdif(LDIF, { clock, baseDn: 'DC=corp,DC=fortmillems,DC=org' });
  const tenant = new TenantStore({ clock, organization: { initialDomain: 'fortmillems.onmicrosoft.com', displayName: 'Fort Mill EMS' } });
  const sync = new SyncSimulator(dir, tenant, { clock, server: 'FMEMS-SYNC01' });
  const cloud = (upn: string) => {
    const u = tenant.findByUpn(upn);
    if (!u) throw new Error(`no cloud user ${upn}`);
    return u;
  };

  await sync.runCycle('initial');
  clock.advance(10);
  dir.modifyUser(TESTMOBILE_DN, { mobile: '9991112222' });
  clock.advance(20);
  await sync.runCycle('delta');
  clock.advance(60);
  tenant.legacyCloudEdit(cloud('testmobile@fortmillems.org').id, '1234567890', HELPDESK);
  tenant.legacyCloudEdit(cloud('raj.patel@fortmillems.org').id, '+1 803 555 0199', HELPDESK);
  tenant.legacyCloudEdit(cloud('eve.stone@fortmillems.org').id, '(803) 555-0150', HELPDESK);
  tenant.legacyCloudEdit(cloud('ana.lima@fortmillems.org').id, null, HELPDESK, { property: 'alternateMobilePhones', alternateMobilePhones: ['+1 803 555 0777'] });
  clock.advance(60);
  dir.modifyUser(TESTMOBILE_DN, { mobile: '0987654321' });
  clock.advance(30);
  await sync.runCycle('delta');
  clock.advance(15);

  const onPremUsers: OnPremUser[] = [];
  for await (const page of dir.scan()) onPremUsers.push(...page);
  const cloudUsers = [...tenant.listUsers()].map(asGraphUser);
  const auditRecords = tenant.queryAudits({ top: 10_000, order: 'asc' }).records.map(toGraphAudit);
  const audits = parseDirectoryAudits(auditRecords);
  const tenantLastSyncAt = tenant.organization.onPremisesLastSyncAt === null ? null : new Date(tenant.organization.onPremisesLastSyncAt).toISOString();
  const drift = computeDrift(onPremUsers, cloudUsers, {
    scannedBases: [BASE],
    auditLookup: auditLookupFrom(audits.latestByUser, { complete: true }),
    tenantLastSyncAt,
  });
  const report = buildReport(drift, { profile: 'fortmill-prod', generatedAt: clock.now().toISOString() });
  const features = { ...tenant.features };
  return {
    tenant,
    ids: {
      testmobile: cloud('testmobile@fortmillems.org').id,
      raj: cloud('raj.patel@fortmillems.org').id,
      eve: cloud('eve.stone@fortmillems.org').id,
      ana: cloud('ana.lima@fortmillems.org').id,
    },
    input: {
      report,
      onPremUsers,
      cloudUsers,
      auditRecords,
      tenant: {
        tenantId: tenant.tenantId,
        cloud: 'global',
        displayName: tenant.organization.displayName,
        onPremisesSyncEnabled: tenant.organization.onPremisesSyncEnabled,
        onPremisesLastSyncDateTime: tenantLastSyncAt,
        syncFeatures: { state: 'known', bypassDirSyncOverridesEnabled: features.bypassDirSyncOverridesEnabled, features },
        syncEngine: 'connect-sync',
      },
      profile: 'fortmill-prod',
      operator: 'admin@fortmillems.org',
      scope: { searchBases: [BASE], note: null },
      toolVersion: '0.1.0',
      session: null,
    },
  };
}
