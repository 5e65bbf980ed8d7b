/**
 * Opens the workspace database: owner-only files, WAL with synchronous=FULL (the journal must
 * survive a power cut), a busy timeout so the app and the CLI can share one file, secure_delete so
 * purged phone numbers do not linger in free pages, migrations applied.
 */
import Database from 'better-sqlite3';
import type Sqlite from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { SyncDriftError } from '../core/errors';
import { migrate, SCHEMA_VERSION } from './migrations';

export interface OpenDatabaseOptions {
  /** Milliseconds to wait for another process's write lock (default 5000). */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/**
 * Restricts a file to its owner: mode 0600 on POSIX; on Windows an ACL granting only the current
 * user (inheritance removed) through icacls, which ships with every Windows since Vista.
 */
export function restrictToOwner(path: string): void {
  if (!existsSync(path)) return;
  if (process.platform === 'win32') {
    const user = process.env.USERNAME;
    if (!user) return;
    execFileSync('icacls', [path, '/inheritance:r', '/grant:r', `${user}:F`], { stdio: 'ignore', windowsHide: true });
    return;
  }
  chmodSync(path, 0o600);
}

/** Runs fn with umask 077 so every file SQLite creates meanwhile is born owner-only. */
function withOwnerOnlyUmask<T>(fn: () => T): T {
  if (process.platform === 'win32') return fn();
  const previous = process.umask(0o077);
  try {
    return fn();
  } finally {
    process.umask(previous);
  }
}

/** What every connection to a workspace sets (the journal mode is the database's, set once). */
function setConnectionPragmas(d: Sqlite.Database, busyTimeoutMs = 5000): void {
  d.pragma('synchronous = FULL');
  d.pragma('foreign_keys = ON');
  d.pragma('secure_delete = ON');
  d.pragma(`busy_timeout = ${busyTimeoutMs}`);
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Sqlite.Database {
  const db = withOwnerOnlyUmask(() => {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    let d: Sqlite.Database;
    try {
      d = new Database(path, { timeout: options.busyTimeoutMs ?? 5000, readonly: options.readonly ?? false });
    } catch (e) {
      throw new SyncDriftError('internal', 'WORKSPACE_OPEN', `Cannot open the workspace ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    try {
      if (!options.readonly) d.pragma('journal_mode = WAL');
      setConnectionPragmas(d, options.busyTimeoutMs);
      if (!options.readonly) migrate(d);
    } catch (e) {
      d.close();
      if (e instanceof SyncDriftError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new SyncDriftError('internal', 'WORKSPACE_OPEN', `Cannot open the workspace ${path}: ${msg}`, { cause: e });
    }
    return d;
  });
  if (path !== ':memory:') {
    // SQLite gives later -wal/-shm files the main file's mode, so fixing these now covers them too.
    for (const p of [path, ...SIDE_FILES.map((s) => path + s)]) restrictToOwner(p);
  }
  return db;
}

/**
 * A second connection to a workspace this process already has open (openDatabase made its files
 * owner-only and migrated it), for a worker thread, which may not change the process's umask. It
 * creates nothing: a missing file, one not in WAL mode or at another schema version is refused
 * (WORKSPACE_OPEN), so the worker never writes to a database the main thread would not.
 */
export function openExistingDatabase(path: string, options: Pick<OpenDatabaseOptions, 'busyTimeoutMs'> = {}): Sqlite.Database {
  const fail = (why: string, cause?: unknown): SyncDriftError =>
    new SyncDriftError('internal', 'WORKSPACE_OPEN', `Cannot open the workspace ${path}: ${why}`, cause === undefined ? undefined : { cause });
  if (path === ':memory:' || !existsSync(path)) throw fail('it is not there (a second connection opens only a workspace already open)');
  let d: Sqlite.Database;
  try {
    d = new Database(path, { timeout: options.busyTimeoutMs ?? 5000, fileMustExist: true });
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e), e);
  }
  try {
    const mode = String(d.pragma('journal_mode', { simple: true }));
    if (mode !== 'wal') throw fail(`its journal mode is ${mode}, not wal`);
    const version = Number(d.pragma('user_version', { simple: true }));
    if (version !== SCHEMA_VERSION) throw fail(`its schema is ${version}, this build writes ${SCHEMA_VERSION}`);
    setConnectionPragmas(d, options.busyTimeoutMs);
  } catch (e) {
    d.close();
    if (e instanceof SyncDriftError) throw e;
    throw fail(e instanceof Error ? e.message : String(e), e);
  }
  return d;
}
