import { describe, expect, it } from 'vitest';
import { computeDrift, buildReport } from '../../../main/drift/engine';
import { objectGuidToAnchor } from '../../../main/drift/row-parts';
import { auditLookupFrom } from '../../../main/drift/timeline';
import { parseDirectoryAudits } from '../../../main/drift/audit';
import { DriftReport } from '../../../main/core/model';
import { adUser, entraTwin, cloudOnly } from './fixtures';

const one = (ad: ReturnType<typeof adUser>, cloud = entraTwin(ad), opts = {}) => {
  const r = computeDrift([ad], [cloud], { defaultRegion: 'US', ...opts });
  expect(r.rows).toHaveLength(1);
  return r.rows[0]!;
};

describe('classification of matched pairs', () => {
  it('marks identical values in-sync', () => {
    const row = one(adUser(1, { given: 'Adele', sn: 'Vance' }));
    expect(row.status).toBe('in-sync');
    expect(row.match).toBe('anchor');
    expect(row.normalized).toEqual({ onPrem: '+14255550100', cloud: '+14255550100' });
  });

  it('treats values equal after trimming, and both empty, as in-sync', () => {
    const ad = adUser(2, { given: 'Alex', sn: 'Wilber', mobile: '+1 425 555 0101' });
    expect(one(ad, entraTwin(ad, { mobilePhone: ' +1 425 555 0101 ' })).status).toBe('in-sync');
    const empty = adUser(3, { given: 'Diego', sn: 'Siciliani', mobile: null });
    const row = one(empty, entraTwin(empty, { mobilePhone: '  ' }));
    expect(row.status).toBe('in-sync');
    expect(row.cause).toBe('Both are empty.');
  });

  it('marks a user pending-sync when AD changed after the last sync', () => {
    const ad = adUser(4, { given: 'Grady', sn: 'Archie', mobile: '+1 425 555 0177', mobileChangedAt: '2025-02-01T10:40:00Z' });
    const row = one(ad, entraTwin(ad, { mobilePhone: '+1 425 555 0100', onPremisesLastSyncDateTime: '2025-02-01T10:30:00Z' }));
    expect(row.status).toBe('pending-sync');
    expect(row.cause).toMatch(/next sync cycle should carry it/);
    expect(row.flags).not.toContain('override-confirmed');
  });

  it('classifies a change the tenant synced past without carrying as a confirmed override, with the times', () => {
    // The field report: AD changed, the tenant ran cycles after that, the value never arrived.
    const ad = adUser(5, { given: 'Henrietta', sn: 'Mueller', mobile: '+1 425 555 0178', mobileChangedAt: '2025-02-01T10:40:00Z' });
    const twin = entraTwin(ad, { mobilePhone: null, onPremisesLastSyncDateTime: '2025-02-01T10:30:00Z' });
    const row = one(ad, twin, { tenantLastSyncAt: '2025-02-03T08:00:00Z' });
    expect(row.status).toBe('cloud-missing');
    expect(row.flags).toContain('override-confirmed');
    expect(row.cause).toMatch(/^Confirmed override: AD changed on 2025-02-01 10:40 UTC, the tenant synced after that \(2025-02-03 08:00 UTC\), yet this user\u2019s last sync is 2025-02-01 10:30 UTC/);
    const differs = one(ad, entraTwin(ad, { mobilePhone: '+1 425 555 0100', onPremisesLastSyncDateTime: '2025-02-01T10:30:00Z' }), { tenantLastSyncAt: '2025-02-03T08:00:00Z' });
    expect(differs.status).toBe('cloud-override');
    expect(differs.flags).toContain('override-confirmed');
    // A tenant sync within the threshold is still an ordinary pending change.
    const fresh = one(ad, twin, { tenantLastSyncAt: '2025-02-01T11:00:00Z' });
    expect(fresh.status).toBe('pending-sync');
    expect(fresh.flags).not.toContain('override-confirmed');
  });

  it('pending-sync takes precedence over format-only and cloud-missing', () => {
    const ad = adUser(6, { given: 'Isaiah', sn: 'Langer', mobile: '(425) 555-0100', mobileChangedAt: '2025-03-01T00:00:00Z' });
    expect(one(ad, entraTwin(ad, { mobilePhone: '+1 425 555 0100' })).status).toBe('pending-sync');
    expect(one(ad, entraTwin(ad, { mobilePhone: null })).status).toBe('pending-sync');
  });

  it('in-sync takes precedence over pending-sync', () => {
    const ad = adUser(7, { given: 'Johanna', sn: 'Lorenz', mobileChangedAt: '2025-03-01T00:00:00Z' });
    expect(one(ad).status).toBe('in-sync');
  });

  it('marks the same number written differently format-only, naming the likely override', () => {
    const ad = adUser(8, { given: 'Lee', sn: 'Gu', mobile: '+1 425 555 0100' });
    const row = one(ad, entraTwin(ad, { mobilePhone: '(425) 555-0100' }));
    expect(row.status).toBe('format-only');
    expect(row.cause).toMatch(/override/);
  });

  it('marks cloud-missing, onprem-missing and cloud-override', () => {
    const a = adUser(9, { given: 'Lidia', sn: 'Holloway', mobile: '+1 425 555 0102' });
    expect(one(a, entraTwin(a, { mobilePhone: null })).status).toBe('cloud-missing');
    const b = adUser(10, { given: 'Lynne', sn: 'Robbins', mobile: null });
    const rb = one(b, entraTwin(b, { mobilePhone: '+1 425 555 0103' }));
    expect(rb.status).toBe('onprem-missing');
    expect(rb.cause).toMatch(/bypass would erase/);
    const c = adUser(11, { given: 'Megan', sn: 'Bowen', mobile: '+1 425 555 0104' });
    expect(one(c, entraTwin(c, { mobilePhone: '+1 206 555 0199' })).status).toBe('cloud-override');
  });

  it('never calls a managed (no longer synced) user pending, and says Graph accepts the write', () => {
    const ad = adUser(12, { given: 'Miriam', sn: 'Graham', mobile: '+1 425 555 0105', mobileChangedAt: '2025-03-01T00:00:00Z' });
    const row = one(ad, entraTwin(ad, { mobilePhone: '+1 206 555 0100', onPremisesSyncEnabled: false }));
    expect(row.status).toBe('cloud-override');
    expect(row.cloud?.managed).toBe(true);
    expect(row.cause).toMatch(/Graph accepts a per-user write/);
  });

  it('does not call pending without a known change time', () => {
    const ad = adUser(13, { given: 'Nestor', sn: 'Wilke', mobile: '+1 425 555 0106', mobileChangedAt: null });
    const row = one(ad, entraTwin(ad, { mobilePhone: '+1 206 555 0100', onPremisesLastSyncDateTime: null }));
    expect(row.status).toBe('cloud-override');
  });

  it('uses whenChanged when per-attribute metadata is missing and says so', () => {
    const ad = adUser(14, { given: 'Patti', sn: 'Fernandez', mobile: '+1 425 555 0107', mobileChangedAt: null, whenChanged: '2025-03-01T00:00:00Z' });
    const row = one(ad, entraTwin(ad, { mobilePhone: '+1 206 555 0100' }));
    expect(row.status).toBe('pending-sync');
    expect(row.flags).toContain('onprem-time-approximate');
    expect(row.onPrem?.changeSource).toBe('whenChanged');
  });
});

