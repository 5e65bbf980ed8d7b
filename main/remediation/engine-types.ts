/**
 * The remediation engine's vocabulary: its options and ports, timing, run options, and what it
 * reports (preflight, session outcome, summaries, undo). engine.ts and its phases share it.
 */
import type { DriftReport } from '../core/model';
import type { Clock, Logger } from '../core/ports';
import type { ProgressSink } from '../core/progress';
import type { OnPremDirectory } from '../onprem/port';
import type { JournalStore, SessionState, Takeover } from './journal';
import type { Operator, RemediationCloud, SyncCyclePort } from './ports';

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
  /**
   * undo: the admin's explicit choice to turn BypassDirSyncOverrides off again when this session had
   * turned it on. Default: left on, and the report says why (#17 point 5): turning it off restores no
   * value, and the per-object overrides it bypasses may take effect again.
   */
  turnBypassOff?: boolean;
  /**
   * apply: the admin's explicit acceptance that a bypass plan reaches synced users the scan did not
   * read (#17 point 4): the number accepted, or 'unknown' (any number). Preflight counts them live
   * and refuses when more are unscanned than accepted.
   */
  acceptNotScanned?: number | 'unknown';
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

/**
 * Verification's whole-tenant read after the cycle (#17 point 4): every synced user outside the plan
 * read before the bypass and again after the cycle; the ones whose cloud mobile changed are named.
 */
export interface TenantSweep {
  /** Synced users outside the plan recorded before the bypass. */
  recorded: number;
  /** Of those, read again after the cycle. */
  read: number;
  /** How many changed (the bypass's effect outside the plan); `changed` names at most SWEEP_NAMED of them. */
  changedCount: number;
  changed: Array<{ userId: string; upn: string; before: string | null; after: string | null }>;
  /** Recorded users gone from the tenant (deleted, or no longer synced) at the second read. */
  gone: number;
  /** Set when the second read failed: the sweep is unknown, the reason says why. */
  error?: string;
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
  /** Bypass sessions: what the cycle did to synced users outside the plan (verification's whole-tenant read). */
  sweep?: TenantSweep;
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
  /** `users`: every UPN a tenant-wide line is about (AlternateMobilePhones: whose AD otherMobile the bypass pushed). */
  notRestored: Array<{ rowKey: string | null; upn: string | null; message: string; users?: string[] }>;
  /** Values erased by bypass + sync: they can come back only as AD writes (see buildRestorePlan). */
  offers: RestoreOffer[];
  /** What the admin should know that is neither restored nor a failure (the bypass left on, and why). */
  notes: string[];
  /** Set when this undo took the session over from an owner that was gone. */
  takeover?: Takeover;
}
