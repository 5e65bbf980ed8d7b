/**
 * The sync-cycle simulator against a live DC: a real Samba AD DC read through the LDAP adapter
 * (incremental reads by uSNChanged, tombstones, Connect's default scope), exporting to the sandbox
 * tenant store. Proves the simulator depends on the OnPremDirectory port only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile } from '../../main/core/onprem-profile';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { sambaSkipReason, SPECIAL, startSambaDc, userDn, type SambaDc } from '../support/samba';

const unavailable = sambaSkipReason();

const helpdesk: AuditActor = {
  kind: 'user',
  id: '0b8f9d1e-2222-4333-8444-955566677788',
  userPrincipalName: 'helpdesk@syncdrift.test',
};

describe.skipIf(unavailable !== null)('sync simulator over the LDAP adapter (Samba AD DC)', () => {
  let dc: SambaDc;
  let dir: LdapDirectory;
  let tenant: TenantStore;
  let sync: SyncSimulator;

  beforeAll(async () => {
    // Same name and size as the LDAP adapter's tests: one cached, pristine directory for both.
    dc = await startSambaDc({ name: 'ldap-it', users: 240 });
    const [source] = parseOnPremProfile({ url: dc.url, bindDn: dc.adminUpn, baseDn: dc.baseDn, caFile: dc.caFile });
    if (!source) throw new Error('no LDAP source');
    dir = new LdapDirectory(source, { getPassword: async () => dc.password });
    tenant = new TenantStore({ organization: { initialDomain: 'syncdrift-test.onmicrosoft.com' } });
    sync = new SyncSimulator(dir, tenant, { server: 'SAMBA-SYNC01' });
  });
  afterAll(async () => {
    await dir?.close();
    await dc?.stop();
  });

  it('provisions every in-scope user on the first cycle, anchored as Connect would', async () => {
    const report = await sync.runCycle('initial');
    const inScope = dc.users.filter((u) => u.expectInScope);
    expect(report.errors).toEqual([]);
    expect(report.added).toBe(inScope.length);
    expect(tenant.findByUpn(`administrator@${dc.upnSuffix}`)).toBeUndefined();
    const casey = dc.users.find((u) => u.sAMAccountName === SPECIAL.consistency);
    const cloudCasey = tenant.findByUpn(casey?.userPrincipalName ?? '');
    expect(cloudCasey?.onPremisesImmutableId).toBe(casey?.consistencyGuid?.toString('base64'));
    const withMobile = inScope.find((u) => u.mobile);
    expect(tenant.findByUpn(withMobile?.userPrincipalName ?? '')?.mobilePhone).toBe(withMobile?.mobile);
  });

  it('reads only the changes on a delta cycle; an override user keeps the cloud value until bypass + initial', async () => {
    const [a, b] = dc.users.filter((u) => u.expectInScope && u.mobile && u.ou === 'Staff');
    if (!a || !b) throw new Error('test data lacks two Staff users with a mobile');
    const cloudA = tenant.findByUpn(a.userPrincipalName);
    if (!cloudA) throw new Error('a was not provisioned');
    tenant.legacyCloudEdit(cloudA.id, '+1 425 555 0999', helpdesk);

    await dir.writeMobile({ dn: userDn(a, dc.baseDn), expected: a.mobile, next: '+1 425 555 0123' });
    await dir.writeMobile({ dn: userDn(b, dc.baseDn), expected: b.mobile, next: '+1 425 555 0124' });
    const delta = await sync.runCycle('delta');
    expect(delta.incrementalImport).toBe(true);
    expect(delta.seen).toBeLessThan(10);
    expect(delta.ignoredDueToOverride.map((x) => x.upn)).toEqual([a.userPrincipalName]);
    expect(tenant.findByUpn(b.userPrincipalName)?.mobilePhone).toBe('+1 425 555 0124');
    expect(tenant.findByUpn(a.userPrincipalName)?.mobilePhone).toBe('+1 425 555 0999');

    tenant.setFeatures({ bypassDirSyncOverridesEnabled: true }, helpdesk);
    expect((await sync.runCycle('delta')).exported).toBe(0);
    expect(tenant.findByUpn(a.userPrincipalName)?.mobilePhone).toBe('+1 425 555 0999');
    await sync.runCycle('initial');
    expect(tenant.findByUpn(a.userPrincipalName)?.mobilePhone).toBe('+1 425 555 0123');

    // Put the DC back the way the other suites expect it.
    await dir.writeMobile({ dn: userDn(a, dc.baseDn), expected: '+1 425 555 0123', next: a.mobile });
    await dir.writeMobile({ dn: userDn(b, dc.baseDn), expected: '+1 425 555 0124', next: b.mobile });
  });
});
