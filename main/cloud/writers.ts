/**
 * Graph writers: mobilePhone through $batch (20 per request, each item retried on its own 429 after
 * its own Retry-After, because the batch itself answers 200 and SDKs do not retry items), the
 * tenant-wide BypassDirSyncOverrides feature, and the per-user source of authority (/beta).
 */
import { z } from 'zod';
import { SyncDriftError, formatIssues, toErrorInfo, type ErrorInfo } from '../core/errors';
import type { Clock } from '../core/ports';
import { noProgress, sleep, throwIfCancelled, type ProgressSink } from '../core/progress';
import { graphError, type GraphOperation, type GraphTransport } from './graph';
import { getSyncFeatures, type SyncFeatures } from './readers';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './throttle';

export const BATCH_SIZE = 20;

export interface MobileWrite {
  userId: string;
  /** New value; null clears it. */
  mobilePhone: string | null;
}

export interface MobileWriteResult {
  userId: string;
  ok: boolean;
  /** Final HTTP status of the item. */
  status: number;
  /** Typed error for failed items: GRAPH_SOA_READONLY, GRAPH_FORBIDDEN, GRAPH_THROTTLED… */
  error: ErrorInfo | null;
  attempts: number;
}

export interface BatchSummary {
  results: MobileWriteResult[];
  requests: number;
  retries: number;
}

const BatchResponse = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

const USER_ID = /^[A-Za-z0-9-]+$/;

interface Pending {
  item: MobileWrite;
  attempts: number;
  notBefore: number;
}

/** PATCHes mobilePhone for many users; never throws for single items, only for the whole run. */
export async function patchMobile(
  t: GraphTransport,
  writes: readonly MobileWrite[],
  o: { clock: Clock; signal?: AbortSignal; onProgress?: ProgressSink; wait?: (ms: number, s?: AbortSignal) => Promise<void>; random?: () => number },
): Promise<BatchSummary> {
  const progress = o.onProgress ?? noProgress;
  const wait = o.wait ?? sleep;
  const now = () => o.clock.now().getTime();
  for (const w of writes) if (!USER_ID.test(w.userId)) throw new SyncDriftError('validation', 'BAD_USER_ID', `Not a Graph user id: ${JSON.stringify(w.userId)}`);
  const results = new Map<string, MobileWriteResult>();
  const op = t.operation('write', {
    ...(o.signal ? { signal: o.signal } : {}),
    capability: 'writeMobilePhone',
    onRetry: ({ reason }) => progress({ phase: 'write', done: results.size, total: writes.length, retries: op.retries, message: `retrying after ${reason}` }),
  });
  let queue: Pending[] = writes.map((item) => ({ item, attempts: 0, notBefore: 0 }));
  while (queue.length > 0) {
    throwIfCancelled(o.signal, 'The write');
    const ready = queue.filter((p) => p.notBefore <= now());
    if (ready.length === 0) {
      const soonest = Math.min(...queue.map((p) => p.notBefore));
      await wait(Math.max(1, soonest - now()), o.signal);
      continue;
    }
    const chunk = ready.slice(0, BATCH_SIZE);
    const rest = queue.filter((p) => !chunk.includes(p));
    const body = {
      requests: chunk.map((p, i) => ({ id: String(i + 1), method: 'PATCH', url: `/users/${p.item.userId}`, headers: { 'Content-Type': 'application/json' }, body: { mobilePhone: p.item.mobilePhone } })),
    };
    const res = await t.send({ method: 'POST', path: '/$batch', body }, op);
    const parsed = BatchResponse.safeParse(res.body);
    if (!parsed.success) throw new SyncDriftError('validation', 'GRAPH_BAD_BATCH', `Graph returned a $batch answer that cannot be read: ${formatIssues(parsed.error.issues)}`);
    const byId = new Map(parsed.data.responses.map((r) => [r.id, r]));
    const again: Pending[] = [];
    chunk.forEach((p, i) => {
      const r = byId.get(String(i + 1));
      p.attempts++;
      if (!r) {
        again.push({ ...p, notBefore: now() });
        return;
      }
      if (r.status >= 200 && r.status < 300) {
        results.set(p.item.userId, { userId: p.item.userId, ok: true, status: r.status, error: null, attempts: p.attempts });
        return;
      }
      const headers = new Headers(r.headers ?? {});
      if (isRetryableStatus(r.status) && p.attempts <= t.policy.maxRetriesPerRequest && op.budget.take(r.status === 429 ? 'throttle' : 'fault')) {
        const delay = parseRetryAfter(headers.get('retry-after'), o.clock.now()) ?? backoffDelay(p.attempts - 1, t.policy, o.random);
        again.push({ ...p, notBefore: now() + delay });
        return;
      }
      const err = graphError(r.status, r.body ?? null, headers, 'writeMobilePhone', { method: 'PATCH', path: `/users/${p.item.userId}` });
      results.set(p.item.userId, { userId: p.item.userId, ok: false, status: r.status, error: toErrorInfo(err), attempts: p.attempts });
    });
    queue = [...again, ...rest];
    const waiting = again.length;
    progress({ phase: 'write', done: results.size, total: writes.length, retries: op.retries, ...(waiting ? { message: `${waiting} item(s) throttled; retrying after their Retry-After` } : {}) });
  }
  return { results: writes.map((w) => results.get(w.userId) as MobileWriteResult), requests: op.requests, retries: op.retries };
}

