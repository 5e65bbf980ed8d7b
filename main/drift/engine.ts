/**
 * The drift engine: joins cloud users to on-prem users by source anchor, then SID; shows UPN-only
 * pairs as soft matches (never a verdict); classifies every pair; attaches timeline and cause.
 * Pure and linear: maps only, one pass per side, normalization cached per (value, region).
 */
import type { CloudUser, DriftReport, DriftRow, DriftStatus, OnPremUser, ScanSummary } from '../core/model';
import { DriftStatus as DriftStatusSchema } from '../core/model';
import { classifyPair } from './classify';
import { likelyCause } from './cause';
import { isBlank, PhoneNormalizer, pickRegion, type NormalizedPhone } from './normalize';
import type { AuditLookup, CloudChangeInfo } from './timeline';

export interface DriftOptions {
  /** ISO region for numbers in national format when the user has no AD `c` (profile.defaultRegion). */
  defaultRegion?: string | null;
  /** Search bases actually scanned; unmatched cloud users whose DN lies elsewhere are out of scope. Empty = unknown, all in scope. */
  scannedBases?: readonly string[];
  /** Cloud change per user id from the audit index; omitted = `unavailable`. */
  auditLookup?: AuditLookup;
  /** The tenant's last sync (/organization onPremisesLastSyncDateTime), to tell pending from stuck. */
  tenantLastSyncAt?: string | null;
  /** How long after an AD change a tenant sync may pass before the change counts as stuck (default 2 h). */
  stuckAfterMs?: number;
  /** Share a normalizer (and its cache) across runs. */
  normalizer?: PhoneNormalizer;
}

export interface DriftStats {
  onPremRead: number;
  onPremInScope: number;
  onPremOutOfDefaultScope: number;
  onPremDeleted: number;
  cloudRead: number;
  cloudConsidered: number;
  /** Never-synced cloud users (onPremisesSyncEnabled null): outside this problem. */
  cloudOnly: number;
  matchedByAnchor: number;
  matchedBySid: number;
  softMatches: number;
  /** Unmatched synced cloud users whose DN is outside the scanned bases. */
  outOfScope: number;
  /** Unmatched once-synced / cloud-managed users: no AD twin, nothing to compare. */
  unmatchedUnsynced: number;
  duplicateAnchors: number;
  normalizerParses: number;
}

export interface DriftResult {
  rows: DriftRow[];
  summary: ScanSummary;
  stats: DriftStats;
}

type ConsideredCloud = { user: CloudUser; managed: boolean };

const EMPTY_BY_STATUS = (): Record<DriftStatus, number> =>
  Object.fromEntries(DriftStatusSchema.options.map((s) => [s, 0])) as Record<DriftStatus, number>;

/** Lower-case, no blanks around `,` and `=`: DNs compare case-insensitively in AD. */
export function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*([,=])\s*/g, '$1');
}

/** True when dn equals a base or lies under it. */
export function isUnderAnyBase(dn: string, normalizedBases: readonly string[]): boolean {
  const d = normalizeDn(dn);
  return normalizedBases.some((b) => d === b || d.endsWith(`,${b}`));
}

/** Base64 of the raw objectGUID bytes (.NET mixed-endian order) from its textual form; null if malformed. */
export function objectGuidToAnchor(guid: string): string | null {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const b: number[] = [];
  for (let i = 0; i < 32; i += 2) b.push(parseInt(hex.slice(i, i + 2), 16));
  const ordered = [b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.slice(8)];
  // btoa rather than Buffer: the engine stays free of Node APIs.
  return btoa(String.fromCharCode(...ordered));
}

/** Which cloud users the drift problem concerns; null = cloud-only (never synced). */
export function considerCloudUser(u: CloudUser): ConsideredCloud | null {
  if (u.onPremisesSyncEnabled === true) return { user: u, managed: u.cloudManaged === true };
  const anchored = !isBlank(u.onPremisesImmutableId) || !isBlank(u.onPremisesSecurityIdentifier);
  if (anchored && (u.onPremisesSyncEnabled === false || u.cloudManaged === true)) return { user: u, managed: true };
  return null;
}

