/**
 * Plan building: a pure function from a drift report and decisions to every write, in the order
 * Microsoft documents (AD writes, replication, per-user Graph writes, bypass, full cycle, verify),
 * with the blast radius of the tenant-wide bypass and what cannot be undone.
 */
import { randomUUID } from 'node:crypto';
import { CLOUD_SYNC_RESTART_BODY } from '../cloud/cloud-sync';
import type { Decision, DriftReport, DriftRow, DriftStatus } from '../core/model';
import { otherMobileBlast, otherMobileCannotUndo } from './other-mobile-blast';
import { PLAN_FORMAT, PLAN_SCHEMA_VERSION, type BlastRadiusRow, type Blocker, type Coverage, type Plan, type PlanRow, type PlanStep } from './plan-schema';

/** AD's and Graph's "no value": null and the empty string are the same (AD has no empty strings). */
export function normValue(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : t;
}

export function sameValue(a: string | null | undefined, b: string | null | undefined): boolean {
  return normValue(a) === normValue(b);
}

export interface PlanOptions {
  /** Row keys in the admin's selection; default: every row that has a decision. */
  selected?: readonly string[];
  syncEngine?: 'connect' | 'cloud-sync';
  connectServer?: string | null;
  /** DCs the Connect server reads (profile); empty = the DC the adapter is bound to. */
  replicaDcs?: readonly string[];
  id?: string;
  now?: Date;
  /** Graph's live count of synced users, when the caller has one: it takes the place of the scan's read. */
  syncedInTenant?: number | null;
}

/**
 * The bypass's reach beyond the scan: synced users in the tenant minus those the scan joined to a
 * scanned AD object. Reports from before #17 point 4 carry no count: their coverage is unknown.
 */
export function planCoverage(report: DriftReport, graphCount?: number | null): Coverage {
  const synced = report.summary.synced;
  const scanned = synced?.joined ?? report.rows.filter((r) => r.onPrem && r.cloud && r.match !== null && r.match !== 'upn-soft' && r.cloud.authority !== 'unsynced').length;
  const total = graphCount ?? synced?.inCloudRead ?? null;
  const countedBy: Coverage['countedBy'] = graphCount !== undefined && graphCount !== null ? 'graph-count' : synced ? 'scan-read' : 'unknown';
  const notScanned = total === null ? null : Math.max(0, total - scanned);
  const source = countedBy === 'graph-count' ? 'Graph counts' : 'the scan’s cloud read holds';
  const note =
    notScanned === null
      ? `How many synced users the tenant has is not known (this report carries no count): the bypass and the full cycle reach every one of them, scanned or not. The scan joined ${scanned} synced user(s) to a scanned AD object. Apply needs you to accept that unknown; preflight counts them live.`
      : notScanned === 0
        ? `All ${total} synced user(s) in the tenant (${source} ${total}) were scanned on both sides.`
        : `${notScanned} synced user(s) in the tenant were not scanned (${source} ${total} synced user(s); the scan joined ${scanned} to a scanned AD object). The bypass and the full cycle change their cloud values too wherever AD differs (other OUs, other forests, objects the scan could not read), unseen by this plan. Apply needs you to accept them; preflight counts them again, and verification reads the whole tenant's synced users after the cycle and counts every one that changed, naming up to 500.`;
  return { syncedInTenant: total, countedBy, scanned, notScanned, note };
}

/** Statuses whose cloud value a bypass plus a full cycle changes (AD wins where values differ). */
const DIFFERING: ReadonlySet<DriftStatus> = new Set(['format-only', 'cloud-missing', 'onprem-missing', 'cloud-override', 'pending-sync']);

const MOBILE_MAX = 64;

const show = (v: string | null) => (v === null ? '(empty)' : `"${v}"`);

function bypassEffect(row: DriftRow): string {
  switch (row.status) {
    case 'onprem-missing':
      return 'cloud value will be cleared (AD mobile is empty)';
    case 'format-only':
      return 'cloud text replaced by the AD text (same number)';
    case 'cloud-missing':
      return 'cloud value set from AD (it is empty now)';
    case 'pending-sync':
      return 'the pending AD value flows to the cloud';
    default:
      return 'cloud value replaced by the AD value';
  }
}

export { CLOUD_SYNC_RESTART_BODY } from '../cloud/cloud-sync';

export function syncCycleInstructions(engine: 'connect' | 'cloud-sync', server: string | null): string {
  if (engine === 'connect') {
    return `On the Entra Connect server${server ? ` ${server}` : ''}, in an elevated PowerShell: Start-ADSyncSyncCycle -PolicyType Initial`;
  }
  return `Cloud Sync has no cycle cmdlet: restart the provisioning job the way the portal's Restart provisioning does (Entra admin center > Entra Connect > Cloud Sync > the configuration > Restart provisioning), or Graph POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/restart with ${JSON.stringify(CLOUD_SYNC_RESTART_BODY)}. The empty criteria is the portal's Restart (quarantine, watermark and escrows: every user is evaluated again, which is what a full cycle needs). Never resetScope Full or ForceDeletes: Full includes ConnectorDataStore, which clears the job's underlying cache for all users (Microsoft: "DO NOT USE"), and ForceDeletes pushes deletes past the accidental-delete threshold (learn.microsoft.com/graph/api/resources/synchronization-synchronizationjobrestartcriteria).`;
}