describe('join', () => {
  it('joins by consistency-GUID anchor even when UPNs differ', () => {
    const ad = adUser(20, { given: 'Pradeep', sn: 'Gupta' });
    const row = one(ad, entraTwin(ad, { userPrincipalName: 'pgupta@contoso.onmicrosoft.com' }));
    expect(row.match).toBe('anchor');
    expect(row.upn).toBe('pgupta@contoso.onmicrosoft.com');
  });

  it('falls back to the objectGUID anchor for users synced before the consistency GUID was set', () => {
    const ad = adUser(21, { given: 'Raul', sn: 'Razo', consistencyGuid: false });
    // The adapter chose a different anchor attribute (say employeeID), the cloud still holds the GUID.
    const adOther = { ...ad, sourceAnchor: 'RU1QLTAwMTIz' };
    const row = one(adOther, entraTwin(ad, { onPremisesImmutableId: objectGuidToAnchor(ad.objectGuid) }));
    expect(row.match).toBe('anchor');
    expect(row.status).toBe('in-sync');
  });

  it('encodes objectGUID in .NET byte order', () => {
    // Guid("3f2b9c1e-7d4a-4b8e-9c11-000000000001").ToByteArray() → 1e 9c 2b 3f 4a 7d 8e 4b 9c 11 00 00 00 00 00 01
    expect(Buffer.from(objectGuidToAnchor('3f2b9c1e-7d4a-4b8e-9c11-000000000001')!, 'base64').toString('hex')).toBe('1e9c2b3f4a7d8e4b9c11000000000001');
  });

  it('joins by objectSid when the anchor does not match', () => {
    const ad = adUser(22, { given: 'Sacha', sn: 'Boulanger' });
    const row = one(ad, entraTwin(ad, { onPremisesImmutableId: 'dGhpcyBpcyBub3QgaXQ=' }));
    expect(row.match).toBe('sid');
    expect(row.status).toBe('in-sync');
  });

  it('never lets a SID match steal an on-prem user already matched by anchor', () => {
    const ad = adUser(23, { given: 'Tristan', sn: 'Ketchum' });
    const impostor = entraTwin(ad, { id: 'ffff0000-0000-4000-8000-000000000001', onPremisesImmutableId: 'b3RoZXI=', userPrincipalName: 'tk2@contoso.com' });
    const r = computeDrift([ad], [impostor, entraTwin(ad)], { defaultRegion: 'US' });
    const matched = r.rows.find((x) => x.onPrem)!;
    expect(matched.match).toBe('anchor');
    expect(r.summary.byStatus['unmatched-cloud']).toBe(1);
  });

  it('shows a UPN-only pair as a soft match without a verdict', () => {
    const ad = adUser(24, { given: 'Vanessa', sn: 'Lopez', mobile: '+1 425 555 0110' });
    const cloud = entraTwin(ad, { onPremisesImmutableId: 'bm90LWl0', onPremisesSecurityIdentifier: null, mobilePhone: '+1 206 555 0100', onPremisesDistinguishedName: null });
    const r = computeDrift([ad], [cloud], { defaultRegion: 'US' });
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0]!;
    expect(row.status).toBe('unmatched-onprem');
    expect(row.match).toBe('upn-soft');
    expect(row.flags).toContain('soft-match');
    expect(row.cloud?.id).toBe(cloud.id);
    expect(row.cause).toMatch(/Only the UPN matches/);
    expect(r.stats.softMatches).toBe(1);
  });

  it('ignores cloud-only users and counts them', () => {
    const ad = adUser(25, { given: 'Adele', sn: 'Vance' });
    const r = computeDrift([ad], [entraTwin(ad), cloudOnly('Guest', '+1 425 555 0100')], { defaultRegion: 'US' });
    expect(r.rows).toHaveLength(1);
    expect(r.stats.cloudOnly).toBe(1);
    expect(r.summary.cloudUsers).toBe(1);
  });

  it('lists in-scope AD users without a twin as unmatched-onprem, skips out-of-scope ones', () => {
    const a = adUser(26, { given: 'Allan', sn: 'Deyoung' });
    const admin = adUser(27, { given: 'Administrator', sn: 'Account', inScope: false });
    const r = computeDrift([a, admin], [], { defaultRegion: 'US' });
    expect(r.rows.map((x) => x.status)).toEqual(['unmatched-onprem']);
    expect(r.summary.onPremUsers).toBe(1);
  });

  it('counts an unmatched synced cloud user only when its DN is absent or under a scanned base', () => {
    const inside = entraTwin(adUser(30, { given: 'Debra', sn: 'Berger' }), { onPremisesImmutableId: 'aW5zaWRl', onPremisesSecurityIdentifier: null });
    const outside = entraTwin(adUser(31, { given: 'Emily', sn: 'Braun', ou: 'OU=Contractors' }), { onPremisesImmutableId: 'b3V0c2lkZQ==', onPremisesSecurityIdentifier: null });
    const noDn = entraTwin(adUser(32, { given: 'Enrico', sn: 'Cattaneo' }), { onPremisesImmutableId: 'bm9kbg==', onPremisesSecurityIdentifier: null, onPremisesDistinguishedName: null });
    const r = computeDrift([], [inside, outside, noDn], { defaultRegion: 'US', scannedBases: ['ou=staff, ou=Seattle,DC=Contoso,DC=com'] });
    expect(r.rows.map((x) => x.upn).sort()).toEqual([inside.userPrincipalName, noDn.userPrincipalName].sort());
    expect(r.rows.every((x) => x.status === 'unmatched-cloud')).toBe(true);
    expect(r.summary.outOfScope).toBe(1);
  });

  it('does not list unmatched once-synced users (nothing to compare) but counts them', () => {
    const gone = entraTwin(adUser(33, { given: 'Gerhart', sn: 'Moller' }), { onPremisesSyncEnabled: false, onPremisesImmutableId: 'Z29uZQ==', onPremisesSecurityIdentifier: null });
    const r = computeDrift([], [gone], { defaultRegion: 'US' });
    expect(r.rows).toHaveLength(0);
    expect(r.stats.unmatchedUnsynced).toBe(1);
  });

  it('compares with the user\u2019s AD country before the profile default', () => {
    const ad = adUser(34, { given: 'Christie', sn: 'Cline', country: 'GB', mobile: '07700 900123' });
    const row = one(ad, entraTwin(ad, { mobilePhone: '+44 7700 900123' }));
    expect(row.status).toBe('format-only');
    expect(row.normalized.onPrem).toBe('+447700900123');
  });
});

