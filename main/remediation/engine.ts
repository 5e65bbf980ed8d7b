/**
 * The remediation engine: preflight, execute (journalled), verify, resume and undo of plans.
 *
 * Crash safety: every external write is preceded by an intent and followed by a result in the
 * journal, each durable on its own. On resume a step with an intent but no result is reconciled by
 * reading the target (polling the cloud, whose reads can lag its writes) before anything is redone,
 * so no write is lost or done twice. A 2xx never marks a row fixed: only verification reads do.
 *
 * This file is the engine's face (sessions, apply, resume, undo); its phases are modules over one
 * journal port (engine-runtime.ts): engine-preflight.ts, engine-apply.ts, engine-resume.ts (what a
 * write cut off by a crash did), engine-verify.ts, engine-undo.ts, and engine-sessions.ts (claims,
 * takeovers, summaries); engine-types.ts holds the options and reports.
 */
import { randomUUID } from 'node:crypto';
import { SyncDriftError, toErrorInfo } from '../core/errors';
import { noProgress } from '../core/progress';
import { claimOwner, effectiveState, releaseOwner, stepStatuses, type JournalEntry, type SessionState } from './journal';
import { assertPlanStructure, parsePlan, type Plan } from './plan-schema';
import type { PreflightReport, RemediationEngineOptions, RunOptions, SessionOutcome, SessionSummary, UndoReport } from './engine-types';
import { EngineRuntime, Halt, ProcessDeath, VerifyResult, type Ctx } from './engine-runtime';
import { preflight } from './engine-preflight';
import { execute } from './engine-apply';
import { outcomeRows, sweepLine, sweptNotRestored } from './engine-verify';
import { undoSteps } from './engine-undo';
import { busy, claim, forcible, sessionSummaries, takeoverLine, tryPlan } from './engine-sessions';
import { withOtherMobileNote } from './other-mobile-blast';
import { refuseMaskedPlan, refuseMaskedSession } from './masked-copies';

export class RemediationEngine {
  private readonly rt: EngineRuntime;

