/**
 * The page-by-page engine (DriftBuilder, what runScan feeds while reading) must give exactly what
 * computeDrift gives over the whole snapshots: same rows in the same order, same summary, whatever
 * the page sizes and whichever side arrives first. Deterministic data: the sandbox seed people
 * (the bench's numbers: US, UK, German, French, national and + forms) with every status, match
 * kind and flag mixed in by index.
 */
import { describe, expect, it } from 'vitest';
import { computeDrift, DriftBuilder, type DriftOptions, type DriftResult } from '../../../main/drift/engine';
import { auditLookupFrom, type AuditLookup } from '../../../main/drift/timeline';
import { runScan, pagesOf } from '../../../main/drift/pipeline';
import { SnapshotDirectory } from '../../../main/onprem/import/snapshot';
import { seedPeople } from '../../../main/sandbox/seed';
import { guidBytesToText } from '../../../main/sandbox/ids';
import type { CloudUser, OnPremUser } from '../../../main/core/model';
import type { MobileChange } from '../../../main/drift/audit';
import type { EngineObject } from '../../../main/core/engine-view';
import { CancelledError, ValidationError } from '../../../main/core/errors';

const BASE = 'DC=contoso,DC=example';
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', null, 'XX'] as const;

function dataset(count: number): { onPrem: OnPremUser[]; cloud: CloudUser[] } {
  const onPrem: OnPremUser[] = [];
  const cloud: CloudUser[] = [];
  for (const p of seedPeople({ count, seed: 11, domain: 'contoso.example' })) {
    const i = p.index;
    // i % 97 === 9: synced past (confirmed override); i % 97 === 19: within 2 h of the tenant sync (pending).
    const changedAt = i % 97 === 9 ? '2025-03-02T12:00:00.000Z' : i % 97 === 19 ? '2025-03-03T09:00:00.000Z' : '2025-01-01T08:00:00.000Z';
    const ad: OnPremUser = {
      sourceId: 'dc01',
      dn: p.dn,
      objectGuid: guidBytesToText(Buffer.from(p.immutableId, 'base64')),
      consistencyGuid: p.immutableId,
      sourceAnchor: p.immutableId,
      objectSid: p.sid,
      upn: p.userPrincipalName,
      samAccountName: p.samAccountName,
      displayName: p.displayName,
      mobile: i % 67 === 3 ? null : i % 41 === 2 ? '020 7946 0958' : i % 43 === 5 ? 'call me 425 555 0100' : p.mobile,
      otherMobile: p.otherMobile,
      telephoneNumber: p.telephoneNumber,
      country: COUNTRIES[i % COUNTRIES.length]!,
      whenChanged: '2025-01-02T08:00:00.000Z',
      usnChanged: 1000 + i,
      isDeleted: i % 79 === 6,
      changes: i % 31 === 4 ? {} : { mobile: { changedAt, version: 2, source: 'replPropertyMetaData' } },
      inScope: i % 83 !== 7,
      scopeReason: i % 83 === 7 ? 'isCriticalSystemObject' : null,
    };
    onPrem.push(ad);
    // A second AD object claiming the same anchor (the first one wins).
    if (i % 89 === 8) onPrem.push({ ...ad, dn: `CN=dup ${i},${BASE}`, objectSid: `${p.sid}9`, upn: `dup${i}@contoso.example` });
    if (i % 101 === 12) continue; // no cloud twin
    const digits = (ad.mobile ?? '').replace(/\D+/g, '');
    const twin: CloudUser = {
      id: p.id,
      userPrincipalName: i % 113 === 6 ? `${p.samAccountName}@contoso.onmicrosoft.com` : p.userPrincipalName,
      displayName: p.displayName,
      mobilePhone:
        i % 50 === 0 ? `+1 206 555 ${String(i % 10000).padStart(4, '0')}` : i % 53 === 1 ? (digits ? `+${digits}` : null) : i % 61 === 2 ? null : i % 67 === 3 ? '+1 425 555 0111' : ad.mobile,
      businessPhones: [],
      onPremisesSyncEnabled: i % 103 === 10 ? false : true,
      onPremisesImmutableId: i % 71 === 4 || i % 73 === 5 ? null : ad.sourceAnchor,
      onPremisesSecurityIdentifier: i % 73 === 5 ? 'S-1-5-21-1-2-3-999' : ad.objectSid,
      onPremisesLastSyncDateTime: '2025-03-01T10:00:00.000Z',
      onPremisesDistinguishedName: ad.dn,
      onPremisesDomainName: 'contoso.example',
      onPremisesSamAccountName: ad.samAccountName,
      onPremisesUserPrincipalName: i % 73 === 5 ? null : ad.upn,
      cloudManaged: i % 107 === 11,
    };
    cloud.push(twin);
    // A second cloud user with the same anchor: only the first claimant gets the AD twin.
    if (i % 109 === 13) cloud.push({ ...twin, id: `${p.id.slice(0, -4)}ffff`, userPrincipalName: `second${i}@contoso.example`, onPremisesUserPrincipalName: null });
  }
  // Unmatched cloud users inside and outside the scanned base, and a cloud-only one.
  for (let k = 0; k < 30; k++) {
    cloud.push({
      id: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
      userPrincipalName: `orphan${k}@contoso.example`,
      displayName: null,
      mobilePhone: k % 3 === 0 ? null : `+44 20 7946 ${String(k).padStart(4, '0')}`,
      businessPhones: [],
      onPremisesSyncEnabled: k % 5 === 0 ? null : true,
      onPremisesImmutableId: `b3JwaGFu${k}AAAAAAAAAA==`,
      onPremisesSecurityIdentifier: null,
      onPremisesLastSyncDateTime: '2025-03-01T10:00:00.000Z',
      onPremisesDistinguishedName: k % 2 === 0 ? `CN=o${k},OU=Gone,${BASE}` : `CN=o${k},DC=fabrikam,DC=com`,
      onPremisesDomainName: null,
      onPremisesSamAccountName: null,
      onPremisesUserPrincipalName: null,
      cloudManaged: false,
    });
  }
  return { onPrem, cloud };
}

