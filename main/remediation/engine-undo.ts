/**
 * The undo phase: the bypass left on unless the admin chooses to turn it off (#17 point 5), AD values restored compare-and-set,
 * per-user cloud values restored, and values the bypass and a cycle erased offered back as AD
 * writes (buildRestorePlan).
 */
import { randomUUID } from 'node:crypto';
import { CancelledError, isSyncDriftError } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import { normValue, sameValue } from './plan';
import { PLAN_FORMAT, PLAN_SCHEMA_VERSION, type Plan, type PlanRow, type PlanStep, type StepOf } from './plan-schema';
import { statusOf } from './journal';
import type { UndoReport } from './engine-types';
import { AdResult, BypassIntent, GraphResult, ProcessDeath, RecordResult, UndoResult, show, type Ctx, type EngineRuntime } from './engine-runtime';
import { reconcileAd, reconcileGraph } from './engine-resume';
import { writeBackUnseenGraphWrites } from './engine-undo-graph';
import { otherMobileNotRestored } from './other-mobile-blast';

/**
 * Before anything is undone: every write cut between its intent and its result (a crash, a kill)
 * may or may not have landed, so its target is read first with the same reconciliation resume
 * uses. One that landed is recorded as applied and reverted like any other; an AD write that had
 * not landed is recorded as nothing to undo (AD reads on the bound DC are authoritative); a Graph
 * PATCH not seen within the read window is written back, since Graph's reads may lag it for longer;
 * one changed by someone else is reported, not touched.
 */
export async function reconcileForUndo(rt: EngineRuntime, ctx: Ctx, report: UndoReport): Promise<void> {
  const open = (s: PlanStep) => statusOf(ctx.statuses, s.id).state === 'uncertain' && statusOf(ctx.statuses, `undo:${s.id}`).state !== 'done';
  for (const step of rt.steps(ctx, 'ad-write').filter(open)) {
    throwIfCancelled(ctx.signal, 'The undo');
    if ((await reconcileAd(rt, ctx, step)) === 'not-landed') nothingToUndo(rt, ctx, step, `AD mobile is still ${show(step.expected)}: the interrupted write had not landed, nothing to restore`);
  }
  const graph = rt.steps(ctx, 'graph-patch').filter(open);
  // Not seen within the read window is not "not written" for Graph: write the value back (engine-undo-graph.ts).
  await writeBackUnseenGraphWrites(rt, ctx, await reconcileGraph(rt, ctx, graph), report);
}

/** Journals that an interrupted write had not landed: its undo step is done without a write. */
export function nothingToUndo(rt: EngineRuntime, ctx: Ctx, step: StepOf<'ad-write'> | StepOf<'graph-patch'>, message: string): void {
  const id = `undo:${step.id}`;
  if (statusOf(ctx.statuses, id).state === 'pending') rt.record(ctx, id, 'intent', { expected: step.expected, next: step.expected, reconcile: true });
  rt.record(ctx, id, 'result', { outcome: 'skipped', message });
}

/** Why undo leaves the bypass on unless the admin chooses otherwise (docs/remediation.md, Undo). */
export const BYPASS_LEFT_ON = (sessionId: string): string =>
  `BypassDirSyncOverrides left on (this session turned it on). Turning it off restores no value: AD's values stay in Entra ID, ` +
  `and the per-object overrides the bypass ignores (the cloud edits that hid AD's changes) may take effect again, so later AD changes ` +
  `would again not reach Entra ID for those users. Microsoft's how-to (2025-04-09) offers the bypass as the remedy and documents no ` +
  `return to per-object behaviour. To turn it off anyway, as an explicit choice: syncdrift undo ${sessionId} --turn-bypass-off, ` +
  `or in the app the undo dialog's "Also turn the bypass off" ("Turn the bypass off…" once the session is undone).`;

