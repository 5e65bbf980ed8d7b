/**
 * Scans, their raw snapshots (enough to rebuild rows and evidence offline) and their drift rows,
 * queried for the grid (filter, sort, page), counted by status, and summarized across scans.
 */
import type Sqlite from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CloudUser, DriftRow, DriftStatus, OnPremUser, ScanSummary } from '../core/model';
import type { Clock } from '../core/ports';
import { ValidationError } from '../core/errors';

export const ScanKind = z.enum(['live', 'import', 'demo']);
export type ScanKind = z.infer<typeof ScanKind>;
export const ScanState = z.enum(['running', 'done', 'partial', 'failed', 'cancelled']);
export type ScanState = z.infer<typeof ScanState>;

export interface ScanRecord {
  id: string;
  profileId: string | null;
  profileName: string;
  kind: ScanKind;
  status: ScanState;
  startedAt: string;
  finishedAt: string | null;
  summary: ScanSummary | null;
  /** Sources, watermarks, what was missing, tenant id: whatever the caller wants to keep. */
  meta: Record<string, unknown>;
}

interface ScanRowDb {
  id: string;
  profile_id: string | null;
  profile_name: string;
  kind: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  summary_json: string | null;
  meta_json: string;
}

function toScan(r: ScanRowDb): ScanRecord {
  return {
    id: r.id,
    profileId: r.profile_id,
    profileName: r.profile_name,
    kind: ScanKind.parse(r.kind),
    status: ScanState.parse(r.status),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    summary: r.summary_json ? ScanSummary.parse(JSON.parse(r.summary_json)) : null,
    meta: z.record(z.string(), z.unknown()).parse(JSON.parse(r.meta_json)),
  };
}

