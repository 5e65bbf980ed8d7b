/**
 * openExistingDatabase: the CLI's Connect worker writes the workspace through a second connection,
 * which must never create a database or write one the main thread would not have opened as it is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, openExistingDatabase } from '../../../main/workspace/db';
import { SCHEMA_VERSION } from '../../../main/workspace/migrations';

const dir = mkdtempSync(join(tmpdir(), 'sd-second-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openExistingDatabase', () => {
  it('opens a workspace that is open already, with the same settings', () => {
    const path = join(dir, 'ws.db');
    const first = openDatabase(path);
    const second = openExistingDatabase(path);
    try {
      expect(second.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(second.pragma('secure_delete', { simple: true })).toBe(1);
      expect(second.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(Number(second.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
    } finally {
      second.close();
      first.close();
    }
  });

  it('creates nothing, and refuses a file not in WAL mode or at another schema', () => {
    const missing = join(dir, 'missing.db');
    expect(() => openExistingDatabase(missing)).toThrow(/^Cannot open the workspace .*missing\.db: it is not there/);
    expect(existsSync(missing)).toBe(false);
    expect(() => openExistingDatabase(':memory:')).toThrow(/it is not there/);

    const plain = join(dir, 'plain.db');
    new Database(plain).close(); // journal_mode delete, schema 0
    expect(() => openExistingDatabase(plain)).toThrow(/^Cannot open the workspace .*plain\.db: its journal mode is delete, not wal$/);

    const newer = join(dir, 'newer.db');
    openDatabase(newer).close();
    const raw = new Database(newer);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openExistingDatabase(newer)).toThrow(`its schema is ${SCHEMA_VERSION + 1}, this build writes ${SCHEMA_VERSION}`);
  });
});
