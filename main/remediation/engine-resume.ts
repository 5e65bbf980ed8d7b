/**
 * What resume (and undo) do with a write cut off between its intent and its result: read the target
 * (polling the cloud, whose reads can lag its writes) and record what happened before anything is
 * redone, so no write is lost or done twice.
 */
import { normValue, sameValue } from './plan';
import type { StepOf } from './plan-schema';
import { show, type Ctx, type EngineRuntime } from './engine-runtime';

/**
 * An AD write with an intent and no result: did it land before the interruption? AD reads are
 * authoritative on the bound DC. Landed (the value the step wrote) and changed-by-someone-else are
 * recorded as the step's result; 'not-landed' (still the value before) records nothing, so the
 * caller decides: resume writes, undo has nothing to restore. Resume and undo both use this.
 */
export async function reconcileAd(rt: EngineRuntime, ctx: Ctx, step: StepOf<'ad-write'>): Promise<'landed' | 'not-landed' | 'conflict'> {
  const u = await rt.opts.onPrem(step.sourceId).readUser(step.dn, ctx.signal ? { signal: ctx.signal } : {});
  const now = u ? normValue(u.mobile) : undefined;
  if (now !== undefined && sameValue(now, step.next)) {
    rt.record(ctx, step.id, 'result', { outcome: 'applied', previous: step.expected, written: step.next, foundOnResume: true, reconciled: true });
    return 'landed';
  }
  if (now === undefined || !sameValue(now, step.expected)) {
    rt.record(ctx, step.id, 'result', { outcome: 'conflict', reconciled: true, error: now === undefined ? 'the AD object no longer exists' : `AD mobile is now ${show(now)}, neither ${show(step.expected)} (before this session) nor ${show(step.next)} (what it wrote)` });
    return 'conflict';
  }
  return 'not-landed';
}

/**
 * Graph PATCHes with an intent and no result: polls the cloud for `resumeReadWindowMs` (Graph
 * reads can lag writes) and records the landed ones as applied and the ones changed by someone
 * else as conflicts. Returns the steps whose users still show the value before the session.
 */
export async function reconcileGraph(rt: EngineRuntime, ctx: Ctx, uncertain: ReadonlyArray<StepOf<'graph-patch'>>): Promise<Array<StepOf<'graph-patch'>>> {
  if (uncertain.length === 0) return [];
  const notLanded: Array<StepOf<'graph-patch'>> = [];
  const landed = await pollCloud(rt, ctx, uncertain, rt.timing.resumeReadWindowMs);
  for (const s of uncertain) {
    const now = landed.get(s.id);
    if (now === undefined) rt.record(ctx, s.id, 'result', { outcome: 'conflict', reconciled: true, error: 'the cloud user no longer exists' });
    else if (sameValue(now, s.next)) rt.record(ctx, s.id, 'result', { outcome: 'applied', foundOnResume: true, reconciled: true });
    else if (sameValue(now, s.expected)) notLanded.push(s);
    else rt.record(ctx, s.id, 'result', { outcome: 'conflict', reconciled: true, error: `mobilePhone is now ${show(now)}, neither ${show(s.expected)} (before this session) nor ${show(s.next)} (what it wrote)` });
  }
  return notLanded;
}

/** Polls the cloud for the steps' users until each shows `next` or the window ends; returns current values. */
export async function pollCloud(rt: EngineRuntime, ctx: Ctx, steps: ReadonlyArray<StepOf<'graph-patch'>>, windowMs: number): Promise<Map<string, string | null>> {
  const deadline = Date.now() + windowMs;
  const out = new Map<string, string | null>();
  for (;;) {
    const cur = await rt.cloud.readUsers(steps.map((s) => s.userId), { ...(ctx.signal ? { signal: ctx.signal } : {}) });
    out.clear();
    for (const s of steps) {
      const c = cur.get(s.userId);
      if (c) out.set(s.id, normValue(c.mobilePhone));
    }
    const allLanded = steps.every((s) => out.has(s.id) && sameValue(out.get(s.id), s.next));
    if (allLanded || Date.now() >= deadline) return out;
    await rt.sleep(rt.timing.pollMs, ctx.signal);
  }
}
