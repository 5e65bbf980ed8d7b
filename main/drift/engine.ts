/**
 * The drift engine: joins cloud users to on-prem users by source anchor, then SID; shows UPN-only
 * pairs as soft matches (never a verdict); classifies every pair; attaches timeline and cause.
 * Pure and linear: maps only, one pass per side, normalization cached per (value, region).
 * The parts a row is built from (keys, scope, the row's halves, a pair's cause) are row-parts.ts.
 *
 * Over ~500 lines on purpose (#19): DriftBuilder is one streaming join whose indexes (anchor, SID,
 * UPN, the engine's view) and counters are shared by every phase of it; cut in two, each half would
 * reach into the other's private maps, which is the coupling the split is meant to remove. Its pure
 * parts already live beside it (row-parts.ts, classify.ts, engine-verdict.ts, other-mobile.ts).
 */
import type { CloudUser, DriftReport, DriftRow, DriftStatus, OnPremUser, ScanSummary } from '../core/model';
import { classifyPair, overrideConfirmed, OVERRIDE_CONFIRMED, STUCK_AFTER_MS, type PairFacts } from './classify';
import { likelyCause } from './cause';
import type { EngineFlows, EngineObject, EngineSummary } from '../core/engine-view';
import { EngineIndex, engineSummary, engineVerdict, type EngineVerdict } from './engine-verdict';
import { PhoneNormalizer, pickRegion, type NormalizedPhone } from './normalize';
import type { AuditLookup } from './timeline';
import { engineFormDiffers, otherMobileView } from './other-mobile';
import {
  EMPTY_BY_STATUS,
  cloudPart,
  considerCloudUser,
  isUnderAnyBase,
  matchedCause,
  mobileChange,
  noLookup,
  normalizeDn,
  objectGuidToAnchor,
  onPremPart,
  rowKey,
  upperCase,
  withVerdict,
  type ConsideredCloud,
} from './row-parts';

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
  /**
   * The sync engine's view (Connect exports, Cloud Sync): when given, every matched row carries
   * `engine` (its object or null) and the verdict uses it (docs/drift.md, "The engine's view").
   */
  engineObjects?: Iterable<EngineObject>;
  /**
   * The engine's view is on its way (read on another thread while the directories are read): rows
   * are built without it meanwhile and take it when `provideEngineObjects` gives it (rebuilt where it
   * changes them), which must be called before `finish`. Ignored when `engineObjects` is given.
   */
  engineLater?: boolean;
  /** Tenant-wide facts of the engine (Cloud Sync: whether its schema maps otherMobile). */
  engineFlows?: EngineFlows | null;
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


/** What only the end of a scan knows: the bases actually scanned, and an audit lookup resolved after reading. */
export interface DriftFinishOptions {
  scannedBases?: readonly string[];
  /** Replaces the builder's lookup; rows already built get their cloud change and cause again. */
  auditLookup?: AuditLookup;
}

type Region = ReturnType<typeof pickRegion>;

/**
 * The drift engine fed page by page (see docs/drift.md for the rules). A scan pipeline adds pages
 * as they arrive; once every on-prem source is complete (`sealOnPrem`), each cloud page is joined
 * by anchor and its pairs classified and built into rows right away, so `finish` only does what
 * needs both sides complete (SID and UPN matches, unmatched users) and assembles the rows in order.
 * Pure: no I/O, no clock. Fed the same users in the same order it gives exactly what
 * `computeDrift` gives (which is this builder fed everything at once); the unit tests check that.
 */
