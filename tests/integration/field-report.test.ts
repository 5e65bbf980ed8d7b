/**
 * The field report ("Office 365: The mystery of mobile phone…") replayed step by step through the
 * sync-cycle simulator, the sandbox directory and the sandbox tenant store, then the supported remedy
 * (bypassDirSyncOverridesEnabled + a full cycle) with its side effects.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { parseDirectoryAudits } from '../../main/drift/audit';
import { TenantStore } from '../../main/sandbox/tenant';
import { toGraphAudit } from '../../main/sandbox/tenant-audit';
import type { AuditActor, TenantUser } from '../../main/sandbox/tenant-model';

class ManualClock {
  constructor(private t: number) {}
  now = () => new Date(this.t);
  advance(minutes: number) {
    this.t += minutes * 60_000;
  }
}

const BASE = 'OU=Users,OU=Fort Mill,DC=corp,DC=fortmillems,DC=org';
const TESTMOBILE = `CN=testmobile,${BASE}`;
const LDIF = `version: 1

dn: ${TESTMOBILE}
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

dn: CN=Raj Patel,${BASE}
objectClass: user
sAMAccountName: rpatel
userPrincipalName: raj.patel@fortmillems.org
displayName: Raj Patel
objectGUID: 8b3c4d5e-6f70-4b8c-9d0e-1f2a3b4c5d6e
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4103

dn: CN=Eve Stone,${BASE}
objectClass: user
sAMAccountName: estone
userPrincipalName: eve.stone@fortmillems.org
displayName: Eve Stone
objectGUID: 9c4d5e6f-7081-4c9d-8e0f-2a3b4c5d6e7f
objectSid: S-1-5-21-2127521184-1604012920-1887927527-4104
mobile: +1 803 555 0150

dn: CN=Administrator,CN=Users,DC=corp,DC=fortmillems,DC=org
objectClass: user
sAMAccountName: Administrator
isCriticalSystemObject: TRUE
mobile: +1 803 555 0100
`;

const helpdesk: AuditActor = {
  kind: 'user',
  id: '3f0e8a2c-1111-4222-8333-944455566677',
  userPrincipalName: 'helpdesk@fortmillems.org',
  displayName: 'Help Desk',
};
const admin: AuditActor = {
  kind: 'user',
  id: '3f0e8a2c-aaaa-4bbb-8ccc-9dddeeefff00',
  userPrincipalName: 'admin@fortmillems.org',
  displayName: 'Global Admin',
};

describe('the field report, replayed through the sync simulator', () => {
  let clock: ManualClock;
  let dir: SandboxDirectory;
  let tenant: TenantStore;
  let sync: SyncSimulator;
  const cloud = (upn: string): TenantUser => {
    const u = tenant.findByUpn(upn);
    if (!u) throw new Error(`no cloud user ${upn}`);
    return u;
  };

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2025-02-03T14:00:00Z'));
    dir = SandboxDirectory.fromLdif(LDIF, { clock, baseDn: 'DC=corp,DC=fortmillems,DC=org' });
    tenant = new TenantStore({ clock, organization: { initialDomain: 'fortmillems.onmicrosoft.com' } });
    sync = new SyncSimulator(dir, tenant, { clock, server: 'FMEMS-SYNC01' });
  });

  it('follows AD until a cloud edit, then silently ignores AD, until the bypass and a full cycle', async () => {
    // The remote mailbox is provisioned on-premises with a mobile number; sync creates the cloud user.
    const first = await sync.runCycle('initial');
    expect(first).toMatchObject({ added: 4, inScope: 4, outOfScope: 1, errors: [] });
    expect(tenant.findByUpn('administrator@fortmillems.org')).toBeUndefined();
    const tm = cloud('testmobile@fortmillems.org');
    expect(tm.mobilePhone).toBe('8035551212');
    expect(tm.alternateMobilePhones).toEqual([]);
    expect(tm.onPremisesImmutableId).toBe(dir.find('testmobile')?.sourceAnchor);
    expect(tm.onPremisesSyncEnabled).toBe(true);

    // Set-User testmobile -MobilePhone 9991112222; the next (delta) cycle carries it.
    clock.advance(10);
    dir.modifyUser(TESTMOBILE, { mobile: '9991112222' });
    clock.advance(20);
    const second = await sync.runCycle('delta');
    expect(second.incrementalImport).toBe(true);
    expect(second.seen).toBe(1);
    expect(second).toMatchObject({ exported: 1, updated: 1, ignoredDueToOverrideCount: 0 });
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('9991112222');
    const syncAudit = tenant.queryAudits({ targetId: tm.id, top: 1 }).records[0];
    expect(syncAudit && toGraphAudit(syncAudit)).toMatchObject({
      activityDisplayName: 'Update user',
      initiatedBy: {
        user: { userPrincipalName: expect.stringMatching(/^Sync_FMEMS-SYNC01_[0-9a-f]+@fortmillems\.onmicrosoft\.com$/) },
      },
    });
    const props = syncAudit?.targets[0]?.modifiedProperties ?? [];
    expect(props).toContainEqual({ displayName: 'Action Client Name', oldValue: null, newValue: '"DirectorySync"' });
    expect(props).toContainEqual({
      displayName: tenant.auditMobilePropertyName,
      oldValue: '["8035551212"]',
      newValue: '["9991112222"]',
    });

    // Somebody edits the mobile phone in the cloud (self-service, portal, Set-MsolUser).
    clock.advance(60);
    tenant.legacyCloudEdit(tm.id, '1234567890', helpdesk);
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('1234567890');

    // The number changes on-premises again; sync runs and reports success, the cloud keeps 1234567890.
    clock.advance(60);
    dir.modifyUser(TESTMOBILE, { mobile: '0987654321' });
    expect(dir.find('testmobile')?.mobile).toBe('0987654321');
    clock.advance(30);
    const lastSyncBefore = cloud('testmobile@fortmillems.org').onPremisesLastSyncAt;
    const ignored = await sync.runCycle('delta');
    expect(ignored.errors).toEqual([]);
    expect(ignored.ignoredDueToOverride).toEqual([
      expect.objectContaining({
        upn: 'testmobile@fortmillems.org',
        properties: ['mobilePhone'],
        onPremValue: '0987654321',
        cloudValue: '1234567890',
      }),
    ]);
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('1234567890');
    // The export still touched the object (documented assumption, knob advanceLastSyncOnExport).
    expect(cloud('testmobile@fortmillems.org').onPremisesLastSyncAt).toBeGreaterThan(lastSyncBefore ?? Infinity);

    // More cycles change nothing: delta has nothing new to send, a full cycle is ignored too.
    clock.advance(30);
    const quiet = await sync.runCycle('delta');
    expect(quiet).toMatchObject({ seen: 0, exported: 0 });
    clock.advance(30);
    const fullWithoutBypass = await sync.runCycle('initial');
    expect(fullWithoutBypass.ignoredDueToOverride.map((x) => x.upn)).toEqual(['testmobile@fortmillems.org']);
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('1234567890');

    // The remedy: bypassDirSyncOverridesEnabled, then a cycle. A delta cycle alone does not do it...
    tenant.setFeatures({ bypassDirSyncOverridesEnabled: true }, admin);
    clock.advance(5);
    const deltaWithBypass = await sync.runCycle('delta');
    expect(deltaWithBypass).toMatchObject({ bypassDirSyncOverrides: true, exported: 0 });
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('1234567890');
    // Even when another attribute of the user changes, delta exports only that attribute.
    dir.modifyUser(TESTMOBILE, { telephoneNumber: '+1 803 555 0001' });
    clock.advance(5);
    const deltaOtherChange = await sync.runCycle('delta');
    expect(deltaOtherChange.exports).toEqual([
      expect.objectContaining({ upn: 'testmobile@fortmillems.org', applied: ['businessPhones'] }),
    ]);
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('1234567890');
    // ...an initial (full) cycle does.
    clock.advance(5);
    const fullWithBypass = await sync.runCycle('initial');
    expect(fullWithBypass.ignoredDueToOverrideCount).toBe(0);
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('0987654321');
    expect(fullWithBypass.exports.find((e) => e.upn === 'testmobile@fortmillems.org')?.applied).toContain('mobilePhone');
  });

  it('with the bypass, a full cycle clears cloud values where AD is empty and overwrites AlternateMobilePhones', async () => {
    await sync.runCycle('initial');
    const ana = cloud('ana.lima@fortmillems.org');
    const raj = cloud('raj.patel@fortmillems.org');
    const eve = cloud('eve.stone@fortmillems.org');
    expect(ana.alternateMobilePhones).toEqual(['+1 803 555 0143']);
    expect(raj.mobilePhone).toBeNull();
    // Cloud edits of the old days: Raj typed a number that AD never had; Ana's alternate numbers were edited.
    clock.advance(60);
    tenant.legacyCloudEdit(raj.id, '+1 803 555 0199', helpdesk);
    tenant.legacyCloudEdit(ana.id, null, helpdesk, {
      property: 'alternateMobilePhones',
      alternateMobilePhones: ['+1 803 555 0777', '+1 803 555 0778'],
    });
    const eveSyncedAt = eve.onPremisesLastSyncAt;

    clock.advance(30);
    const before = await sync.runCycle('initial');
    expect(before.ignoredDueToOverride.map((x) => [x.upn, x.properties])).toEqual(
      expect.arrayContaining([
        ['raj.patel@fortmillems.org', ['mobilePhone']],
        ['ana.lima@fortmillems.org', ['alternateMobilePhones']],
      ]),
    );
    expect(cloud('raj.patel@fortmillems.org').mobilePhone).toBe('+1 803 555 0199');

    tenant.setFeatures({ bypassDirSyncOverridesEnabled: true }, admin);
    clock.advance(5);
    const after = await sync.runCycle('initial');
    expect(cloud('raj.patel@fortmillems.org').mobilePhone).toBeNull();
    expect(after.cleared).toContainEqual({
      anchor: raj.onPremisesImmutableId,
      upn: 'raj.patel@fortmillems.org',
      property: 'mobilePhone',
      previous: '+1 803 555 0199',
    });
    expect(cloud('ana.lima@fortmillems.org').alternateMobilePhones).toEqual(['+1 803 555 0143']);
    expect(after.alternateMobileOverwritten).toBe(1);
    // A user whose values never differed gets no export and keeps its last sync time.
    expect(after.exports.map((e) => e.upn)).not.toContain('eve.stone@fortmillems.org');
    expect(cloud('eve.stone@fortmillems.org').onPremisesLastSyncAt).toBe(eveSyncedAt);
  });

  it('keeps onPremisesLastSyncDateTime still when the knob is off', async () => {
    await sync.runCycle('initial');
    const tm = cloud('testmobile@fortmillems.org');
    tenant.legacyCloudEdit(tm.id, '1234567890', helpdesk);
    const at = tm.onPremisesLastSyncAt;
    sync.setKnobs({ advanceLastSyncOnExport: false });
    clock.advance(30);
    dir.modifyUser(TESTMOBILE, { mobile: '0987654321' });
    const r = await sync.runCycle('delta');
    expect(r.ignoredDueToOverrideCount).toBe(1);
    expect(cloud('testmobile@fortmillems.org').onPremisesLastSyncAt).toBe(at);
  });

  it('provisions new in-scope users, deletes removed ones, and respects the deletion threshold', async () => {
    await sync.runCycle('initial');
    clock.advance(10);
    dir.addUser({
      dn: `CN=Nova Reyes,${BASE}`,
      samAccountName: 'nreyes',
      upn: 'nova.reyes@fortmillems.org',
      mobile: '+1 803 555 0160',
    });
    dir.addUser({ dn: `CN=MSOL_4f2a9c1e,${BASE}`, samAccountName: 'MSOL_4f2a9c1e', upn: 'msol@fortmillems.org' });
    dir.deleteUser(`CN=Eve Stone,${BASE}`);
    const r = await sync.runCycle('delta');
    expect(r).toMatchObject({ added: 1, deleted: 1, outOfScope: 1 });
    expect(cloud('nova.reyes@fortmillems.org').mobilePhone).toBe('+1 803 555 0160');
    expect(tenant.findByUpn('eve.stone@fortmillems.org')).toBeUndefined();
    expect(tenant.findByUpn('msol@fortmillems.org')).toBeUndefined();

    sync.setKnobs({ deletionThreshold: 1 });
    dir.deleteUser(`CN=Ana Lima,${BASE}`);
    dir.deleteUser(`CN=Raj Patel,${BASE}`);
    const blocked = await sync.runCycle('delta');
    expect(blocked.errors.map((e) => e.code)).toEqual(['EXPORT_DELETION_THRESHOLD']);
    expect(tenant.findByUpn('ana.lima@fortmillems.org')).toBeDefined();
    sync.setKnobs({ deletionThreshold: null });
    const full = await sync.runCycle('initial');
    expect(full.deleted).toBe(2);
  });

  it('in Cloud Sync mode a job restart behaves as a full cycle and is audited as the Cloud Sync account, which the reader counts as a sync write (#17 point 7)', async () => {
    sync.setEngine('cloud-sync');
    await sync.runCycle('initial');
    const tm = cloud('testmobile@fortmillems.org');
    tenant.legacyCloudEdit(tm.id, '1234567890', helpdesk);
    dir.modifyUser(TESTMOBILE, { mobile: '0987654321' });
    tenant.setFeatures({ bypassDirSyncOverridesEnabled: true }, admin);
    clock.advance(5);
    const restart = await sync.runCycle('initial');
    expect(restart.engine).toBe('cloud-sync');
    expect(cloud('testmobile@fortmillems.org').mobilePhone).toBe('0987654321');
    const rec = tenant.queryAudits({ targetId: tm.id, top: 1 }).records[0];
    expect(rec?.initiatedBy).toMatchObject({
      kind: 'user',
      userPrincipalName: 'ADToAADSyncServiceAccount@fortmillems.onmicrosoft.com',
      displayName: 'On-Premises Directory Synchronization Service Account',
    });
    const mods = rec!.targets[0]!.modifiedProperties.map((m) => m.displayName);
    expect(mods).toContain('Included Updated Properties');
    expect(mods).not.toContain('Action Client Name');
    const change = parseDirectoryAudits([toGraphAudit(rec!)]).changes[0];
    expect(change).toMatchObject({ targetId: tm.id, syncWrite: true, syncEngine: 'cloud-sync', newValue: '0987654321' });
  });

  it('keeps its watermark and connector space across serialize/restore', async () => {
    await sync.runCycle('initial');
    const copy = new SyncSimulator(dir, tenant, { clock });
    copy.restore(sync.serialize());
    expect(copy.server).toBe('FMEMS-SYNC01');
    dir.modifyUser(TESTMOBILE, { mobile: '9991112222' });
    const r = await copy.runCycle('delta');
    expect(r).toMatchObject({ incrementalImport: true, seen: 1, updated: 1 });
    expect(() => copy.restore('{"format":"x"}')).toThrow(/sync simulator state/);
  });
});
