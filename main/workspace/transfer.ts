/**
 * Export of a whole workspace or one scan to a single file, and import on another workstation.
 * Format: gzip of JSON lines; line 1 is a header, then one `{ "t": table, "r": row }` per record.
 * Phone numbers are masked unless the caller asks otherwise. Imports are validated line by line
 * and never overwrite what the target already holds.
 *
 * A whole-workspace export also carries each profile's stored Entra Connect import (#18), as records
 * of its own after the tables: one `connect_imports` line (the profile, what the app shows, how many
 * objects follow), then one `connect_import_objects` line per engine object. Such a file says format
 * version 2; a file without them stays version 1, readable by older builds.
 *
 * Masking covers every record the file carries: the snapshots' and rows' numbers, the audit changes'
 * values, the remediation sessions (their plans), journal steps, decisions' reasons, and the settings
 * the remediation service keeps (plans, outcomes, undo reports: carried-settings.ts). A setting this
 * build cannot mask is left out and named in the result. Sessions and plan owners of a masked file
 * say `masked: true`, and an import marks them so whatever the file says: a masked plan or session
 * can be read on the workstation that imports it, never applied, resumed or undone there.
 */
import type Sqlite from 'better-sqlite3';
import { createReadStream, createWriteStream } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { basename } from 'node:path';
import { z } from 'zod';
import { CloudUser, DriftRow, OnPremUser, ScanSummary } from '../core/model';
import { EngineObjectStrict, type EngineObject } from '../core/engine-view';
import { ConnectImportInfoStrict, type ConnectImportInfo } from '../core/engine-import';
import { SyncDriftError, ValidationError, formatIssues } from '../core/errors';
import { systemClock, type Clock } from '../core/ports';
import { SCHEMA_VERSION } from './migrations';
import { isMaskedPhone, maskEngineObject, maskPhone, maskPhonesDeep, maskPhonesInText, maskRecordPhones } from './mask';
import { REMEDIATION_SETTINGS, markImported, markMasked, maskedSetting } from './carried-settings';
import { restrictToOwner } from './db';
import { ENGINE_IMPORT_KEY_PREFIX, EngineImportRepository } from './engine-imports';
import { BlobRepository, SettingsRepository } from './settings';

export const EXPORT_FORMAT = 'syncdrift-workspace-export';
/** The newest format this build writes and reads: 2 adds the Connect imports. */
export const EXPORT_FORMAT_VERSION = 2;

