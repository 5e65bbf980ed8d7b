/**
 * The audit index: mobile changes from "Update user" records, kept across runs so the 5-requests-
 * per-10-s reporting limit is paid once. Records are keyed by (tenant, record id, target); a per-tenant
 * high-water mark (newest activityDateTime stored) is where the next incremental fill starts.
 */
import type Sqlite from 'better-sqlite3';
import type { Clock } from '../core/ports';
import { z } from 'zod';
import type { MobileChange } from '../drift/audit';

const RawRecordKeys = z.object({
  id: z.string().min(1),
  activityDateTime: z.string().min(1),
  targetResources: z.array(z.object({ id: z.string().nullish() }).passthrough()).nullish(),
});
import { auditLookupFrom, type AuditLookup } from '../drift/timeline';

export interface AuditMark {
  tenantId: string;
  /** Newest activityDateTime stored; the next fetch asks for records at or after it. */
  highWater: string | null;
  /** Oldest time the index is complete from (start of retention when it was filled). */
  coveredFrom: string | null;
  updatedAt: string;
}

interface ChangeDb {
  record_id: string;
  target_id: string;
  at: string;
  actor: string | null;
  actor_kind: string;
  sync_write: number;
  old_value: string | null;
  new_value: string | null;
  target_upn: string | null;
}

function toChange(r: ChangeDb): MobileChange {
  return {
    recordId: r.record_id,
    targetId: r.target_id,
    at: r.at,
    actor: r.actor,
    actorKind: r.actor_kind === 'user' || r.actor_kind === 'app' ? r.actor_kind : 'unknown',
    syncWrite: r.sync_write === 1,
    oldValue: r.old_value,
    newValue: r.new_value,
    targetUpn: r.target_upn,
  };
}

const laterIso = (a: string | null, b: string | null): string | null => {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
};

export class AuditIndexRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores changes (duplicates by record id are ignored, so overlapping fetches are safe) and moves
   * the high-water mark. Pass `highWater` only once a fetch completed, so a crash mid-fill re-reads.
   */
  add(tenantId: string, changes: readonly MobileChange[], opts: { highWater?: string | null; coveredFrom?: string | null } = {}): { inserted: number } {
    const ins = this.db.prepare(
      'INSERT OR IGNORE INTO audit_changes (tenant_id, record_id, target_id, at, actor, actor_kind, sync_write, old_value, new_value, target_upn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    return this.db.transaction(() => {
      let inserted = 0;
      for (const c of changes) {
        inserted += ins.run(tenantId, c.recordId, c.targetId, c.at, c.actor, c.actorKind, c.syncWrite ? 1 : 0, c.oldValue, c.newValue, c.targetUpn).changes;
      }
      if (opts.highWater !== undefined || opts.coveredFrom !== undefined) {
        const mark = this.mark(tenantId);
        const highWater = laterIso(mark?.highWater ?? null, opts.highWater ?? null);
        const coveredFrom = opts.coveredFrom !== undefined ? opts.coveredFrom : (mark?.coveredFrom ?? null);
        this.db
          .prepare(
            'INSERT INTO audit_marks (tenant_id, high_water, covered_from, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(tenant_id) DO UPDATE SET high_water = excluded.high_water, covered_from = excluded.covered_from, updated_at = excluded.updated_at',
          )
          .run(tenantId, highWater, coveredFrom, this.clock.now().toISOString());
      }
      return { inserted };
    })();
  }

  /** Keeps raw directoryAudit records (as Graph returned them) for evidence, indexed by target user. */
  addRecords(tenantId: string, records: readonly unknown[]): { inserted: number } {
    const ins = this.db.prepare('INSERT OR IGNORE INTO audit_records (tenant_id, record_id, at, json) VALUES (?, ?, ?, ?)');
    const tgt = this.db.prepare('INSERT OR IGNORE INTO audit_record_targets (tenant_id, target_id, record_id) VALUES (?, ?, ?)');
    return this.db.transaction(() => {
      let inserted = 0;
      for (const r of records) {
        const rec = RawRecordKeys.safeParse(r);
        if (!rec.success) continue; // malformed records were counted by the parser; nothing to index them by
        inserted += ins.run(tenantId, rec.data.id, rec.data.activityDateTime, JSON.stringify(r)).changes;
        for (const t of rec.data.targetResources ?? []) if (t.id) tgt.run(tenantId, t.id, rec.data.id);
      }
      return { inserted };
    })();
  }

  /** The raw records that touched a user, oldest first. */
  recordsForUser(tenantId: string, userId: string, limit = 200): unknown[] {
    const rows = this.db
      .prepare(
        'SELECT r.json FROM audit_record_targets t JOIN audit_records r ON r.tenant_id = t.tenant_id AND r.record_id = t.record_id WHERE t.tenant_id = ? AND t.target_id = ? ORDER BY r.at, r.record_id LIMIT ?',
      )
      .pluck()
      .all(tenantId, userId, limit) as string[];
    return rows.map((j) => JSON.parse(j) as unknown);
  }

  mark(tenantId: string): AuditMark | null {
    const r = this.db.prepare('SELECT * FROM audit_marks WHERE tenant_id = ?').get(tenantId) as
      | { tenant_id: string; high_water: string | null; covered_from: string | null; updated_at: string }
      | undefined;
    return r ? { tenantId: r.tenant_id, highWater: r.high_water, coveredFrom: r.covered_from, updatedAt: r.updated_at } : null;
  }

  /** A user's changes, newest first. */
  forUser(tenantId: string, userId: string, limit = 50): MobileChange[] {
    const rows = this.db.prepare('SELECT * FROM audit_changes WHERE tenant_id = ? AND target_id = ? ORDER BY at DESC, record_id DESC LIMIT ?').all(tenantId, userId, limit) as ChangeDb[];
    return rows.map(toChange);
  }

  latestForUser(tenantId: string, userId: string): MobileChange | null {
    return this.forUser(tenantId, userId, 1)[0] ?? null;
  }

  /** The latest change of every user in the tenant (one query, for a whole scan). */
  latestByUser(tenantId: string): Map<string, MobileChange> {
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT *, row_number() OVER (PARTITION BY target_id ORDER BY at DESC, record_id DESC) AS rn
           FROM audit_changes WHERE tenant_id = ?
         ) WHERE rn = 1`,
      )
      .all(tenantId) as ChangeDb[];
    return new Map(rows.map((r) => [r.target_id, toChange(r)]));
  }

  /**
   * The lookup the drift engine takes. Where a user has no record the answer is `outside-retention`
   * once the index covers the retention window (`complete`), else `loading`.
   */
  lookup(tenantId: string, opts: { complete?: boolean } = {}): AuditLookup {
    const coveredFrom = this.mark(tenantId)?.coveredFrom ?? null;
    const complete = opts.complete ?? coveredFrom != null;
    return auditLookupFrom(this.latestByUser(tenantId), { complete, coveredFrom });
  }

  count(tenantId?: string): number {
    return Number(
      tenantId === undefined
        ? this.db.prepare('SELECT count(*) FROM audit_changes').pluck().get()
        : this.db.prepare('SELECT count(*) FROM audit_changes WHERE tenant_id = ?').pluck().get(tenantId),
    );
  }
}