describe('timeline and audit', () => {
  it('attaches the cloud change time and actor from the audit lookup', () => {
    const ad = adUser(40, { given: 'Irvin', sn: 'Sayers', mobile: '+1 425 555 0111' });
    const cloud = entraTwin(ad, { mobilePhone: '+1 206 555 0142' });
    const audits = parseDirectoryAudits([
      {
        id: 'Directory_8f1e7a9b_ABCD1',
        activityDisplayName: 'Update user',
        activityDateTime: '2023-06-02T14:05:11.1234567Z',
        result: 'success',
        initiatedBy: { user: { id: 'u1', userPrincipalName: 'helpdesk@contoso.com' }, app: null },
        targetResources: [{ id: cloud.id, type: 'User', userPrincipalName: cloud.userPrincipalName, modifiedProperties: [{ displayName: 'MobilePhone', oldValue: '["+1 425 555 0111"]', newValue: '["+1 206 555 0142"]' }] }],
      },
    ]);
    const r = computeDrift([ad], [cloud], { defaultRegion: 'US', auditLookup: auditLookupFrom(audits.latestByUser, { complete: true }) });
    const row = r.rows[0]!;
    expect(row.cloud?.changedBy).toBe('helpdesk@contoso.com');
    expect(row.cloud?.changeState).toBe('known');
    expect(row.cause).toMatch(/Last cloud change: 2023-06-02 14:05 UTC by helpdesk@contoso.com/);
  });

  it('says outside retention when the index is complete and loading while it fills', () => {
    const ad = adUser(41, { given: 'Joni', sn: 'Sherman', mobile: '+1 425 555 0112' });
    const cloud = entraTwin(ad, { mobilePhone: '+1 206 555 0143' });
    const done = computeDrift([ad], [cloud], { auditLookup: auditLookupFrom(new Map(), { complete: true }) }).rows[0]!;
    expect(done.cloud?.changeState).toBe('outside-retention');
    const filling = computeDrift([ad], [cloud], { auditLookup: auditLookupFrom(new Map(), { complete: false }) }).rows[0]!;
    expect(filling.cloud?.changeState).toBe('loading');
    expect(computeDrift([ad], [cloud]).rows[0]!.cloud?.changeState).toBe('unavailable');
  });
});