export async function undoSteps(rt: EngineRuntime, ctx: Ctx, report: UndoReport, o: { turnBypassOff?: boolean } = {}): Promise<void> {
  const signalOpt = ctx.signal ? { signal: ctx.signal } : {};
  await reconcileForUndo(rt, ctx, report);

  // 1. The bypass first: it is what keeps overwriting cloud values tenant-wide.
  const bypass = rt.steps(ctx, 'set-bypass')[0];
  const bypassTouched = !!bypass && statusOf(ctx.statuses, bypass.id).state !== 'pending';
  if (bypass) {
    const st = statusOf(ctx.statuses, bypass.id);
    const intent = st.state !== 'pending' && st.intent ? BypassIntent.safeParse(st.intent.data) : null;
    const before = intent?.success ? intent.data.before : null;
    const id = 'undo:bypass';
    if (st.state !== 'pending' && before === false && statusOf(ctx.statuses, id).state === 'pending' && !o.turnBypassOff) {
      // The default (#17 point 5): off restores no value and may let the per-object overrides win again.
      report.notes.push(BYPASS_LEFT_ON(ctx.sessionId));
    } else if (st.state !== 'pending' && before === false && statusOf(ctx.statuses, id).state !== 'done') {
      const now = await rt.cloud.getBypass(signalOpt);
      if (now.state !== 'known') {
        // Unknown is not off: say so, and let a later undo (with the right sign-in) finish it.
        report.notRestored.push({ rowKey: null, upn: null, message: `BypassDirSyncOverrides may still be on: its state cannot be read (${now.reason}). Run undo again with a delegated Global Administrator sign-in.` });
      } else {
        if (statusOf(ctx.statuses, id).state === 'pending') rt.record(ctx, id, 'intent', { enabled: false });
        if (now.enabled) {
          await rt.cloud.setBypass(false, signalOpt);
          rt.effectDone(ctx, id);
          rt.record(ctx, id, 'result', { outcome: 'applied' });
        } else rt.record(ctx, id, 'result', { outcome: 'applied', message: 'found off' });
      }
    }
    const off = UndoResult.safeParse(rt.resultData(ctx, id));
    if (off.success) report.restored.push({ rowKey: '', upn: '', side: 'tenant', value: 'false', message: off.data.message === 'found off' ? 'BypassDirSyncOverrides is off, as it was before this session.' : 'BypassDirSyncOverrides turned off again (this session had turned it on).' });
    else if (before === true) report.notRestored.push({ rowKey: null, upn: null, message: 'BypassDirSyncOverrides was already on before this session: left on.' });
  }

  // 2. AD values, compare-and-set against what this session wrote. While the bypass this session
  //    turned on (or found on) stays on, nothing holds a kept cloud value any more: restoring a
  //    keep-cloud row's old AD value would let the next cycle write it into Entra ID over the value
  //    the admin kept. Such a row stays at the kept value, its undo left open for an undo that turns the bypass off.
  const bypassStaysOn = bypassTouched && !UndoResult.safeParse(rt.resultData(ctx, 'undo:bypass')).success;
  const heldBack = bypassStaysOn ? await keptCloudValues(rt, ctx, signalOpt) : new Map<string, string | null>();
  for (const step of rt.steps(ctx, 'ad-write')) {
    throwIfCancelled(ctx.signal, 'The undo');
    const id = `undo:${step.id}`;
    const applied = AdResult.safeParse(rt.resultData(ctx, step.id));
    if (!applied.success) {
      const skipped = UndoResult.safeParse(rt.resultData(ctx, id));
      if (skipped.success && skipped.data.outcome === 'skipped') report.restored.push({ rowKey: step.rowKey, upn: step.upn, side: 'onprem', value: step.expected, message: skipped.data.message ?? 'nothing to restore' });
      continue;
    }
    if (applied.data.outcome !== 'applied') {
      // Decided by a read after an interruption: the write may have landed and been changed since.
      if (applied.data.reconciled) report.notRestored.push({ rowKey: step.rowKey, upn: step.upn, message: `AD mobile not restored: ${applied.data.error ?? applied.data.outcome}; this session was interrupted around its write, so nothing was overwritten` });
      continue;
    }
    const previous = applied.data.previous === undefined ? step.expected : normValue(applied.data.previous);
    const written = applied.data.written === undefined ? step.next : normValue(applied.data.written);
    const st = statusOf(ctx.statuses, id);
    const dir = rt.opts.onPrem(step.sourceId);
    if (st.state === 'pending' && heldBack.has(step.rowKey) && !sameValue(heldBack.get(step.rowKey), previous)) {
      report.notRestored.push({ rowKey: step.rowKey, upn: step.upn, message: keptWhileBypassOn(written, previous, heldBack.get(step.rowKey) ?? null) });
      continue;
    }
    if (st.state !== 'done') {
      let doWrite = true;
      if (st.state === 'uncertain') {
        const u = await dir.readUser(step.dn, signalOpt);
        if (u && sameValue(u.mobile, previous)) {
          rt.record(ctx, id, 'result', { outcome: 'applied', message: 'found restored on resume' });
          doWrite = false;
        }
      } else rt.record(ctx, id, 'intent', { expected: written, next: previous });
      if (doWrite) {
        try {
          await dir.writeMobile({ dn: step.dn, expected: written, next: previous }, signalOpt);
          rt.effectDone(ctx, id);
          rt.record(ctx, id, 'result', { outcome: 'applied' });
        } catch (e) {
          if (e instanceof ProcessDeath || e instanceof CancelledError) throw e;
          if (!isSyncDriftError(e) || !(e.kind === 'conflict' || e.kind === 'not-found')) throw e;
          rt.record(ctx, id, 'result', { outcome: 'conflict', message: e.message });
        }
      }
    }
    const r = UndoResult.safeParse(rt.resultData(ctx, id));
    if (r.success && r.data.outcome === 'applied') report.restored.push({ rowKey: step.rowKey, upn: step.upn, side: 'onprem', value: previous, message: `AD mobile restored to ${show(previous)}` });
    else report.notRestored.push({ rowKey: step.rowKey, upn: step.upn, message: `AD mobile not restored: ${r.success ? (r.data.message ?? r.data.outcome) : 'unknown'} (it changed after this session; nothing was overwritten)` });
  }

  // 3. Per-user cloud values.
  for (const s of rt.steps(ctx, 'graph-patch')) {
    const g = GraphResult.safeParse(rt.resultData(ctx, s.id));
    const skipped = UndoResult.safeParse(rt.resultData(ctx, `undo:${s.id}`));
    if (!g.success && skipped.success && (skipped.data.outcome === 'skipped' || skipped.data.outcome === 'applied')) report.restored.push({ rowKey: s.rowKey, upn: s.upn, side: 'cloud', value: s.expected, message: skipped.data.message ?? 'nothing to restore' });
    else if (g.success && g.data.outcome !== 'applied' && g.data.reconciled) report.notRestored.push({ rowKey: s.rowKey, upn: s.upn, message: `mobilePhone not restored: ${g.data.error ?? g.data.outcome}; this session was interrupted around its write, so nothing was overwritten` });
  }
  const graphSteps = rt.steps(ctx, 'graph-patch').filter((s) => GraphResult.safeParse(rt.resultData(ctx, s.id)).data?.outcome === 'applied');
  const todo: typeof graphSteps = [];
  const cur = await rt.cloud.readUsers(graphSteps.map((s) => s.userId), signalOpt);
  for (const s of graphSteps) {
    const id = `undo:${s.id}`;
    const st = statusOf(ctx.statuses, id);
    if (st.state === 'done') continue;
    const c = cur.get(s.userId);
    const now = c ? normValue(c.mobilePhone) : undefined;
    if (st.state === 'uncertain' && sameValue(now, s.expected)) {
      rt.record(ctx, id, 'result', { outcome: 'applied', message: 'found restored on resume' });
      continue;
    }
    if (st.state === 'pending') rt.record(ctx, id, 'intent', { expected: s.next, next: s.expected });
    if (now === undefined || !sameValue(now, s.next)) {
      rt.record(ctx, id, 'result', { outcome: 'conflict', message: now === undefined ? 'the cloud user no longer exists' : `mobilePhone is now ${show(now)}, not ${show(s.next)}` });
      continue;
    }
    todo.push(s);
  }
  if (todo.length > 0) {
    const r = await rt.cloud.patchMobile(todo.map((s) => ({ userId: s.userId, mobilePhone: s.expected })), signalOpt);
    const byUser = new Map(r.results.map((x) => [x.userId, x]));
    for (const s of todo) {
      rt.effectDone(ctx, `undo:${s.id}`);
      const x = byUser.get(s.userId);
      rt.record(ctx, `undo:${s.id}`, 'result', x?.ok ? { outcome: 'applied' } : { outcome: 'failed', message: x?.error?.message ?? 'no answer' });
    }
  }
  for (const s of graphSteps) {
    const r = UndoResult.safeParse(rt.resultData(ctx, `undo:${s.id}`));
    if (r.success && r.data.outcome === 'applied') report.restored.push({ rowKey: s.rowKey, upn: s.upn, side: 'cloud', value: s.expected, message: `mobilePhone restored to ${show(s.expected)}` });
    else report.notRestored.push({ rowKey: s.rowKey, upn: s.upn, message: `mobilePhone not restored: ${r.success ? (r.data.message ?? r.data.outcome) : 'unknown'}` });
  }

  // 4. Values the bypass (and a cycle, ours or a scheduled one) overwrote: only AD writes can
  //    bring them back. Read, not assumed from the journal: each is offered and named.
  const rec = RecordResult.safeParse(rt.resultData(ctx, 'record-cloud-values'));
  const cycleRan = statusOf(ctx.statuses, 'initial-cycle').state !== 'pending';
  if (rec.success && (cycleRan || bypassTouched)) {
    const recorded = rec.data.values.filter((v) => v.found);
    const now = await rt.cloud.readUsers(recorded.map((v) => v.userId), signalOpt);
    for (const v of recorded) {
      const row = ctx.rows.get(v.rowKey);
      if (!row?.onPrem || row.action === 'keep-cloud') continue;
      const c = now.get(v.userId);
      const cloudNow = c ? normValue(c.mobilePhone) : null;
      if (sameValue(cloudNow, v.value)) continue;
      const u = await rt.opts.onPrem(row.onPrem.sourceId).readUser(row.onPrem.dn, signalOpt);
      report.offers.push({ rowKey: v.rowKey, upn: row.upn, sourceId: row.onPrem.sourceId, dn: row.onPrem.dn, recordedCloudValue: v.value, currentCloudValue: cloudNow, currentOnPremValue: u ? normValue(u.mobile) : null });
      report.notRestored.push({ rowKey: v.rowKey, upn: row.upn, message: `mobilePhone was ${show(v.value)} before the bypass and is now ${show(cloudNow)}; Graph refuses to write it back for a synced user, so it is offered as an AD write (restore plan)` });
    }
    if (cycleRan) report.notRestored.push({ rowKey: null, upn: null, ...otherMobileNotRestored(ctx.plan.otherMobile) });
  }
}

