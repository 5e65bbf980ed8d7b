/**
 * The remediation engine: preflight, execute (journalled), verify, resume and undo of plans.
 *
 * Crash safety: every external write is preceded by an intent and followed by a result in the
 * journal, each durable on its own. On resume a step with an intent but no result is reconciled by
 * reading the target (polling the cloud, whose reads can lag its writes) before anything is redone,
 * so no write is lost or done twice. A 2xx never marks a row fixed: only verification reads do.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { CancelledError, SyncDriftError, isSyncDriftError, toErrorInfo } from '../core/errors';
import { silentLogger } from '../core/logger';
import type { Clock, Logger } from '../core/ports';
import { systemClock } from '../core/ports';
import { noProgress, sleep as defaultSleep, throwIfCancelled, type ProgressSink } from '../core/progress';
import type { OnPremDirectory } from '../onprem/port';
import type { Capability } from '../cloud/permissions';
import { ACTIVE_STATES, claimOwner, describeOwner, effectiveState, ownerStatus, releaseOwner, statusOf, stepStatuses, type JournalEntry, type JournalStore, type SessionMeta, type SessionState, type StepStatus, type StoredSession, type Takeover } from './journal';
import { buildPlan, normValue, planReadiness, sameValue } from './plan';
import type { DriftReport } from '../core/model';
import { PLAN_FORMAT, PLAN_SCHEMA_VERSION, assertPlanStructure, parsePlan, planNeedsBypass, type Plan, type PlanRow, type PlanStep, type StepOf } from './plan-schema';
import type { CloudUserState, Operator, RemediationCloud, SyncCyclePort } from './ports';

export interface EngineTiming {
  /** Between verification / replication / resume reads. */
  pollMs: number;
  verifyTimeoutMs: number;
  replicationTimeoutMs: number;
  /** How long resume polls the cloud before deciding an uncertain PATCH did not land. */
  resumeReadWindowMs: number;
}

export const DEFAULT_TIMING: EngineTiming = { pollMs: 5000, verifyTimeoutMs: 15 * 60_000, replicationTimeoutMs: 10 * 60_000, resumeReadWindowMs: 60_000 };

/** Fault injection for tests: a hook that throws behaves like the process dying at that point. */
export interface EngineHooks {
  afterJournalAppend?(e: { sessionId: string; stepId: string; kind: 'intent' | 'result'; seq: number }): void;
  /** After an external write returned, before its result is journalled. */
  afterEffect?(e: { sessionId: string; stepId: string }): void;
}

export interface RemediationEngineOptions {
  journal: JournalStore;
  /** The OnPremDirectory for a row's sourceId. */
  onPrem: (sourceId: string) => OnPremDirectory;
  cloud: RemediationCloud;
  runSyncCycle?: SyncCyclePort;
  operator?: Operator;
  clock?: Clock;
  logger?: Logger;
  timing?: Partial<EngineTiming>;
  hooks?: EngineHooks;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * A fresh full scan. With it, preflight of a bypass plan also finds users whose values began to
   * differ after the plan's scan: the bypass would change them too, so they become conflicts.
   */
  rescan?: (o: RunOptions) => Promise<DriftReport>;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** apply: called with the new session's id as soon as it is journaled, before any write. */
  onSession?: (sessionId: string) => void;
  /**
   * resume/undo: the admin's explicit, confirmed choice to take over a session whose owner runs on
   * another machine (assumed alive: nothing here can check it). Never set automatically; recorded in
   * the takeover entry as forced by the admin. An owner on this machine is checked, not overridden.
   */
  takeOver?: boolean;
}

export interface PreflightCheck {
  name: string;
  ok: boolean;
  /** 'blocking' stops apply; 'warning' is shown. */
  severity: 'blocking' | 'warning';
  message: string;
}

export interface Conflict {
  rowKey: string;
  upn: string;
  /** 'blast-radius': a user the bypass would now change that the plan does not list. */
  side: 'onprem' | 'cloud' | 'blast-radius';
  planned: string | null;
  actual: string | null;
  message: string;
}

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
  conflicts: Conflict[];
  /** The bypass before this session (null when unknown or not needed). */
  bypassWasOn: boolean | null;
}

export type RowState = 'fixed' | 'pending' | 'failed' | 'conflict' | 'not-started';

export interface RowOutcome {
  rowKey: string;
  upn: string;
  state: RowState;
  intended: { onPrem: string | null; cloud: string | null } | null;
  actual: { onPrem: string | null; cloud: string | null } | null;
  message?: string;
}

export interface SessionOutcome {
  sessionId: string;
  state: SessionState;
  message: string | null;
  /** What the admin has to do next, copyable where it is a command. */
  nextStep: string | null;
  rows: RowOutcome[];
  preflight?: PreflightReport;
  writes: { ad: number; graph: number; bypass: number; cycles: number };
  /** Set when this run took the session over from an owner that was gone. */
  takeover?: Takeover;
}

export interface SessionSummary {
  id: string;
  state: SessionState;
  createdAt: string;
  updatedAt: string;
  planId: string;
  profile: string;
  rows: number;
  steps: number;
  stepsDone: number;
  message: string | null;
  /** Who is working on it, while its (effective) state is active: pid, host, start, and whether that is another machine. */
  owner: SessionOwnerSummary | null;
  /** Every takeover of the session, oldest first. */
  takeovers: Takeover[];
}

export interface SessionOwnerSummary {
  pid: number;
  host: string;
  startedAt: string | null;
  /** On another machine: assumed alive, since nothing here can check it; only an explicit take-over overrides it. */
  elsewhere: boolean;
}

export interface RestoreOffer {
  rowKey: string;
  upn: string;
  sourceId: string;
  dn: string;
  /** The cloud value recorded before the bypass, now gone from the cloud. */
  recordedCloudValue: string | null;
  currentCloudValue: string | null;
  currentOnPremValue: string | null;
}

export interface UndoReport {
  sessionId: string;
  state: SessionState;
  restored: Array<{ rowKey: string; upn: string; side: 'onprem' | 'cloud' | 'tenant'; value: string | null; message: string }>;
  notRestored: Array<{ rowKey: string | null; upn: string | null; message: string }>;
  /** Values erased by bypass + sync: they can come back only as AD writes (see buildRestorePlan). */
  offers: RestoreOffer[];
  /** Set when this undo took the session over from an owner that was gone. */
  takeover?: Takeover;
}

