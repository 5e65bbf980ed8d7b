/**
 * Versioned schema migrations, applied in order inside one transaction each; PRAGMA user_version
 * holds the version reached. Append new migrations; never edit a released one.
 */
import type Sqlite from 'better-sqlite3';
import { SyncDriftError } from '../core/errors';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE scans (
        id TEXT PRIMARY KEY,
        profile_id TEXT,
        profile_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        summary_json TEXT,
        meta_json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX scans_started ON scans(started_at);
      CREATE TABLE snapshot_onprem (
        scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        source_id TEXT NOT NULL,
        dn TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (scan_id, source_id, dn)
      ) WITHOUT ROWID;
      CREATE TABLE snapshot_cloud (
        scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (scan_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE drift_rows (
        scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        upn TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (scan_id, key)
      );
      CREATE INDEX drift_rows_status ON drift_rows(scan_id, status, upn);
      CREATE INDEX drift_rows_upn ON drift_rows(scan_id, upn);
      CREATE TABLE audit_changes (
        tenant_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT,
        actor_kind TEXT NOT NULL,
        sync_write INTEGER NOT NULL,
        old_value TEXT,
        new_value TEXT,
        target_upn TEXT,
        PRIMARY KEY (tenant_id, record_id, target_id)
      ) WITHOUT ROWID;
      CREATE INDEX audit_changes_user ON audit_changes(tenant_id, target_id, at);
      CREATE INDEX audit_changes_at ON audit_changes(at);
      CREATE TABLE audit_marks (
        tenant_id TEXT PRIMARY KEY,
        high_water TEXT,
        covered_from TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        scan_id TEXT,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE TABLE decisions (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        row_key TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (session_id, row_key)
      ) WITHOUT ROWID;
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('intent', 'result')),
        at TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX journal_step ON journal(session_id, step_id, kind);
      CREATE TABLE blobs (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        json TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'raw audit records',
    // The parsed changes answer the grid; evidence packages carry the records as Graph returned them.
    sql: `
      CREATE TABLE audit_records (
        tenant_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        at TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (tenant_id, record_id)
      ) WITHOUT ROWID;
      CREATE TABLE audit_record_targets (
        tenant_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, target_id, record_id)
      ) WITHOUT ROWID;
      CREATE INDEX audit_records_at ON audit_records(tenant_id, at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer build. */
export function migrate(db: Sqlite.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = Number(db.pragma('user_version', { simple: true }));
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new SyncDriftError(
      'validation',
      'WORKSPACE_TOO_NEW',
      `This workspace was written by a newer SyncDrift Workbench (schema ${from}, this build knows ${latest}). Update the app, or open a copy exported from the newer version.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, latest) };
}