export class DriftBuilder {
  private readonly norm: PhoneNormalizer;
  private readonly parsesBefore: number;
  private readonly regionDefault: string | null;
  private readonly stuckAfter: number;
  private lookup: AuditLookup;
  private readonly stats: DriftStats = {
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
  private readonly onPrem: OnPremUser[] = [];
  /** The on-prem value normalized under the user's region, per index (undefined = not yet). */
  private readonly onPremNorm: Array<NormalizedPhone | null | undefined> = [];
  private readonly byAnchor = new Map<string, number>();
  // Fallback anchors (objectGUID bytes, consistency GUID) are built only on the first anchor miss.
  private byGuidAnchor: Map<string, number> | null = null;
  private readonly bySid = new Map<string, number>();
  private readonly duplicate = new Set<number>();
  private readonly regionCache = new Map<string, Region>();
  private readonly considered: ConsideredCloud[] = [];
  private readonly matchOf: Array<'anchor' | 'sid' | null> = [];
  private readonly cloudTwin: number[] = [];
  /** Cloud twin per on-prem index, -1 = none; sized at seal time. */
  private twinOf: Int32Array = new Int32Array(0);
  /** Rows built as soon as their pair was known, per on-prem index; sized at seal time. */
  private early: Array<DriftRow | undefined> = [];
  private sealed = false;
  private finished = false;
  private engineIndex: EngineIndex | null;
  /**
   * Engine objects promised (engineLater) and not yet given: matched pairs get their rows without
   * the engine's view meanwhile, and are listed in `backlog` for the view to be added to.
   */
  private enginePending: boolean;
  private backlog: number[] = [];

  constructor(private readonly options: DriftOptions = {}) {
    this.norm = options.normalizer ?? new PhoneNormalizer();
    this.parsesBefore = this.norm.parses;
    this.regionDefault = options.defaultRegion ?? null;
    this.lookup = options.auditLookup ?? noLookup;
    this.stuckAfter = options.stuckAfterMs ?? STUCK_AFTER_MS;
    this.engineIndex = options.engineObjects ? new EngineIndex(options.engineObjects) : null;
    this.enginePending = !options.engineObjects && options.engineLater === true;
  }

  /**
   * The engine's view promised with `engineLater`: the rows of the pairs matched so far take it now,
   * later ones as they match. Called once, before finish().
   */
  provideEngineObjects(objects: Iterable<EngineObject>): void {
    if (!this.enginePending) throw new Error('DriftBuilder: engine objects given that were not promised (engineLater), or given twice');
    if (this.finished) throw new Error('DriftBuilder: engine objects given after finish()');
    this.engineIndex = new EngineIndex(objects);
    this.enginePending = false;
    const backlog = this.backlog;
    this.backlog = [];
    for (const i of backlog) this.early[i] = this.withEngineView(this.early[i]!, i, this.twinOf[i]!);
  }

  /**
   * A row built without the engine's view (while it was on its way), as matchedRow builds it with
   * the view. Most rows the view leaves as they are but for their `engine`: those get it in place,
   * which is what keeps the view's late arrival from costing a second build of every row (it is on
   * the CLI's critical path: the scan waits for the worker's read, then for this). Any row the view
   * changes (status, flags, cause, the otherMobile note) is built again.
   */
  private withEngineView(row: DriftRow, i: number, ci: number): DriftRow {
    const u = this.onPrem[i]!;
    const c = this.considered[ci]!;
    const o = this.engineIndex!.find(u.sourceAnchor, c.user.id, u.dn);
    if (!o) {
      row.engine = null;
      return row;
    }
    const engine = engineSummary(o);
    // valueStatus (the status without pending times, which a pending-sync row's differs from) is
    // only ever the status of a verdict that flags a confirmed override: such a row is built again.
    const v = engineVerdict(engine, { status: row.status, valueStatus: row.status, onPremValue: u.mobile, cloudValue: c.user.mobilePhone, managed: c.managed });
    if (v.status !== row.status || v.flags.length > 0 || v.sentence !== null || v.replacesCause || (row.otherMobile && engineFormDiffers(row.otherMobile, engine.exported?.otherMobile))) {
      return this.matchedRow(i, ci, this.lookup);
    }
    row.engine = engine;
    return row;
  }

  /** The engine verdict for a matched pair, or null without engine data (behaviour as before). */
  private engineFor(u: OnPremUser, c: ConsideredCloud, status: DriftStatus, facts: PairFacts): { engine: EngineSummary | null; verdict: EngineVerdict | null } | null {
    if (!this.engineIndex) return null;
    const o = this.engineIndex.find(u.sourceAnchor, c.user.id, u.dn);
    if (!o) return { engine: null, verdict: null };
    const engine = engineSummary(o);
    const valueStatus = status === 'pending-sync' ? classifyPair({ ...facts, onPremChangedAt: null }) : status;
    return { engine, verdict: engineVerdict(engine, { status, valueStatus, onPremValue: u.mobile, cloudValue: c.user.mobilePhone, managed: c.managed }) };
  }

  /** On-prem users, in the order the engine should see them (duplicate anchors: the first wins). */
  addOnPrem(users: Iterable<OnPremUser>): void {
    if (this.sealed) throw new Error('DriftBuilder: on-prem users added after sealOnPrem()');
    const stats = this.stats;
    for (const u of users) {
      stats.onPremRead++;
      if (u.isDeleted) {
        stats.onPremDeleted++;
        continue;
      }
      const i = this.onPrem.push(u) - 1;
      if (u.inScope) stats.onPremInScope++;
      else stats.onPremOutOfDefaultScope++;
      const prev = this.byAnchor.get(u.sourceAnchor);
      if (prev !== undefined) {
        this.duplicate.add(prev).add(i);
        stats.duplicateAnchors++;
      } else this.byAnchor.set(u.sourceAnchor, i);
      if (u.objectSid) {
        const sid = upperCase(u.objectSid);
        if (!this.bySid.has(sid)) this.bySid.set(sid, i);
      }
      // Parsing now, while the scan waits for pages, keeps it out of the drift step.
      this.onPremNorm.push(u.inScope ? this.norm.normalize(u.mobile, this.regionOf(u)) : undefined);
    }
  }

  /** Every on-prem source is complete: cloud users waiting so far are joined now, later ones on arrival. */
  sealOnPrem(): void {
    if (this.sealed) return;
    this.sealed = true;
    this.twinOf = new Int32Array(this.onPrem.length).fill(-1);
    // Filled by push: a large `new Array(n)` starts out as a slow dictionary in V8.
    const early: Array<DriftRow | undefined> = [];
    for (let i = 0; i < this.onPrem.length; i++) early.push(undefined);
    this.early = early;
    this.matchByAnchor(0);
  }

  /** Cloud users, in the order the engine should see them (an anchor goes to its first cloud claimant). */
  addCloud(users: Iterable<CloudUser>): void {
    if (this.finished) throw new Error('DriftBuilder: cloud users added after finish()');
    const stats = this.stats;
    const from = this.considered.length;
    // Cloud values are parsed when joined, under the twin's region; most equal the AD text anyway.
    for (const u of users) {
      stats.cloudRead++;
      const c = considerCloudUser(u);
      if (!c) {
        stats.cloudOnly++;
        continue;
      }
      this.considered.push(c);
      this.matchOf.push(null);
      this.cloudTwin.push(-1);
    }
    if (this.sealed) this.matchByAnchor(from);
  }

  private regionOf(u: OnPremUser): Region {
    const countryKey = u.country ?? '';
    let region = this.regionCache.get(countryKey);
    if (region === undefined) {
      region = pickRegion(u.country, this.regionDefault);
      this.regionCache.set(countryKey, region);
    }
    return region;
  }

  private onPremNormOf(i: number, u: OnPremUser, region: Region): NormalizedPhone | null {
    const known = this.onPremNorm[i];
    return known !== undefined ? known : this.norm.normalize(u.mobile, region);
  }

  private fallbackAnchor(id: string): number | undefined {
    if (!this.byGuidAnchor) {
      const map = new Map<string, number>();
      for (let i = 0; i < this.onPrem.length; i++) {
        const u = this.onPrem[i]!;
        const guidAnchor = objectGuidToAnchor(u.objectGuid);
        if (guidAnchor && guidAnchor !== u.sourceAnchor && !map.has(guidAnchor)) map.set(guidAnchor, i);
        if (u.consistencyGuid && u.consistencyGuid !== u.sourceAnchor && !map.has(u.consistencyGuid)) map.set(u.consistencyGuid, i);
      }
      this.byGuidAnchor = map;
    }
    return this.byGuidAnchor.get(id);
  }

  /** Hard matches by anchor for considered[from..]; a SID match (in finish) never steals an anchored twin. */
  private matchByAnchor(from: number): void {
    const { considered, twinOf } = this;
    for (let ci = from; ci < considered.length; ci++) {
      const id = considered[ci]!.user.onPremisesImmutableId;
      if (!id) continue;
      const i = this.byAnchor.get(id) ?? this.fallbackAnchor(id);
      if (i !== undefined && twinOf[i] === -1) {
        twinOf[i] = ci;
        this.cloudTwin[ci] = i;
        this.matchOf[ci] = 'anchor';
        this.stats.matchedByAnchor++;
        // An anchor pair is final (nothing later takes it away): its row can be built now (without
        // the engine's view it waits for, which provideEngineObjects adds).
        this.early[i] = this.matchedRow(i, ci, this.lookup);
        if (this.enginePending) this.backlog.push(i);
      }
    }
  }

  private flagsFor(i: number, region: Region, onPremNorm: NormalizedPhone | null): string[] {
    const flags: string[] = [];
    if (!region) flags.push('region-unknown');
    if (this.duplicate.has(i)) flags.push('duplicate-anchor');
    if (onPremNorm && !onPremNorm.parsed) flags.push('onprem-unparseable');
    return flags;
  }

  private matchedRow(i: number, ci: number, lookup: AuditLookup): DriftRow {
    const u = this.onPrem[i]!;
    const c = this.considered[ci]!;
    const region = this.regionOf(u);
    const onPremNorm = this.onPremNormOf(i, u, region);
    const flags = this.flagsFor(i, region, onPremNorm);
    const ch = mobileChange(u);
    if (!u.inScope) flags.push('onprem-out-of-default-scope');
    if (ch.approximate) flags.push('onprem-time-approximate');
    // Identical text (the common case) is the same number: no second lookup.
    const cloudNorm = c.user.mobilePhone === u.mobile ? onPremNorm : this.norm.normalize(c.user.mobilePhone, region);
    if (cloudNorm && !cloudNorm.parsed) flags.push('cloud-unparseable');
    const lastSyncAt = c.user.onPremisesLastSyncDateTime;
    const facts: PairFacts = {
      onPremValue: u.mobile,
      cloudValue: c.user.mobilePhone,
      onPremNorm,
      cloudNorm,
      onPremChangedAt: ch.changedAt,
      lastSyncAt,
      managed: c.managed,
      tenantLastSyncAt: this.options.tenantLastSyncAt ?? null,
      stuckAfterMs: this.stuckAfter,
    };
    let status = classifyPair(facts);
    const change = lookup(c.user.id);
    let stuckTenantSyncAt: string | null = null;
    if (overrideConfirmed(facts)) {
      stuckTenantSyncAt = facts.tenantLastSyncAt ?? null;
      flags.push(OVERRIDE_CONFIRMED);
    }
    const withEngine = this.engineFor(u, c, status, facts);
    const verdict = withEngine?.verdict ?? null;
    if (verdict) {
      if (verdict.replacesCause || verdict.status !== status) {
        // The engine's view is the stronger evidence: the time-based reading gives way to it.
        const k = flags.indexOf(OVERRIDE_CONFIRMED);
        if (k !== -1) flags.splice(k, 1);
        stuckTenantSyncAt = null;
      }
      status = verdict.status;
      for (const f of verdict.flags) if (!flags.includes(f)) flags.push(f);
    }
    const baseCause = matchedCause(u, c, status, ch, stuckTenantSyncAt, change);
    const other = otherMobileView(u, region, this.norm, c.managed ? 'managed' : 'synced', withEngine?.engine?.exported?.otherMobile, this.options.engineFlows);
    flags.push(...other.flags);
    const row: DriftRow = {
      key: rowKey(u, c.user),
      attribute: 'mobile',
      status,
      upn: c.user.userPrincipalName,
      match: this.matchOf[ci] ?? null,
      onPrem: onPremPart(u, ch),
      cloud: cloudPart(c, change),
      normalized: { onPrem: onPremNorm?.value ?? null, cloud: cloudNorm?.value ?? null },
      flags,
      cause: verdict?.sentence ? withVerdict(verdict, baseCause, change, status) : baseCause,
      otherMobile: other.view,
    };
    if (withEngine) row.engine = withEngine.engine;
    return row;
  }

  /** SID and UPN matches, the rows not built yet, and the summary. Call once, after every page. */
  finish(late: DriftFinishOptions = {}): DriftResult {
    if (this.finished) throw new Error('DriftBuilder: finish() called twice');
    if (this.enginePending) throw new Error('DriftBuilder: finish() before the promised engine objects (engineLater) were given');
    this.sealOnPrem();
    this.finished = true;
    const { stats, onPrem, considered, twinOf, cloudTwin, matchOf } = this;
    const relook = late.auditLookup !== undefined && late.auditLookup !== this.lookup;
    if (late.auditLookup) this.lookup = late.auditLookup;
    const lookup = this.lookup;
    const bases = (late.scannedBases ?? this.options.scannedBases ?? []).map(normalizeDn).filter((b) => b !== '');
    stats.cloudConsidered = considered.length;

    for (let ci = 0; ci < considered.length; ci++) {
      if (cloudTwin[ci] !== -1) continue;
      const sid = considered[ci]!.user.onPremisesSecurityIdentifier;
      if (!sid) continue;
      const i = this.bySid.get(upperCase(sid));
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
    for (let i = 0; i < onPrem.length; i++) {
      const ci = twinOf[i]!;
      const built = this.early[i];
      if (built) {
        if (relook) this.relookRow(built, i, ci, lookup);
        byStatus[built.status]++;
        rows.push(built);
        continue;
      }
      const u = onPrem[i]!;
      if (ci === -1 && !u.inScope) continue;
      if (ci !== -1) {
        const row = this.matchedRow(i, ci, lookup);
        byStatus[row.status]++;
        rows.push(row);
        continue;
      }
      const region = this.regionOf(u);
      const onPremNorm = this.onPremNormOf(i, u, region);
      const flags = this.flagsFor(i, region, onPremNorm);
      const soft = softTwin.get(i);
      const sc = soft === undefined ? null : considered[soft]!;
      let cloud: DriftRow['cloud'] = null;
      let cloudNorm: NormalizedPhone | null = null;
      if (sc) {
        flags.push('soft-match');
        cloud = cloudPart(sc, lookup(sc.user.id));
        cloudNorm = this.norm.normalize(sc.user.mobilePhone, region);
        if (cloudNorm && !cloudNorm.parsed) flags.push('cloud-unparseable');
      }
      const other = otherMobileView(u, region, this.norm, 'unmatched');
      flags.push(...other.flags);
      byStatus['unmatched-onprem']++;
      rows.push({
        key: rowKey(u, null),
        attribute: 'mobile',
        status: 'unmatched-onprem',
        upn: u.upn ?? u.samAccountName ?? u.dn,
        match: sc ? 'upn-soft' : null,
        onPrem: onPremPart(u, mobileChange(u)),
        cloud,
        normalized: { onPrem: onPremNorm?.value ?? null, cloud: cloudNorm?.value ?? null },
        flags,
        cause: likelyCause({ status: 'unmatched-onprem', softMatchUpn: sc?.user.userPrincipalName ?? null }),
        otherMobile: other.view,
      });
    }

    // Unmatched cloud users: counted only when their DN is absent or under a scanned base.
    const regionOnly = pickRegion(null, this.regionDefault);
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
      const cloudNorm = this.norm.normalize(c.user.mobilePhone, regionOnly);
      if (cloudNorm && !cloudNorm.parsed) flags.push('cloud-unparseable');
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

    stats.normalizerParses = this.norm.parses - this.parsesBefore;
    // The bypass's reach (#17 point 4): users the cloud read shows as synced (what Graph's $count of
    // onPremisesSyncEnabled eq true counts), and those joined to a scanned AD object.
    let syncedRead = 0;
    let syncedJoined = 0;
    for (let ci = 0; ci < considered.length; ci++) {
      if (considered[ci]!.user.onPremisesSyncEnabled !== true) continue;
      syncedRead++;
      if (cloudTwin[ci] !== -1) syncedJoined++;
    }
    return {
      rows,
      stats,
      summary: {
        onPremUsers: stats.onPremInScope,
        cloudUsers: stats.cloudConsidered,
        outOfScope: stats.outOfScope,
        byStatus,
        synced: { inCloudRead: syncedRead, joined: syncedJoined },
        phases: {},
      },
    };
  }

  /** A row built early under the first lookup: only its cloud change and cause depend on the lookup. */
  private relookRow(row: DriftRow, i: number, ci: number, lookup: AuditLookup): void {
    const c = this.considered[ci]!;
    const cloud = row.cloud!;
    const change = lookup(c.user.id);
    const before = cloud.changeState;
    // In place (same fields, same order as cloudPart builds them): this runs for every early row.
    cloud.changedAt = change.state === 'known' ? (change.at ?? null) : null;
    cloud.changedBy = change.state === 'known' ? (change.actor ?? null) : null;
    cloud.changedBySync = change.state === 'known' && change.syncWrite === true;
    cloud.changeState = change.state;
    cloud.auditCoveredFrom = change.state === 'outside-retention' ? (change.since ?? null) : null;
    // An in-sync cause mentions the audit only for a known change (likelyCause): nothing else to redo.
    if (row.status === 'in-sync' && change.state !== 'known' && before !== 'known') return;
    const u = this.onPrem[i]!;
    const stuck = row.flags.includes(OVERRIDE_CONFIRMED) ? (this.options.tenantLastSyncAt ?? null) : null;
    const cause = matchedCause(u, c, row.status, mobileChange(u), stuck, change);
    const verdict = row.engine
      ? engineVerdict(row.engine, { status: row.status, valueStatus: row.status, onPremValue: u.mobile, cloudValue: c.user.mobilePhone, managed: c.managed })
      : null;
    row.cause = verdict?.sentence ? withVerdict(verdict, cause, change, row.status) : cause;
  }
}

/** Joins, classifies and explains; see docs/drift.md for the rules. */
export function computeDrift(onPremUsers: Iterable<OnPremUser>, cloudUsers: Iterable<CloudUser>, options: DriftOptions = {}): DriftResult {
  const b = new DriftBuilder(options);
  b.addOnPrem(onPremUsers);
  b.sealOnPrem();
  b.addCloud(cloudUsers);
  return b.finish();
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