export class ScanRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly clock: Clock,
  ) {}

  create(input: { profileName: string; profileId?: string | null; kind: ScanKind; startedAt?: string; meta?: Record<string, unknown>; id?: string }): ScanRecord {
    const id = input.id ?? randomUUID();
    const startedAt = input.startedAt ?? this.clock.now().toISOString();
    this.db
      .prepare('INSERT INTO scans (id, profile_id, profile_name, kind, status, started_at, meta_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.profileId ?? null, input.profileName, input.kind, 'running', startedAt, JSON.stringify(input.meta ?? {}));
    return this.get(id)!;
  }

  finish(id: string, input: { status: Exclude<ScanState, 'running'>; summary?: ScanSummary | null; finishedAt?: string; meta?: Record<string, unknown> }): ScanRecord {
    const current = this.get(id);
    if (!current) throw new ValidationError('scanId', `no scan ${id} in this workspace`);
    const meta = { ...current.meta, ...(input.meta ?? {}) };
    this.db
      .prepare('UPDATE scans SET status = ?, finished_at = ?, summary_json = ?, meta_json = ? WHERE id = ?')
      .run(input.status, input.finishedAt ?? this.clock.now().toISOString(), input.summary ? JSON.stringify(input.summary) : null, JSON.stringify(meta), id);
    return this.get(id)!;
  }

  get(id: string): ScanRecord | null {
    const r = this.db.prepare('SELECT * FROM scans WHERE id = ?').get(id) as ScanRowDb | undefined;
    return r ? toScan(r) : null;
  }

  /** Newest first. */
  list(opts: { profileName?: string; limit?: number } = {}): ScanRecord[] {
    const limit = opts.limit ?? 100;
    const rows = (
      opts.profileName === undefined
        ? this.db.prepare('SELECT * FROM scans ORDER BY started_at DESC, id LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM scans WHERE profile_name = ? ORDER BY started_at DESC, id LIMIT ?').all(opts.profileName, limit)
    ) as ScanRowDb[];
    return rows.map(toScan);
  }

  latest(profileName?: string): ScanRecord | null {
    return this.list({ ...(profileName === undefined ? {} : { profileName }), limit: 1 })[0] ?? null;
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM scans WHERE id = ?').run(id).changes > 0;
  }

  addOnPremSnapshot(scanId: string, users: readonly OnPremUser[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO snapshot_onprem (scan_id, source_id, dn, json) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const u of users) ins.run(scanId, u.sourceId, u.dn, JSON.stringify(u));
    })();
  }

  addCloudSnapshot(scanId: string, users: readonly CloudUser[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO snapshot_cloud (scan_id, id, json) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const u of users) ins.run(scanId, u.id, JSON.stringify(u));
    })();
  }

  onPremSnapshot(scanId: string): OnPremUser[] {
    const stmt = this.db.prepare('SELECT json FROM snapshot_onprem WHERE scan_id = ? ORDER BY source_id, dn').pluck();
    return (stmt.all(scanId) as string[]).map((j) => OnPremUser.parse(JSON.parse(j)));
  }

  cloudSnapshot(scanId: string): CloudUser[] {
    const stmt = this.db.prepare('SELECT json FROM snapshot_cloud WHERE scan_id = ? ORDER BY id').pluck();
    return (stmt.all(scanId) as string[]).map((j) => CloudUser.parse(JSON.parse(j)));
  }

  /** One on-prem user of a scan's snapshot (details pane, evidence), without loading the rest. */
  onPremUser(scanId: string, sourceId: string, dn: string): OnPremUser | null {
    const j = this.db.prepare('SELECT json FROM snapshot_onprem WHERE scan_id = ? AND source_id = ? AND dn = ?').pluck().get(scanId, sourceId, dn) as string | undefined;
    return j ? OnPremUser.parse(JSON.parse(j)) : null;
  }

  cloudUser(scanId: string, id: string): CloudUser | null {
    const j = this.db.prepare('SELECT json FROM snapshot_cloud WHERE scan_id = ? AND id = ?').pluck().get(scanId, id) as string | undefined;
    return j ? CloudUser.parse(JSON.parse(j)) : null;
  }

  /** Replaces the scan's rows in one transaction. */
  saveRows(scanId: string, rows: readonly DriftRow[]): void {
    const del = this.db.prepare('DELETE FROM drift_rows WHERE scan_id = ?');
    const ins = this.db.prepare('INSERT INTO drift_rows (scan_id, key, seq, status, upn, json) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      del.run(scanId);
      rows.forEach((r, i) => ins.run(scanId, r.key, i, r.status, r.upn.toLowerCase(), JSON.stringify(r)));
    })();
  }

  /** Everything a finished scan produced, in one transaction: snapshots, rows, summary. */
  record(input: {
    profileName: string;
    profileId?: string | null;
    kind: ScanKind;
    startedAt: string;
    finishedAt: string;
    status?: Exclude<ScanState, 'running'>;
    summary: ScanSummary;
    rows: readonly DriftRow[];
    onPremUsers: readonly OnPremUser[];
    cloudUsers: readonly CloudUser[];
    meta?: Record<string, unknown>;
  }): ScanRecord {
    return this.db.transaction(() => {
      const scan = this.create({ profileName: input.profileName, profileId: input.profileId ?? null, kind: input.kind, startedAt: input.startedAt, meta: input.meta ?? {} });
      this.addOnPremSnapshot(scan.id, input.onPremUsers);
      this.addCloudSnapshot(scan.id, input.cloudUsers);
      this.saveRows(scan.id, input.rows);
      return this.finish(scan.id, { status: input.status ?? 'done', summary: input.summary, finishedAt: input.finishedAt });
    })();
  }
}

export const RowSort = z.enum(['seq', 'upn', 'status', 'onPremChangedAt', 'cloudChangedAt', 'lastSyncAt']);
export type RowSort = z.infer<typeof RowSort>;

