/**
 * The remediation journal: before each write an intent, after it the result, each durable on its
 * own (one SQLite transaction, synchronous=FULL), so a session cut anywhere can be reconciled:
 * a step with an intent and no result is the one that needs a re-read before anything is redone.
 *
 * The store is narrow on purpose (sessions + append-only entries), shaped like the workspace's
 * `sessions` / `journal` tables so the workspace can implement it over its own database.
 */
import { hostname } from 'node:os';
import { z } from 'zod';

// Declared in plan-schema.ts: pure, so the bridge contract shares it.
import { SessionState } from './plan-schema';
export { SessionState };

/** States in which some engine is (or was, before a crash) working on the session. */
export const ACTIVE_STATES: ReadonlySet<SessionState> = new Set(['running', 'verifying', 'undoing']);

export const SessionOwner = z.object({ pid: z.number().int(), host: z.string(), token: z.string() });
export type SessionOwner = z.infer<typeof SessionOwner>;

export const SessionMeta = z.object({
  owner: SessionOwner.nullable(),
  message: z.string().nullable(),
  /** Set while undo has run (partially or fully). */
  undo: z.object({ startedAt: z.string(), finishedAt: z.string().nullable() }).nullable().default(null),
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
  /** Appends one entry in its own durable transaction; returns its sequence number. */
  append(e: Omit<JournalEntry, 'seq'>): number;
  entries(sessionId: string): JournalEntry[];
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Liveness: a stored active state whose owner is gone is an interrupted session.

const liveTokens = new Set<string>();

export function claimOwner(token: string): SessionOwner {
  liveTokens.add(token);
  return { pid: process.pid, host: hostname(), token };
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

/** True when the owner can still be working: this process with a live token, or another live process on this host. */
export function ownerAlive(owner: SessionOwner | null): boolean {
  if (!owner) return false;
  if (owner.host !== hostname()) return true; // another machine sharing the file: cannot tell, assume alive
  if (owner.pid === process.pid) return liveTokens.has(owner.token);
  return pidAlive(owner.pid);
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
