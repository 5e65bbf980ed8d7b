/**
 * JournalStore over better-sqlite3: WAL with synchronous=FULL, every append and every session
 * update its own transaction, so what returned from append() survives a crash or a power cut.
 * The tables match the workspace's `sessions` / `journal` (main/workspace/migrations.ts); on a
 * workspace database they already exist, on a standalone file they are created here.
 */
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SyncDriftError } from '../core/errors';
import { SessionMeta, SessionState, type JournalEntry, type JournalStore, type StoredSession } from './journal';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    scan_id TEXT,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    json TEXT NOT NULL DEFAULT '{}'
  );
  CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('intent', 'result')),
    at TEXT NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS journal_step ON journal(session_id, step_id, kind);
`;

const SessionRow = z.object({ id: z.string(), state: z.string(), created_at: z.string(), updated_at: z.string(), json: z.string() });
const EntryRow = z.object({ seq: z.number().int(), session_id: z.string(), step_id: z.string(), kind: z.enum(['intent', 'result']), at: z.string(), json: z.string() });
const SessionJson = z.object({ plan: z.unknown(), meta: SessionMeta });

function corrupt(what: string, e: unknown): SyncDriftError {
  return new SyncDriftError('internal', 'JOURNAL_CORRUPT', `The remediation journal holds an unreadable ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function toSession(raw: unknown): StoredSession {
  try {
    const r = SessionRow.parse(raw);
    const j = SessionJson.parse(JSON.parse(r.json));
    return { id: r.id, state: SessionState.parse(r.state), createdAt: r.created_at, updatedAt: r.updated_at, plan: j.plan, meta: j.meta };
  } catch (e) {
    throw corrupt('session', e);
  }
}

export class SqliteJournalStore implements JournalStore {
  private readonly db: BetterSqlite3.Database;
  private readonly owned: boolean;

  /** Opens (or creates) a journal database file, or uses an open workspace database. */
  constructor(target: string | BetterSqlite3.Database) {
    if (typeof target === 'string') {
      if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      try {
        this.db = new Database(target, { timeout: 5000 });
      } catch (e) {
        throw new SyncDriftError('internal', 'JOURNAL_OPEN', `Cannot open the remediation journal ${target}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      this.owned = true;
    } else {
      this.db = target;
      this.owned = false;
    }
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed journal entry is on disk before append() returns, also in WAL mode.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  createSession(s: Omit<StoredSession, 'updatedAt'>): void {
    const json = JSON.stringify({ plan: s.plan, meta: s.meta });
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO sessions (id, scan_id, state, created_at, updated_at, json) VALUES (?, NULL, ?, ?, ?, ?)').run(s.id, s.state, s.createdAt, s.createdAt, json);
    }).immediate();
  }

  getSession(id: string): StoredSession | null {
    const row = this.db.prepare('SELECT id, state, created_at, updated_at, json FROM sessions WHERE id = ?').get(id);
    return row === undefined ? null : toSession(row);
  }

  listSessions(): StoredSession[] {
    return this.db.prepare('SELECT id, state, created_at, updated_at, json FROM sessions ORDER BY created_at DESC, id').all().map(toSession);
  }

  updateSession(id: string, patch: { state?: SessionState; meta?: SessionMeta; at: string }): void {
    this.db.transaction(() => {
      const cur = this.getSession(id);
      if (!cur) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `No remediation session ${id}.`);
      const json = JSON.stringify({ plan: cur.plan, meta: patch.meta ?? cur.meta });
      this.db.prepare('UPDATE sessions SET state = ?, updated_at = ?, json = ? WHERE id = ?').run(patch.state ?? cur.state, patch.at, json, id);
    }).immediate();
  }

  append(e: Omit<JournalEntry, 'seq'>): number {
    const r = this.db
      .transaction(() => this.db.prepare('INSERT INTO journal (session_id, step_id, kind, at, json) VALUES (?, ?, ?, ?, ?)').run(e.sessionId, e.stepId, e.kind, e.at, JSON.stringify(e.data ?? null)))
      .immediate();
    return Number(r.lastInsertRowid);
  }

  entries(sessionId: string): JournalEntry[] {
    return this.db
      .prepare('SELECT seq, session_id, step_id, kind, at, json FROM journal WHERE session_id = ? ORDER BY seq')
      .all(sessionId)
      .map((raw) => {
        try {
          const r = EntryRow.parse(raw);
          return { seq: r.seq, sessionId: r.session_id, stepId: r.step_id, kind: r.kind, at: r.at, data: JSON.parse(r.json) as unknown };
        } catch (e) {
          throw corrupt('journal entry', e);
        }
      });
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}
