/**
 * Export of a whole workspace or one scan to a single file, and import on another workstation.
 * Format: gzip of JSON lines; line 1 is a header, then one `{ "t": table, "r": row }` per record.
 * Phone numbers are masked unless the caller asks otherwise. Imports are validated line by line
 * and never overwrite what the target already holds.
 */
import type Sqlite from 'better-sqlite3';
import { createReadStream, createWriteStream } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { basename } from 'node:path';
import { z } from 'zod';
import { CloudUser, DriftRow, OnPremUser, ScanSummary } from '../core/model';
import { SyncDriftError, ValidationError, formatIssues } from '../core/errors';
import type { Clock } from '../core/ports';
import { SCHEMA_VERSION } from './migrations';
import { maskPhone, maskPhonesDeep } from './mask';
import { restrictToOwner } from './db';

export const EXPORT_FORMAT = 'syncdrift-workspace-export';
export const EXPORT_FORMAT_VERSION = 1;

export const ExportHeader = z.object({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.literal(EXPORT_FORMAT_VERSION),
  schemaVersion: z.number().int(),
  exportedAt: z.string(),
  scope: z.enum(['workspace', 'scan']),
  scanIds: z.array(z.string()),
  masked: z.boolean(),
});
export type ExportHeader = z.infer<typeof ExportHeader>;

/** Tables in dependency order (parents first), with the JSON columns and how to validate them. */
const TABLES = ['profiles', 'scans', 'snapshot_onprem', 'snapshot_cloud', 'drift_rows', 'audit_changes', 'audit_marks', 'sessions', 'decisions', 'journal', 'settings'] as const;
type Table = (typeof TABLES)[number];

const JSON_COLUMN_SCHEMA: Partial<Record<Table, Record<string, z.ZodType>>> = {
  scans: { summary_json: ScanSummary.nullable(), meta_json: z.record(z.string(), z.unknown()) },
  snapshot_onprem: { json: OnPremUser },
  snapshot_cloud: { json: CloudUser },
  drift_rows: { json: DriftRow },
  profiles: { json: z.record(z.string(), z.unknown()) },
  sessions: { json: z.record(z.string(), z.unknown()) },
};
/** Columns holding phone values directly (not inside JSON). */
const PHONE_COLUMNS: Partial<Record<Table, string[]>> = { audit_changes: ['old_value', 'new_value'] };
/** JSON columns whose content may carry phone numbers. */
const MASKED_JSON: Partial<Record<Table, string[]>> = {
  snapshot_onprem: ['json'],
  snapshot_cloud: ['json'],
  drift_rows: ['json'],
  sessions: ['json'],
  journal: ['json'],
};

type Row = Record<string, unknown>;

export interface ExportOptions {
  /** Export one scan (with its snapshots, rows, sessions and the audit changes of its users). */
  scanId?: string;
  /** Mask phone numbers (default true: exports leave the workstation). */
  mask?: boolean;
  clock: Clock;
}

export interface ExportResult {
  file: string;
  header: ExportHeader;
  counts: Partial<Record<Table, number>>;
}

function selectFor(table: Table, scanId: string | undefined): { sql: string; params: unknown[] } {
  if (scanId === undefined) return { sql: `SELECT * FROM ${table}`, params: [] };
  switch (table) {
    case 'scans':
      return { sql: 'SELECT * FROM scans WHERE id = ?', params: [scanId] };
    case 'snapshot_onprem':
    case 'snapshot_cloud':
    case 'drift_rows':
      return { sql: `SELECT * FROM ${table} WHERE scan_id = ?`, params: [scanId] };
    case 'sessions':
      return { sql: 'SELECT * FROM sessions WHERE scan_id = ?', params: [scanId] };
    case 'decisions':
    case 'journal':
      return { sql: `SELECT * FROM ${table} WHERE session_id IN (SELECT id FROM sessions WHERE scan_id = ?)`, params: [scanId] };
    case 'audit_changes':
      return { sql: 'SELECT * FROM audit_changes WHERE target_id IN (SELECT id FROM snapshot_cloud WHERE scan_id = ?)', params: [scanId] };
    case 'profiles':
      return { sql: 'SELECT * FROM profiles WHERE name IN (SELECT profile_name FROM scans WHERE id = ?) OR id IN (SELECT profile_id FROM scans WHERE id = ?)', params: [scanId, scanId] };
    default:
      return { sql: `SELECT * FROM ${table} WHERE 0`, params: [] };
  }
}

function maskRow(table: Table, row: Row): Row {
  const out = { ...row };
  for (const c of PHONE_COLUMNS[table] ?? []) if (typeof out[c] === 'string') out[c] = maskPhone(out[c]);
  for (const c of MASKED_JSON[table] ?? []) if (typeof out[c] === 'string') out[c] = JSON.stringify(maskPhonesDeep(JSON.parse(out[c])));
  if (table === 'scans' && typeof out.meta_json === 'string') out.meta_json = JSON.stringify({ ...(JSON.parse(out.meta_json) as object), masked: true });
  return out;
}

