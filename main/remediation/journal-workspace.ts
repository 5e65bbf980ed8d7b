/**
 * The JournalStore over the workspace's own sessions and journal repositories (main/workspace), so
 * the app keeps remediation history in the workspace database. The workspace has a coarser session
 * state; the engine's state, plan and meta live in the session's JSON under `remediation`.
 */
import { z } from 'zod';
import { SyncDriftError } from '../core/errors';
import type { Workspace } from '../workspace/workspace';
import type { SessionState as WorkspaceSessionState } from '../workspace/remediation-store';
import { SessionMeta, SessionState, type JournalEntry, type JournalStore, type StoredSession } from './journal';
import { openWorkspace } from '../workspace/workspace';

const TO_WORKSPACE: Record<SessionState, WorkspaceSessionState> = {
  running: 'executing',
  'awaiting-replication': 'executing',
  'awaiting-cycle': 'executing',
  verifying: 'verifying',
  completed: 'done',
  'verify-timeout': 'verifying',
  failed: 'failed',
  cancelled: 'executing',
  interrupted: 'executing',
  undoing: 'executing',
  undone: 'done',
  'undo-partial': 'done',
};

const Stored = z.object({ remediation: z.object({ state: SessionState, plan: z.unknown(), meta: SessionMeta }), masked: z.boolean().optional(), imported: z.boolean().optional() });

/** A masked or imported copy stays marked, whatever writes the session. */
const keepMark = (s: StoredSession): { masked?: true; imported?: true } => ({ ...(s.masked ? { masked: true as const } : {}), ...(s.imported ? { imported: true as const } : {}) });

export function workspaceJournalStore(ws: Workspace): JournalStore {
  const read = (id: string): StoredSession | null => {
    let r: ReturnType<Workspace['sessions']['get']>;
    try {
      r = ws.sessions.get(id);
    } catch (e) {
      // A damaged row must stop the engine with a message, never be guessed at.
      throw new SyncDriftError('validation', 'SESSION_UNREADABLE', `The workspace holds an unreadable session ${id}; it was not changed. Export the workspace for support.`, { cause: e });
    }
    if (!r) return null;
    const d = Stored.safeParse(r.data);
    // Sessions without the remediation section belong to another feature: not ours to show.
    if (!d.success) return null;
    return { id: r.id, state: d.data.remediation.state, createdAt: r.createdAt, updatedAt: r.updatedAt, plan: d.data.remediation.plan, meta: d.data.remediation.meta, ...(d.data.masked ? { masked: true } : {}), ...(d.data.imported ? { imported: true } : {}) };
  };
  return {
    createSession(s) {
      ws.sessions.create({ id: s.id, state: TO_WORKSPACE[s.state], data: { remediation: { state: s.state, plan: s.plan, meta: s.meta } } });
    },
    getSession: read,
    listSessions() {
      return ws.sessions
        .list({ limit: 1000 })
        .map((r) => read(r.id))
        .filter((s): s is StoredSession => s !== null);
    },
    updateSession(id, patch) {
      const cur = read(id);
      if (!cur) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${id} in this workspace.`);
      const state = patch.state ?? cur.state;
      ws.sessions.update(id, { state: TO_WORKSPACE[state], data: { remediation: { state, plan: cur.plan, meta: patch.meta ?? cur.meta }, ...keepMark(cur) }, at: patch.at });
    },
    claimSession(id, expected, patch) {
      // IMMEDIATE: the write lock is taken before the read, so no other process claims in between.
      return ws.db
        .transaction(() => {
          const cur = read(id);
          if (!cur) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${id} in this workspace.`);
          if ((cur.meta.owner?.token ?? null) !== expected.ownerToken) return false;
          ws.sessions.update(id, { state: TO_WORKSPACE[patch.state], data: { remediation: { state: patch.state, plan: cur.plan, meta: patch.meta }, ...keepMark(cur) }, at: patch.at });
          return true;
        })
        .immediate();
    },
        append(e) {
      return (e.kind === 'intent' ? ws.journal.appendIntent(e.sessionId, e.stepId, e.data) : ws.journal.appendResult(e.sessionId, e.stepId, e.data)).seq;
    },
    entries(sessionId): JournalEntry[] {
      return ws.journal.entries(sessionId).map((x) => ({ seq: x.seq, sessionId: x.sessionId, stepId: x.stepId, kind: x.kind, at: x.at, data: x.payload }));
    },
    close() {
      // The workspace belongs to the caller.
    },
  };
}

/** A journal over its own workspace file (CLI runs, tests, child processes): close() closes the workspace. */
export function workspaceJournalAt(file: string): JournalStore {
  const ws = openWorkspace(file);
  return { ...workspaceJournalStore(ws), close: () => ws.close() };
}
