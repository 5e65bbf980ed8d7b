/** Settings (JSON values validated on read) and opaque blobs such as the sandbox state. */
import type Sqlite from 'better-sqlite3';
import { z } from 'zod';
import type { Clock } from '../core/ports';

export const RetentionSetting = z.object({
  /** Keep scans, snapshots, rows and audit changes this long (a duration like 90d); null = keep. */
  keep: z.string().regex(/^\d+\s*[smhdw]$|^P/i).nullable(),
});
export type RetentionSetting = z.infer<typeof RetentionSetting>;

export class SettingsRepository {
  constructor(private readonly db: Sqlite.Database) {}

  get<T>(key: string, schema: z.ZodType<T>): T | null {
    const j = this.db.prepare('SELECT json FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
    if (j === undefined) return null;
    const r = schema.safeParse(JSON.parse(j));
    return r.success ? r.data : null;
  }

  set(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO settings (key, json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json').run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  retention(): RetentionSetting {
    return this.get('retention', RetentionSetting) ?? { keep: null };
  }

  setRetention(r: RetentionSetting): void {
    this.set('retention', RetentionSetting.parse(r));
  }
}

export class BlobRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  put(key: string, value: Buffer | string): void {
    const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.db
      .prepare('INSERT INTO blobs (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, buf, this.clock.now().toISOString());
  }

  has(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM blobs WHERE key = ?').pluck().get(key) !== undefined;
  }

  get(key: string): Buffer | null {
    const v = this.db.prepare('SELECT value FROM blobs WHERE key = ?').pluck().get(key) as Buffer | undefined;
    return v ?? null;
  }

  delete(key: string): boolean {
    return this.db.prepare('DELETE FROM blobs WHERE key = ?').run(key).changes > 0;
  }

  /** The keys that start with `prefix` (taken literally, not as a LIKE pattern). */
  keys(prefix: string): string[] {
    return (this.db.prepare('SELECT key FROM blobs WHERE substr(key, 1, ?) = ? ORDER BY key').pluck().all(prefix.length, prefix) as string[]);
  }
}
