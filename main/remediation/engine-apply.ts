/**
 * The apply phase: the plan's steps in order (AD writes compare-and-set, replication, per-user Graph
 * writes, the blast radius recorded, the bypass, the full cycle, verification), each journalled; a
 * step cut off by a crash is reconciled first (engine-resume.ts).
 */
import { CancelledError, isSyncDriftError } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import { normValue, sameValue } from './plan';
import { planNeedsBypass } from './plan-schema';
import { statusOf } from './journal';
import { AdResult, BypassIntent, Halt, ProcessDeath, show, type Ctx, type EngineRuntime } from './engine-runtime';
import { reconcileAd, reconcileGraph } from './engine-resume';
import { runVerify } from './engine-verify';

/**
 * Consecutive rounds of per-user writes without a single success before the throttled or
 * transiently failing items are given up (with the back-off between them, about 90 s). A round
 * that lands anything resets it: a long throttling storm slows the run, it does not fail it.
 */
const MAX_STALLED_ROUNDS = 6;

function transient(status: number, kind: string | undefined): boolean {
  return status === 429 || status >= 500 || kind === 'throttled' || kind === 'connection';
}

export async function execute(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  await runAdWrites(rt, ctx);
  await runReplication(rt, ctx);
  await runGraphWrites(rt, ctx);
  await runRecord(rt, ctx);
  await runBypass(rt, ctx);
  await runCycle(rt, ctx);
  await runVerify(rt, ctx);
}

export async function runAdWrites(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const steps = rt.steps(ctx, 'ad-write');
  for (const [i, step] of steps.entries()) {
    throwIfCancelled(ctx.signal, 'The remediation');
    const st = statusOf(ctx.statuses, step.id);
    if (st.state === 'done') continue;
    const dir = rt.opts.onPrem(step.sourceId);
    if (st.state === 'uncertain') {
      if ((await reconcileAd(rt, ctx, step)) !== 'not-landed') continue;
    } else rt.record(ctx, step.id, 'intent', { expected: step.expected, next: step.next });
    try {
      const r = await dir.writeMobile({ dn: step.dn, expected: step.expected, next: step.next }, ctx.signal ? { signal: ctx.signal } : {});
      ctx.writes.ad++;
      rt.effectDone(ctx, step.id);
      rt.record(ctx, step.id, 'result', { outcome: 'applied', previous: r.previous, written: r.written });
    } catch (e) {
      if (e instanceof ProcessDeath || e instanceof CancelledError) throw e;
      if (isSyncDriftError(e) && (e.kind === 'conflict' || e.kind === 'not-found' || e.kind === 'permission' || e.kind === 'validation')) {
        rt.record(ctx, step.id, 'result', { outcome: e.kind === 'conflict' || e.kind === 'not-found' ? 'conflict' : 'failed', error: e.message });
      } else throw e;
    }
    ctx.progress({ phase: 'ad-write', done: i + 1, total: steps.length });
  }
  const bad = steps.filter((s) => AdResult.safeParse(rt.resultData(ctx, s.id)).data?.outcome !== 'applied');
  if (bad.length > 0 && planNeedsBypass(ctx.plan)) {
    throw new Halt('failed', `${bad.length} AD write(s) did not apply (${bad.map((b) => b.upn).join(', ')}): stopped before the bypass, which would otherwise overwrite the cloud values you chose to keep. Rescan and re-decide those rows.`);
  }
}