function pages<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Everything but the parse counter, which depends on what was parsed before (cache warmth). */
function comparable(r: DriftResult): unknown {
  return { rows: r.rows, summary: r.summary, stats: { ...r.stats, normalizerParses: 0 } };
}

const { onPrem, cloud } = dataset(3000);
const changes = new Map<string, MobileChange>(
  cloud
    .filter((_, k) => k % 7 === 0)
    .map((c, k) => [c.id, { cloudUserId: c.id, at: `2025-02-${String(1 + (k % 27)).padStart(2, '0')}T09:00:00Z`, actor: k % 2 ? 'helpdesk@contoso.example' : 'Sync_CONNECT01_1', syncWrite: k % 2 === 0, value: null, previous: null } as unknown as MobileChange]),
);
const lookup: AuditLookup = auditLookupFrom(changes, { complete: true });
const options: DriftOptions = { defaultRegion: 'US', scannedBases: [BASE], tenantLastSyncAt: '2025-03-03T10:00:00.000Z' };

describe('DriftBuilder (page by page) against computeDrift (all at once)', () => {
  const expected = computeDrift(onPrem, cloud, { ...options, auditLookup: lookup });

  it('covers every status, match kind and the flags the data is built for', () => {
    // rule-formatted needs the engine's view (tests/unit/drift/engine-view.test.ts); this data has none.
    for (const [status, n] of Object.entries(expected.summary.byStatus)) if (status !== 'rule-formatted') expect(n, status).toBeGreaterThan(0);
    expect(expected.summary.byStatus['rule-formatted']).toBe(0);
    expect(expected.stats.matchedBySid).toBeGreaterThan(0);
    expect(expected.stats.softMatches).toBeGreaterThan(0);
    expect(expected.stats.duplicateAnchors).toBeGreaterThan(0);
    expect(expected.stats.outOfScope).toBeGreaterThan(0);
    expect(expected.stats.unmatchedUnsynced).toBeGreaterThan(0);
    const flags = new Set(expected.rows.flatMap((r) => r.flags));
    for (const f of ['override-confirmed', 'onprem-unparseable', 'cloud-unparseable', 'onprem-out-of-default-scope', 'onprem-time-approximate', 'duplicate-anchor', 'soft-match']) {
      expect(flags, f).toContain(f);
    }
  });

  it.each([1, 7, 250, 999])('gives identical results with pages of %i, on-prem complete first', (size) => {
    const b = new DriftBuilder({ ...options, auditLookup: lookup });
    for (const p of pages(onPrem, size)) b.addOnPrem(p);
    b.sealOnPrem();
    for (const p of pages(cloud, size)) b.addCloud(p);
    expect(comparable(b.finish())).toEqual(comparable(expected));
  });

  it('gives identical results when cloud pages arrive before and while on-prem pages do', () => {
    const b = new DriftBuilder({ ...options, auditLookup: lookup });
    const op = pages(onPrem, 333);
    const cp = pages(cloud, 200);
    for (let k = 0; k < Math.max(op.length, cp.length); k++) {
      if (cp[k]) b.addCloud(cp[k]!);
      if (op[k]) b.addOnPrem(op[k]!);
    }
    b.sealOnPrem();
    expect(comparable(b.finish())).toEqual(comparable(expected));
  });

  it('gives identical results when the audit lookup and scanned bases only come at finish', () => {
    const b = new DriftBuilder({ defaultRegion: options.defaultRegion!, tenantLastSyncAt: options.tenantLastSyncAt! });
    for (const p of pages(onPrem, 500)) b.addOnPrem(p);
    b.sealOnPrem();
    for (const p of pages(cloud, 500)) b.addCloud(p);
    expect(comparable(b.finish({ auditLookup: lookup, scannedBases: [BASE] }))).toEqual(comparable(expected));
  });

  it('refuses on-prem pages after the seal and a second finish', () => {
    const b = new DriftBuilder(options);
    b.sealOnPrem();
    expect(() => b.addOnPrem(onPrem.slice(0, 1))).toThrow(/after sealOnPrem/);
    b.finish();
    expect(() => b.finish()).toThrow(/twice/);
  });
});

