/**
 * The remediation journal: before each write an intent, after it the result, each durable on its
 * own (one SQLite transaction, synchronous=FULL), so a session cut anywhere can be reconciled:
 * a step with an intent and no result is the one that needs a re-read before anything is redone.
 *
 * The store is narrow on purpose (sessions + append-only entries), shaped like the workspace's
 * `sessions` / `journal` tables so the workspace can implement it over its own database.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

// Declared in plan-schema.ts: pure, so the bridge contract shares it.
import { SessionState } from './plan-schema';
export { SessionState };

/** States in which some engine is (or was, before a crash) working on the session. */
export const ACTIVE_STATES: ReadonlySet<SessionState> = new Set(['running', 'verifying', 'undoing']);

export const SessionOwner = z.object({
  pid: z.number().int(),
  host: z.string(),
  token: z.string(),
  /**
   * The owner process's identity beyond its pid (see processIdentity): a pid that is alive but
   * shows another identity was reused. Absent in journals written before it was recorded.
   */
  started: z.string().optional(),
  /** When the owner process started (ISO), for the admin to read; not compared. */
  startedAt: z.string().optional(),
});
export type SessionOwner = z.infer<typeof SessionOwner>;

/** A session taken over from an owner that was gone: who it was, why it was judged gone, who took it. */
export const Takeover = z.object({
  at: z.string(),
  from: z.object({ pid: z.number().int(), host: z.string(), startedAt: z.string().nullable() }),
  reason: z.string(),
  by: z.object({ pid: z.number().int(), host: z.string(), startedAt: z.string().nullable() }),
  /** The admin forced it (`--take-over`, Take over… in the app): the old owner could not be checked. */
  forced: z.boolean().optional(),
});
export type Takeover = z.infer<typeof Takeover>;

export const SessionMeta = z.object({
  owner: SessionOwner.nullable(),
  message: z.string().nullable(),
  /** Set while undo has run (partially or fully). */
  undo: z.object({ startedAt: z.string(), finishedAt: z.string().nullable() }).nullable().default(null),
  /** Every takeover of this session, oldest first. */
  takeovers: z.array(Takeover).optional(),
});
export type SessionMeta = z.infer<typeof SessionMeta>;

export interface StoredSession {
  id: string;
  /** Stored state; see effectiveState() for what a reader should show. */
  state: SessionState;
  createdAt: string;
  updatedAt: string;
  /** The plan JSON exactly as applied (validated again when read). */
  plan: unknown;
  meta: SessionMeta;
  /**
   * A masked copy, imported with a masked workspace export (masked-copies.ts): read only, never
   * resumed or undone. Absent for sessions run here.
   */
  masked?: boolean;
  /**
   * Came with a workspace export (masked or not): its plan and journal are what a file said, which
   * this workspace never checked, so it is read only here (masked-copies.ts). Absent for sessions run here.
   */
  imported?: boolean;
}

export interface JournalEntry {
  seq: number;
  sessionId: string;
  stepId: string;
  kind: 'intent' | 'result';
  at: string;
  data: unknown;
}

export interface JournalStore {
  createSession(s: Omit<StoredSession, 'updatedAt'>): void;
  getSession(id: string): StoredSession | null;
  listSessions(): StoredSession[];
  updateSession(id: string, patch: { state?: SessionState; meta?: SessionMeta; at: string }): void;
  /**
   * Sets state and meta only if the stored owner's token is still `expected.ownerToken` (null: no
   * owner), atomically against other processes; false when someone else claimed it first.
   */
  claimSession(id: string, expected: { ownerToken: string | null }, patch: { state: SessionState; meta: SessionMeta; at: string }): boolean;
  /** Appends one entry in its own durable transaction; returns its sequence number. */
  append(e: Omit<JournalEntry, 'seq'>): number;
  entries(sessionId: string): JournalEntry[];
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Liveness: a stored active state whose owner is gone is an interrupted session.

const liveTokens = new Set<string>();

/**
 * How the start time of a process is read, injectable so the decision can be tested anywhere with
 * fakes: the platform, and on Windows the probe (windowsStartTime by default).
 */
export interface ProcessProbe {
  platform?: NodeJS.Platform;
  /** The process's start time as an ISO string (UTC), or null when it cannot be read. */
  windowsStartTime?: (pid: number) => string | null;
}

/** Windows pids are DWORDs; anything else is refused before it reaches a command line. */
export function windowsStartTimeCommand(pid: number): { file: string; args: string[] } {
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0xffffffff) throw new RangeError(`Not a Windows pid: ${pid}`);
  return { file: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', `(Get-Process -Id ${pid} -ErrorAction Stop).StartTime.ToUniversalTime().ToString('o')`] };
}

/** PowerShell's round-trip ('o') form of a UTC time, nothing else (an error text, a local format) is null. */
export function parseWindowsStartTime(stdout: string): string | null {
  const t = stdout.trim();
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/.test(t) ? t : null;
}

/**
 * The start time of a Windows process through PowerShell's Get-Process (StartTime, fixed for the
 * process's life). Null when PowerShell is missing, slow (5 s timeout: a cold start can take a
 * second or two), denied access to the process, or answers anything but an ISO time. Runs only on
 * Windows and is not exercised by the tests on Linux: they inject fakes (docs/remediation.md).
 */
export function windowsStartTime(pid: number): string | null {
  const { file, args } = windowsStartTimeCommand(pid);
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 5000, windowsHide: true });
  return r.status === 0 && typeof r.stdout === 'string' ? parseWindowsStartTime(r.stdout) : null;
}

