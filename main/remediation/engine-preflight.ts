/**
 * The preflight phase: permissions, the bypass state, a fresh read of every affected value on both
 * sides, and (with a rescan) users the bypass would now change that the plan does not list.
 */
import { CancelledError, toErrorInfo } from '../core/errors';
import { noProgress, throwIfCancelled } from '../core/progress';
import type { Capability } from '../cloud/permissions';
import { buildPlan, normValue, planReadiness, sameValue } from './plan';
import { acceptanceCovers, planNeedsBypass, unscannedToAccept, type Plan } from './plan-schema';
import type { CloudUserState } from './ports';
import type { Conflict, PreflightCheck, PreflightReport, RunOptions } from './engine-types';
import { show, type EngineRuntime } from './engine-runtime';

/** Permissions, connectivity and a fresh read of every affected value on both sides. */
export async function preflight(rt: EngineRuntime, plan: Plan, o: RunOptions = {}): Promise<PreflightReport> {
  const progress = o.onProgress ?? noProgress;
  const checks: PreflightCheck[] = [];
  const conflicts: Conflict[] = [];
  const readiness = planReadiness(plan);
  checks.push({ name: 'plan', ok: readiness.ready, severity: 'blocking', message: readiness.ready ? 'Every blast-radius row has a decision.' : readiness.why.join('; ') });

  // Permissions for every step the plan has.
  const need = new Set<Capability>(['scanUsers']);
  if (plan.steps.some((s) => s.kind === 'graph-patch')) need.add('writeMobilePhone');
  if (planNeedsBypass(plan)) {
    need.add('readBypass');
    need.add('flipBypass');
  }
  // A Cloud Sync cycle is the job's restart, run by the product after the bypass is on: without the
  // right to it the session would stop with the tenant-wide bypass on and nothing re-evaluated.
  if (plan.steps.some((s) => s.kind === 'sync-cycle' && s.engine === 'cloud-sync')) need.add('restartSyncJob');
  try {
    const caps = await rt.cloud.checkPermissions(o);
    for (const c of need) {
      const check = caps.find((x) => x.capability === c);
      if (!check) continue;
      const ok = check.state === 'granted';
      checks.push({
        name: `permission:${c}`,
        ok,
        severity: check.state === 'missing' ? 'blocking' : 'warning',
        message: ok ? `${check.label}: granted (${check.reason})` : `${check.label}: ${check.state}. ${check.reason}${check.grant ? ` Grant: ${check.grant}.` : ''}`,
      });
    }
  } catch (e) {
    checks.push({ name: 'permissions', ok: false, severity: 'blocking', message: `Could not check permissions: ${toErrorInfo(e).message}` });
  }

  let bypassWasOn: boolean | null = null;
  if (planNeedsBypass(plan)) {
    try {
      const b = await rt.cloud.getBypass(o);
      if (b.state === 'known') {
        bypassWasOn = b.enabled;
        checks.push({ name: 'bypass', ok: true, severity: 'warning', message: b.enabled ? 'BypassDirSyncOverrides is already on: this session will not turn it off on undo.' : 'BypassDirSyncOverrides is off; the session turns it on.' });
      } else checks.push({ name: 'bypass', ok: false, severity: 'blocking', message: `The bypass state cannot be read: ${b.reason} The bypass needs a delegated Global Administrator sign-in.` });
    } catch (e) {
      checks.push({ name: 'bypass', ok: false, severity: 'blocking', message: `The bypass state cannot be read: ${toErrorInfo(e).message}` });
    }
  }

  if (planNeedsBypass(plan)) checks.push(await coverageCheck(rt, plan, o));

  // Fresh read of every row's values, both sides; also proves connectivity.
  const rows = plan.rows.filter((r) => r.action !== null || r.inBlastRadius);
  progress({ phase: 'preflight', done: 0, total: rows.length, message: 'reading current values' });
  let onPremOk = true;
  let cloudOk = true;
  const fresh = new Map<string, string | null | undefined>();
  for (const [i, r] of rows.entries()) {
    throwIfCancelled(o.signal, 'The preflight');
    if (!r.onPrem) continue;
    try {
      const u = await rt.opts.onPrem(r.onPrem.sourceId).readUser(r.onPrem.dn, o.signal ? { signal: o.signal } : {});
      fresh.set(r.key, u ? normValue(u.mobile) : undefined);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      onPremOk = false;
      checks.push({ name: `onprem:${r.onPrem.sourceId}`, ok: false, severity: 'blocking', message: `Reading ${r.onPrem.dn} failed: ${toErrorInfo(e).message}` });
      break;
    }
    if (i % 50 === 0) progress({ phase: 'preflight', done: i, total: rows.length });
  }
  let cloudNow = new Map<string, CloudUserState | null>();
  try {
    cloudNow = await rt.cloud.readUsers(rows.flatMap((r) => (r.cloud ? [r.cloud.id] : [])), o);
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    cloudOk = false;
    checks.push({ name: 'cloud', ok: false, severity: 'blocking', message: `Reading the cloud users failed: ${toErrorInfo(e).message}` });
  }
  if (onPremOk) checks.push({ name: 'onprem', ok: true, severity: 'blocking', message: `Read ${rows.filter((r) => r.onPrem).length} AD value(s).` });
  if (cloudOk) checks.push({ name: 'cloud', ok: true, severity: 'blocking', message: `Read ${cloudNow.size} cloud value(s).` });
  for (const r of rows) {
    if (onPremOk && r.onPrem) {
      const v = fresh.get(r.key);
      if (v === undefined) conflicts.push({ rowKey: r.key, upn: r.upn, side: 'onprem', planned: r.onPrem.value, actual: null, message: `the AD object ${r.onPrem.dn} no longer exists (deleted or moved)` });
      else if (!sameValue(v, r.onPrem.value)) conflicts.push({ rowKey: r.key, upn: r.upn, side: 'onprem', planned: r.onPrem.value, actual: v, message: `AD mobile is now ${show(v)}, the plan saw ${show(r.onPrem.value)}` });
    }
    if (cloudOk && r.cloud) {
      const c = cloudNow.get(r.cloud.id);
      if (!c) conflicts.push({ rowKey: r.key, upn: r.upn, side: 'cloud', planned: r.cloud.value, actual: null, message: 'the cloud user no longer exists' });
      else if (!sameValue(c.mobilePhone, r.cloud.value)) conflicts.push({ rowKey: r.key, upn: r.upn, side: 'cloud', planned: r.cloud.value, actual: normValue(c.mobilePhone), message: `mobilePhone is now ${show(normValue(c.mobilePhone))}, the plan saw ${show(r.cloud.value)}` });
    }
  }
  if (planNeedsBypass(plan) && rt.opts.rescan) {
    try {
      const fresh = await rt.opts.rescan(o);
      const listed = new Set(plan.blastRadius.map((b) => b.rowKey));
      const kept = plan.rows.flatMap((r) => (r.action ? [{ rowKey: r.key, action: r.action }] : []));
      const now = buildPlan(fresh, kept, { selected: plan.rows.filter((r) => r.selected).map((r) => r.key) });
      for (const b of now.blastRadius) {
        if (listed.has(b.rowKey)) continue;
        conflicts.push({ rowKey: b.rowKey, upn: b.upn, side: 'blast-radius', planned: null, actual: b.cloudValue, message: `now differs (${b.status}: AD ${show(b.onPremValue)}, cloud ${show(b.cloudValue)}) and the bypass would change it, but the plan does not list it` });
      }
      checks.push({ name: 'blast-radius', ok: true, severity: 'blocking', message: `A fresh scan found ${now.blastRadius.length} user(s) in the blast radius (the plan lists ${listed.size}).` });
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      checks.push({ name: 'blast-radius', ok: false, severity: 'blocking', message: `The fresh scan for the blast radius failed: ${toErrorInfo(e).message}` });
    }
  }
  if (conflicts.length > 0) checks.push({ name: 'conflicts', ok: false, severity: 'blocking', message: `${conflicts.length} value(s) changed since the scan: re-decide those rows (rescan, then plan again).` });
  progress({ phase: 'preflight', done: rows.length, total: rows.length, message: 'done' });
  const ok = checks.every((c) => c.ok || c.severity === 'warning');
  return { ok, checks, conflicts, bypassWasOn };
}

