/**
 * The sandbox tenant's directory audit log: records kept sorted by time (then sequence), one list for
 * the tenant and one per target, queried within retention a page at a time; and Graph's
 * directoryAudit rendering of a record. The store (tenant.ts) appends a record with every change.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditActor, AuditModifiedProperty, AuditPage, AuditQuery, AuditRecord, AuditTarget, TenantUser } from './tenant-model';

/** What `appendAudit` takes: a record without its id and sequence (time = now unless `at` is given). */
export interface AuditInput {
  activityDisplayName: string;
  category: string;
  operationType: string;
  initiatedBy: AuditActor;
  targets: AuditTarget[];
  result?: 'success' | 'failure';
  resultReason?: string;
  correlationId?: string;
  loggedByService?: string;
  additionalDetails?: { key: string; value: string }[];
  at?: number;
}

export class AuditLog {
  private readonly audits: AuditRecord[] = [];
  private readonly auditsByTarget = new Map<string, AuditRecord[]>();
  auditSeq = 1;

  constructor(private readonly now: () => number) {}

  /** "Update user" with Graph's "Included Updated Properties" entry naming every property the record changed. */
  appendUpdateUser(u: TenantUser, actor: AuditActor, changes: AuditModifiedProperty[], correlationId: string | null): void {
    const named = changes.filter((m) => m.displayName !== 'Action Client Name');
    const mods = [
      ...named,
      { displayName: 'Included Updated Properties', oldValue: null, newValue: JSON.stringify(named.map((m) => m.displayName).join(', ')) },
      ...changes.filter((m) => m.displayName === 'Action Client Name'),
    ];
    this.appendAudit({
      activityDisplayName: 'Update user',
      category: 'UserManagement',
      operationType: 'Update',
      initiatedBy: actor,
      correlationId: correlationId ?? undefined,
      targets: [{ id: u.id, type: 'User', displayName: null, userPrincipalName: u.userPrincipalName, modifiedProperties: mods }],
      additionalDetails: [{ key: 'UserType', value: 'Member' }],
    });
  }

  /** Appends an audit record (time = clock now unless `at` is given, e.g. for seeded history). */
  appendAudit(input: AuditInput): AuditRecord {
    const correlationId = input.correlationId ?? randomUUID();
    const seq = this.auditSeq++;
    const rec: AuditRecord = {
      seq,
      id: `Directory_${correlationId}_${randomBytes(3).toString('hex').toUpperCase()}_${seq}`,
      at: input.at ?? this.now(),
      activityDisplayName: input.activityDisplayName,
      category: input.category,
      operationType: input.operationType,
      result: input.result ?? 'success',
      resultReason: input.resultReason ?? '',
      loggedByService: input.loggedByService ?? 'Core Directory',
      correlationId,
      initiatedBy: input.initiatedBy,
      targets: input.targets,
      additionalDetails: input.additionalDetails ?? [],
    };
    insertSorted(this.audits, rec);
    for (const t of rec.targets) {
      let list = this.auditsByTarget.get(t.id);
      if (!list) this.auditsByTarget.set(t.id, (list = []));
      insertSorted(list, rec);
    }
    return rec;
  }

  get auditCount(): number {
    return this.audits.length;
  }

  /** Queries the audit log within retention, newest first by default, one page at a time. */
  queryAudits(q: AuditQuery, auditRetentionDays: number): AuditPage {
    const order = q.order ?? 'desc';
    const retentionStart = this.now() - auditRetentionDays * 86_400_000;
    const from = Math.max(q.fromMs ?? -Infinity, retentionStart);
    const to = q.toMs ?? Infinity;
    const source = q.targetId !== undefined ? (this.auditsByTarget.get(q.targetId) ?? []) : this.audits;
    const out: AuditRecord[] = [];
    const matches = (r: AuditRecord): boolean => {
      if (q.activityDisplayName !== undefined && r.activityDisplayName !== q.activityDisplayName) return false;
      if (q.category !== undefined && r.category !== q.category) return false;
      if (q.result !== undefined && r.result !== q.result) return false;
      if (q.correlationId !== undefined && r.correlationId !== q.correlationId) return false;
      if (q.loggedByService !== undefined && r.loggedByService !== q.loggedByService) return false;
      if (q.targetUserPrincipalName !== undefined) {
        const want = q.targetUserPrincipalName.toLowerCase();
        if (!r.targets.some((t) => t.userPrincipalName?.toLowerCase() === want)) return false;
      }
      const i = r.initiatedBy;
      if (q.initiatorUserId !== undefined && !(i.kind === 'user' && i.id === q.initiatorUserId)) return false;
      if (
        q.initiatorUserPrincipalName !== undefined &&
        !(i.kind === 'user' && i.userPrincipalName.toLowerCase() === q.initiatorUserPrincipalName.toLowerCase())
      )
        return false;
      if (q.initiatorAppId !== undefined && !(i.kind === 'app' && i.appId === q.initiatorAppId)) return false;
      if (q.initiatorAppDisplayName !== undefined && !(i.kind === 'app' && i.displayName === q.initiatorAppDisplayName))
        return false;
      return true;
    };
    if (order === 'desc') {
      // First index strictly before `after` (or the end), walking down to `from`.
      let i = q.after ? lowerBound(source, q.after) - 1 : upperBoundAt(source, to) - 1;
      for (; i >= 0 && out.length < q.top; i--) {
        const r = source[i]!;
        if (r.at < from) break;
        if (r.at > to) continue;
        if (matches(r)) out.push(r);
      }
      const more = i >= 0 && source[i]!.at >= from;
      const last = out[out.length - 1];
      return { records: out, next: more && last ? { at: last.at, seq: last.seq } : null };
    }
    let i = q.after ? upperBound(source, q.after) : lowerBoundAt(source, from);
    for (; i < source.length && out.length < q.top; i++) {
      const r = source[i]!;
      if (r.at > to) break;
      if (r.at < from) continue;
      if (matches(r)) out.push(r);
    }
    const more = i < source.length && source[i]!.at <= to;
    const last = out[out.length - 1];
    return { records: out, next: more && last ? { at: last.at, seq: last.seq } : null };
  }