// Journal payloads, validated when read back (resume runs on entries another process wrote).
// `reconciled`: the result was decided by reading the target after an interruption (resume or undo).
const AdResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed']), previous: z.string().nullable().optional(), written: z.string().nullable().optional(), error: z.string().optional(), foundOnResume: z.boolean().optional(), reconciled: z.boolean().optional() });
const GraphResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed']), status: z.number().int().optional(), error: z.string().optional(), foundOnResume: z.boolean().optional(), reconciled: z.boolean().optional() });
const BypassIntent = z.object({ enabled: z.boolean(), before: z.boolean() });
const RecordResult = z.object({ values: z.array(z.object({ rowKey: z.string(), userId: z.string(), value: z.string().nullable(), found: z.boolean() })) });
const VerifyResult = z.object({ outcome: z.enum(['verified', 'timeout']), pending: z.array(z.string()) });
const UndoResult = z.object({ outcome: z.enum(['applied', 'conflict', 'failed', 'skipped']), message: z.string().optional() });

class ProcessDeath extends Error {
  constructor(readonly original: unknown) {
    super('simulated process death');
  }
}

/** Stops the run with a resumable state and a message (not an error the caller must handle). */
class Halt extends Error {
  constructor(
    readonly state: SessionState,
    readonly why: string,
    readonly nextStep: string | null = null,
  ) {
    super(why);
  }
}

const show = (v: string | null) => (v === null ? '(empty)' : `"${v}"`);

/**
 * Consecutive rounds of per-user writes without a single success before the throttled or
 * transiently failing items are given up (with the back-off between them, about 90 s). A round
 * that lands anything resets it: a long throttling storm slows the run, it does not fail it.
 */
const MAX_STALLED_ROUNDS = 6;

function transient(status: number, kind: string | undefined): boolean {
  return status === 429 || status >= 500 || kind === 'throttled' || kind === 'connection';
}

interface Ctx {
  sessionId: string;
  plan: Plan;
  rows: Map<string, PlanRow>;
  statuses: Map<string, StepStatus>;
  signal: AbortSignal | undefined;
  progress: ProgressSink;
  writes: SessionOutcome['writes'];
}