describe('report', () => {
  it('counts every status and validates against the public report schema', () => {
    const users = [
      adUser(50, { given: 'A', sn: 'One' }),
      adUser(51, { given: 'B', sn: 'Two', mobile: null }),
      adUser(52, { given: 'C', sn: 'Three' }),
    ];
    const clouds = [entraTwin(users[0]!), entraTwin(users[1]!, { mobilePhone: '+1 206 555 0100' })];
    const result = computeDrift(users, clouds, { defaultRegion: 'US' });
    const report = buildReport(result, { profile: 'Contoso', generatedAt: '2025-02-02T00:00:00Z', phases: { drift: 3 } });
    expect(() => DriftReport.parse(report)).not.toThrow();
    expect(report.summary.byStatus).toMatchObject({ 'in-sync': 1, 'onprem-missing': 1, 'unmatched-onprem': 1, 'cloud-override': 0 });
    expect(Object.keys(report.summary.byStatus)).toHaveLength(9);
    expect(report.summary.byStatus['rule-formatted']).toBe(0);
  });
});

describe('source-of-authority-switched users (#17 point 8)', () => {
  it('takes onPremisesSyncEnabled null with an anchor for a switched user, not a cloud-only one', () => {
    const ad = adUser(801, { given: 'Layla', sn: 'Mansour', mobile: '+966 50 123 4567' });
    // Exactly what Graph returns after the switch; cloudManaged as a reader without the behaviour read leaves it.
    const cloud = entraTwin(ad, { mobilePhone: '+966 55 765 4321', onPremisesSyncEnabled: null, cloudManaged: false });
    const r = computeDrift([ad], [cloud]);
    expect(r.stats.cloudOnly).toBe(0);
    expect(r.rows[0]).toMatchObject({ status: 'cloud-override', cloud: { managed: true, authority: 'cloud' } });
    expect(r.rows[0]!.cause).toMatch(/source of authority was switched from AD to the cloud/);
    expect(r.rows[0]!.cause).not.toMatch(/no longer synced/);
  });

  it('says "no longer synced" only for onPremisesSyncEnabled false', () => {
    const ad = adUser(802, { given: 'Rahul', sn: 'Verma', mobile: '+91 99000 11122' });
    const cloud = entraTwin(ad, { mobilePhone: '+91 99000 33344', onPremisesSyncEnabled: false, cloudManaged: true });
    const row = computeDrift([ad], [cloud]).rows[0]!;
    expect(row.cloud).toMatchObject({ managed: true, authority: 'unsynced' });
    expect(row.cause).toMatch(/no longer synced/);
    expect(row.cause).not.toMatch(/source of authority/);
  });
});