  constructor(opts: RemediationEngineOptions) {
    this.rt = new EngineRuntime(opts);
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  sessions(): SessionSummary[] {
    return sessionSummaries(this.rt.journal);
  }

  /** One session: its summary, plan and journal (for the UI's history view). */
  session(id: string): { summary: SessionSummary; plan: Plan; journal: JournalEntry[] } {
    const s = this.rt.journal.getSession(id);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${id}. List them with: syncdrift sessions`);
    const summary = this.sessions().find((x) => x.id === id) as SessionSummary;
    return { summary, plan: parsePlan(s.plan, `session ${id}.plan`), journal: this.rt.journal.entries(id) };
  }

  // -------------------------------------------------------------------------------------------
  // Preflight

  /** Permissions, connectivity and a fresh read of every affected value on both sides (engine-preflight.ts). */
  async preflight(plan: Plan, o: RunOptions = {}): Promise<PreflightReport> {
    refuseMaskedPlan(plan);
    return preflight(this.rt, plan, o);
  }

  // -------------------------------------------------------------------------------------------
  // Apply / resume

  /** Preflight, then a new session executing the plan. Refuses (no session) when preflight fails. */
  async apply(plan: Plan, o: RunOptions = {}): Promise<SessionOutcome> {
    // Whoever hands the engine a plan (the service's stored copy, a verified plan file) may still
    // hand it one no builder made: every step must be accounted for by a row, or nothing runs.
    const checked = assertPlanStructure(parsePlan(plan));
    refuseMaskedPlan(checked);
    const pre = await this.preflight(checked, o);
    if (!pre.ok) {
      return { sessionId: '', state: 'failed', message: 'Preflight failed: nothing was written.', nextStep: 'Fix the blocking checks (or re-decide the conflicting rows) and apply again.', rows: [], preflight: pre, writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 } };
    }
    const id = randomUUID();
    const token = randomUUID();
    this.rt.journal.createSession({ id, state: 'running', createdAt: this.rt.now(), plan: checked, meta: { owner: claimOwner(token), message: null, undo: null } });
    this.rt.log.info('session started', { sessionId: id, planId: checked.id, steps: checked.steps.length });
    o.onSession?.(id);
    const out = withOtherMobileNote(checked, await this.runOwned(id, token, checked, o));
    return { ...out, preflight: pre };
  }

  /** Continues an interrupted, cancelled or waiting session after reconciling uncertain steps. */
  async resume(sessionId: string, o: RunOptions = {}): Promise<SessionOutcome> {
    const s = this.rt.journal.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${sessionId}. List them with: syncdrift sessions`);
    refuseMaskedSession(sessionId, s, tryPlan(s.plan), 'resumed');
    const state = effectiveState(s);
    if (state === 'completed' || state === 'undone' || state === 'undo-partial' || state === 'undoing') {
      throw new SyncDriftError('conflict', 'SESSION_NOT_RESUMABLE', `Session ${sessionId} is ${state}; there is nothing to resume.`);
    }
    if ((state === 'running' || state === 'verifying') && !forcible(s, o)) throw busy(s);
    // An undo cut short reads as interrupted too: going forward again would re-verify (and report
    // completed) a session that is half undone. Only undo finishes it.
    if (s.meta.undo) throw new SyncDriftError('conflict', 'SESSION_NOT_RESUMABLE', `Undo of session ${sessionId} started at ${s.meta.undo.startedAt} and did not finish: run undo again to finish it (syncdrift undo ${sessionId}).`);
    const plan = parsePlan(s.plan, `session ${sessionId}.plan`);
    const token = randomUUID();
    const { takeover } = claim(this.rt, s, token, 'running', (m) => ({ ...m, message: null }), o.takeOver === true);
    this.rt.log.info('session resumed', { sessionId, from: state, ...(takeover ? { takeoverFrom: takeover.from } : {}) });
    const out = withOtherMobileNote(plan, await this.runOwned(sessionId, token, plan, o));
    return takeover ? { ...out, takeover, message: `${takeoverLine(takeover)} ${out.message ?? ''}`.trim() } : out;
  }