/** Writes the export file (owner-only). */
export async function exportWorkspace(db: Sqlite.Database, file: string, options: ExportOptions): Promise<ExportResult> {
  const mask = options.mask ?? true;
  if (options.scanId !== undefined && !db.prepare('SELECT 1 FROM scans WHERE id = ?').get(options.scanId)) {
    throw new ValidationError('scanId', `no scan ${options.scanId} in this workspace`);
  }
  const scanIds = options.scanId !== undefined ? [options.scanId] : (db.prepare('SELECT id FROM scans ORDER BY started_at').pluck().all() as string[]);
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    schemaVersion: SCHEMA_VERSION,
    exportedAt: options.clock.now().toISOString(),
    scope: options.scanId !== undefined ? 'scan' : 'workspace',
    scanIds,
    masked: mask,
  };
  const previous = process.platform === 'win32' ? null : process.umask(0o077);
  const out = createWriteStream(file, { mode: 0o600 });
  if (previous !== null) process.umask(previous);
  const gz = createGzip();
  gz.pipe(out);
  const counts: Partial<Record<Table, number>> = {};
  const write = async (line: string) => {
    if (!gz.write(line + '\n')) await once(gz, 'drain');
  };
  await write(JSON.stringify(header));
  for (const table of TABLES) {
    if (options.scanId !== undefined && (table === 'settings' || table === 'audit_marks')) continue;
    const { sql, params } = selectFor(table, options.scanId);
    let n = 0;
    for (const raw of db.prepare(sql).iterate(...params)) {
      const row = mask ? maskRow(table, raw as Row) : (raw as Row);
      await write(JSON.stringify({ t: table, r: row }));
      n++;
    }
    counts[table] = n;
  }
  gz.end();
  await once(out, 'close');
  restrictToOwner(file);
  return { file, header, counts };
}

export interface ImportResult {
  header: ExportHeader;
  inserted: Partial<Record<Table, number>>;
  /** Records the target already had (same key): kept as they were. */
  skipped: number;
}

/** Reads an export into the workspace; validates every line and fails naming `file:line`. */
export async function importWorkspace(db: Sqlite.Database, file: string): Promise<ImportResult> {
  const name = basename(file);
  const columns = new Map<string, string[]>();
  for (const t of TABLES) columns.set(t, (db.pragma(`table_info(${t})`) as Array<{ name: string }>).map((c) => c.name));
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let header: ExportHeader | null = null;
  const inserted: Partial<Record<Table, number>> = {};
  let skipped = 0;
  const batch: Array<{ table: Table; row: Row }> = [];
  const stmts = new Map<string, Sqlite.Statement>();
  const flush = (items: Array<{ table: Table; row: Row }>) => {
    for (const { table, row } of items) {
      const cols = columns.get(table)!;
      // journal.seq is local to each workspace: let the target number the entries.
      const useCols = table === 'journal' ? cols.filter((c) => c !== 'seq') : cols;
      const key = `${table}`;
      let st = stmts.get(key);
      if (!st) {
        st = db.prepare(`INSERT OR IGNORE INTO ${table} (${useCols.join(', ')}) VALUES (${useCols.map(() => '?').join(', ')})`);
        stmts.set(key, st);
      }
      const vals = useCols.map((c) => {
        const v = row[c];
        return v === undefined ? null : v;
      });
      const changes = st.run(...vals).changes;
      if (changes > 0) inserted[table] = (inserted[table] ?? 0) + 1;
      else skipped++;
    }
  };
  const Line = z.object({ t: z.enum(TABLES), r: z.record(z.string(), z.union([z.string(), z.number(), z.null()])) });
  // One transaction for the whole file: a damaged line leaves the workspace as it was.
  db.exec('BEGIN IMMEDIATE');
  try {
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ValidationError(`${name}:${lineNo}`, 'not a JSON line: the file is damaged or not a SyncDrift export');
      }
      if (!header) {
        const h = ExportHeader.safeParse(parsed);
        if (!h.success) throw new ValidationError(`${name}:${lineNo}`, `not a SyncDrift workspace export (${formatIssues(h.error.issues)})`);
        if (h.data.schemaVersion > SCHEMA_VERSION) {
          throw new SyncDriftError('validation', 'EXPORT_TOO_NEW', `${name} was exported by a newer SyncDrift Workbench (schema ${h.data.schemaVersion}); update this installation first.`);
        }
        header = h.data;
        continue;
      }
      const l = Line.safeParse(parsed);
      if (!l.success) throw new ValidationError(`${name}:${lineNo}`, formatIssues(l.error.issues));
      const { t, r } = l.data;
      const cols = columns.get(t)!;
      const unknownCol = Object.keys(r).find((k) => !cols.includes(k));
      if (unknownCol) throw new ValidationError(`${name}:${lineNo}`, `unknown column ${t}.${unknownCol}`);
      for (const [col, schema] of Object.entries(JSON_COLUMN_SCHEMA[t] ?? {})) {
        const v = r[col];
        if (v === null || v === undefined) {
          if (!schema.safeParse(null).success) throw new ValidationError(`${name}:${lineNo}`, `${t}.${col} is missing`);
          continue;
        }
        let doc: unknown;
        try {
          doc = JSON.parse(String(v));
        } catch {
          throw new ValidationError(`${name}:${lineNo}`, `${t}.${col} is not JSON`);
        }
        const ok = schema.safeParse(doc);
        if (!ok.success) throw new ValidationError(`${name}:${lineNo}`, `${t}.${col}: ${formatIssues(ok.error.issues)}`);
      }
      batch.push({ table: t, row: r });
      if (batch.length >= 2000) flush(batch.splice(0));
    }
    if (!header) throw new ValidationError(`${name}:1`, 'empty file: not a SyncDrift workspace export');
    flush(batch.splice(0));
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (e instanceof SyncDriftError) throw e;
    throw new ValidationError(name, `cannot read the export: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { header, inserted, skipped };
}