/** The cloud values now of the rows this session wrote into AD (keep-cloud), by row key; users gone are left out. */
async function keptCloudValues(rt: EngineRuntime, ctx: Ctx, signalOpt: { signal?: AbortSignal }): Promise<Map<string, string | null>> {
  const ids = rt.steps(ctx, 'ad-write').flatMap((s) => {
    const c = ctx.rows.get(s.rowKey)?.cloud;
    return c ? [{ rowKey: s.rowKey, userId: c.id }] : [];
  });
  const out = new Map<string, string | null>();
  if (ids.length === 0) return out;
  const now = await rt.cloud.readUsers(ids.map((x) => x.userId), signalOpt);
  for (const x of ids) {
    const c = now.get(x.userId);
    if (c) out.set(x.rowKey, normValue(c.mobilePhone));
  }
  return out;
}

const keptWhileBypassOn = (written: string | null, previous: string | null, cloud: string | null): string =>
  `AD mobile left at ${show(written)}: BypassDirSyncOverrides stays on, so restoring ${show(previous)} would let the next sync cycle write it into Entra ID over ${show(cloud)}, the cloud value this session kept (before it, the override held that value). Turn the bypass off (undo again with it turned off) to restore ${show(previous)}.`;

/**
 * A plan that writes the offered (recorded) cloud values into AD: the only way back for values the
 * bypass and the cycle erased. Apply it like any plan; the next cycle carries the values.
 */
