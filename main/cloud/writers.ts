/**
 * Graph writers: mobilePhone through $batch (20 per request, each item retried on its own 429 after
 * its own Retry-After, because the batch itself answers 200 and SDKs do not retry items), the
 * tenant-wide BypassDirSyncOverrides feature, and the per-user source of authority (/beta).
 */
import { z } from 'zod';
import { SyncDriftError, formatIssues, toErrorInfo, type ErrorInfo } from '../core/errors';
import type { Clock } from '../core/ports';
import { noProgress, type ProgressSink } from '../core/progress';
import { runBatch, USER_ID } from './batch';
import { graphError, type GraphOperation, type GraphTransport } from './graph';
import { getSyncFeatures, type SyncFeatures } from './readers';

export { BATCH_SIZE } from './batch';

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

/** PATCHes mobilePhone for many users; never throws for single items, only for the whole run. */
export async function patchMobile(
  t: GraphTransport,
  writes: readonly MobileWrite[],
  o: { clock: Clock; signal?: AbortSignal; onProgress?: ProgressSink; wait?: (ms: number, s?: AbortSignal) => Promise<void>; random?: () => number },
): Promise<BatchSummary> {
  const progress = o.onProgress ?? noProgress;
  for (const w of writes) if (!USER_ID.test(w.userId)) throw new SyncDriftError('validation', 'BAD_USER_ID', `Not a Graph user id: ${JSON.stringify(w.userId)}`);
  let settled = 0;
  const op = t.operation('write', {
    ...(o.signal ? { signal: o.signal } : {}),
    capability: 'writeMobilePhone',
    onRetry: ({ reason }) => progress({ phase: 'write', done: settled, total: writes.length, retries: op.retries, message: `retrying after ${reason}` }),
  });
  const answers = await runBatch(t, writes, {
    op,
    clock: o.clock,
    ...(o.wait ? { wait: o.wait } : {}),
    ...(o.random ? { random: o.random } : {}),
    request: (w) => ({ method: 'PATCH', url: `/users/${w.userId}`, body: { mobilePhone: w.mobilePhone } }),
    onRound: (done, waiting) => {
      settled = done;
      progress({ phase: 'write', done, total: writes.length, retries: op.retries, ...(waiting ? { message: `${waiting} item(s) throttled; retrying after their Retry-After` } : {}) });
    },
  });
  const results = answers.map((a): MobileWriteResult => {
    const userId = a.item.userId;
    if (a.status >= 200 && a.status < 300) return { userId, ok: true, status: a.status, error: null, attempts: a.attempts };
    const err = graphError(a.status, a.body, a.headers, 'writeMobilePhone', { method: 'PATCH', path: `/users/${userId}` });
    return { userId, ok: false, status: a.status, error: toErrorInfo(err), attempts: a.attempts };
  });
  return { results, requests: op.requests, retries: op.retries };
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
