import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../main/drift/engine';
import { auditLookupFrom } from '../../main/drift/timeline';
import { suggestDecision } from '../../main/remediation/decisions';
import type { DriftRow } from '../../main/core/model';
import { adUser, entraTwin } from './drift/fixtures';

/** The audit index covers changes since this time and holds no mobile change for the user. */
const COVERED_FROM = '2026-11-06T09:00:00Z';

function outsideRetentionRow(ad: Parameters<typeof adUser>[1], cloudValue: string, coveredFrom: string | null = COVERED_FROM): DriftRow {
  const u = adUser(1, ad);
  const c = entraTwin(u, { mobilePhone: cloudValue, onPremisesLastSyncDateTime: '2026-12-06T08:30:00Z' });
  const row = computeDrift([u], [c], { auditLookup: auditLookupFrom(new Map(), { complete: true, coveredFrom }) }).rows[0]!;
  expect(row.status).toBe('cloud-override');
  expect(row.cloud?.changeState).toBe('outside-retention');
  return row;
}

describe('suggestDecision: a cloud edit older than the audit log keeps (#17 point 2)', () => {
  it('suggests nothing when AD mobile changed before the retention window too: the order is unknown', () => {
    // AD mobile set in 2019, the cloud edit some time before the window: either may be newer.
    const row = outsideRetentionRow({ given: 'Olga', sn: 'Ivanova', mobile: '+7 912 345-67-89', mobileChangedAt: '2019-03-02T10:00:00Z' }, '+7 916 555-12-34');
    const s = suggestDecision(row);
    expect(s.action).toBe('skip');
    expect(s.ask).toBe(true);
    expect(s.reason).toMatch(/unknown/i);
    expect(s.reason).toContain('2019-03-02');
    expect(s.reason).toContain('2026-11-06');
  });

  it('suggests keep-onprem when the replication metadata puts the AD change inside the window', () => {
    const row = outsideRetentionRow({ given: 'Nico', sn: 'Dangelo', mobile: '+1 206 555 0187', mobileChangedAt: '2026-11-20T10:00:00Z' }, '+1 206 555 0199');
    const s = suggestDecision(row);
    expect(s.action).toBe('keep-onprem');
    expect(s.ask).toBe(false);
    expect(s.reason).toContain('2026-11-20');
    expect(s.reason).toContain('2026-11-06');
  });

  it('treats whenChanged as no mobile change time at all', () => {
    // whenChanged is recent (another attribute changed), the mobile metadata is missing.
    const row = outsideRetentionRow({ given: 'Ana', sn: 'Silva', mobile: '+351 912 345 678', mobileChangedAt: null, whenChanged: '2026-12-01T08:00:00Z' }, '+351 913 000 111');
    expect(row.onPrem?.changeSource).toBe('whenChanged');
    const s = suggestDecision(row);
    expect(s.action).toBe('skip');
    expect(s.ask).toBe(true);
    expect(s.reason).toMatch(/whenChanged/);
  });

  it('says the order is unknown when the window start itself is not known', () => {
    const row = outsideRetentionRow({ given: 'Li', sn: 'Na', mobile: '+86 138 0013 8000', mobileChangedAt: '2026-11-20T10:00:00Z' }, '+86 139 0000 0000', null);
    const s = suggestDecision(row);
    expect(s.action).toBe('skip');
    expect(s.ask).toBe(true);
  });

  it('does not call AD newer from a whenChanged later than a known cloud edit', () => {
    const u = adUser(2, { given: 'Kim', sn: 'Akers', mobile: '+1 425 555 0100', mobileChangedAt: null, whenChanged: '2026-12-01T08:00:00Z' });
    const c = entraTwin(u, { mobilePhone: '+1 425 555 0111', onPremisesLastSyncDateTime: '2026-12-06T08:30:00Z' });
    const known = new Map([[c.id, { recordId: 'r1', at: '2026-11-25T12:00:00Z', targetId: c.id, targetUpn: c.userPrincipalName, actor: 'kim.akers@contoso.com', actorKind: 'user' as const, syncWrite: false, oldValue: null, newValue: null }]]);
    const row = computeDrift([u], [c], { auditLookup: auditLookupFrom(known, { complete: true, coveredFrom: COVERED_FROM }) }).rows[0]!;
    const s = suggestDecision(row);
    expect(s.action).toBe('skip');
    expect(s.ask).toBe(true);
  });
});