export const ExportHeader = z.object({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.union([z.literal(1), z.literal(2)]),
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
/** Records that are not table rows: a profile's Connect import and its engine objects. */
const CONNECT_RECORDS = ['connect_imports', 'connect_import_objects'] as const;
type ConnectRecord = (typeof CONNECT_RECORDS)[number];
type RecordKind = Table | ConnectRecord;
const CONNECT_COLUMNS: Record<ConnectRecord, string[]> = { connect_imports: ['profile_id', 'objects', 'info_json'], connect_import_objects: ['profile_id', 'json'] };

const JSON_COLUMN_SCHEMA: Partial<Record<RecordKind, Record<string, z.ZodType>>> = {
  scans: { summary_json: ScanSummary.nullable(), meta_json: z.record(z.string(), z.unknown()) },
  snapshot_onprem: { json: OnPremUser },
  snapshot_cloud: { json: CloudUser },
  drift_rows: { json: DriftRow },
  profiles: { json: z.record(z.string(), z.unknown()) },
  sessions: { json: z.record(z.string(), z.unknown()) },
  connect_imports: { info_json: ConnectImportInfoStrict },
  connect_import_objects: { json: EngineObjectStrict },
};
/** Columns holding phone values directly (not inside JSON). */
const PHONE_COLUMNS: Partial<Record<Table, string[]>> = { audit_changes: ['old_value', 'new_value'] };
/** JSON columns holding snapshots and rows: phone values under their keys (maskPhonesDeep). */
const MASKED_JSON: Partial<Record<Table, string[]>> = {
  snapshot_onprem: ['json'],
  snapshot_cloud: ['json'],
  drift_rows: ['json'],
};
/** JSON columns holding remediation records and scan meta: phone values and free text (maskRecordPhones). */
const MASKED_RECORD_JSON: Partial<Record<Table, string[]>> = {
  scans: ['meta_json'],
  sessions: ['json'],
  journal: ['json'],
};
/** Free-text columns that may quote a number (an admin's reason). */
const TEXT_COLUMNS: Partial<Record<Table, string[]>> = { decisions: ['reason'] };

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
  counts: Partial<Record<RecordKind, number>>;
  /** Records a masked export left out because it cannot mask them, with why (empty unmasked). */
  leftOut: Array<{ table: Table; key: string; why: string }>;
}

function selectFor(table: Table, scanId: string | undefined): { sql: string; params: unknown[] } {
  // A Connect import's info row travels in its connect_imports record, beside its objects.
  if (scanId === undefined && table === 'settings') return { sql: 'SELECT * FROM settings WHERE substr(key, 1, ?) <> ?', params: [ENGINE_IMPORT_KEY_PREFIX.length, ENGINE_IMPORT_KEY_PREFIX] };
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

/** A row as a masked export carries it, or why it is left out. */
function maskRow(table: Table, row: Row): { row: Row } | { leftOut: string } {
  const out = { ...row };
  for (const c of PHONE_COLUMNS[table] ?? []) if (typeof out[c] === 'string') out[c] = maskPhone(out[c]);
  for (const c of TEXT_COLUMNS[table] ?? []) if (typeof out[c] === 'string') out[c] = maskPhonesInText(out[c]);
  for (const c of MASKED_JSON[table] ?? []) if (typeof out[c] === 'string') out[c] = JSON.stringify(maskPhonesDeep(JSON.parse(out[c])));
  for (const c of MASKED_RECORD_JSON[table] ?? []) if (typeof out[c] === 'string') out[c] = JSON.stringify(maskRecordPhones(JSON.parse(out[c])));
  // A scan and a session say so themselves: an import shows the one and refuses to run the other.
  const says = table === 'scans' ? 'meta_json' : table === 'sessions' ? 'json' : null;
  if (says && typeof out[says] === 'string') out[says] = JSON.stringify(markMasked(JSON.parse(out[says])));
  if (table === 'settings' && typeof out.key === 'string' && typeof out.json === 'string') {
    const s = maskedSetting(out.key, out.json);
    if ('leftOut' in s) return { leftOut: s.leftOut };
    out.json = s.json;
  }
  return { row: out };
}

/** Writes the export file (owner-only). */
export async function exportWorkspace(db: Sqlite.Database, file: string, options: ExportOptions): Promise<ExportResult> {
  const mask = options.mask ?? true;
  if (options.scanId !== undefined && !db.prepare('SELECT 1 FROM scans WHERE id = ?').get(options.scanId)) {
    throw new ValidationError('scanId', `no scan ${options.scanId} in this workspace`);
  }
  const scanIds = options.scanId !== undefined ? [options.scanId] : (db.prepare('SELECT id FROM scans ORDER BY started_at').pluck().all() as string[]);
  // Only a whole-workspace export carries the Connect imports: a one-scan export's rows already hold
  // what the scan joined, and the profile's stored import may be a later one. An import that no
  // longer reads as one is left out, as scans leave it out.
  const connect = options.scanId !== undefined ? [] : storedConnectImports(db, options.clock);
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    formatVersion: connect.length > 0 ? 2 : 1,
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
  const counts: Partial<Record<RecordKind, number>> = {};
  const leftOut: ExportResult['leftOut'] = [];
  const write = async (line: string) => {
    if (!gz.write(line + '\n')) await once(gz, 'drain');
  };
  await write(JSON.stringify(header));
  for (const table of TABLES) {
    if (options.scanId !== undefined && (table === 'settings' || table === 'audit_marks')) continue;
    const { sql, params } = selectFor(table, options.scanId);
    let n = 0;
    for (const raw of db.prepare(sql).iterate(...params)) {
      const masked = mask ? maskRow(table, raw as Row) : { row: raw as Row };
      if ('leftOut' in masked) {
        leftOut.push({ table, key: String((raw as Row).key ?? ''), why: masked.leftOut });
        continue;
      }
      await write(JSON.stringify({ t: table, r: masked.row }));
      n++;
    }
    counts[table] = n;
  }
  if (options.scanId === undefined) {
    counts.connect_imports = connect.length;
    counts.connect_import_objects = 0;
    for (const { profileId, info, objects } of connect) {
      const shown: ConnectImportInfo = mask ? { ...info, masked: true } : info;
      await write(JSON.stringify({ t: 'connect_imports', r: { profile_id: profileId, objects: objects.length, info_json: JSON.stringify(shown) } }));
      for (const o of objects) await write(JSON.stringify({ t: 'connect_import_objects', r: { profile_id: profileId, json: JSON.stringify(mask ? maskEngineObject(o) : o) } }));
      counts.connect_import_objects += objects.length;
    }
  }
  gz.end();
  await once(out, 'close');
  restrictToOwner(file);
  return { file, header, counts, leftOut };
}

function connectImportRepository(db: Sqlite.Database, clock: Clock): EngineImportRepository {
  return new EngineImportRepository(db, new SettingsRepository(db), new BlobRepository(db, clock));
}

function storedConnectImports(db: Sqlite.Database, clock: Clock): Array<{ profileId: string; info: ConnectImportInfo; objects: EngineObject[] }> {
  const repo = connectImportRepository(db, clock);
  return repo.profileIds().flatMap((profileId) => {
    const stored = repo.get(profileId);
    return stored ? [{ profileId, ...stored }] : [];
  });
}

export interface ImportResult {
  header: ExportHeader;
  inserted: Partial<Record<RecordKind, number>>;
  /** Records the target already had (same key): kept as they were. */
  skipped: number;
  /** Remediation sessions and plans inserted as masked copies: readable, never applied, resumed or undone. */
  maskedCopies: { sessions: number; plans: number };
}

/** A profile's Connect import as read from the file, stored once the whole file read. */
interface IncomingConnectImport {
  line: number;
  announced: number;
  info: ConnectImportInfo;
  objects: EngineObject[];
}

/** Reads an export into the workspace; validates every line and fails naming `file:line`. */
export async function importWorkspace(db: Sqlite.Database, file: string, options: { clock?: Clock } = {}): Promise<ImportResult> {
  const name = basename(file);
  const columns = new Map<string, string[]>();
  for (const t of TABLES) columns.set(t, (db.pragma(`table_info(${t})`) as Array<{ name: string }>).map((c) => c.name));
  for (const t of CONNECT_RECORDS) columns.set(t, CONNECT_COLUMNS[t]);
  const connect = new Map<string, IncomingConnectImport>();
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let header: ExportHeader | null = null;
  const inserted: Partial<Record<RecordKind, number>> = {};
  let skipped = 0;
  const maskedCopies = { sessions: 0, plans: 0 };
  /** Rows this import marked as masked copies, counted once inserted. */
  const marked = new WeakSet<Row>();
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
      if (changes > 0 && marked.has(row)) maskedCopies[table === 'sessions' ? 'sessions' : 'plans']++;
    }
  };
  const Line = z.object({ t: z.enum([...TABLES, ...CONNECT_RECORDS]), r: z.record(z.string(), z.union([z.string(), z.number(), z.null()])) });
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
        const version = typeof parsed === 'object' && parsed !== null && (parsed as { format?: unknown }).format === EXPORT_FORMAT ? (parsed as { formatVersion?: unknown }).formatVersion : undefined;
        if (typeof version === 'number' && version > EXPORT_FORMAT_VERSION) {
          throw new SyncDriftError('validation', 'EXPORT_TOO_NEW', `${name} was exported by a newer SyncDrift Workbench (export format ${version}); update this installation first.`);
        }
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
      const docs: Record<string, unknown> = {};
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
        docs[col] = ok.data;
      }
      if (t === 'connect_imports' || t === 'connect_import_objects') {
        readConnectRecord(t, r, docs, `${name}:${lineNo}`, lineNo, connect);
        continue;
      }
      // How format 1 carried a Connect import's info, without its objects: nothing to restore.
      if (t === 'settings' && typeof r.key === 'string' && r.key.startsWith(ENGINE_IMPORT_KEY_PREFIX)) continue;
      const { row, masked } = asImportedCopy(t, r, header.masked, `${name}:${lineNo}`);
      if (masked) marked.add(row);
      batch.push({ table: t, row });
      if (batch.length >= 2000) flush(batch.splice(0));
    }
    if (!header) throw new ValidationError(`${name}:1`, 'empty file: not a SyncDrift workspace export');
    for (const c of connect.values()) {
      if (c.objects.length !== c.announced) throw new ValidationError(`${name}:${c.line}`, `connect_imports.objects: ${c.announced} engine objects announced, ${c.objects.length} follow`);
    }
    flush(batch.splice(0));
    // An import the target already holds for the profile is kept, as every other record is.
    const repo = connectImportRepository(db, options.clock ?? systemClock);
    for (const [profileId, c] of connect) {
      if (repo.info(profileId)) {
        skipped += 1 + c.objects.length;
        continue;
      }
      // Masked values must never be joined: a masked file, or bullets in the values, mark the import
      // masked even when a hand-edited info says otherwise.
      const masked = c.info.masked === true || header.masked || c.objects.some(hasMaskedValue);
      repo.put(profileId, masked ? { ...c.info, masked: true } : c.info, c.objects);
      inserted.connect_imports = (inserted.connect_imports ?? 0) + 1;
      if (c.objects.length > 0) inserted.connect_import_objects = (inserted.connect_import_objects ?? 0) + c.objects.length;
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (e instanceof SyncDriftError) throw e;
    throw new ValidationError(name, `cannot read the export: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { header, inserted, skipped, maskedCopies };
}

/**
 * A session or a plan's owner, marked `imported: true` whatever the file says: its plan and journal
 * are what a file said, so the remediation engine and service refuse to apply, resume or undo it
 * here (an edited journal would make undo write the values it names). From a masked file (or
 * holding masked values, whatever its header says) it is also marked `masked: true`. Any other
 * record is returned as it is.
 */
function asImportedCopy(t: Table, r: Record<string, string | number | null>, fileMasked: boolean, where: string): { row: Row; masked: boolean } {
  const isSession = t === 'sessions' && typeof r.json === 'string';
  const isOwner = t === 'settings' && typeof r.key === 'string' && r.key.startsWith(REMEDIATION_SETTINGS.owner) && typeof r.json === 'string';
  if (!isSession && !isOwner) return { row: r, masked: false };
  const masked = fileMasked || (isSession && isMaskedPhone(r.json as string));
  let doc: unknown;
  try {
    doc = JSON.parse(r.json as string);
  } catch {
    throw new ValidationError(where, `${t}.json is not JSON`);
  }
  const marked = markImported(masked ? markMasked(doc) : doc);
  return { row: { ...r, json: JSON.stringify(marked) }, masked };
}

function hasMaskedValue(o: EngineObject): boolean {
  return o.exported !== null && [o.exported.mobile ?? '', ...o.exported.otherMobile].some(isMaskedPhone);
}

/** Checks one Connect record beyond its JSON (done by the caller) and files it under its profile. */
function readConnectRecord(t: ConnectRecord, r: Record<string, string | number | null>, docs: Record<string, unknown>, where: string, lineNo: number, connect: Map<string, IncomingConnectImport>): void {
  const profileId = r.profile_id;
  if (typeof profileId !== 'string' || profileId.trim() === '') throw new ValidationError(where, `${t}.profile_id: must be the id of the profile the import belongs to`);
  if (t === 'connect_imports') {
    const announced = r.objects;
    if (typeof announced !== 'number' || !Number.isSafeInteger(announced) || announced < 0) throw new ValidationError(where, 'connect_imports.objects: must be the number of engine objects that follow');
    const earlier = connect.get(profileId);
    if (earlier) throw new ValidationError(where, `connect_imports.profile_id: a second import for profile ${profileId} (the first is at line ${earlier.line})`);
    connect.set(profileId, { line: lineNo, announced, info: docs.info_json as ConnectImportInfo, objects: [] });
    return;
  }
  const owner = connect.get(profileId);
  if (!owner) throw new ValidationError(where, 'connect_import_objects.profile_id: no connect_imports record for this profile before this line');
  if (owner.objects.length >= owner.announced) throw new ValidationError(where, `connect_import_objects: more engine objects than the ${owner.announced} announced at line ${owner.line}`);
  owner.objects.push(docs.json as EngineObject);
}