export async function runReplication(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const step = rt.steps(ctx, 'await-replication')[0];
  if (!step || statusOf(ctx.statuses, step.id).state === 'done') return;
  if (statusOf(ctx.statuses, step.id).state === 'pending') rt.record(ctx, step.id, 'intent', { dcs: step.dcs });
  const written = rt.steps(ctx, 'ad-write').filter((s) => AdResult.safeParse(rt.resultData(ctx, s.id)).data?.outcome === 'applied');
  const deadline = Date.now() + rt.timing.replicationTimeoutMs;
  let pending = written;
  for (;;) {
    throwIfCancelled(ctx.signal, 'Waiting for replication');
    const still: typeof pending = [];
    for (const s of pending) {
      const states = await rt.opts.onPrem(s.sourceId).replicaStates(s.dn, step.dcs.length > 0 ? step.dcs : undefined);
      if (!states.every((r) => !r.error && sameValue(r.value, s.next))) still.push(s);
    }
    pending = still;
    ctx.progress({ phase: 'replication', done: written.length - pending.length, total: written.length });
    if (pending.length === 0) {
      rt.record(ctx, step.id, 'result', { outcome: 'replicated' });
      return;
    }
    if (Date.now() >= deadline) break;
    await rt.sleep(rt.timing.pollMs, ctx.signal);
  }
  const list = pending.map((s) => ({ upn: s.upn, dn: s.dn, dcs: step.dcs }));
  if (rt.opts.operator?.confirmReplication && (await rt.opts.operator.confirmReplication(list))) {
    rt.record(ctx, step.id, 'result', { outcome: 'confirmed', pending: list.map((p) => p.dn) });
    return;
  }
  throw new Halt('awaiting-replication', `${pending.length} AD write(s) not yet visible on ${step.dcs.join(', ') || 'the DCs'}: the cycle would export the old values.`, `Wait for AD replication, then: syncdrift resume ${ctx.sessionId}`);
}

export async function runGraphWrites(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const steps = rt.steps(ctx, 'graph-patch').filter((s) => statusOf(ctx.statuses, s.id).state !== 'done');
  if (steps.length === 0) return;
  const uncertain = steps.filter((s) => statusOf(ctx.statuses, s.id).state === 'uncertain');
  const toWrite: typeof steps = steps.filter((s) => statusOf(ctx.statuses, s.id).state === 'pending');
  // Graph reads can lag writes: reconcileGraph polls a while before concluding an uncertain PATCH did not land.
  toWrite.push(...(await reconcileGraph(rt, ctx, uncertain)));
  // Compare before set: Graph has no conditional PATCH for this, so a fresh read stands in for it.
  const current = await rt.cloud.readUsers(toWrite.map((s) => s.userId), { ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const go: typeof steps = [];
  for (const s of toWrite) {
    const c = current.get(s.userId);
    const now = c ? normValue(c.mobilePhone) : undefined;
    const isIntentLogged = statusOf(ctx.statuses, s.id).state === 'uncertain';
    if (now !== undefined && sameValue(now, s.expected)) {
      go.push(s);
      if (!isIntentLogged) rt.record(ctx, s.id, 'intent', { expected: s.expected, next: s.next });
      continue;
    }
    if (!isIntentLogged) rt.record(ctx, s.id, 'intent', { expected: s.expected, next: s.next });
    rt.record(ctx, s.id, 'result', { outcome: 'conflict', error: now === undefined ? 'the cloud user no longer exists' : `mobilePhone is now ${show(now)}, not ${show(s.expected)}` });
  }
  // Items refused for throttling or a transient fault go again in a later round (each call gets a
  // fresh retry budget), as long as rounds make progress: a long storm slows the run, never fails it.
  let round = go;
  let done = 0;
  let retries = 0;
  let stalled = 0;
  while (round.length > 0) {
    throwIfCancelled(ctx.signal, 'The cloud writes');
    const r = await rt.cloud.patchMobile(
      round.map((s) => ({ userId: s.userId, mobilePhone: s.next })),
      { ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'graph-write', done: done + e.done, total: go.length, retries: retries + (e.retries ?? 0) }) },
    );
    retries += r.retries;
    ctx.writes.graph += r.results.filter((x) => x.ok).length;
    for (const s of round) rt.effectDone(ctx, s.id);
    const byUser = new Map(r.results.map((x) => [x.userId, x]));
    const progressed = round.some((s) => byUser.get(s.userId)?.ok);
    stalled = progressed ? 0 : stalled + 1;
    const again: typeof round = [];
    for (const s of round) {
      const x = byUser.get(s.userId);
      if (x?.ok) {
        rt.record(ctx, s.id, 'result', { outcome: 'applied', status: x.status });
        done++;
      } else if (x && transient(x.status, x.error?.kind) && stalled < MAX_STALLED_ROUNDS) again.push(s);
      else rt.record(ctx, s.id, 'result', { outcome: 'failed', status: x?.status ?? 0, error: x?.error ? `${x.error.code}: ${x.error.message}` : 'no answer for this item' });
    }
    if (again.length > 0 && !progressed) await rt.sleep(Math.min(30_000, 1000 * 2 ** Math.min(stalled, 5)), ctx.signal);
    round = again;
  }
}