/** Sets features.bypassDirSyncOverridesEnabled and reads it back. Delegated Global Administrator only. */
export async function setBypass(t: GraphTransport, enabled: boolean, op: GraphOperation): Promise<SyncFeatures> {
  const before = await getSyncFeatures(t, op);
  if (before.state !== 'known') throw new SyncDriftError('permission', before.code === 'GRAPH_FORBIDDEN' ? 'GRAPH_FORBIDDEN' : 'BYPASS_UNREADABLE', before.reason);
  if (before.bypassDirSyncOverridesEnabled === enabled) return before;
  await t.send({ method: 'PATCH', path: `/directory/onPremisesSynchronization/${encodeURIComponent(before.id)}`, body: { features: { bypassDirSyncOverridesEnabled: enabled } } }, op);
  const after = await getSyncFeatures(t, op);
  if (after.state === 'known' && after.bypassDirSyncOverridesEnabled !== enabled) {
    throw new SyncDriftError('conflict', 'BYPASS_NOT_APPLIED', 'Graph accepted the change of BypassDirSyncOverrides but reading it back shows the old value. Try again in a minute.');
  }
  return after;
}

const SyncBehavior = z.object({ isCloudManaged: z.boolean() }).passthrough();

/** GET /beta/users/{id}/onPremisesSyncBehavior. */
export async function getOnPremisesSyncBehavior(t: GraphTransport, userId: string, op: GraphOperation): Promise<{ isCloudManaged: boolean }> {
  if (!USER_ID.test(userId)) throw new SyncDriftError('validation', 'BAD_USER_ID', `Not a Graph user id: ${JSON.stringify(userId)}`);
  const res = await t.send({ method: 'GET', version: 'beta', path: `/users/${userId}/onPremisesSyncBehavior` }, op);
  const r = SyncBehavior.safeParse(res.body);
  if (!r.success) throw new SyncDriftError('validation', 'GRAPH_BAD_SYNC_BEHAVIOR', `Graph returned an onPremisesSyncBehavior that cannot be read: ${formatIssues(r.error.issues)}`);
  return { isCloudManaged: r.data.isCloudManaged };
}

/** PATCH /beta/users/{id}/onPremisesSyncBehavior: switches the whole object's source of authority. */
export async function setCloudManaged(t: GraphTransport, userId: string, isCloudManaged: boolean, op: GraphOperation): Promise<{ isCloudManaged: boolean }> {
  if (!USER_ID.test(userId)) throw new SyncDriftError('validation', 'BAD_USER_ID', `Not a Graph user id: ${JSON.stringify(userId)}`);
  await t.send({ method: 'PATCH', version: 'beta', path: `/users/${userId}/onPremisesSyncBehavior`, body: { isCloudManaged } }, op);
  return getOnPremisesSyncBehavior(t, userId, op);
}