function mobileChange(u: OnPremUser): { changedAt: string | null; version: number | null; source: NonNullable<DriftRow['onPrem']>['changeSource']; approximate: boolean } {
  const c = u.changes['mobile'];
  if (c && c.changedAt) return { changedAt: c.changedAt, version: c.version, source: c.source, approximate: c.source === 'whenChanged' };
  return { changedAt: u.whenChanged, version: null, source: 'whenChanged', approximate: true };
}

function onPremPart(u: OnPremUser): NonNullable<DriftRow['onPrem']> {
  const ch = mobileChange(u);
  return {
    sourceId: u.sourceId,
    dn: u.dn,
    upn: u.upn,
    samAccountName: u.samAccountName,
    displayName: u.displayName,
    value: u.mobile,
    otherMobile: u.otherMobile,
    changedAt: ch.changedAt,
    changeVersion: ch.version,
    changeSource: ch.source,
    sourceAnchor: u.sourceAnchor,
    objectGuid: u.objectGuid,
    objectSid: u.objectSid,
    country: u.country,
  };
}

function cloudPart(c: ConsideredCloud, change: CloudChangeInfo): NonNullable<DriftRow['cloud']> {
  const u = c.user;
  return {
    id: u.id,
    upn: u.userPrincipalName,
    displayName: u.displayName,
    value: u.mobilePhone,
    lastSyncAt: u.onPremisesLastSyncDateTime,
    changedAt: change.state === 'known' ? (change.at ?? null) : null,
    changedBy: change.state === 'known' ? (change.actor ?? null) : null,
    changeState: change.state,
    managed: c.managed,
    immutableId: u.onPremisesImmutableId,
  };
}

/** Stable across scans, so decisions and history follow the AD account (or the cloud user when there is none). */
export function rowKey(onPrem: OnPremUser | null, cloud: CloudUser | null): string {
  if (onPrem) return `mobile:${onPrem.sourceId}:${onPrem.objectGuid.toLowerCase()}`;
  return `mobile:cloud:${cloud?.id ?? 'unknown'}`;
}

/**
 * Normalizes the phone values of a page ahead of computeDrift, into the normalizer computeDrift
 * is then given: a pipeline does the parsing while it waits for the next page, and the drift step
 * only joins and classifies. Results are cached per (value, region) and parsing is deterministic,
 * so warming never changes a verdict; a value warmed under another region than the engine needs
 * is simply parsed again there. On-prem values use the region computeDrift uses (AD `c`, else the
 * default); cloud values the default region (their twin's `c` is not known yet).
 */
export function warmNormalizer(norm: PhoneNormalizer, page: { onPrem?: readonly OnPremUser[]; cloud?: readonly CloudUser[] }, defaultRegion: string | null | undefined): void {
  const regions = new Map<string, ReturnType<typeof pickRegion>>();
  for (const u of page.onPrem ?? []) {
    if (u.mobile === null) continue;
    const countryKey = u.country ?? '';
    let region = regions.get(countryKey);
    if (region === undefined) {
      region = pickRegion(u.country, defaultRegion);
      regions.set(countryKey, region);
    }
    norm.normalize(u.mobile, region);
  }
  if (page.cloud && page.cloud.length > 0) {
    const region = pickRegion(null, defaultRegion);
    for (const u of page.cloud) if (u.mobilePhone !== null) norm.normalize(u.mobilePhone, region);
  }
}

const UNAVAILABLE: CloudChangeInfo = { state: 'unavailable' };