  /** The records in time order, copied (the store's snapshot). */
  records(): AuditRecord[] {
    return this.audits.map((r) => ({ ...r }));
  }

  /** Puts back records read from a snapshot. */
  restore(records: readonly AuditRecord[], auditSeq: number): void {
    for (const r of records) {
      const rec: AuditRecord = r;
      insertSorted(this.audits, rec);
      for (const t of rec.targets) {
        let list = this.auditsByTarget.get(t.id);
        if (!list) this.auditsByTarget.set(t.id, (list = []));
        insertSorted(list, rec);
      }
    }
    this.auditSeq = auditSeq;
  }
}

// ---------------------------------------------------------------------------------------------
// Sorted audit arrays (by at, then seq)

function cmp(a: { at: number; seq: number }, b: { at: number; seq: number }): number {
  return a.at - b.at || a.seq - b.seq;
}
function insertSorted(list: AuditRecord[], rec: AuditRecord): void {
  const last = list[list.length - 1];
  if (!last || cmp(last, rec) <= 0) {
    list.push(rec);
    return;
  }
  list.splice(upperBound(list, rec), 0, rec);
}
/** First index with key >= k. */
function lowerBound(list: AuditRecord[], k: { at: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (cmp(list[m]!, k) < 0) lo = m + 1;
    else hi = m;
  }
  return lo;
}
/** First index with key > k. */
function upperBound(list: AuditRecord[], k: { at: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (cmp(list[m]!, k) <= 0) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function lowerBoundAt(list: AuditRecord[], at: number): number {
  return lowerBound(list, { at, seq: -Infinity });
}
function upperBoundAt(list: AuditRecord[], at: number): number {
  return upperBound(list, { at, seq: Infinity });
}

// ---------------------------------------------------------------------------------------------
// Graph renderings shared by the server and by tests

/** Renders an audit record in Graph's directoryAudit shape. */
export function toGraphAudit(r: AuditRecord): Record<string, unknown> {
  const i = r.initiatedBy;
  return {
    id: r.id,
    category: r.category,
    correlationId: r.correlationId,
    result: r.result,
    resultReason: r.resultReason,
    activityDisplayName: r.activityDisplayName,
    activityDateTime: new Date(r.at).toISOString(),
    loggedByService: r.loggedByService,
    operationType: r.operationType,
    userAgent: null,
    initiatedBy:
      i.kind === 'user'
        ? {
            app: null,
            user: {
              id: i.id,
              displayName: i.displayName ?? null,
              userPrincipalName: i.userPrincipalName,
              ipAddress: i.ipAddress ?? '',
              userType: null,
              homeTenantId: null,
              homeTenantName: null,
            },
          }
        : {
            app: {
              appId: i.appId,
              displayName: i.displayName,
              servicePrincipalId: i.servicePrincipalId ?? null,
              servicePrincipalName: null,
            },
            user: null,
          },
    targetResources: r.targets.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      type: t.type,
      userPrincipalName: t.userPrincipalName,
      groupType: null,
      modifiedProperties: t.modifiedProperties.map((m) => ({
        displayName: m.displayName,
        oldValue: m.oldValue,
        newValue: m.newValue,
      })),
    })),
    additionalDetails: r.additionalDetails.map((d) => ({ key: d.key, value: d.value })),
  };
}