export function buildRestorePlan(undo: UndoReport, offerKeys: readonly string[] | 'all', options: { now?: Date; replicaDcs?: string[]; profile?: string; syncEngine?: Plan['syncEngine'] } = {}): Plan {
  const pick = undo.offers.filter((o) => offerKeys === 'all' || offerKeys.includes(o.rowKey));
  const now = (options.now ?? new Date()).toISOString();
  const rows: PlanRow[] = pick.map((o) => ({
    key: o.rowKey,
    upn: o.upn,
    status: 'onprem-missing',
    action: 'keep-cloud',
    reason: `restore the cloud value recorded before session ${undo.sessionId}`,
    selected: true,
    inBlastRadius: false,
    onPrem: { sourceId: o.sourceId, dn: o.dn, value: o.currentOnPremValue, otherMobile: [] },
    cloud: null,
    route: 'ad-write',
    intended: null,
  }));
  const steps: PlanStep[] = pick.map((o) => ({ id: `ad:${o.rowKey}`, kind: 'ad-write', rowKey: o.rowKey, upn: o.upn, sourceId: o.sourceId, dn: o.dn, expected: o.currentOnPremValue, next: o.recordedCloudValue }));
  if (steps.length > 0) steps.push({ id: 'replication', kind: 'await-replication', rowKeys: pick.map((o) => o.rowKey), dcs: options.replicaDcs ?? [] });
  return {
    format: PLAN_FORMAT,
    schemaVersion: PLAN_SCHEMA_VERSION,
    id: randomUUID(),
    createdAt: now,
    source: { profile: options.profile ?? 'restore', reportGeneratedAt: now, reportRows: pick.length },
    // The engine of the session it restores after (its next cycle carries the values).
    syncEngine: options.syncEngine ?? 'connect',
    connectServer: null,
    replicaDcs: options.replicaDcs ?? [],
    needsBypass: false,
    rows,
    steps,
    blastRadius: [],
    warnings: ['These AD writes restore cloud values erased by a bypass session; the next sync cycle carries them to the cloud (the bypass must be on for users with an override).'],
    cannotUndo: [],
    blockers: [],
    supportCase: [],
    notes: [],
  };
}