/** Joins, classifies and explains; see docs/drift.md for the rules. */
export function computeDrift(onPremUsers: Iterable<OnPremUser>, cloudUsers: Iterable<CloudUser>, options: DriftOptions = {}): DriftResult {
  const norm = options.normalizer ?? new PhoneNormalizer();
  const parsesBefore = norm.parses;
  const bases = (options.scannedBases ?? []).map(normalizeDn).filter((b) => b !== '');
  const lookup = options.auditLookup ?? (() => UNAVAILABLE);
  const stuckAfter = options.stuckAfterMs ?? 2 * 3600_000;
  const tenantSync = options.tenantLastSyncAt ? Date.parse(options.tenantLastSyncAt) : NaN;
  const stats: DriftStats = {
    onPremRead: 0,
    onPremInScope: 0,
    onPremOutOfDefaultScope: 0,
    onPremDeleted: 0,
    cloudRead: 0,
    cloudConsidered: 0,
    cloudOnly: 0,
    matchedByAnchor: 0,
    matchedBySid: 0,
    softMatches: 0,
    outOfScope: 0,
    unmatchedUnsynced: 0,
    duplicateAnchors: 0,
    normalizerParses: 0,
  };

  // Index on-prem: source anchor first, objectGUID-derived anchor as fallback, SID second.
  const onPrem: OnPremUser[] = [];
  const byAnchor = new Map<string, number>();
  // Fallback anchors (objectGUID bytes, consistency GUID) are built only on the first anchor miss.
  let byGuidAnchor: Map<string, number> | null = null;
  const fallbackAnchor = (id: string): number | undefined => {
    if (!byGuidAnchor) {
      byGuidAnchor = new Map();
      for (let i = 0; i < onPrem.length; i++) {
        const u = onPrem[i]!;
        const guidAnchor = objectGuidToAnchor(u.objectGuid);
        if (guidAnchor && guidAnchor !== u.sourceAnchor && !byGuidAnchor.has(guidAnchor)) byGuidAnchor.set(guidAnchor, i);
        if (u.consistencyGuid && u.consistencyGuid !== u.sourceAnchor && !byGuidAnchor.has(u.consistencyGuid)) byGuidAnchor.set(u.consistencyGuid, i);
      }
    }
    return byGuidAnchor.get(id);
  };
  const bySid = new Map<string, number>();
  const duplicate = new Set<number>();
  for (const u of onPremUsers) {
    stats.onPremRead++;
    if (u.isDeleted) {
      stats.onPremDeleted++;
      continue;
    }
    const i = onPrem.push(u) - 1;
    if (u.inScope) stats.onPremInScope++;
    else stats.onPremOutOfDefaultScope++;
    const prev = byAnchor.get(u.sourceAnchor);
    if (prev !== undefined) {
      duplicate.add(prev).add(i);
      stats.duplicateAnchors++;
    } else byAnchor.set(u.sourceAnchor, i);
    if (u.objectSid) {
      const sid = u.objectSid.toUpperCase();
      if (!bySid.has(sid)) bySid.set(sid, i);
    }
  }

  // Hard matches: anchor for every cloud user first, so a SID match never steals an anchored twin.
  const considered: ConsideredCloud[] = [];
  const twinOf = new Int32Array(onPrem.length).fill(-1);
  const matchOf: Array<'anchor' | 'sid' | null> = [];
  const cloudTwin: number[] = [];
  for (const u of cloudUsers) {
    stats.cloudRead++;
    const c = considerCloudUser(u);
    if (!c) {
      stats.cloudOnly++;
      continue;
    }
    const ci = considered.push(c) - 1;
    matchOf.push(null);
    cloudTwin.push(-1);
    const id = u.onPremisesImmutableId;
    if (id) {
      const i = byAnchor.get(id) ?? fallbackAnchor(id);
      if (i !== undefined && twinOf[i] === -1) {
        twinOf[i] = ci;
        cloudTwin[ci] = i;
        matchOf[ci] = 'anchor';
        stats.matchedByAnchor++;
      }
    }
  }
  stats.cloudConsidered = considered.length;
  for (let ci = 0; ci < considered.length; ci++) {
    if (cloudTwin[ci] !== -1) continue;
    const sid = considered[ci]!.user.onPremisesSecurityIdentifier;
    if (!sid) continue;
    const i = bySid.get(sid.toUpperCase());
    if (i !== undefined && twinOf[i] === -1) {
      twinOf[i] = ci;
      cloudTwin[ci] = i;
      matchOf[ci] = 'sid';
      stats.matchedBySid++;
    }
  }

  // Soft matches by UPN among the leftovers, only where unambiguous on both sides.
  const softCloudByUpn = new Map<string, number>();
  for (let ci = 0; ci < considered.length; ci++) {
    if (cloudTwin[ci] !== -1) continue;
    const u = considered[ci]!.user;
    for (const upn of new Set([u.userPrincipalName, u.onPremisesUserPrincipalName].filter((x): x is string => !!x).map((x) => x.toLowerCase()))) {
      softCloudByUpn.set(upn, softCloudByUpn.has(upn) ? -2 : ci);
    }
  }
  const softTwin = new Map<number, number>();
  const softTaken = new Set<number>();
  if (softCloudByUpn.size > 0) {
    const onPremUpnCount = new Map<string, number>();
    for (let i = 0; i < onPrem.length; i++) {
      const upn = onPrem[i]!.upn?.toLowerCase();
      if (twinOf[i] === -1 && upn) onPremUpnCount.set(upn, (onPremUpnCount.get(upn) ?? 0) + 1);
    }
    for (let i = 0; i < onPrem.length; i++) {
      const u = onPrem[i]!;
      const upn = u.upn?.toLowerCase();
      if (twinOf[i] !== -1 || !u.inScope || !upn || onPremUpnCount.get(upn) !== 1) continue;
      const ci = softCloudByUpn.get(upn);
      if (ci === undefined || ci < 0 || softTaken.has(ci)) continue;
      softTwin.set(i, ci);
      softTaken.add(ci);
      stats.softMatches++;
    }
  }

  const byStatus = EMPTY_BY_STATUS();
  const rows: DriftRow[] = [];
  const regionDefault = options.defaultRegion ?? null;
  const regionCache = new Map<string, ReturnType<typeof pickRegion>>();
  const normalizeFor = (value: string | null, region: ReturnType<typeof pickRegion>): NormalizedPhone | null => norm.normalize(value, region);
  const flagsOf = (n: NormalizedPhone | null, side: 'onprem' | 'cloud', flags: string[]) => {
    if (n && !n.parsed) flags.push(`${side}-unparseable`);
  };

  for (let i = 0; i < onPrem.length; i++) {
    const u = onPrem[i]!;
    const ci = twinOf[i]!;
    if (ci === -1 && !u.inScope) continue;
    const countryKey = u.country ?? '';
    let region = regionCache.get(countryKey);
    if (region === undefined) {
      region = pickRegion(u.country, regionDefault);
      regionCache.set(countryKey, region);
    }
    const flags: string[] = [];
    if (!region) flags.push('region-unknown');
    if (duplicate.has(i)) flags.push('duplicate-anchor');
    const onPremNorm = normalizeFor(u.mobile, region);
    flagsOf(onPremNorm, 'onprem', flags);
    const ch = mobileChange(u);

    if (ci === -1) {
      const soft = softTwin.get(i);
      const sc = soft === undefined ? null : considered[soft]!;
      let cloud: DriftRow['cloud'] = null;
      let cloudNorm: NormalizedPhone | null = null;
      if (sc) {
        flags.push('soft-match');
        cloud = cloudPart(sc, lookup(sc.user.id));
        cloudNorm = normalizeFor(sc.user.mobilePhone, region);
        flagsOf(cloudNorm, 'cloud', flags);
      }
      byStatus['unmatched-onprem']++;
      rows.push({
        key: rowKey(u, null),
        attribute: 'mobile',
        status: 'unmatched-onprem',
        upn: u.upn ?? u.samAccountName ?? u.dn,
        match: sc ? 'upn-soft' : null,
        onPrem: onPremPart(u),
        cloud,
        normalized: { onPrem: onPremNorm?.value ?? null, cloud: cloudNorm?.value ?? null },
        flags,
        cause: likelyCause({ status: 'unmatched-onprem', softMatchUpn: sc?.user.userPrincipalName ?? null }),
      });
      continue;
    }

    const c = considered[ci]!;
    if (!u.inScope) flags.push('onprem-out-of-default-scope');
    if (ch.approximate) flags.push('onprem-time-approximate');
    // Identical text (the common case) is the same number: no second lookup.
    const cloudNorm = c.user.mobilePhone === u.mobile ? onPremNorm : normalizeFor(c.user.mobilePhone, region);
    flagsOf(cloudNorm, 'cloud', flags);
    const lastSyncAt = c.user.onPremisesLastSyncDateTime;
    const status = classifyPair({
      onPremValue: u.mobile,
      cloudValue: c.user.mobilePhone,
      onPremNorm,
      cloudNorm,
      onPremChangedAt: ch.changedAt,
      lastSyncAt,
      managed: c.managed,
    });
    const change = lookup(c.user.id);
    let stuckTenantSyncAt: string | null = null;
    if (status === 'pending-sync' && ch.changedAt && Number.isFinite(tenantSync) && tenantSync - Date.parse(ch.changedAt) > stuckAfter) {
      stuckTenantSyncAt = options.tenantLastSyncAt ?? null;
      flags.push('pending-stuck');
    }
    byStatus[status]++;
    rows.push({
      key: rowKey(u, c.user),
      attribute: 'mobile',
      status,
      upn: c.user.userPrincipalName,
      match: matchOf[ci] ?? null,
      onPrem: onPremPart(u),
      cloud: cloudPart(c, change),
      normalized: { onPrem: onPremNorm?.value ?? null, cloud: cloudNorm?.value ?? null },
      flags,
      cause: likelyCause({
        status,
        bothEmpty: isBlank(u.mobile) && isBlank(c.user.mobilePhone),
        managed: c.managed,
        onPremChangedAt: ch.changedAt,
        onPremTimeApproximate: ch.approximate,
        lastSyncAt,
        stuckTenantSyncAt,
        cloudChange: change,
      }),
    });
  }

  // Unmatched cloud users: counted only when their DN is absent or under a scanned base.
  const regionOnly = pickRegion(null, regionDefault);
  for (let ci = 0; ci < considered.length; ci++) {
    if (cloudTwin[ci] !== -1 || softTaken.has(ci)) continue;
    const c = considered[ci]!;
    if (c.managed && c.user.onPremisesSyncEnabled !== true) {
      stats.unmatchedUnsynced++;
      continue;
    }
    const dn = c.user.onPremisesDistinguishedName;
    if (dn && bases.length > 0 && !isUnderAnyBase(dn, bases)) {
      stats.outOfScope++;
      continue;
    }
    const flags: string[] = [];
    const cloudNorm = normalizeFor(c.user.mobilePhone, regionOnly);
    flagsOf(cloudNorm, 'cloud', flags);
    byStatus['unmatched-cloud']++;
    rows.push({
      key: rowKey(null, c.user),
      attribute: 'mobile',
      status: 'unmatched-cloud',
      upn: c.user.userPrincipalName,
      match: null,
      onPrem: null,
      cloud: cloudPart(c, lookup(c.user.id)),
      normalized: { onPrem: null, cloud: cloudNorm?.value ?? null },
      flags,
      cause: likelyCause({ status: 'unmatched-cloud' }),
    });
  }

  stats.normalizerParses = norm.parses - parsesBefore;
  return {
    rows,
    stats,
    summary: {
      onPremUsers: stats.onPremInScope,
      cloudUsers: stats.cloudConsidered,
      outOfScope: stats.outOfScope,
      byStatus,
      phases: {},
    },
  };
}

/** Wraps a drift result into the public report shape (the CLI's --format json). */
export function buildReport(result: DriftResult, meta: { profile: string; generatedAt: string; phases?: Record<string, number> }): DriftReport {
  return {
    generatedAt: meta.generatedAt,
    profile: meta.profile,
    summary: { ...result.summary, phases: { ...result.summary.phases, ...(meta.phases ?? {}) } },
    rows: result.rows,
  };
}