describe('runScan streams into the engine', () => {
  it('reports exactly what computeDrift gives over the users it read', async () => {
    const dir = new SnapshotDirectory({ id: 'dc01', kind: 'snapshot', label: 'seed', baseDn: BASE, searchBases: [BASE], writable: false }, onPrem);
    const out = await runScan({
      onPrem: [dir],
      cloudUsers: pagesOf(pages(cloud, 999)),
      profileName: 'streaming',
      defaultRegion: 'US',
      tenantLastSyncAt: options.tenantLastSyncAt!,
      resolveAuditLookup: async () => lookup,
      scanOptions: { pageSize: 400, includeOutOfScope: true },
    });
    expect(out.onPremUsers).toEqual(onPrem);
    expect(comparable(out.drift)).toEqual(comparable(computeDrift(onPrem, cloud, { ...options, auditLookup: lookup })));
  });
});

describe('the engine view arriving while the directories are read (engineLater)', () => {
  // The CLI reads the Connect exports on a worker thread meanwhile (main/cli/connect-off-thread.ts).
  const rule = { name: 'Custom - Mobile E.164', precedence: 50, expression: 'IIF(...)', sources: ['mobile'], connector: 'contoso.example' };
  // Every kind of engine object: exported as AD holds it, reformatted by a rule, not exported, in
  // error, pending, and exporting another otherMobile than AD's (each changes the rows differently).
  const state = (i: number): EngineObject['state'] => (i % 11 === 3 ? 'not-exported' : i % 13 === 5 ? 'pending' : i % 17 === 7 ? 'error' : 'exported');
  const engine: EngineObject[] = onPrem
    .filter((_, i) => i % 5 !== 4)
    .map((u, i) => ({
      engine: 'connect',
      sourceAnchor: u.sourceAnchor,
      onPremDn: u.dn,
      cloudId: null,
      state: state(i),
      exported: state(i) === 'not-exported' || state(i) === 'error' ? null : { mobile: i % 3 === 0 && u.mobile ? u.mobile.replace(/[^\d+]/g, '') : u.mobile, otherMobile: i % 7 === 2 ? ['+1 425 555 9999'] : u.otherMobile },
      exportedAt: '2025-03-01T09:00:00.000Z',
      rule: i % 3 === 0 ? rule : null,
      reason: state(i) === 'not-exported' ? 'a disconnector' : state(i) === 'error' ? 'permission-issue' : null,
      evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: 2 + i * 12 }],
    }));
  const withEngine = { ...options, auditLookup: lookup };
  const expected = computeDrift(onPrem, cloud, { ...withEngine, engineObjects: engine });

  it('the data has rows the engine view changes, in every way it changes them', () => {
    expect(expected.summary.byStatus['rule-formatted']).toBeGreaterThan(0);
    const flagged = (f: string) => expected.rows.filter((r) => r.flags.includes(f)).length;
    for (const f of ['engine-not-exported', 'engine-error', 'override-confirmed']) expect(flagged(f), f).toBeGreaterThan(0);
    expect(expected.rows.filter((r) => r.engine?.state === 'pending' && r.status === 'pending-sync').length).toBeGreaterThan(0);
    expect(expected.rows.filter((r) => r.otherMobile?.note.includes('exports otherMobile in another form')).length).toBeGreaterThan(0);
    // And rows it leaves as they are but for the engine's object they carry.
    expect(expected.rows.filter((r) => r.engine && r.status === 'in-sync' && !r.cause.includes('Connect')).length).toBeGreaterThan(0);
    expect(comparable(expected)).not.toEqual(comparable(computeDrift(onPrem, cloud, withEngine)));
  });

  it.each(['before any page', 'after the on-prem side', 'between cloud pages', 'after every page'] as const)('gives identical results when it arrives %s', (when) => {
    const b = new DriftBuilder({ ...withEngine, engineLater: true });
    if (when === 'before any page') b.provideEngineObjects(engine);
    for (const p of pages(onPrem, 400)) b.addOnPrem(p);
    b.sealOnPrem();
    if (when === 'after the on-prem side') b.provideEngineObjects(engine);
    const cp = pages(cloud, 300);
    cp.forEach((p, k) => {
      b.addCloud(p);
      if (when === 'between cloud pages' && k === Math.floor(cp.length / 2)) b.provideEngineObjects(engine);
    });
    if (when === 'after every page') b.provideEngineObjects(engine);
    expect(comparable(b.finish())).toEqual(comparable(expected));
  });

  it('refuses to finish before the promised view, and a view nobody promised', () => {
    const b = new DriftBuilder({ ...withEngine, engineLater: true });
    b.addOnPrem(onPrem.slice(0, 10));
    expect(() => b.finish()).toThrow(/before the promised engine objects/);
    expect(() => new DriftBuilder(withEngine).provideEngineObjects(engine)).toThrow(/not promised/);
    b.provideEngineObjects(engine);
    expect(() => b.provideEngineObjects(engine)).toThrow(/twice/);
  });

  const snapshot = () => new SnapshotDirectory({ id: 'dc01', kind: 'snapshot', label: 'seed', baseDn: BASE, searchBases: [BASE], writable: false }, onPrem);
  const scan = (engineObjects: readonly EngineObject[] | Promise<readonly EngineObject[]>, signal?: AbortSignal) =>
    runScan({
      onPrem: [snapshot()],
      cloudUsers: pagesOf(pages(cloud, 999)),
      profileName: 'late-engine',
      defaultRegion: 'US',
      tenantLastSyncAt: options.tenantLastSyncAt!,
      auditLookup: lookup,
      scanOptions: { pageSize: 400, includeOutOfScope: true },
      engineObjects,
      ...(signal ? { signal } : {}),
    });

  it('runScan joins a promised view as it joins one given up front', async () => {
    const late = new Promise<readonly EngineObject[]>((resolve) => setTimeout(() => resolve(engine), 30));
    const out = await scan(late);
    expect(comparable(out.drift)).toEqual(comparable((await scan(engine)).drift));
    expect(comparable(out.drift)).toEqual(comparable(expected));
    expect(out.report.summary.phases['engine']).toBeGreaterThanOrEqual(0);
  });

  it('runScan fails with the error of a view that does not read, and stops waiting when cancelled', async () => {
    const bad = Promise.reject(new ValidationError('cs.xml:3', 'closing tag </cs-objects> does not match <cs-object> opened on line 2'));
    await expect(scan(bad)).rejects.toThrow(/^cs\.xml:3: closing tag/);
    const ctl = new AbortController();
    const never = new Promise<readonly EngineObject[]>(() => {});
    const scanning = scan(never, ctl.signal);
    setTimeout(() => ctl.abort(), 50);
    await expect(scanning).rejects.toBeInstanceOf(CancelledError);
  });
});
