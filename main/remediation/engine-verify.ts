/**
 * The verify phase: only reads mark a row fixed; a row whose own write failed is reported, not waited
 * for; and the per-row outcome of a session.
 */
import { CancelledError, toErrorInfo } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import { normValue, sameValue } from './plan';
import { planNeedsBypass, type PlanRow } from './plan-schema';
import { statusOf } from './journal';
import type { RowOutcome, TenantSweep } from './engine-types';
import { AdResult, GraphResult, RecordResult, VerifyResult, show, type Ctx, type EngineRuntime } from './engine-runtime';

export async function readRows(rt: EngineRuntime, rows: readonly PlanRow[], signal?: AbortSignal): Promise<Map<string, { onPrem: string | null | undefined; cloud: string | null | undefined }>> {
  const cloud = await rt.cloud.readUsers(rows.flatMap((r) => (r.cloud ? [r.cloud.id] : [])), { ...(signal ? { signal } : {}) });
  const out = new Map<string, { onPrem: string | null | undefined; cloud: string | null | undefined }>();
  for (const r of rows) {
    const u = r.onPrem ? await rt.opts.onPrem(r.onPrem.sourceId).readUser(r.onPrem.dn, signal ? { signal } : {}) : null;
    const c = r.cloud ? cloud.get(r.cloud.id) : null;
    out.set(r.key, { onPrem: u ? normValue(u.mobile) : undefined, cloud: c ? normValue(c.mobilePhone) : undefined });
  }
  return out;
}

export async function runVerify(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const step = rt.steps(ctx, 'verify')[0];
  if (!step) return;
  const st = statusOf(ctx.statuses, step.id);
  const prior = st.state === 'done' ? VerifyResult.safeParse(st.result.data) : null;
  if (prior?.success && prior.data.outcome === 'verified') return;
  rt.record(ctx, step.id, 'intent', { rows: step.rowKeys.length });
  const targets = step.rowKeys.map((k) => ctx.rows.get(k)).filter((r): r is PlanRow => !!r && !failedRow(rt, ctx, r.key));
  const deadline = Date.now() + rt.timing.verifyTimeoutMs;
  let pending = targets;
  for (;;) {
    throwIfCancelled(ctx.signal, 'The verification');
    const now = await readRows(rt, pending, ctx.signal);
    pending = pending.filter((r) => {
      const v = now.get(r.key);
      return !(r.intended && v && sameValue(v.onPrem, r.intended.onPrem) && sameValue(v.cloud, r.intended.cloud));
    });
    ctx.progress({ phase: 'verify', done: targets.length - pending.length, total: targets.length, message: pending.length ? `${pending.length} pending` : 'all verified' });
    if (pending.length === 0 || Date.now() >= deadline) break;
    await rt.sleep(rt.timing.pollMs, ctx.signal);
  }
  const sweep = await tenantSweep(rt, ctx);
  rt.record(ctx, step.id, 'result', { outcome: pending.length === 0 ? 'verified' : 'timeout', pending: pending.map((r) => r.key), ...(sweep ? { sweep } : {}) });
}

/** How many changed users a sweep names (the count is always whole). */
export const SWEEP_NAMED = 500;

/**
 * After the cycle, the whole tenant's synced users outside the plan are read again and compared with
 * what was recorded before the bypass (#17 point 4): the users the bypass changed beyond the scan, by
 * name. Only for sessions that recorded the tenant (bypass plans); a failed read is reported, not thrown.
 */
export async function tenantSweep(rt: EngineRuntime, ctx: Ctx): Promise<TenantSweep | null> {
  if (!planNeedsBypass(ctx.plan)) return null;
  const rec = RecordResult.safeParse(rt.resultData(ctx, 'record-cloud-values'));
  if (!rec.success || !rec.data.tenant) return null;
  const before = rec.data.tenant;
  const base = { recorded: before.length, read: 0, changedCount: 0, changed: [] as TenantSweep['changed'], gone: 0 };
  let now: Map<string, string | null>;
  try {
    const users = await rt.cloud.syncedUsers({ ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'verify', message: 'reading the whole tenant’s synced users' }) });
    now = new Map(users.map((u) => [u.id, normValue(u.mobilePhone)]));
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    return { ...base, error: `The tenant's synced users could not be read again after the cycle: ${toErrorInfo(e).message}` };
  }
  for (const [id, upn, was] of before) {
    if (!now.has(id)) {
      base.gone++;
      continue;
    }
    base.read++;
    const is = now.get(id) ?? null;
    if (sameValue(was, is)) continue;
    base.changedCount++;
    if (base.changed.length < SWEEP_NAMED) base.changed.push({ userId: id, upn, before: was, after: is });
  }
  return base;
}