export async function runRecord(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const step = rt.steps(ctx, 'record-cloud-values')[0];
  if (!step || statusOf(ctx.statuses, step.id).state === 'done') return;
  // Safe to redo: the bypass intent comes only after this result, so the cloud is still untouched by it.
  if (statusOf(ctx.statuses, step.id).state === 'pending') rt.record(ctx, step.id, 'intent', { rows: step.rowKeys.length });
  const ids = step.rowKeys.flatMap((k) => {
    const r = ctx.rows.get(k);
    return r?.cloud ? [{ rowKey: k, userId: r.cloud.id }] : [];
  });
  const cur = await rt.cloud.readUsers(
    ids.map((x) => x.userId),
    { ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  const values = ids.map((x) => {
    const c = cur.get(x.userId);
    return { rowKey: x.rowKey, userId: x.userId, value: c ? normValue(c.mobilePhone) : null, found: !!c };
  });
  // The bypass reaches every synced user, scanned or not (#17 point 4): the whole tenant's synced
  // users outside the plan are recorded too, so verification can count every one the cycle changed (and name up to SWEEP_NAMED).
  const inPlan = new Set(ctx.plan.rows.flatMap((r) => (r.cloud ? [r.cloud.id] : [])));
  const tenant = (await rt.cloud.syncedUsers({ ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'record' }) }))
    .filter((u) => !inPlan.has(u.id))
    .map((u): [string, string, string | null] => [u.id, u.upn, normValue(u.mobilePhone)]);
  ctx.progress({ phase: 'record', done: values.length + tenant.length, total: values.length + tenant.length });
  rt.record(ctx, step.id, 'result', { values, tenant });
}

export async function runBypass(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const step = rt.steps(ctx, 'set-bypass')[0];
  if (!step) return;
  const st = statusOf(ctx.statuses, step.id);
  if (st.state === 'done') return;
  const now = await rt.cloud.getBypass(ctx.signal ? { signal: ctx.signal } : {});
  if (now.state !== 'known') throw new Halt('failed', `The bypass cannot be read: ${now.reason} It needs a delegated Global Administrator sign-in.`);
  let before = now.enabled;
  if (st.state === 'uncertain') {
    const intent = BypassIntent.safeParse(st.intent.data);
    before = intent.success ? intent.data.before : before;
    if (now.enabled === step.enabled) {
      rt.record(ctx, step.id, 'result', { outcome: 'applied', before, after: now.enabled, foundOnResume: true });
      return;
    }
  } else rt.record(ctx, step.id, 'intent', { enabled: step.enabled, before });
  const r = await rt.cloud.setBypass(step.enabled, ctx.signal ? { signal: ctx.signal } : {});
  if (before !== step.enabled) ctx.writes.bypass++;
  rt.effectDone(ctx, step.id);
  rt.record(ctx, step.id, 'result', { outcome: 'applied', before, after: r.enabled });
  ctx.progress({ phase: 'bypass', done: 1, total: 1 });
}

export async function runCycle(rt: EngineRuntime, ctx: Ctx): Promise<void> {
  const step = rt.steps(ctx, 'sync-cycle')[0];
  if (!step) return;
  const st = statusOf(ctx.statuses, step.id);
  if (st.state === 'done') return;
  if (st.state === 'pending') rt.record(ctx, step.id, 'intent', { policy: step.policy, engine: step.engine });
  ctx.progress({ phase: 'sync-cycle', done: 0, total: 1, message: step.instructions });
  if (rt.opts.runSyncCycle) {
    // A full cycle is idempotent: an uncertain one is simply run again.
    const r = await rt.opts.runSyncCycle('initial', { ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'sync-cycle' }) });
    ctx.writes.cycles++;
    rt.effectDone(ctx, step.id);
    rt.record(ctx, step.id, 'result', { outcome: 'ran', summary: r.summary });
    return;
  }
  if (rt.opts.operator?.confirmCycle && (await rt.opts.operator.confirmCycle(step.instructions))) {
    rt.record(ctx, step.id, 'result', { outcome: 'confirmed' });
    return;
  }
  throw new Halt('awaiting-cycle', 'The bypass is on; a full (initial) sync cycle must run now.', `${step.instructions}\nThen: syncdrift resume ${ctx.sessionId}`);
}