  private async runOwned(id: string, token: string, plan: Plan, o: RunOptions): Promise<SessionOutcome> {
    const ctx: Ctx = {
      sessionId: id,
      plan,
      rows: new Map(plan.rows.map((r) => [r.key, r])),
      statuses: stepStatuses(this.rt.journal.entries(id)),
      signal: o.signal,
      progress: o.onProgress ?? noProgress,
      writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 },
    };
    try {
      await execute(this.rt, ctx);
      const rows = await outcomeRows(this.rt, ctx);
      const pending = rows.filter((r) => r.state !== 'fixed');
      const verify = plan.steps.find((s) => s.kind === 'verify');
      const state: SessionState = !verify || pending.length === 0 ? 'completed' : 'verify-timeout';
      const sweep = verify ? VerifyResult.safeParse(this.rt.resultData(ctx, verify.id)).data?.sweep : undefined;
      // A plan without a verify step (undo's restore plan: AD writes only, the cloud follows on the next
      // cycle) verified nothing; "0 row(s) verified" read as if its AD writes had not happened.
      const adWrites = plan.steps.filter((s) => s.kind === 'ad-write').length;
      const base = !verify
        ? `Done: ${adWrites} AD write(s) made (compare-and-set); Entra ID gets them with the next sync cycle, which this session does not run or verify.`
        : state === 'completed'
          ? `Done: ${rows.length} row(s) verified on both sides.`
          : `${pending.length} row(s) not yet showing the intended value on both sides.`;
      const message = sweep ? `${base} ${sweepLine(sweep)}` : base;
      this.rt.finish(id, state, message);
      return { sessionId: id, state, message, nextStep: state === 'completed' ? null : `Resume later to verify again: syncdrift resume ${id}`, rows, writes: ctx.writes, ...(sweep ? { sweep } : {}) };
    } catch (e) {
      if (e instanceof ProcessDeath) throw e.original;
      if (e instanceof Halt) {
        this.rt.finish(id, e.state, e.why);
        return { sessionId: id, state: e.state, message: e.why, nextStep: e.nextStep, rows: await outcomeRows(this.rt, ctx).catch(() => []), writes: ctx.writes };
      }
      const info = toErrorInfo(e);
      const state: SessionState = info.kind === 'cancelled' ? 'cancelled' : 'interrupted';
      const message = info.kind === 'cancelled' ? 'Cancelled; resume continues where it stopped.' : `Stopped: ${info.message}`;
      this.rt.finish(id, state, message);
      this.rt.log.warn('session stopped', { sessionId: id, code: info.code });
      return { sessionId: id, state, message, nextStep: `syncdrift resume ${id}`, rows: [], writes: ctx.writes };
    } finally {
      releaseOwner(token);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Undo

  /**
   * Undoes a session: the bypass left on (turned off only with `turnBypassOff`), AD values restored
   * (compare-and-set), per-user cloud values restored; values erased by bypass + sync are offered
   * back as AD writes. Interrupted undo resumes by calling undo again.
   */
  async undo(sessionId: string, o: RunOptions = {}): Promise<UndoReport> {
    const s = this.rt.journal.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${sessionId}. List them with: syncdrift sessions`);
    refuseMaskedSession(sessionId, s, tryPlan(s.plan), 'undone');
    const state = effectiveState(s);
    if ((state === 'running' || state === 'verifying' || state === 'undoing') && !forcible(s, o)) throw busy(s);
    const plan = parsePlan(s.plan, `session ${sessionId}.plan`);
    const token = randomUUID();
    const claimed = claim(this.rt, s, token, 'undoing', (m) => ({ ...m, undo: { startedAt: s.meta.undo?.startedAt ?? this.rt.now(), finishedAt: null } }), o.takeOver === true);
    const meta = claimed.meta;
    const ctx: Ctx = {
      sessionId,
      plan,
      rows: new Map(plan.rows.map((r) => [r.key, r])),
      statuses: stepStatuses(this.rt.journal.entries(sessionId)),
      signal: o.signal,
      progress: o.onProgress ?? noProgress,
      writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 },
    };
    const report: UndoReport = { sessionId, state: 'undone', restored: [], notRestored: [], offers: [], notes: [], ...(claimed.takeover ? { takeover: claimed.takeover } : {}) };
    try {
      await undoSteps(this.rt, ctx, report, { turnBypassOff: o.turnBypassOff === true });
      report.notRestored.push(...(await sweptNotRestored(this.rt, ctx)));
    } catch (e) {
      if (e instanceof ProcessDeath) {
        releaseOwner(token);
        throw e.original;
      }
      const info = toErrorInfo(e);
      report.notRestored.push({ rowKey: null, upn: null, message: `Undo stopped: ${info.message}. Run undo again to continue.` });
      report.state = 'undo-partial';
      this.rt.journal.updateSession(sessionId, { state: 'undo-partial', meta: { ...meta, owner: null, message: `Undo stopped: ${info.message}` }, at: this.rt.now() });
      releaseOwner(token);
      return report;
    }
    report.state = report.notRestored.length === 0 ? 'undone' : 'undo-partial';
    const message = report.state === 'undone' ? 'Undone.' : `Undo finished; ${report.notRestored.length} item(s) could not be restored.`;
    this.rt.journal.updateSession(sessionId, { state: report.state, meta: { ...meta, owner: null, message, undo: { startedAt: meta.undo?.startedAt ?? this.rt.now(), finishedAt: this.rt.now() } }, at: this.rt.now() });
    releaseOwner(token);
    return report;
  }
}