/**
 * What tells one process from a later one that got the same pid: on Linux the kernel's boot id and
 * the process's start time in clock ticks since boot (/proc/<pid>/stat field 22), fixed for the
 * process's life and different for any process that reuses the pid; on Windows Get-Process's
 * StartTime (windowsStartTime); elsewhere on Unix `ps`'s start time (to the second). Null where it
 * cannot be read: then only liveness counts.
 */
export function processIdentity(pid: number, probe: ProcessProbe = {}): { started: string; startedAt: string | null } | null {
  const platform = probe.platform ?? process.platform;
  if (platform === 'linux') {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
      const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      if (!ticks || !/^\d+$/.test(ticks)) return null;
      return { started: `linux:${boot}:${ticks}`, startedAt: pid === process.pid ? ownStartedAt() : null };
    } catch {
      return null;
    }
  }
  if (platform === 'win32') {
    let at: string | null;
    try {
      at = (probe.windowsStartTime ?? windowsStartTime)(pid);
    } catch {
      at = null;
    }
    return at ? { started: `win:${at}`, startedAt: at } : null;
  }
  const r = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
  const lstart = r.status === 0 ? r.stdout.trim() : '';
  return lstart ? { started: `ps:${lstart}`, startedAt: pid === process.pid ? ownStartedAt() : null } : null;
}

function ownStartedAt(): string {
  return new Date(Date.now() - process.uptime() * 1000).toISOString();
}

let own: { started: string; startedAt: string | null } | null | undefined;

export function claimOwner(token: string): SessionOwner {
  liveTokens.add(token);
  own ??= processIdentity(process.pid);
  return { pid: process.pid, host: hostname(), token, ...(own ? { started: own.started } : {}), startedAt: own?.startedAt ?? ownStartedAt() };
}

export function releaseOwner(token: string): void {
  liveTokens.delete(token);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to somebody else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The program a pid runs (Linux), for owners recorded before their start time was. */
function commandOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || null;
  } catch {
    return null;
  }
}

/** Programs a SyncDrift owner runs as: Node (CLI, browser host, tests), Electron, a packaged app. */
const OUR_PROGRAM = /node|electron|syncdrift/i;

export type OwnerStatus = { alive: true } | { alive: false; reason: string };

/**
 * Whether the recorded owner can still be working on the session, and if not why. Alive: this
 * process with a live token; another process on this host with that pid and the recorded identity
 * (or, for an owner recorded without one, a pid still running Node/Electron); an owner on another
 * host (nothing here can tell). Gone: no owner, a dead pid, or a pid now held by another process.
 */
export function ownerStatus(owner: SessionOwner | null, probe: ProcessProbe = {}): OwnerStatus {
  if (!owner) return { alive: false, reason: 'no owner is recorded' };
  if (owner.host !== hostname()) return { alive: true }; // another machine sharing the file: cannot tell, assume alive
  if (owner.pid === process.pid) return liveTokens.has(owner.token) ? { alive: true } : { alive: false, reason: `this process (pid ${owner.pid}) no longer runs it` };
  if (!pidAlive(owner.pid)) return { alive: false, reason: `pid ${owner.pid} is not running` };
  if (owner.started) {
    const now = processIdentity(owner.pid, probe);
    if (now && now.started !== owner.started) {
      const which = (probe.platform ?? process.platform) === 'win32' ? `started ${now.startedAt}` : (commandOf(owner.pid) ?? 'its start time differs');
      return { alive: false, reason: `pid ${owner.pid} now belongs to another process (${which}): the pid was reused` };
    }
    return { alive: true };
  }
  const cmd = commandOf(owner.pid);
  if (cmd !== null && !OUR_PROGRAM.test(cmd)) return { alive: false, reason: `pid ${owner.pid} now runs another program (${cmd}): the pid was reused` };
  return { alive: true };
}

/** True when the owner can still be working: see ownerStatus. */
export function ownerAlive(owner: SessionOwner | null): boolean {
  return ownerStatus(owner).alive;
}

/** How an owner reads in messages: pid, host and when it started. */
export function describeOwner(owner: Pick<SessionOwner, 'pid' | 'host' | 'startedAt'> | { pid: number; host: string; startedAt: string | null }): string {
  return `pid ${owner.pid} on ${owner.host}${owner.startedAt ? `, started ${owner.startedAt}` : ', start time not recorded'}`;
}

/** What a reader should see: an active session nobody works on any more reopens as interrupted. */
export function effectiveState(s: Pick<StoredSession, 'state' | 'meta'>): SessionState {
  if (ACTIVE_STATES.has(s.state) && !ownerAlive(s.meta.owner)) return 'interrupted';
  return s.state;
}

// ---------------------------------------------------------------------------------------------
// Step status from the entries (pure)

export type StepStatus = { state: 'pending' } | { state: 'uncertain'; intent: JournalEntry } | { state: 'done'; intent: JournalEntry | null; result: JournalEntry };

/** The status of every step id that appears in the entries (latest intent/result wins). */
export function stepStatuses(entries: readonly JournalEntry[]): Map<string, StepStatus> {
  const m = new Map<string, StepStatus>();
  for (const e of entries) {
    const prev = m.get(e.stepId);
    if (e.kind === 'intent') m.set(e.stepId, { state: 'uncertain', intent: e });
    else m.set(e.stepId, { state: 'done', intent: prev && prev.state !== 'pending' ? prev.intent : null, result: e });
  }
  return m;
}

export function statusOf(statuses: ReadonlyMap<string, StepStatus>, stepId: string): StepStatus {
  return statuses.get(stepId) ?? { state: 'pending' };
}