/** The line a session's outcome carries about the sweep. */
export function sweepLine(s: TenantSweep): string {
  if (s.error) return s.error;
  if (s.changedCount === 0) return `The whole tenant read after the cycle: none of the ${s.read} synced user(s) outside the plan changed.`;
  const named = s.changed.slice(0, 5).map((c) => c.upn).join(', ');
  return `The whole tenant read after the cycle: ${s.changedCount} synced user(s) outside the plan changed (${named}${s.changedCount > 5 ? ', …' : ''}): the bypass let AD win for them too; their earlier cloud values are in the session's journal.`;
}

/** A row whose own write failed or conflicted: it is reported as such, not waited for. */
export function failedRow(rt: EngineRuntime, ctx: Ctx, rowKey: string): { state: 'failed' | 'conflict'; message: string } | null {
  for (const id of [`ad:${rowKey}`, `graph:${rowKey}`]) {
    const d = rt.resultData(ctx, id);
    if (d === undefined) continue;
    const r = (id.startsWith('ad:') ? AdResult : GraphResult).safeParse(d);
    if (r.success && r.data.outcome !== 'applied') return { state: r.data.outcome === 'conflict' ? 'conflict' : 'failed', message: r.data.error ?? r.data.outcome };
  }
  return null;
}

export async function outcomeRows(rt: EngineRuntime, ctx: Ctx): Promise<RowOutcome[]> {
  const verify = rt.steps(ctx, 'verify')[0];
  if (!verify) return [];
  const rows = verify.rowKeys.map((k) => ctx.rows.get(k)).filter((r): r is PlanRow => !!r);
  const vr = VerifyResult.safeParse(rt.resultData(ctx, verify.id));
  const now = await readRows(rt, rows, ctx.signal);
  return rows.map((r) => {
    const v = now.get(r.key);
    const actual = v ? { onPrem: v.onPrem ?? null, cloud: v.cloud ?? null } : null;
    const failed = failedRow(rt, ctx, r.key);
    if (failed) return { rowKey: r.key, upn: r.upn, state: failed.state, intended: r.intended, actual, message: failed.message };
    if (!vr.success) return { rowKey: r.key, upn: r.upn, state: 'not-started', intended: r.intended, actual };
    const ok = vr.data.outcome === 'verified' || !vr.data.pending.includes(r.key);
    return { rowKey: r.key, upn: r.upn, state: ok ? 'fixed' : 'pending', intended: r.intended, actual };
  });
}

/**
 * Undo's account of the users outside the plan (#17 point 4): every synced user recorded before the
 * bypass whose cloud value is different now is named as not restored. Graph refuses to write a synced
 * user's mobilePhone, and the plan knows no AD object for them (not scanned), so only the admin can
 * write the recorded value into AD. Nothing when the session recorded no tenant or no cycle ran.
 */
export async function sweptNotRestored(rt: EngineRuntime, ctx: Ctx): Promise<Array<{ rowKey: null; upn: string | null; message: string }>> {
  const rec = RecordResult.safeParse(rt.resultData(ctx, 'record-cloud-values'));
  if (!rec.success || !rec.data.tenant || rec.data.tenant.length === 0) return [];
  if (statusOf(ctx.statuses, 'initial-cycle').state === 'pending' && statusOf(ctx.statuses, 'bypass-on').state === 'pending') return [];
  const users = await rt.cloud.syncedUsers({ ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const now = new Map(users.map((u) => [u.id, normValue(u.mobilePhone)]));
  const out: Array<{ rowKey: null; upn: string | null; message: string }> = [];
  let more = 0;
  for (const [id, upn, was] of rec.data.tenant) {
    if (!now.has(id) || sameValue(now.get(id) ?? null, was)) continue;
    if (out.length >= SWEEP_NAMED) {
      more++;
      continue;
    }
    out.push({ rowKey: null, upn, message: `outside the plan (not scanned): mobilePhone was ${show(was)} before the bypass and is now ${show(now.get(id) ?? null)}; Graph refuses to write it back for a synced user and the plan knows no AD object for it: write ${show(was)} into its AD mobile if that value was right` });
  }
  if (more > 0) out.push({ rowKey: null, upn: null, message: `${more} more synced user(s) outside the plan changed and are not restored (their earlier values are in the session's journal).` });
  return out;
}