/** Builds the plan. Never throws for a row: impossible decisions become notes or blockers. */
export function buildPlan(report: DriftReport, decisions: readonly Decision[], options: PlanOptions = {}): Plan {
  const byKey = new Map(decisions.map((d) => [d.rowKey, d]));
  const selected = new Set(options.selected ?? decisions.map((d) => d.rowKey));
  const notes: string[] = [];
  const blockers: Blocker[] = [];
  const rowsByKey = new Map(report.rows.map((r) => [r.key, r]));
  for (const d of decisions) if (!rowsByKey.has(d.rowKey)) notes.push(`Decision for ${d.rowKey} ignored: the report has no such row.`);

  const matched = (r: DriftRow) => r.onPrem !== null && r.cloud !== null;
  // Which route each decided row takes; a synced keep-onprem row is what needs the bypass.
  const routeOf = (r: DriftRow, action: Decision['action'] | null): PlanRow['route'] => {
    if (!action || !matched(r) || r.status === 'in-sync') return 'none';
    if (action === 'keep-cloud') return sameValue(r.onPrem?.value, r.cloud?.value) ? 'none' : 'ad-write';
    // Entra ID holds what the engine's rule exports: a bypass and a cycle would write that value again.
    if (action === 'keep-onprem' && r.status === 'rule-formatted') return 'none';
    if (action === 'keep-onprem') return r.cloud?.managed ? 'graph-patch' : 'bypass-cycle';
    return 'none';
  };
  const needsBypass = report.rows.some((r) => selected.has(r.key) && routeOf(r, byKey.get(r.key)?.action ?? null) === 'bypass-cycle');
  const inBlast = (r: DriftRow) => needsBypass && matched(r) && !r.cloud?.managed && DIFFERING.has(r.status) && !sameValue(r.onPrem?.value, r.cloud?.value);

  const rows: PlanRow[] = [];
  const blastRadius: BlastRadiusRow[] = [];
  for (const r of report.rows) {
    const sel = selected.has(r.key);
    const blast = inBlast(r);
    const d = byKey.get(r.key);
    if (!d && !blast) continue;
    // Outside the selection, a decision counts only for blast-radius rows: nothing else gets written.
    const action = d && (sel || blast) ? d.action : null;
    if (d && !sel && !blast) continue;
    let route = routeOf(r, action);
    if (action && (action === 'keep-onprem' || action === 'keep-cloud') && !matched(r)) {
      notes.push(`${r.upn}: ${action} needs a matched pair (status ${r.status}); nothing will be written.`);
    }
    if (action === 'keep-onprem' && r.status === 'rule-formatted') {
      notes.push(`${r.upn}: keep-onprem writes nothing: the row is rule-formatted (Entra ID holds exactly what ${r.engine?.rule ? `the sync rule "${r.engine.rule.name}"` : 'the sync engine'} exports from AD's value), so the bypass and a cycle would change nothing; change the rule or AD's value instead.`);
    }
    if (action === 'keep-cloud' && route === 'ad-write' && (r.cloud?.value?.length ?? 0) > MOBILE_MAX) {
      blockers.push({ rowKey: r.key, upn: r.upn, message: `the cloud value is longer than AD's 64-character limit for mobile; it cannot be written into AD` });
      route = 'none';
    }
    const onPremValue = normValue(r.onPrem?.value);
    const cloudValue = normValue(r.cloud?.value);
    let intended: PlanRow['intended'] = null;
    if (route === 'ad-write') intended = { onPrem: cloudValue, cloud: cloudValue };
    else if (route === 'graph-patch' || route === 'bypass-cycle') intended = { onPrem: onPremValue, cloud: onPremValue };
    const effect = blast ? (action === 'keep-cloud' ? 'kept: the cloud value is written into AD first' : bypassEffect(r)) : undefined;
    rows.push({
      key: r.key,
      upn: r.upn,
      status: r.status,
      action,
      ...(d?.reason ? { reason: d.reason } : {}),
      selected: sel,
      inBlastRadius: blast,
      onPrem: r.onPrem ? { sourceId: r.onPrem.sourceId, dn: r.onPrem.dn, value: onPremValue, otherMobile: r.onPrem.otherMobile } : null,
      cloud: r.cloud ? { id: r.cloud.id, value: cloudValue, managed: r.cloud.managed } : null,
      route,
      intended,
      ...(effect ? { effect } : {}),
    });
    if (blast) {
      blastRadius.push({ rowKey: r.key, upn: r.upn, status: r.status, onPremValue, cloudValue, effect: effect ?? bypassEffect(r), selected: sel, action });
      if (!action) blockers.push({ rowKey: r.key, upn: r.upn, message: `in the blast radius of the bypass (${bypassEffect(r)}): decide keep-onprem, keep-cloud, support-case or skip before applying` });
    }
  }

  const steps: PlanStep[] = [];
  const adRows = rows.filter((r) => r.route === 'ad-write');
  for (const r of adRows) {
    if (!r.onPrem || !r.cloud) continue;
    steps.push({ id: `ad:${r.key}`, kind: 'ad-write', rowKey: r.key, upn: r.upn, sourceId: r.onPrem.sourceId, dn: r.onPrem.dn, expected: r.onPrem.value, next: r.cloud.value });
  }
  if (adRows.length > 0) steps.push({ id: 'replication', kind: 'await-replication', rowKeys: adRows.map((r) => r.key), dcs: [...(options.replicaDcs ?? [])] });
  for (const r of rows.filter((x) => x.route === 'graph-patch')) {
    if (!r.onPrem || !r.cloud) continue;
    steps.push({ id: `graph:${r.key}`, kind: 'graph-patch', rowKey: r.key, upn: r.upn, userId: r.cloud.id, expected: r.cloud.value, next: r.onPrem.value });
  }
  const engine = options.syncEngine ?? 'connect';
  const server = options.connectServer ?? null;
  if (needsBypass) {
    steps.push({ id: 'record-cloud-values', kind: 'record-cloud-values', rowKeys: blastRadius.map((b) => b.rowKey) });
    steps.push({ id: 'bypass-on', kind: 'set-bypass', enabled: true });
    steps.push({ id: 'initial-cycle', kind: 'sync-cycle', policy: 'initial', engine, instructions: syncCycleInstructions(engine, server) });
  }
  const verifyKeys = rows.filter((r) => r.intended !== null).map((r) => r.key);
  if (verifyKeys.length > 0) steps.push({ id: 'verify', kind: 'verify', rowKeys: verifyKeys });

  const warnings: string[] = [];
  const cannotUndo: string[] = [];
  const otherMobile = needsBypass ? otherMobileBlast(report) : undefined;
  if (needsBypass) {
    warnings.push(
      `The bypass (BypassDirSyncOverrides) is tenant-wide: with it and a full cycle, AD wins for every synced user whose values differ, not only the ${rows.filter((r) => r.selected && r.route === 'bypass-cycle').length} selected: ${blastRadius.length} user(s) in the blast radius below.`,
    );
    warnings.push(otherMobile!.note);
    warnings.push('The bypass stays on after this session (AD keeps winning), and undo leaves it on: turning it off restores no value and may let the per-object overrides win again. Turning it off at undo is an explicit choice.');
    for (const b of blastRadius) {
      if (b.action === 'keep-cloud' || sameValue(b.onPremValue, b.cloudValue) || b.cloudValue === null) continue;
      cannotUndo.push(`${b.upn}: cloud value ${show(b.cloudValue)} is overwritten by the bypass and the cycle (AD: ${show(b.onPremValue)}); it is recorded, but can only come back as an AD write.`);
    }
    cannotUndo.push(otherMobileCannotUndo(otherMobile!));
  }
  const coverage = needsBypass ? planCoverage(report, options.syncedInTenant) : undefined;
  if (coverage && coverage.notScanned !== 0) warnings.push(coverage.note);
  const supportCase = rows.filter((r) => r.action === 'support-case').map((r) => r.key);
  return {
    format: PLAN_FORMAT,
    schemaVersion: PLAN_SCHEMA_VERSION,
    id: options.id ?? randomUUID(),
    createdAt: (options.now ?? new Date()).toISOString(),
    source: { profile: report.profile, reportGeneratedAt: report.generatedAt, reportRows: report.rows.length },
    syncEngine: engine,
    connectServer: server,
    replicaDcs: [...(options.replicaDcs ?? [])],
    needsBypass,
    rows,
    steps,
    blastRadius,
    ...(otherMobile ? { otherMobile } : {}),
    ...(coverage ? { coverage } : {}),
    warnings,
    cannotUndo,
    blockers,
    supportCase,
    notes,
  };
}

/** A plan may be applied when nothing blocks it and it writes something. */
export function planReadiness(plan: Plan): { ready: boolean; why: string[] } {
  const why = plan.blockers.map((b) => `${b.upn}: ${b.message}`);
  if (!plan.steps.some((s) => s.kind !== 'verify')) why.push('The plan writes nothing.');
  return { ready: why.length === 0, why };
}

/**
 * Re-decides a plan: new decisions for rows (e.g. after preflight turned them into conflicts) on a
 * fresh report, keeping every other decision the plan had.
 */
export function redecide(plan: Plan, report: DriftReport, changes: readonly Decision[], options: Omit<PlanOptions, 'selected'> = {}): Plan {
  const kept = new Map<string, Decision>();
  for (const r of plan.rows) if (r.action) kept.set(r.key, { rowKey: r.key, action: r.action, ...(r.reason ? { reason: r.reason } : {}) });
  for (const d of changes) kept.set(d.rowKey, d);
  return buildPlan(report, [...kept.values()], {
    selected: plan.rows.filter((r) => r.selected).map((r) => r.key),
    syncEngine: plan.syncEngine,
    connectServer: plan.connectServer,
    replicaDcs: plan.replicaDcs,
    ...options,
  });
}
