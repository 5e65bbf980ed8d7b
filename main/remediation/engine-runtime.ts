/**
 * The one journal port every phase of the engine runs over: the session's context, the journal
 * writes (an intent before every external write, a result after it, each durable on its own), the
 * fault-injection hooks, the journal payload schemas read back on resume and undo, and the two
 * ways a run stops (Halt: a resumable state; ProcessDeath: a simulated crash).
 */
import type { Clock, Logger } from '../core/ports';
import { systemClock } from '../core/ports';
import { silentLogger } from '../core/logger';
import { sleep as defaultSleep, type ProgressSink } from '../core/progress';
import { z } from 'zod';
import { statusOf, type JournalEntry, type JournalStore, type SessionState, type StepStatus } from './journal';
import type { Plan, PlanRow, PlanStep, StepOf } from './plan-schema';
import type { RemediationCloud } from './ports';
import { DEFAULT_TIMING, type EngineTiming, type RemediationEngineOptions, type SessionOutcome } from './engine-types';

// Journal payloads, validated when read back (resume runs on entries another process wrote).
// `reconciled`: the result was decided by reading the target after an interruption (resume or undo).
export const AdResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed']), previous: z.string().nullable().optional(), written: z.string().nullable().optional(), error: z.string().optional(), foundOnResume: z.boolean().optional(), reconciled: z.boolean().optional() });
export const GraphResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed']), status: z.number().int().optional(), error: z.string().optional(), foundOnResume: z.boolean().optional(), reconciled: z.boolean().optional() });
export const BypassIntent = z.object({ enabled: z.boolean(), before: z.boolean() });
export const RecordResult = z.object({
  values: z.array(z.object({ rowKey: z.string(), userId: z.string(), value: z.string().nullable(), found: z.boolean() })),
  /** Every synced user outside the plan before the bypass, as [userId, upn, mobilePhone] (#17 point 4; absent in sessions from before). */
  tenant: z.array(z.tuple([z.string(), z.string(), z.string().nullable()])).optional(),
});
export const TenantSweepResult = z.object({
  recorded: z.number().int().nonnegative(),
  read: z.number().int().nonnegative(),
  changedCount: z.number().int().nonnegative(),
  changed: z.array(z.object({ userId: z.string(), upn: z.string(), before: z.string().nullable(), after: z.string().nullable() })),
  gone: z.number().int().nonnegative(),
  error: z.string().optional(),
});
export const VerifyResult = z.object({ outcome: z.enum(['verified', 'timeout']), pending: z.array(z.string()), sweep: TenantSweepResult.optional() });
export const UndoResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed', 'skipped']), message: z.string().optional() });

export class ProcessDeath extends Error {
  constructor(readonly original: unknown) {
    super('simulated process death');
  }
}

/** Stops the run with a resumable state and a message (not an error the caller must handle). */
export class Halt extends Error {
  constructor(
    readonly state: SessionState,
    readonly why: string,
    readonly nextStep: string | null = null,
  ) {
    super(why);
  }
}

export const show = (v: string | null) => (v === null ? '(empty)' : `"${v}"`);

export interface Ctx {
  sessionId: string;
  plan: Plan;
  rows: Map<string, PlanRow>;
  statuses: Map<string, StepStatus>;
  signal: AbortSignal | undefined;
  progress: ProgressSink;
  writes: SessionOutcome['writes'];
}

/** The engine's ports and journal helpers, shared by its phases (one per engine). */
export class EngineRuntime {
  readonly journal: JournalStore;
  readonly cloud: RemediationCloud;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timing: EngineTiming;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(readonly opts: RemediationEngineOptions) {
    this.journal = opts.journal;
    this.cloud = opts.cloud;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'remediation' });
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.sleep = opts.sleep ?? defaultSleep;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  finish(id: string, state: SessionState, message: string | null): void {
    const s = this.journal.getSession(id);
    if (!s) return;
    this.journal.updateSession(id, { state, meta: { ...s.meta, owner: null, message }, at: this.now() });
  }

  record(ctx: Ctx, stepId: string, kind: 'intent' | 'result', data: unknown): void {
    const seq = this.journal.append({ sessionId: ctx.sessionId, stepId, kind, at: this.now(), data });
    const entry: JournalEntry = { seq, sessionId: ctx.sessionId, stepId, kind, at: this.now(), data };
    const prev = ctx.statuses.get(stepId);
    ctx.statuses.set(stepId, kind === 'intent' ? { state: 'uncertain', intent: entry } : { state: 'done', intent: prev && prev.state !== 'pending' ? prev.intent : null, result: entry });
    this.hook(() => this.opts.hooks?.afterJournalAppend?.({ sessionId: ctx.sessionId, stepId, kind, seq }));
  }

  effectDone(ctx: Ctx, stepId: string): void {
    this.hook(() => this.opts.hooks?.afterEffect?.({ sessionId: ctx.sessionId, stepId }));
  }

  hook(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new ProcessDeath(e);
    }
  }

  steps<K extends PlanStep['kind']>(ctx: Ctx, kind: K): StepOf<K>[] {
    return ctx.plan.steps.filter((s): s is StepOf<K> => s.kind === kind);
  }

  resultData(ctx: Ctx, stepId: string): unknown {
    const st = statusOf(ctx.statuses, stepId);
    return st.state === 'done' ? st.result.data : undefined;
  }
}