/**
 * The bypass's reach beyond the scan (#17 point 4): Graph counts the tenant's synced users now; those
 * the plan's scan did not join to a scanned AD object get changed unseen, so their number must be
 * covered by the admin's explicit acceptance. Where Graph cannot count, the plan's own count stands
 * (or the unknown, which only an acceptance of 'unknown' covers).
 */
async function coverageCheck(rt: EngineRuntime, plan: Plan, o: RunOptions): Promise<PreflightCheck> {
  const scanned = plan.coverage?.scanned ?? 0;
  let needed = unscannedToAccept(plan);
  let counted: string;
  try {
    const live = await rt.cloud.countSyncedUsers(o);
    if (plan.coverage) {
      const notScanned = Math.max(0, live - scanned);
      needed = notScanned > 0 ? notScanned : null;
      counted = `Graph counts ${live} synced user(s) in the tenant now; the plan's scan joined ${scanned}`;
    } else counted = `Graph counts ${live} synced user(s) in the tenant now; the plan (made before such counts) does not say how many its scan read`;
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    counted = `Graph could not count the tenant's synced users (${toErrorInfo(e).message}); the plan's count stands`;
  }
  const accepted = o.acceptNotScanned;
  const acceptedText = accepted === undefined ? 'none was accepted' : accepted === 'unknown' ? 'you accepted any number' : `you accepted ${accepted}`;
  if (needed === null) return { name: 'coverage', ok: true, severity: 'blocking', message: `${counted}: every synced user was scanned.` };
  const what = needed === 'unknown' ? 'an unknown number of synced users were not scanned' : `${needed} synced user(s) were not scanned`;
  if (acceptanceCovers(accepted, needed)) {
    return { name: 'coverage', ok: true, severity: 'warning', message: `${counted}: ${what} and the bypass changes them too wherever AD differs (${acceptedText}). Verification reads them all after the cycle.` };
  }
  return {
    name: 'coverage',
    ok: false,
    severity: 'blocking',
    message: `${counted}: ${what}, and the tenant-wide bypass and the full cycle would change them unseen (${acceptedText}). Scan every OU and forest the sync engine reads, or accept them explicitly (the guided flow's checkbox; syncdrift apply --accept-unscanned ${needed}).`,
  };
}