describe('suggestDecision: format-only (#17 point 9)', () => {
  it('offers keep-cloud beside keep-onprem: the cloud holds the E.164 form, which keep-onprem loses', () => {
    const u = adUser(3, { given: 'Eve', sn: 'Stone', mobile: '(425) 555-0100' });
    const c = entraTwin(u, { mobilePhone: '+14255550100' });
    const row = computeDrift([u], [c], { defaultRegion: 'US' }).rows[0]!;
    expect(row.status).toBe('format-only');
    const s = suggestDecision(row);
    const offered = [s.action, ...(s.alternatives ?? []).map((a) => a.action)];
    expect(offered).toContain('keep-cloud');
    expect(offered).toContain('keep-onprem');
    expect(s.reason).not.toMatch(/nothing is lost/i);
    expect(`${s.reason} ${(s.alternatives ?? []).map((a) => a.reason).join(' ')}`).toMatch(/E\.164/);
    // The cloud already has the canonical form: writing it into AD loses nothing, so it is the default.
    expect(s.action).toBe('keep-cloud');
  });

  it('keeps keep-onprem first when the cloud text is not E.164, and still offers keep-cloud', () => {
    const u = adUser(4, { given: 'Alex', sn: 'Wilber', mobile: '+14255550100' });
    const c = entraTwin(u, { mobilePhone: '425-555-0100' });
    const row = computeDrift([u], [c], { defaultRegion: 'US' }).rows[0]!;
    expect(row.status).toBe('format-only');
    const s = suggestDecision(row);
    expect(s.action).toBe('keep-onprem');
    expect((s.alternatives ?? []).map((a) => a.action)).toContain('keep-cloud');
  });

  it('says in the cause that Entra Connect compares strings: real drift unless a sync rule reformats', () => {
    const u = adUser(5, { given: 'Lee', sn: 'Gu', mobile: '(425) 555-0100' });
    const c = entraTwin(u, { mobilePhone: '+14255550100' });
    const row = computeDrift([u], [c], { defaultRegion: 'US' }).rows[0]!;
    expect(row.cause).toMatch(/compares strings/i);
    expect(row.cause).toMatch(/sync rule/i);
  });
});

describe('suggestDecision: a sync write is not a person\'s cloud edit (#17 point 7)', () => {
  it('does not ask "who set the cloud value" when the latest cloud change was a Cloud Sync write', () => {
    const u = adUser(6, { given: 'Nova', sn: 'Reyes', mobile: '+1 803 555 0160', mobileChangedAt: '2026-11-01T09:00:00Z' });
    const c = entraTwin(u, { mobilePhone: '+1 803 555 0199', onPremisesLastSyncDateTime: '2026-12-06T08:30:00Z' });
    const write = { recordId: 'cs', at: '2026-11-20T10:00:00Z', targetId: c.id, targetUpn: c.userPrincipalName, actor: 'ADToAADSyncServiceAccount@contoso.onmicrosoft.com', actorKind: 'user' as const, syncWrite: true, syncEngine: 'cloud-sync' as const, oldValue: null, newValue: null };
    const row = computeDrift([u], [c], { auditLookup: auditLookupFrom(new Map([[c.id, write]]), { complete: true, coveredFrom: COVERED_FROM }) }).rows[0]!;
    expect(row.cloud).toMatchObject({ changedBySync: true });
    const s = suggestDecision(row);
    expect(s.reason).not.toMatch(/ADToAADSyncServiceAccount set the cloud value/);
  });
});
