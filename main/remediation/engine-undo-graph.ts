/**
 * Undo of a Graph PATCH cut off by a crash whose user still reads the value from before the session
 * once the read window is over (#16: "a Graph write landing after the read window is missed by
 * undo"). Graph's reads can lag its writes for longer than any window we wait, so not seen is not
 * not written: the interrupted PATCH may have been accepted and show up later, after undo said
 * "nothing to restore". Instead, undo writes the value from before the session back: a PATCH of the
 * value the user reads now, so if nothing had landed nothing changes (graph-patch steps only target
 * users Graph accepts writes for, unsynced or SOA switched: no override flag is set). Every write of
 * a partition goes to its primary replica, reads come from secondaries
 * (https://learn.microsoft.com/en-us/entra/architecture/architecture), and the interrupted write, if
 * accepted at all, was accepted before this undo began, so this write supersedes it. It is journalled as the step's undo (one
 * write; a failed one leaves the step open, named in notRestored, for the next undo).
 */
import { throwIfCancelled } from '../core/progress';
import { statusOf } from './journal';
import type { StepOf } from './plan-schema';
import type { UndoReport } from './engine-types';
import { show, type Ctx, type EngineRuntime } from './engine-runtime';

export async function writeBackUnseenGraphWrites(rt: EngineRuntime, ctx: Ctx, steps: ReadonlyArray<StepOf<'graph-patch'>>, report: UndoReport): Promise<void> {
  const todo = steps.filter((s) => statusOf(ctx.statuses, `undo:${s.id}`).state !== 'done');
  if (todo.length === 0) return;
  throwIfCancelled(ctx.signal, 'The undo');
  for (const s of todo) if (statusOf(ctx.statuses, `undo:${s.id}`).state === 'pending') rt.record(ctx, `undo:${s.id}`, 'intent', { expected: s.expected, next: s.expected, reconcile: true, writeBack: true });
  const r = await rt.cloud.patchMobile(
    todo.map((s) => ({ userId: s.userId, mobilePhone: s.expected })),
    ctx.signal ? { signal: ctx.signal } : {},
  );
  const byUser = new Map(r.results.map((x) => [x.userId, x]));
  for (const s of todo) {
    rt.effectDone(ctx, `undo:${s.id}`);
    const x = byUser.get(s.userId);
    if (x?.ok) {
      rt.record(ctx, `undo:${s.id}`, 'result', {
        outcome: 'applied',
        message: `mobilePhone still read ${show(s.expected)} after the read window; written back to ${show(s.expected)} so that the interrupted write, if Graph had accepted it, cannot show up later`,
      });
    } else {
      report.notRestored.push({
        rowKey: s.rowKey,
        upn: s.upn,
        message: `mobilePhone reads ${show(s.expected)}, but the interrupted write of ${show(s.next)} may still show up (Graph reads can lag writes) and writing ${show(s.expected)} back failed (${x?.error ? `${x.error.code}: ${x.error.message}` : 'no answer'}); run undo again`,
      });
    }
  }
}
