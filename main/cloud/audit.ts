/**
 * Audit index reader: "Update user" directoryAudits, fetched incrementally by activityDateTime under
 * the reporting limit (5 requests per 10 s per app and tenant). The caller (the workspace) stores the
 * records and remembers the newest time; a rescan then costs requests in proportion to new records,
 * never to the number of users. Single users are looked up on demand when an admin opens a row.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../core/errors';
import type { Clock } from '../core/ports';
import { noProgress, throwIfCancelled, type ProgressSink } from '../core/progress';
import type { GraphTransport } from './graph';
import { parsePage, type InvalidItem } from './readers';
import { WindowRateLimiter } from './throttle';
import { parseDirectoryAudits, SOA_TO_CLOUD_ACTIVITY, type MobileChange } from '../drift/audit';

export const UPDATE_USER = 'Update user';
const nstr = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

export const AuditRecord = z.object({
  id: z.string().min(1),
  activityDateTime: z.iso.datetime({ offset: true }),
  activityDisplayName: z.string(),
  result: nstr,
  correlationId: nstr,
  initiatedBy: z
    .object({
      user: z.object({ id: nstr, userPrincipalName: nstr, displayName: nstr }).nullish(),
      app: z.object({ appId: nstr, displayName: nstr, servicePrincipalId: nstr }).nullish(),
    })
    .nullish(),
  targetResources: z
    .array(
      z.object({
        id: nstr,
        type: nstr,
        userPrincipalName: nstr,
        modifiedProperties: z
          .array(z.object({ displayName: nstr, oldValue: nstr, newValue: nstr }))
          .nullish()
          .transform((v) => v ?? []),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export interface AuditFetchOptions {
  /** Newest activityDateTime already stored (inclusive: the caller de-duplicates by id). */
  since?: string | null;
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  onInvalid?: (i: InvalidItem) => void;
  /** Page size; Graph allows up to 1000 for directoryAudits. */
  top?: number;
}

export interface AuditFetchSummary {
  records: number;
  pages: number;
  requests: number;
  retries: number;
  invalid: InvalidItem[];
  /** Newest activityDateTime seen: store it as the next `since` only after the read completed. */
  newest: string | null;
  /** The start of the window Graph can still answer for. */
  retentionStart: string;
  /** True when `since` (or a full fill) reaches behind retention: older changes are gone, not absent. */
  outsideRetention: boolean;
}

