/**
 * Retention: durations as admins type them ("90d", "12h", "2w", ISO "P30D") and the purge of
 * personal data older than a cutoff. secure_delete is on, and the WAL is truncated afterwards, so
 * purged numbers do not linger in the file.
 */
import type Sqlite from 'better-sqlite3';
import { ValidationError } from '../core/errors';
import { CONNECT_EXPORT_CACHE_PREFIX } from './connect-export-cache';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration; throws ValidationError naming `field`. */
export function parseDuration(text: string, field = 'duration'): number {
  const t = text.trim();
  const simple = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (simple) return Number(simple[1]) * UNIT_MS[simple[2]!.toLowerCase()]!;
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(t);
  if (iso && t.length > 1 && !/T$/i.test(t)) {
    const [, w, d, h, m, s] = iso;
    return (Number(w ?? 0) * 7 + Number(d ?? 0)) * UNIT_MS.d! + Number(h ?? 0) * UNIT_MS.h! + Number(m ?? 0) * UNIT_MS.m! + Number(s ?? 0) * 1000;
  }
  throw new ValidationError(field, `'${text}' is not a duration: use a number and a unit (30d, 12h, 90m, 2w) or ISO 8601 (P30D)`);
}

export interface PurgeCounts {
  scans: number;
  auditChanges: number;
  sessions: number;
  journalEntries: number;
}

/** Deletes scans (with snapshots and rows), audit changes, finished sessions and the CLI's kept Connect read older than the cutoff. */
export function purgeBefore(db: Sqlite.Database, cutoffIso: string): PurgeCounts {
  const counts = db.transaction(() => {
    const scans = db.prepare("DELETE FROM scans WHERE started_at < ? AND status != 'running'").run(cutoffIso).changes;
    const auditChanges = db.prepare('DELETE FROM audit_changes WHERE at < ?').run(cutoffIso).changes;
    db.prepare('DELETE FROM audit_record_targets WHERE record_id IN (SELECT record_id FROM audit_records WHERE at < ?)').run(cutoffIso);
    db.prepare('DELETE FROM audit_records WHERE at < ?').run(cutoffIso);
    // The CLI's kept read of Connect exports holds exported phone numbers too (recomputable from the files).
    db.prepare('DELETE FROM blobs WHERE substr(key, 1, ?) = ? AND updated_at < ?').run(CONNECT_EXPORT_CACHE_PREFIX.length, CONNECT_EXPORT_CACHE_PREFIX, cutoffIso);
    // Sessions that are still executing keep their journal: it is the only record of a half-done change.
    const old = db.prepare("SELECT id FROM sessions WHERE updated_at < ? AND state NOT IN ('executing', 'verifying')").pluck().all(cutoffIso) as string[];
    let journalEntries = 0;
    const delJournal = db.prepare('DELETE FROM journal WHERE session_id = ?');
    const delSession = db.prepare('DELETE FROM sessions WHERE id = ?');
    for (const id of old) {
      journalEntries += delJournal.run(id).changes;
      delSession.run(id);
    }
    return { scans, auditChanges, sessions: old.length, journalEntries };
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return counts;
}