export class RemediationEngine {
  private readonly journal: JournalStore;
  private readonly cloud: RemediationCloud;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timing: EngineTiming;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly opts: RemediationEngineOptions) {
    this.journal = opts.journal;
    this.cloud = opts.cloud;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'remediation' });
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.sleep = opts.sleep ?? defaultSleep;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  sessions(): SessionSummary[] {
    return sessionSummaries(this.journal);
  }

  /** One session: its summary, plan and journal (for the UI's history view). */
  session(id: string): { summary: SessionSummary; plan: Plan; journal: JournalEntry[] } {
    const s = this.journal.getSession(id);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${id}. List them with: syncdrift sessions`);
    const summary = this.sessions().find((x) => x.id === id) as SessionSummary;
    return { summary, plan: parsePlan(s.plan, `session ${id}.plan`), journal: this.journal.entries(id) };
  }

  // -------------------------------------------------------------------------------------------
  // Preflight

  /** Permissions, connectivity and a fresh read of every affected value on both sides. */
  async preflight(plan: Plan, o: RunOptions = {}): Promise<PreflightReport> {
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
    try {
      const caps = await this.cloud.checkPermissions(o);
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
        const b = await this.cloud.getBypass(o);
        if (b.state === 'known') {
          bypassWasOn = b.enabled;
          checks.push({ name: 'bypass', ok: true, severity: 'warning', message: b.enabled ? 'BypassDirSyncOverrides is already on: this session will not turn it off on undo.' : 'BypassDirSyncOverrides is off; the session turns it on.' });
        } else checks.push({ name: 'bypass', ok: false, severity: 'blocking', message: `The bypass state cannot be read: ${b.reason} The bypass needs a delegated Global Administrator sign-in.` });
      } catch (e) {
        checks.push({ name: 'bypass', ok: false, severity: 'blocking', message: `The bypass state cannot be read: ${toErrorInfo(e).message}` });
      }
    }

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
        const u = await this.opts.onPrem(r.onPrem.sourceId).readUser(r.onPrem.dn, o.signal ? { signal: o.signal } : {});
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
      cloudNow = await this.cloud.readUsers(rows.flatMap((r) => (r.cloud ? [r.cloud.id] : [])), o);
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
    if (planNeedsBypass(plan) && this.opts.rescan) {
      try {
        const fresh = await this.opts.rescan(o);
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

  // -------------------------------------------------------------------------------------------
  // Apply / resume

  /** Preflight, then a new session executing the plan. Refuses (no session) when preflight fails. */
  async apply(plan: Plan, o: RunOptions = {}): Promise<SessionOutcome> {
    // Whoever hands the engine a plan (the service's stored copy, a verified plan file) may still
    // hand it one no builder made: every step must be accounted for by a row, or nothing runs.
    const checked = assertPlanStructure(parsePlan(plan));
    const pre = await this.preflight(checked, o);
    if (!pre.ok) {
      return { sessionId: '', state: 'failed', message: 'Preflight failed: nothing was written.', nextStep: 'Fix the blocking checks (or re-decide the conflicting rows) and apply again.', rows: [], preflight: pre, writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 } };
    }
    const id = randomUUID();
    const token = randomUUID();
    this.journal.createSession({ id, state: 'running', createdAt: this.now(), plan: checked, meta: { owner: claimOwner(token), message: null, undo: null } });
    this.log.info('session started', { sessionId: id, planId: checked.id, steps: checked.steps.length });
    o.onSession?.(id);
    const out = await this.runOwned(id, token, checked, o);
    return { ...out, preflight: pre };
  }

  /** Continues an interrupted, cancelled or waiting session after reconciling uncertain steps. */
  async resume(sessionId: string, o: RunOptions = {}): Promise<SessionOutcome> {
    const s = this.journal.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${sessionId}. List them with: syncdrift sessions`);
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
    const { takeover } = this.claim(s, token, 'running', (m) => ({ ...m, message: null }), o.takeOver === true);
    this.log.info('session resumed', { sessionId, from: state, ...(takeover ? { takeoverFrom: takeover.from } : {}) });
    const out = await this.runOwned(sessionId, token, plan, o);
    return takeover ? { ...out, takeover, message: `${takeoverLine(takeover)} ${out.message ?? ''}`.trim() } : out;
  }

  /**
   * Makes this process the session's owner, compare-and-set against the owner `s` was read with, so
   * two processes taking over the same interrupted session cannot both win. A session stored in an
   * active state whose owner is gone (callers checked effectiveState) is a takeover: the journal
   * gets an entry naming the old owner and why it was judged gone, and the session's meta keeps it.
   */
  private claim(s: StoredSession, token: string, state: SessionState, patch: (m: SessionMeta) => SessionMeta, takeOver = false): { meta: SessionMeta; takeover: Takeover | null } {
    const owner = claimOwner(token);
    const old = s.meta.owner;
    const status = ownerStatus(old);
    // Only an owner nothing here can check (another machine) is overridden, and only when asked.
    const forced = takeOver && status.alive && forcible(s, { takeOver });
    const reason = forced ? `forced by the admin: the owner runs on another machine (${old!.host}), whose processes cannot be checked from here` : status.alive ? null : status.reason;
    const takeover: Takeover | null =
      ACTIVE_STATES.has(s.state) && old && reason
        ? { at: this.now(), from: { pid: old.pid, host: old.host, startedAt: old.startedAt ?? null }, reason, by: { pid: owner.pid, host: owner.host, startedAt: owner.startedAt ?? null }, ...(forced ? { forced: true } : {}) }
        : null;
    const meta = patch({ ...s.meta, owner, ...(takeover ? { takeovers: [...(s.meta.takeovers ?? []), takeover] } : {}) });
    if (!this.journal.claimSession(s.id, { ownerToken: old?.token ?? null }, { state, meta, at: this.now() })) {
      releaseOwner(token);
      const now = this.journal.getSession(s.id);
      throw new SyncDriftError('conflict', 'SESSION_BUSY', `Session ${s.id} was claimed by another process a moment ago (${now?.meta.owner ? describeOwner(now.meta.owner) : 'owner unknown'}); it was not touched here.`);
    }
    if (takeover) {
      this.journal.append({ sessionId: s.id, stepId: 'takeover', kind: 'intent', at: takeover.at, data: takeover });
      this.log.warn('session taken over', { sessionId: s.id, from: takeover.from, reason: takeover.reason });
    }
    return { meta, takeover };
  }

  private async runOwned(id: string, token: string, plan: Plan, o: RunOptions): Promise<SessionOutcome> {
    const ctx: Ctx = {
      sessionId: id,
      plan,
      rows: new Map(plan.rows.map((r) => [r.key, r])),
      statuses: stepStatuses(this.journal.entries(id)),
      signal: o.signal,
      progress: o.onProgress ?? noProgress,
      writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 },
    };
    try {
      await this.execute(ctx);
      const rows = await this.outcomeRows(ctx);
      const pending = rows.filter((r) => r.state !== 'fixed');
      const verify = plan.steps.find((s) => s.kind === 'verify');
      const state: SessionState = !verify || pending.length === 0 ? 'completed' : 'verify-timeout';
      const message = state === 'completed' ? `Done: ${rows.length} row(s) verified on both sides.` : `${pending.length} row(s) not yet showing the intended value on both sides.`;
      this.finish(id, state, message);
      return { sessionId: id, state, message, nextStep: state === 'completed' ? null : `Resume later to verify again: syncdrift resume ${id}`, rows, writes: ctx.writes };
    } catch (e) {
      if (e instanceof ProcessDeath) throw e.original;
      if (e instanceof Halt) {
        this.finish(id, e.state, e.why);
        return { sessionId: id, state: e.state, message: e.why, nextStep: e.nextStep, rows: await this.outcomeRows(ctx).catch(() => []), writes: ctx.writes };
      }
      const info = toErrorInfo(e);
      const state: SessionState = info.kind === 'cancelled' ? 'cancelled' : 'interrupted';
      const message = info.kind === 'cancelled' ? 'Cancelled; resume continues where it stopped.' : `Stopped: ${info.message}`;
      this.finish(id, state, message);
      this.log.warn('session stopped', { sessionId: id, code: info.code });
      return { sessionId: id, state, message, nextStep: `syncdrift resume ${id}`, rows: [], writes: ctx.writes };
    } finally {
      releaseOwner(token);
    }
  }

  private finish(id: string, state: SessionState, message: string | null): void {
    const s = this.journal.getSession(id);
    if (!s) return;
    this.journal.updateSession(id, { state, meta: { ...s.meta, owner: null, message }, at: this.now() });
  }

  private record(ctx: Ctx, stepId: string, kind: 'intent' | 'result', data: unknown): void {
    const seq = this.journal.append({ sessionId: ctx.sessionId, stepId, kind, at: this.now(), data });
    const entry: JournalEntry = { seq, sessionId: ctx.sessionId, stepId, kind, at: this.now(), data };
    const prev = ctx.statuses.get(stepId);
    ctx.statuses.set(stepId, kind === 'intent' ? { state: 'uncertain', intent: entry } : { state: 'done', intent: prev && prev.state !== 'pending' ? prev.intent : null, result: entry });
    this.hook(() => this.opts.hooks?.afterJournalAppend?.({ sessionId: ctx.sessionId, stepId, kind, seq }));
  }

  private effectDone(ctx: Ctx, stepId: string): void {
    this.hook(() => this.opts.hooks?.afterEffect?.({ sessionId: ctx.sessionId, stepId }));
  }

  private hook(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new ProcessDeath(e);
    }
  }

  private steps<K extends PlanStep['kind']>(ctx: Ctx, kind: K): StepOf<K>[] {
    return ctx.plan.steps.filter((s): s is StepOf<K> => s.kind === kind);
  }

  private async execute(ctx: Ctx): Promise<void> {
    await this.runAdWrites(ctx);
    await this.runReplication(ctx);
    await this.runGraphWrites(ctx);
    await this.runRecord(ctx);
    await this.runBypass(ctx);
    await this.runCycle(ctx);
    await this.runVerify(ctx);
  }

  // --- AD writes (compare-and-set) ---

  private async runAdWrites(ctx: Ctx): Promise<void> {
    const steps = this.steps(ctx, 'ad-write');
    for (const [i, step] of steps.entries()) {
      throwIfCancelled(ctx.signal, 'The remediation');
      const st = statusOf(ctx.statuses, step.id);
      if (st.state === 'done') continue;
      const dir = this.opts.onPrem(step.sourceId);
      if (st.state === 'uncertain') {
        if ((await this.reconcileAd(ctx, step)) !== 'not-landed') continue;
      } else this.record(ctx, step.id, 'intent', { expected: step.expected, next: step.next });
      try {
        const r = await dir.writeMobile({ dn: step.dn, expected: step.expected, next: step.next }, ctx.signal ? { signal: ctx.signal } : {});
        ctx.writes.ad++;
        this.effectDone(ctx, step.id);
        this.record(ctx, step.id, 'result', { outcome: 'applied', previous: r.previous, written: r.written });
      } catch (e) {
        if (e instanceof ProcessDeath || e instanceof CancelledError) throw e;
        if (isSyncDriftError(e) && (e.kind === 'conflict' || e.kind === 'not-found' || e.kind === 'permission' || e.kind === 'validation')) {
          this.record(ctx, step.id, 'result', { outcome: e.kind === 'conflict' || e.kind === 'not-found' ? 'conflict' : 'failed', error: e.message });
        } else throw e;
      }
      ctx.progress({ phase: 'ad-write', done: i + 1, total: steps.length });
    }
    const bad = steps.filter((s) => AdResult.safeParse(this.resultData(ctx, s.id)).data?.outcome !== 'applied');
    if (bad.length > 0 && planNeedsBypass(ctx.plan)) {
      throw new Halt('failed', `${bad.length} AD write(s) did not apply (${bad.map((b) => b.upn).join(', ')}): stopped before the bypass, which would otherwise overwrite the cloud values you chose to keep. Rescan and re-decide those rows.`);
    }
  }

  /**
   * An AD write with an intent and no result: did it land before the interruption? AD reads are
   * authoritative on the bound DC. Landed (the value the step wrote) and changed-by-someone-else are
   * recorded as the step's result; 'not-landed' (still the value before) records nothing, so the
   * caller decides: resume writes, undo has nothing to restore. Resume and undo both use this.
   */
  private async reconcileAd(ctx: Ctx, step: StepOf<'ad-write'>): Promise<'landed' | 'not-landed' | 'conflict'> {
    const u = await this.opts.onPrem(step.sourceId).readUser(step.dn, ctx.signal ? { signal: ctx.signal } : {});
    const now = u ? normValue(u.mobile) : undefined;
    if (now !== undefined && sameValue(now, step.next)) {
      this.record(ctx, step.id, 'result', { outcome: 'applied', previous: step.expected, written: step.next, foundOnResume: true, reconciled: true });
      return 'landed';
    }
    if (now === undefined || !sameValue(now, step.expected)) {
      this.record(ctx, step.id, 'result', { outcome: 'conflict', reconciled: true, error: now === undefined ? 'the AD object no longer exists' : `AD mobile is now ${show(now)}, neither ${show(step.expected)} (before this session) nor ${show(step.next)} (what it wrote)` });
      return 'conflict';
    }
    return 'not-landed';
  }

  /**
   * Graph PATCHes with an intent and no result: polls the cloud for `resumeReadWindowMs` (Graph
   * reads can lag writes) and records the landed ones as applied and the ones changed by someone
   * else as conflicts. Returns the steps whose users still show the value before the session.
   */
  private async reconcileGraph(ctx: Ctx, uncertain: ReadonlyArray<StepOf<'graph-patch'>>): Promise<Array<StepOf<'graph-patch'>>> {
    if (uncertain.length === 0) return [];
    const notLanded: Array<StepOf<'graph-patch'>> = [];
    const landed = await this.pollCloud(ctx, uncertain, this.timing.resumeReadWindowMs);
    for (const s of uncertain) {
      const now = landed.get(s.id);
      if (now === undefined) this.record(ctx, s.id, 'result', { outcome: 'conflict', reconciled: true, error: 'the cloud user no longer exists' });
      else if (sameValue(now, s.next)) this.record(ctx, s.id, 'result', { outcome: 'applied', foundOnResume: true, reconciled: true });
      else if (sameValue(now, s.expected)) notLanded.push(s);
      else this.record(ctx, s.id, 'result', { outcome: 'conflict', reconciled: true, error: `mobilePhone is now ${show(now)}, neither ${show(s.expected)} (before this session) nor ${show(s.next)} (what it wrote)` });
    }
    return notLanded;
  }

  private resultData(ctx: Ctx, stepId: string): unknown {
    const st = statusOf(ctx.statuses, stepId);
    return st.state === 'done' ? st.result.data : undefined;
  }

  // --- replication to the Connect server's DCs ---

  private async runReplication(ctx: Ctx): Promise<void> {
    const step = this.steps(ctx, 'await-replication')[0];
    if (!step || statusOf(ctx.statuses, step.id).state === 'done') return;
    if (statusOf(ctx.statuses, step.id).state === 'pending') this.record(ctx, step.id, 'intent', { dcs: step.dcs });
    const written = this.steps(ctx, 'ad-write').filter((s) => AdResult.safeParse(this.resultData(ctx, s.id)).data?.outcome === 'applied');
    const deadline = Date.now() + this.timing.replicationTimeoutMs;
    let pending = written;
    for (;;) {
      throwIfCancelled(ctx.signal, 'Waiting for replication');
      const still: typeof pending = [];
      for (const s of pending) {
        const states = await this.opts.onPrem(s.sourceId).replicaStates(s.dn, step.dcs.length > 0 ? step.dcs : undefined);
        if (!states.every((r) => !r.error && sameValue(r.value, s.next))) still.push(s);
      }
      pending = still;
      ctx.progress({ phase: 'replication', done: written.length - pending.length, total: written.length });
      if (pending.length === 0) {
        this.record(ctx, step.id, 'result', { outcome: 'replicated' });
        return;
      }
      if (Date.now() >= deadline) break;
      await this.sleep(this.timing.pollMs, ctx.signal);
    }
    const list = pending.map((s) => ({ upn: s.upn, dn: s.dn, dcs: step.dcs }));
    if (this.opts.operator?.confirmReplication && (await this.opts.operator.confirmReplication(list))) {
      this.record(ctx, step.id, 'result', { outcome: 'confirmed', pending: list.map((p) => p.dn) });
      return;
    }
    throw new Halt('awaiting-replication', `${pending.length} AD write(s) not yet visible on ${step.dcs.join(', ') || 'the DCs'}: the cycle would export the old values.`, `Wait for AD replication, then: syncdrift resume ${ctx.sessionId}`);
  }

  // --- per-user Graph writes ---

  private async runGraphWrites(ctx: Ctx): Promise<void> {
    const steps = this.steps(ctx, 'graph-patch').filter((s) => statusOf(ctx.statuses, s.id).state !== 'done');
    if (steps.length === 0) return;
    const uncertain = steps.filter((s) => statusOf(ctx.statuses, s.id).state === 'uncertain');
    const toWrite: typeof steps = steps.filter((s) => statusOf(ctx.statuses, s.id).state === 'pending');
    // Graph reads can lag writes: reconcileGraph polls a while before concluding an uncertain PATCH did not land.
    toWrite.push(...(await this.reconcileGraph(ctx, uncertain)));
    // Compare before set: Graph has no conditional PATCH for this, so a fresh read stands in for it.
    const current = await this.cloud.readUsers(toWrite.map((s) => s.userId), { ...(ctx.signal ? { signal: ctx.signal } : {}) });
    const go: typeof steps = [];
    for (const s of toWrite) {
      const c = current.get(s.userId);
      const now = c ? normValue(c.mobilePhone) : undefined;
      const isIntentLogged = statusOf(ctx.statuses, s.id).state === 'uncertain';
      if (now !== undefined && sameValue(now, s.expected)) {
        go.push(s);
        if (!isIntentLogged) this.record(ctx, s.id, 'intent', { expected: s.expected, next: s.next });
        continue;
      }
      if (!isIntentLogged) this.record(ctx, s.id, 'intent', { expected: s.expected, next: s.next });
      this.record(ctx, s.id, 'result', { outcome: 'conflict', error: now === undefined ? 'the cloud user no longer exists' : `mobilePhone is now ${show(now)}, not ${show(s.expected)}` });
    }
    // Items refused for throttling or a transient fault go again in a later round (each call gets a
    // fresh retry budget), as long as rounds make progress: a long storm slows the run, never fails it.
    let round = go;
    let done = 0;
    let retries = 0;
    let stalled = 0;
    while (round.length > 0) {
      throwIfCancelled(ctx.signal, 'The cloud writes');
      const r = await this.cloud.patchMobile(
        round.map((s) => ({ userId: s.userId, mobilePhone: s.next })),
        { ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'graph-write', done: done + e.done, total: go.length, retries: retries + (e.retries ?? 0) }) },
      );
      retries += r.retries;
      ctx.writes.graph += r.results.filter((x) => x.ok).length;
      for (const s of round) this.effectDone(ctx, s.id);
      const byUser = new Map(r.results.map((x) => [x.userId, x]));
      const progressed = round.some((s) => byUser.get(s.userId)?.ok);
      stalled = progressed ? 0 : stalled + 1;
      const again: typeof round = [];
      for (const s of round) {
        const x = byUser.get(s.userId);
        if (x?.ok) {
          this.record(ctx, s.id, 'result', { outcome: 'applied', status: x.status });
          done++;
        } else if (x && transient(x.status, x.error?.kind) && stalled < MAX_STALLED_ROUNDS) again.push(s);
        else this.record(ctx, s.id, 'result', { outcome: 'failed', status: x?.status ?? 0, error: x?.error ? `${x.error.code}: ${x.error.message}` : 'no answer for this item' });
      }
      if (again.length > 0 && !progressed) await this.sleep(Math.min(30_000, 1000 * 2 ** Math.min(stalled, 5)), ctx.signal);
      round = again;
    }
  }

  /** Polls the cloud for the steps' users until each shows `next` or the window ends; returns current values. */
  private async pollCloud(ctx: Ctx, steps: ReadonlyArray<StepOf<'graph-patch'>>, windowMs: number): Promise<Map<string, string | null>> {
    const deadline = Date.now() + windowMs;
    const out = new Map<string, string | null>();
    for (;;) {
      const cur = await this.cloud.readUsers(steps.map((s) => s.userId), { ...(ctx.signal ? { signal: ctx.signal } : {}) });
      out.clear();
      for (const s of steps) {
        const c = cur.get(s.userId);
        if (c) out.set(s.id, normValue(c.mobilePhone));
      }
      const allLanded = steps.every((s) => out.has(s.id) && sameValue(out.get(s.id), s.next));
      if (allLanded || Date.now() >= deadline) return out;
      await this.sleep(this.timing.pollMs, ctx.signal);
    }
  }

  // --- record every blast-radius cloud value before the bypass ---

  private async runRecord(ctx: Ctx): Promise<void> {
    const step = this.steps(ctx, 'record-cloud-values')[0];
    if (!step || statusOf(ctx.statuses, step.id).state === 'done') return;
    // Safe to redo: the bypass intent comes only after this result, so the cloud is still untouched by it.
    if (statusOf(ctx.statuses, step.id).state === 'pending') this.record(ctx, step.id, 'intent', { rows: step.rowKeys.length });
    const ids = step.rowKeys.flatMap((k) => {
      const r = ctx.rows.get(k);
      return r?.cloud ? [{ rowKey: k, userId: r.cloud.id }] : [];
    });
    const cur = await this.cloud.readUsers(
      ids.map((x) => x.userId),
      { ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    const values = ids.map((x) => {
      const c = cur.get(x.userId);
      return { rowKey: x.rowKey, userId: x.userId, value: c ? normValue(c.mobilePhone) : null, found: !!c };
    });
    ctx.progress({ phase: 'record', done: values.length, total: values.length });
    this.record(ctx, step.id, 'result', { values });
  }

  // --- the tenant-wide bypass ---

  private async runBypass(ctx: Ctx): Promise<void> {
    const step = this.steps(ctx, 'set-bypass')[0];
    if (!step) return;
    const st = statusOf(ctx.statuses, step.id);
    if (st.state === 'done') return;
    const now = await this.cloud.getBypass(ctx.signal ? { signal: ctx.signal } : {});
    if (now.state !== 'known') throw new Halt('failed', `The bypass cannot be read: ${now.reason} It needs a delegated Global Administrator sign-in.`);
    let before = now.enabled;
    if (st.state === 'uncertain') {
      const intent = BypassIntent.safeParse(st.intent.data);
      before = intent.success ? intent.data.before : before;
      if (now.enabled === step.enabled) {
        this.record(ctx, step.id, 'result', { outcome: 'applied', before, after: now.enabled, foundOnResume: true });
        return;
      }
    } else this.record(ctx, step.id, 'intent', { enabled: step.enabled, before });
    const r = await this.cloud.setBypass(step.enabled, ctx.signal ? { signal: ctx.signal } : {});
    if (before !== step.enabled) ctx.writes.bypass++;
    this.effectDone(ctx, step.id);
    this.record(ctx, step.id, 'result', { outcome: 'applied', before, after: r.enabled });
    ctx.progress({ phase: 'bypass', done: 1, total: 1 });
  }

  // --- the full (initial) cycle ---

  private async runCycle(ctx: Ctx): Promise<void> {
    const step = this.steps(ctx, 'sync-cycle')[0];
    if (!step) return;
    const st = statusOf(ctx.statuses, step.id);
    if (st.state === 'done') return;
    if (st.state === 'pending') this.record(ctx, step.id, 'intent', { policy: step.policy, engine: step.engine });
    ctx.progress({ phase: 'sync-cycle', done: 0, total: 1, message: step.instructions });
    if (this.opts.runSyncCycle) {
      // A full cycle is idempotent: an uncertain one is simply run again.
      const r = await this.opts.runSyncCycle('initial', { ...(ctx.signal ? { signal: ctx.signal } : {}), onProgress: (e) => ctx.progress({ ...e, phase: 'sync-cycle' }) });
      ctx.writes.cycles++;
      this.effectDone(ctx, step.id);
      this.record(ctx, step.id, 'result', { outcome: 'ran', summary: r.summary });
      return;
    }
    if (this.opts.operator?.confirmCycle && (await this.opts.operator.confirmCycle(step.instructions))) {
      this.record(ctx, step.id, 'result', { outcome: 'confirmed' });
      return;
    }
    throw new Halt('awaiting-cycle', 'The bypass is on; a full (initial) sync cycle must run now.', `${step.instructions}\nThen: syncdrift resume ${ctx.sessionId}`);
  }

  // --- verification: only reads mark a row fixed ---

  private async readRows(rows: readonly PlanRow[], signal?: AbortSignal): Promise<Map<string, { onPrem: string | null | undefined; cloud: string | null | undefined }>> {
    const cloud = await this.cloud.readUsers(rows.flatMap((r) => (r.cloud ? [r.cloud.id] : [])), { ...(signal ? { signal } : {}) });
    const out = new Map<string, { onPrem: string | null | undefined; cloud: string | null | undefined }>();
    for (const r of rows) {
      const u = r.onPrem ? await this.opts.onPrem(r.onPrem.sourceId).readUser(r.onPrem.dn, signal ? { signal } : {}) : null;
      const c = r.cloud ? cloud.get(r.cloud.id) : null;
      out.set(r.key, { onPrem: u ? normValue(u.mobile) : undefined, cloud: c ? normValue(c.mobilePhone) : undefined });
    }
    return out;
  }

  private async runVerify(ctx: Ctx): Promise<void> {
    const step = this.steps(ctx, 'verify')[0];
    if (!step) return;
    const st = statusOf(ctx.statuses, step.id);
    const prior = st.state === 'done' ? VerifyResult.safeParse(st.result.data) : null;
    if (prior?.success && prior.data.outcome === 'verified') return;
    this.record(ctx, step.id, 'intent', { rows: step.rowKeys.length });
    const targets = step.rowKeys.map((k) => ctx.rows.get(k)).filter((r): r is PlanRow => !!r && !this.failedRow(ctx, r.key));
    const deadline = Date.now() + this.timing.verifyTimeoutMs;
    let pending = targets;
    for (;;) {
      throwIfCancelled(ctx.signal, 'The verification');
      const now = await this.readRows(pending, ctx.signal);
      pending = pending.filter((r) => {
        const v = now.get(r.key);
        return !(r.intended && v && sameValue(v.onPrem, r.intended.onPrem) && sameValue(v.cloud, r.intended.cloud));
      });
      ctx.progress({ phase: 'verify', done: targets.length - pending.length, total: targets.length, message: pending.length ? `${pending.length} pending` : 'all verified' });
      if (pending.length === 0 || Date.now() >= deadline) break;
      await this.sleep(this.timing.pollMs, ctx.signal);
    }
    this.record(ctx, step.id, 'result', { outcome: pending.length === 0 ? 'verified' : 'timeout', pending: pending.map((r) => r.key) });
  }

  /** A row whose own write failed or conflicted: it is reported as such, not waited for. */
  private failedRow(ctx: Ctx, rowKey: string): { state: 'failed' | 'conflict'; message: string } | null {
    for (const id of [`ad:${rowKey}`, `graph:${rowKey}`]) {
      const d = this.resultData(ctx, id);
      if (d === undefined) continue;
      const r = (id.startsWith('ad:') ? AdResult : GraphResult).safeParse(d);
      if (r.success && r.data.outcome !== 'applied') return { state: r.data.outcome === 'conflict' ? 'conflict' : 'failed', message: r.data.error ?? r.data.outcome };
    }
    return null;
  }

  private async outcomeRows(ctx: Ctx): Promise<RowOutcome[]> {
    const verify = this.steps(ctx, 'verify')[0];
    if (!verify) return [];
    const rows = verify.rowKeys.map((k) => ctx.rows.get(k)).filter((r): r is PlanRow => !!r);
    const vr = VerifyResult.safeParse(this.resultData(ctx, verify.id));
    const now = await this.readRows(rows, ctx.signal);
    return rows.map((r) => {
      const v = now.get(r.key);
      const actual = v ? { onPrem: v.onPrem ?? null, cloud: v.cloud ?? null } : null;
      const failed = this.failedRow(ctx, r.key);
      if (failed) return { rowKey: r.key, upn: r.upn, state: failed.state, intended: r.intended, actual, message: failed.message };
      if (!vr.success) return { rowKey: r.key, upn: r.upn, state: 'not-started', intended: r.intended, actual };
      const ok = vr.data.outcome === 'verified' || !vr.data.pending.includes(r.key);
      return { rowKey: r.key, upn: r.upn, state: ok ? 'fixed' : 'pending', intended: r.intended, actual };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Undo

  /**
   * Undoes a session: the bypass off if this session turned it on, AD values restored
   * (compare-and-set), per-user cloud values restored; values erased by bypass + sync are offered
   * back as AD writes. Interrupted undo resumes by calling undo again.
   */
  async undo(sessionId: string, o: RunOptions = {}): Promise<UndoReport> {
    const s = this.journal.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${sessionId}. List them with: syncdrift sessions`);
    const state = effectiveState(s);
    if ((state === 'running' || state === 'verifying' || state === 'undoing') && !forcible(s, o)) throw busy(s);
    const plan = parsePlan(s.plan, `session ${sessionId}.plan`);
    const token = randomUUID();
    const claimed = this.claim(s, token, 'undoing', (m) => ({ ...m, undo: { startedAt: s.meta.undo?.startedAt ?? this.now(), finishedAt: null } }), o.takeOver === true);
    const meta = claimed.meta;
    const ctx: Ctx = {
      sessionId,
      plan,
      rows: new Map(plan.rows.map((r) => [r.key, r])),
      statuses: stepStatuses(this.journal.entries(sessionId)),
      signal: o.signal,
      progress: o.onProgress ?? noProgress,
      writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 },
    };
    const report: UndoReport = { sessionId, state: 'undone', restored: [], notRestored: [], offers: [], ...(claimed.takeover ? { takeover: claimed.takeover } : {}) };
    try {
      await this.undoSteps(ctx, report);
    } catch (e) {
      if (e instanceof ProcessDeath) {
        releaseOwner(token);
        throw e.original;
      }
      const info = toErrorInfo(e);
      report.notRestored.push({ rowKey: null, upn: null, message: `Undo stopped: ${info.message}. Run undo again to continue.` });
      report.state = 'undo-partial';
      this.journal.updateSession(sessionId, { state: 'undo-partial', meta: { ...meta, owner: null, message: `Undo stopped: ${info.message}` }, at: this.now() });
      releaseOwner(token);
      return report;
    }
    report.state = report.notRestored.length === 0 ? 'undone' : 'undo-partial';
    const message = report.state === 'undone' ? 'Undone.' : `Undo finished; ${report.notRestored.length} item(s) could not be restored.`;
    this.journal.updateSession(sessionId, { state: report.state, meta: { ...meta, owner: null, message, undo: { startedAt: meta.undo?.startedAt ?? this.now(), finishedAt: this.now() } }, at: this.now() });
    releaseOwner(token);
    return report;
  }

  /**
   * Before anything is undone: every write cut between its intent and its result (a crash, a kill)
   * may or may not have landed, so its target is read first with the same reconciliation resume
   * uses. One that landed is recorded as applied and reverted like any other; one that had not
   * landed is recorded as nothing to undo; one changed by someone else is reported, not touched.
   */
  private async reconcileForUndo(ctx: Ctx): Promise<void> {
    const open = (s: PlanStep) => statusOf(ctx.statuses, s.id).state === 'uncertain' && statusOf(ctx.statuses, `undo:${s.id}`).state !== 'done';
    for (const step of this.steps(ctx, 'ad-write').filter(open)) {
      throwIfCancelled(ctx.signal, 'The undo');
      if ((await this.reconcileAd(ctx, step)) === 'not-landed') this.nothingToUndo(ctx, step, `AD mobile is still ${show(step.expected)}: the interrupted write had not landed, nothing to restore`);
    }
    const graph = this.steps(ctx, 'graph-patch').filter(open);
    for (const s of await this.reconcileGraph(ctx, graph)) this.nothingToUndo(ctx, s, `mobilePhone is still ${show(s.expected)}: the interrupted write had not landed, nothing to restore`);
  }

  /** Journals that an interrupted write had not landed: its undo step is done without a write. */
  private nothingToUndo(ctx: Ctx, step: StepOf<'ad-write'> | StepOf<'graph-patch'>, message: string): void {
    const id = `undo:${step.id}`;
    if (statusOf(ctx.statuses, id).state === 'pending') this.record(ctx, id, 'intent', { expected: step.expected, next: step.expected, reconcile: true });
    this.record(ctx, id, 'result', { outcome: 'skipped', message });
  }

  private async undoSteps(ctx: Ctx, report: UndoReport): Promise<void> {
    const signalOpt = ctx.signal ? { signal: ctx.signal } : {};
    await this.reconcileForUndo(ctx);

    // 1. The bypass first: it is what keeps overwriting cloud values tenant-wide.
    const bypass = this.steps(ctx, 'set-bypass')[0];
    const bypassTouched = !!bypass && statusOf(ctx.statuses, bypass.id).state !== 'pending';
    if (bypass) {
      const st = statusOf(ctx.statuses, bypass.id);
      const intent = st.state !== 'pending' && st.intent ? BypassIntent.safeParse(st.intent.data) : null;
      const before = intent?.success ? intent.data.before : null;
      const id = 'undo:bypass';
      if (st.state !== 'pending' && before === false && statusOf(ctx.statuses, id).state !== 'done') {
        const now = await this.cloud.getBypass(signalOpt);
        if (now.state !== 'known') {
          // Unknown is not off: say so, and let a later undo (with the right sign-in) finish it.
          report.notRestored.push({ rowKey: null, upn: null, message: `BypassDirSyncOverrides may still be on: its state cannot be read (${now.reason}). Run undo again with a delegated Global Administrator sign-in.` });
        } else {
          if (statusOf(ctx.statuses, id).state === 'pending') this.record(ctx, id, 'intent', { enabled: false });
          if (now.enabled) {
            await this.cloud.setBypass(false, signalOpt);
            this.effectDone(ctx, id);
            this.record(ctx, id, 'result', { outcome: 'applied' });
          } else this.record(ctx, id, 'result', { outcome: 'applied', message: 'found off' });
        }
      }
      const off = UndoResult.safeParse(this.resultData(ctx, id));
      if (off.success) report.restored.push({ rowKey: '', upn: '', side: 'tenant', value: 'false', message: off.data.message === 'found off' ? 'BypassDirSyncOverrides is off, as it was before this session.' : 'BypassDirSyncOverrides turned off again (this session had turned it on).' });
      else if (before === true) report.notRestored.push({ rowKey: null, upn: null, message: 'BypassDirSyncOverrides was already on before this session: left on.' });
    }

    // 2. AD values, compare-and-set against what this session wrote.
    for (const step of this.steps(ctx, 'ad-write')) {
      throwIfCancelled(ctx.signal, 'The undo');
      const id = `undo:${step.id}`;
      const applied = AdResult.safeParse(this.resultData(ctx, step.id));
      if (!applied.success) {
        const skipped = UndoResult.safeParse(this.resultData(ctx, id));
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
      const dir = this.opts.onPrem(step.sourceId);
      if (st.state !== 'done') {
        let doWrite = true;
        if (st.state === 'uncertain') {
          const u = await dir.readUser(step.dn, signalOpt);
          if (u && sameValue(u.mobile, previous)) {
            this.record(ctx, id, 'result', { outcome: 'applied', message: 'found restored on resume' });
            doWrite = false;
          }
        } else this.record(ctx, id, 'intent', { expected: written, next: previous });
        if (doWrite) {
          try {
            await dir.writeMobile({ dn: step.dn, expected: written, next: previous }, signalOpt);
            this.effectDone(ctx, id);
            this.record(ctx, id, 'result', { outcome: 'applied' });
          } catch (e) {
            if (e instanceof ProcessDeath || e instanceof CancelledError) throw e;
            if (!isSyncDriftError(e) || !(e.kind === 'conflict' || e.kind === 'not-found')) throw e;
            this.record(ctx, id, 'result', { outcome: 'conflict', message: e.message });
          }
        }
      }
      const r = UndoResult.safeParse(this.resultData(ctx, id));
      if (r.success && r.data.outcome === 'applied') report.restored.push({ rowKey: step.rowKey, upn: step.upn, side: 'onprem', value: previous, message: `AD mobile restored to ${show(previous)}` });
      else report.notRestored.push({ rowKey: step.rowKey, upn: step.upn, message: `AD mobile not restored: ${r.success ? (r.data.message ?? r.data.outcome) : 'unknown'} (it changed after this session; nothing was overwritten)` });
    }

    // 3. Per-user cloud values.
    for (const s of this.steps(ctx, 'graph-patch')) {
      const g = GraphResult.safeParse(this.resultData(ctx, s.id));
      const skipped = UndoResult.safeParse(this.resultData(ctx, `undo:${s.id}`));
      if (!g.success && skipped.success && skipped.data.outcome === 'skipped') report.restored.push({ rowKey: s.rowKey, upn: s.upn, side: 'cloud', value: s.expected, message: skipped.data.message ?? 'nothing to restore' });
      else if (g.success && g.data.outcome !== 'applied' && g.data.reconciled) report.notRestored.push({ rowKey: s.rowKey, upn: s.upn, message: `mobilePhone not restored: ${g.data.error ?? g.data.outcome}; this session was interrupted around its write, so nothing was overwritten` });
    }
    const graphSteps = this.steps(ctx, 'graph-patch').filter((s) => GraphResult.safeParse(this.resultData(ctx, s.id)).data?.outcome === 'applied');
    const todo: typeof graphSteps = [];
    const cur = await this.cloud.readUsers(graphSteps.map((s) => s.userId), signalOpt);
    for (const s of graphSteps) {
      const id = `undo:${s.id}`;
      const st = statusOf(ctx.statuses, id);
      if (st.state === 'done') continue;
      const c = cur.get(s.userId);
      const now = c ? normValue(c.mobilePhone) : undefined;
      if (st.state === 'uncertain' && sameValue(now, s.expected)) {
        this.record(ctx, id, 'result', { outcome: 'applied', message: 'found restored on resume' });
        continue;
      }
      if (st.state === 'pending') this.record(ctx, id, 'intent', { expected: s.next, next: s.expected });
      if (now === undefined || !sameValue(now, s.next)) {
        this.record(ctx, id, 'result', { outcome: 'conflict', message: now === undefined ? 'the cloud user no longer exists' : `mobilePhone is now ${show(now)}, not ${show(s.next)}` });
        continue;
      }
      todo.push(s);
    }
    if (todo.length > 0) {
      const r = await this.cloud.patchMobile(todo.map((s) => ({ userId: s.userId, mobilePhone: s.expected })), signalOpt);
      const byUser = new Map(r.results.map((x) => [x.userId, x]));
      for (const s of todo) {
        this.effectDone(ctx, `undo:${s.id}`);
        const x = byUser.get(s.userId);
        this.record(ctx, `undo:${s.id}`, 'result', x?.ok ? { outcome: 'applied' } : { outcome: 'failed', message: x?.error?.message ?? 'no answer' });
      }
    }
    for (const s of graphSteps) {
      const r = UndoResult.safeParse(this.resultData(ctx, `undo:${s.id}`));
      if (r.success && r.data.outcome === 'applied') report.restored.push({ rowKey: s.rowKey, upn: s.upn, side: 'cloud', value: s.expected, message: `mobilePhone restored to ${show(s.expected)}` });
      else report.notRestored.push({ rowKey: s.rowKey, upn: s.upn, message: `mobilePhone not restored: ${r.success ? (r.data.message ?? r.data.outcome) : 'unknown'}` });
    }

    // 4. Values the bypass (and a cycle, ours or a scheduled one) overwrote: only AD writes can
    //    bring them back. Read, not assumed from the journal: each is offered and named.
    const rec = RecordResult.safeParse(this.resultData(ctx, 'record-cloud-values'));
    const cycleRan = statusOf(ctx.statuses, 'initial-cycle').state !== 'pending';
    if (rec.success && (cycleRan || bypassTouched)) {
      const recorded = rec.data.values.filter((v) => v.found);
      const now = await this.cloud.readUsers(recorded.map((v) => v.userId), signalOpt);
      for (const v of recorded) {
        const row = ctx.rows.get(v.rowKey);
        if (!row?.onPrem || row.action === 'keep-cloud') continue;
        const c = now.get(v.userId);
        const cloudNow = c ? normValue(c.mobilePhone) : null;
        if (sameValue(cloudNow, v.value)) continue;
        const u = await this.opts.onPrem(row.onPrem.sourceId).readUser(row.onPrem.dn, signalOpt);
        report.offers.push({ rowKey: v.rowKey, upn: row.upn, sourceId: row.onPrem.sourceId, dn: row.onPrem.dn, recordedCloudValue: v.value, currentCloudValue: cloudNow, currentOnPremValue: u ? normValue(u.mobile) : null });
        report.notRestored.push({ rowKey: v.rowKey, upn: row.upn, message: `mobilePhone was ${show(v.value)} before the bypass and is now ${show(cloudNow)}; Graph refuses to write it back for a synced user, so it is offered as an AD write (restore plan)` });
      }
      if (cycleRan) report.notRestored.push({ rowKey: null, upn: null, message: 'AlternateMobilePhones values overwritten from otherMobile could not be recorded and are not restored.' });
    }
  }
}

/**
 * Whether the admin's explicit take-over applies: the session is active and its owner runs on
 * another machine (assumed alive). A live owner on this machine is never overridden.
 */
function forcible(s: StoredSession, o: Pick<RunOptions, 'takeOver'>): boolean {
  return o.takeOver === true && ACTIVE_STATES.has(s.state) && !!s.meta.owner && s.meta.owner.host !== hostname();
}

/** The refusal for a session a live owner is working on, naming that owner. */
function busy(s: StoredSession): SyncDriftError {
  const o = s.meta.owner;
  const who = o ? describeOwner(o) : 'an unknown process';
  const elsewhere =
    o && o.host !== hostname()
      ? ' It runs on another machine, whose processes cannot be checked from here: finish or stop it there. If that machine is gone, take the session over explicitly (syncdrift resume/undo --take-over, or Take over… in the app); if it is still running the session, both may write.'
      : ' Wait for it to finish, or stop that process; once it is gone the session is taken over.';
  return new SyncDriftError('conflict', 'SESSION_BUSY', `Session ${s.id} is being run by another process (${who}).${elsewhere}`);
}

/** One sentence for outcomes and the CLI: whom a session was taken over from, and why. */
export function takeoverLine(t: Takeover): string {
  return `This run took over from pid ${t.from.pid} on ${t.from.host} (${t.from.startedAt ? `started ${t.from.startedAt}` : 'start time not recorded'}): ${t.reason}.`;
}

function tryPlan(raw: unknown): Plan | null {
  try {
    return parsePlan(raw);
  } catch {
    return null;
  }
}

/** Every session in the journal, newest first, with its effective state (no ports needed). */
export function sessionSummaries(journal: JournalStore): SessionSummary[] {
  return journal.listSessions().map((s) => {
    const plan = tryPlan(s.plan);
    const statuses = stepStatuses(journal.entries(s.id));
    const state = effectiveState(s);
    return {
      id: s.id,
      state,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      planId: plan?.id ?? '(unreadable plan)',
      profile: plan?.source.profile ?? '',
      rows: plan?.rows.length ?? 0,
      steps: plan?.steps.length ?? 0,
      stepsDone: plan ? plan.steps.filter((st) => statusOf(statuses, st.id).state === 'done').length : 0,
      message: s.meta.message,
      owner: ACTIVE_STATES.has(state) && s.meta.owner ? { pid: s.meta.owner.pid, host: s.meta.owner.host, startedAt: s.meta.owner.startedAt ?? null, elsewhere: s.meta.owner.host !== hostname() } : null,
      takeovers: s.meta.takeovers ?? [],
    };
  });
}

/**
 * A plan that writes the offered (recorded) cloud values into AD: the only way back for values the
 * bypass and the cycle erased. Apply it like any plan; the next cycle carries the values.
 */
export function buildRestorePlan(undo: UndoReport, offerKeys: readonly string[] | 'all', options: { now?: Date; replicaDcs?: string[]; profile?: string } = {}): Plan {
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
    syncEngine: 'connect',
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