export interface AuditReaderOptions {
  clock: Clock;
  /** 7 (Entra ID Free) or 30 (P1/P2); unknown -> 30, and the UI should say it assumed so. */
  retentionDays?: number;
  /** Injected so tests can run the reporting limit on a fake clock. */
  limiter?: WindowRateLimiter;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class AuditReader {
  readonly limiter: WindowRateLimiter;
  readonly retentionDays: number;
  constructor(
    private readonly t: GraphTransport,
    private readonly opts: AuditReaderOptions,
  ) {
    this.retentionDays = opts.retentionDays ?? 30;
    this.limiter = opts.limiter ?? new WindowRateLimiter(5, 10_000, () => opts.clock.now().getTime());
  }

  retentionStart(): string {
    return iso(this.opts.clock.now().getTime() - this.retentionDays * 86_400_000);
  }

  /** Streams "Update user" records newer than `since` (or the whole retention window), page by page. */
  async *fetchAuditRecords(o: AuditFetchOptions = {}): AsyncGenerator<AuditRecord[], AuditFetchSummary> {
    if (o.since && Number.isNaN(Date.parse(o.since))) throw new ValidationError('since', `not a date-time: ${JSON.stringify(o.since)}`);
    // Normalized so nothing but an ISO timestamp ever reaches the $filter text.
    const since = o.since ? new Date(o.since).toISOString() : null;
    const retentionStart = this.retentionStart();
    const outsideRetention = !since || since < retentionStart;
    const window = since && !outsideRetention ? [`activityDateTime ge ${since}`] : [];
    const filter = [`activityDisplayName eq '${UPDATE_USER}'`, ...window].join(' and ');
    // Graph returns newest first; `newest` is only safe to store once the generator has returned.
    const users = yield* this.pages({ $filter: filter, $top: String(o.top ?? 999) }, o, { retentionStart, outsideRetention }, since);
    // Source-of-authority switches (rare: one request per fill) for the timeline; the reporting API
    // has no `or` across activities, so they are a second, equally windowed read.
    const soaFilter = [`activityDisplayName eq '${SOA_TO_CLOUD_ACTIVITY}'`, ...window].join(' and ');
    const soa = yield* this.pages({ $filter: soaFilter, $top: String(o.top ?? 999) }, o, { retentionStart, outsideRetention }, since);
    return {
      ...users,
      records: users.records + soa.records,
      pages: users.pages + soa.pages,
      requests: users.requests + soa.requests,
      retries: users.retries + soa.retries,
      invalid: [...users.invalid, ...soa.invalid],
      newest: laterOf(users.newest, soa.newest),
    };
  }

  /** All "Update user" records targeting one user, within retention (one or a few requests). */
  async lookupUserAudit(userId: string, o: { signal?: AbortSignal } = {}): Promise<{ records: AuditRecord[]; changes: MobileChange[]; summary: AuditFetchSummary }> {
    if (!/^[A-Za-z0-9-]+$/.test(userId)) throw new ValidationError('userId', `not a Graph user id: ${JSON.stringify(userId)}`);
    const gen = this.pages({ $filter: `activityDisplayName eq '${UPDATE_USER}' and targetResources/any(t: t/id eq '${userId}')`, $top: '999' }, o, { retentionStart: this.retentionStart(), outsideRetention: false }, null);
    const records: AuditRecord[] = [];
    for (;;) {
      const n = await gen.next();
      // One parser for every reader of the audit log (main/drift/audit.ts): the index, the details pane and evidence agree.
      if (n.done) return { records, changes: parseDirectoryAudits(records).changes.filter((c) => c.targetId === userId), summary: n.value };
      records.push(...n.value);
    }
  }

  private async *pages(query: Record<string, string>, o: AuditFetchOptions, window: { retentionStart: string; outsideRetention: boolean }, since: string | null): AsyncGenerator<AuditRecord[], AuditFetchSummary> {
    const progress = o.onProgress ?? noProgress;
    const summary: AuditFetchSummary = { records: 0, pages: 0, requests: 0, retries: 0, invalid: [], newest: since, ...window };
    const op = this.t.operation('audit', {
      ...(o.signal ? { signal: o.signal } : {}),
      capability: 'readAuditLog',
      onRetry: ({ retries, reason, delayMs }) => {
        // A 429 from the reporting API means the window is full: keep the limiter behind it.
        if (reason === 'HTTP 429') this.limiter.penalize(this.opts.clock.now().getTime() + delayMs);
        progress({ phase: 'audit', done: summary.records, pages: summary.pages, retries, message: `waiting for the reporting limit (${reason})` });
      },
    });
    let req: Parameters<GraphTransport['send']>[0] = { method: 'GET', path: '/auditLogs/directoryAudits', query };
    for (;;) {
      throwIfCancelled(o.signal, 'The audit index');
      await this.limiter.take(o.signal);
      const res = await this.t.send(req, op);
      const page = parsePage(res.body, 'directoryAudits');
      const records: AuditRecord[] = [];
      for (const raw of page.value) {
        const r = AuditRecord.safeParse(raw);
        if (r.success) {
          records.push(r.data);
          if (!summary.newest || Date.parse(r.data.activityDateTime) > Date.parse(summary.newest)) summary.newest = r.data.activityDateTime;
        } else {
          const id = (raw as { id?: unknown })?.id;
          const inv = { id: typeof id === 'string' ? id : null, message: formatIssues(r.error.issues, 'directoryAudit') };
          summary.invalid.push(inv);
          o.onInvalid?.(inv);
        }
      }
      summary.pages++;
      summary.records += records.length;
      summary.requests = op.requests;
      summary.retries = op.retries;
      progress({ phase: 'audit', done: summary.records, pages: summary.pages, retries: op.retries });
      if (records.length > 0) yield records;
      const next = page['@odata.nextLink'];
      if (!next) return summary;
      req = { method: 'GET', path: next };
    }
  }
}

function laterOf(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
