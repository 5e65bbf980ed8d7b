/**
 * Remediation sessions, the admin's decisions per row, and the journal. The journal is the crash
 * record of changes to AD and Entra: an intent is durable before the write is attempted and the
 * result is durable once it returns, each in its own transaction (WAL + synchronous=FULL, so a
 * committed entry survives a power cut).
 */
import type Sqlite from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Decision } from '../core/model';
import type { Clock } from '../core/ports';
import { ValidationError } from '../core/errors';

export const SessionState = z.enum(['draft', 'planned', 'executing', 'verifying', 'done', 'failed', 'abandoned']);
export type SessionState = z.infer<typeof SessionState>;

export interface SessionRecord {
  id: string;
  scanId: string | null;
  state: SessionState;
  createdAt: string;
  updatedAt: string;
  data: Record<string, unknown>;
}

type SessionDb = { id: string; scan_id: string | null; state: string; created_at: string; updated_at: string; json: string };
const toSession = (r: SessionDb): SessionRecord => ({
  id: r.id,
  scanId: r.scan_id,
  state: SessionState.parse(r.state),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  data: z.record(z.string(), z.unknown()).parse(JSON.parse(r.json)),
});

export class SessionRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  create(input: { scanId?: string | null; state?: SessionState; data?: Record<string, unknown>; id?: string } = {}): SessionRecord {
    const id = input.id ?? randomUUID();
    const now = this.clock.now().toISOString();
    this.db
      .prepare('INSERT INTO sessions (id, scan_id, state, created_at, updated_at, json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, input.scanId ?? null, input.state ?? 'draft', now, now, JSON.stringify(input.data ?? {}));
    return this.get(id)!;
  }

  /** `at` is the caller's time of the change (the remediation engine's clock); default now. */
  update(id: string, patch: { state?: SessionState; data?: Record<string, unknown>; at?: string }): SessionRecord {
    const cur = this.get(id);
    if (!cur) throw new ValidationError('sessionId', `no session ${id} in this workspace`);
    this.db
      .prepare('UPDATE sessions SET state = ?, json = ?, updated_at = ? WHERE id = ?')
      .run(patch.state ?? cur.state, JSON.stringify(patch.data ?? cur.data), patch.at ?? this.clock.now().toISOString(), id);
    return this.get(id)!;
  }

  get(id: string): SessionRecord | null {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionDb | undefined;
    return r ? toSession(r) : null;
  }

  list(opts: { scanId?: string; limit?: number } = {}): SessionRecord[] {
    const rows = (
      opts.scanId === undefined
        ? this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC LIMIT ?').all(opts.limit ?? 100)
        : this.db.prepare('SELECT * FROM sessions WHERE scan_id = ? ORDER BY created_at DESC LIMIT ?').all(opts.scanId, opts.limit ?? 100)
    ) as SessionDb[];
    return rows.map(toSession);
  }
}

export interface StoredDecision extends Decision {
  decidedAt: string;
}

export class DecisionRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  /** Upserts decisions (one per row key) in one transaction. */
  set(sessionId: string, decisions: readonly Decision[]): void {
    const ins = this.db.prepare(
      'INSERT INTO decisions (session_id, row_key, action, reason, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(session_id, row_key) DO UPDATE SET action = excluded.action, reason = excluded.reason, decided_at = excluded.decided_at',
    );
    const now = this.clock.now().toISOString();
    this.db.transaction(() => {
      for (const d of decisions) {
        const v = Decision.parse(d);
        ins.run(sessionId, v.rowKey, v.action, v.reason ?? null, now);
      }
    })();
  }

  list(sessionId: string): StoredDecision[] {
    const rows = this.db.prepare('SELECT * FROM decisions WHERE session_id = ? ORDER BY row_key').all(sessionId) as Array<{
      row_key: string;
      action: string;
      reason: string | null;
      decided_at: string;
    }>;
    return rows.map((r) => ({ ...Decision.parse({ rowKey: r.row_key, action: r.action, ...(r.reason === null ? {} : { reason: r.reason }) }), decidedAt: r.decided_at }));
  }

  remove(sessionId: string, rowKey: string): boolean {
    return this.db.prepare('DELETE FROM decisions WHERE session_id = ? AND row_key = ?').run(sessionId, rowKey).changes > 0;
  }
}

export interface JournalEntry {
  seq: number;
  sessionId: string;
  stepId: string;
  kind: 'intent' | 'result';
  at: string;
  payload: unknown;
}

type JournalDb = { seq: number; session_id: string; step_id: string; kind: 'intent' | 'result'; at: string; json: string };
const toEntry = (r: JournalDb): JournalEntry => ({ seq: r.seq, sessionId: r.session_id, stepId: r.step_id, kind: r.kind, at: r.at, payload: JSON.parse(r.json) as unknown });

export class JournalRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  private append(kind: 'intent' | 'result', sessionId: string, stepId: string, payload: unknown): JournalEntry {
    const at = this.clock.now().toISOString();
    // IMMEDIATE takes the write lock up front: the entry is committed (and fsynced) on return or not at all.
    const run = this.db.transaction(() => {
      if (kind === 'result') {
        const intent = this.db.prepare("SELECT 1 FROM journal WHERE session_id = ? AND step_id = ? AND kind = 'intent'").get(sessionId, stepId);
        if (!intent) throw new ValidationError('stepId', `no intent recorded for step ${stepId}: write the intent before acting`);
      }
      const info = this.db.prepare('INSERT INTO journal (session_id, step_id, kind, at, json) VALUES (?, ?, ?, ?, ?)').run(sessionId, stepId, kind, at, JSON.stringify(payload ?? null));
      return Number(info.lastInsertRowid);
    });
    const seq = run.immediate();
    return { seq, sessionId, stepId, kind, at, payload };
  }

  /** Records what is about to be done; call before touching AD or Entra. */
  appendIntent(sessionId: string, stepId: string, payload: unknown): JournalEntry {
    return this.append('intent', sessionId, stepId, payload);
  }

  /** Records what happened; refused without a prior intent for the same step. */
  appendResult(sessionId: string, stepId: string, payload: unknown): JournalEntry {
    return this.append('result', sessionId, stepId, payload);
  }

  entries(sessionId: string): JournalEntry[] {
    return (this.db.prepare('SELECT * FROM journal WHERE session_id = ? ORDER BY seq').all(sessionId) as JournalDb[]).map(toEntry);
  }

  /** Intents without a result: after a crash these steps may or may not have happened and must be re-read. */
  openIntents(sessionId?: string): JournalEntry[] {
    const sql = `SELECT i.* FROM journal i WHERE i.kind = 'intent' ${sessionId === undefined ? '' : 'AND i.session_id = ?'}
      AND NOT EXISTS (SELECT 1 FROM journal r WHERE r.kind = 'result' AND r.session_id = i.session_id AND r.step_id = i.step_id AND r.seq > i.seq)
      ORDER BY i.seq`;
    const stmt = this.db.prepare(sql);
    return ((sessionId === undefined ? stmt.all() : stmt.all(sessionId)) as JournalDb[]).map(toEntry);
  }
}