export const RowQuery = z.object({
  statuses: z.array(DriftStatus).optional(),
  /** Case-insensitive substring of the UPN. */
  search: z.string().max(256).optional(),
  sort: RowSort.default('status'),
  direction: z.enum(['asc', 'desc']).default('asc'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(5000).default(200),
});
export type RowQuery = z.input<typeof RowQuery>;

/** Precedence order, so "sort by status" reads like docs/drift.md. */
const STATUS_ORDER = `CASE status ${DriftStatus.options.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;
const SORT_SQL: Record<RowSort, string> = {
  seq: 'seq',
  upn: 'upn',
  status: STATUS_ORDER,
  onPremChangedAt: "json_extract(json, '$.onPrem.changedAt')",
  cloudChangedAt: "json_extract(json, '$.cloud.changedAt')",
  lastSyncAt: "json_extract(json, '$.cloud.lastSyncAt')",
};

export interface TrendPoint {
  scanId: string;
  startedAt: string;
  byStatus: Partial<Record<DriftStatus, number>>;
}

export class DriftRowRepository {
  constructor(private readonly db: Sqlite.Database) {}

  query(scanId: string, q: RowQuery = {}): { rows: DriftRow[]; total: number } {
    const p = RowQuery.parse(q);
    const where: string[] = ['scan_id = ?'];
    const params: unknown[] = [scanId];
    if (p.statuses && p.statuses.length > 0) {
      where.push(`status IN (${p.statuses.map(() => '?').join(',')})`);
      params.push(...p.statuses);
    }
    if (p.search) {
      where.push("upn LIKE ? ESCAPE '\\'");
      params.push(`%${p.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const w = where.join(' AND ');
    const total = Number(this.db.prepare(`SELECT count(*) FROM drift_rows WHERE ${w}`).pluck().get(...params));
    const dir = p.direction === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT json FROM drift_rows WHERE ${w} ORDER BY ${SORT_SQL[p.sort]} ${dir}, upn ${dir}, key LIMIT ? OFFSET ?`;
    const rows = (this.db.prepare(sql).pluck().all(...params, p.limit, p.offset) as string[]).map((j) => DriftRow.parse(JSON.parse(j)));
    return { rows, total };
  }

  get(scanId: string, key: string): DriftRow | null {
    const j = this.db.prepare('SELECT json FROM drift_rows WHERE scan_id = ? AND key = ?').pluck().get(scanId, key) as string | undefined;
    return j ? DriftRow.parse(JSON.parse(j)) : null;
  }

  /** All rows of a scan in the engine's order (for reports and exports). */
  all(scanId: string): DriftRow[] {
    return (this.db.prepare('SELECT json FROM drift_rows WHERE scan_id = ? ORDER BY seq').pluck().all(scanId) as string[]).map((j) => DriftRow.parse(JSON.parse(j)));
  }

  counts(scanId: string): Record<DriftStatus, number> {
    const out = Object.fromEntries(DriftStatus.options.map((s) => [s, 0])) as Record<DriftStatus, number>;
    const rows = this.db.prepare('SELECT status, count(*) AS n FROM drift_rows WHERE scan_id = ? GROUP BY status').all(scanId) as Array<{ status: string; n: number }>;
    for (const r of rows) {
      const s = DriftStatus.safeParse(r.status);
      if (s.success) out[s.data] = r.n;
    }
    return out;
  }

  /** byStatus per finished scan, oldest first, for trend charts. */
  trend(opts: { profileName?: string; limit?: number } = {}): TrendPoint[] {
    const limit = opts.limit ?? 50;
    const base = "SELECT id, started_at, summary_json FROM scans WHERE status IN ('done', 'partial') AND summary_json IS NOT NULL";
    const rows = (
      opts.profileName === undefined
        ? this.db.prepare(`${base} ORDER BY started_at DESC LIMIT ?`).all(limit)
        : this.db.prepare(`${base} AND profile_name = ? ORDER BY started_at DESC LIMIT ?`).all(opts.profileName, limit)
    ) as Array<{ id: string; started_at: string; summary_json: string }>;
    return rows.reverse().map((r) => ({ scanId: r.id, startedAt: r.started_at, byStatus: ScanSummary.parse(JSON.parse(r.summary_json)).byStatus }));
  }
}
