/**
 * JSON $batch: up to 20 requests per POST, each item retried on its own 429/5xx after its own
 * Retry-After (the batch itself answers 200 and SDKs do not retry items), within the operation's
 * retry budget. Callers turn the final answer of each item into their own result; one bad item
 * never fails the others.
 */
import { z } from 'zod';
import { SyncDriftError, formatIssues } from '../core/errors';
import type { Clock } from '../core/ports';
import { sleep, throwIfCancelled } from '../core/progress';
import type { GraphOperation, GraphTransport } from './graph';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './throttle';

export const BATCH_SIZE = 20;

/** Graph object ids as the product sends them in paths (GUIDs; never anything a path could escape). */
export const USER_ID = /^[A-Za-z0-9-]+$/;

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

export interface BatchItemRequest {
  method: 'GET' | 'PATCH';
  /** Relative to the API version root, e.g. `/users/{id}?$select=…`. */
  url: string;
  body?: unknown;
}

/** The last answer Graph gave for one item (after any retries). */
export interface BatchItemAnswer<I> {
  item: I;
  status: number;
  headers: Headers;
  body: unknown;
  attempts: number;
}

export interface BatchOptions<I> {
  op: GraphOperation;
  clock: Clock;
  request: (item: I) => BatchItemRequest;
  /** After each POST: how many items have their final answer, and how many wait for a retry. */
  onRound?: (settled: number, waiting: number) => void;
  wait?: (ms: number, s?: AbortSignal) => Promise<void>;
  random?: () => number;
}

interface Pending<I> {
  item: I;
  index: number;
  attempts: number;
  notBefore: number;
}

/** Sends the items in $batch requests; returns each item's final answer in input order. */
export async function runBatch<I>(t: GraphTransport, items: readonly I[], o: BatchOptions<I>): Promise<Array<BatchItemAnswer<I>>> {
  const wait = o.wait ?? sleep;
  const now = () => o.clock.now().getTime();
  const answers: Array<BatchItemAnswer<I> | undefined> = new Array(items.length);
  let settled = 0;
  let budgetSpent = false;
  let queue: Array<Pending<I>> = items.map((item, index) => ({ item, index, attempts: 0, notBefore: 0 }));
  while (queue.length > 0) {
    throwIfCancelled(o.op.signal, `The ${o.op.phase}`);
    const ready = queue.filter((p) => p.notBefore <= now());
    if (ready.length === 0) {
      const soonest = Math.min(...queue.map((p) => p.notBefore));
      await wait(Math.max(1, soonest - now()), o.op.signal);
      continue;
    }
    const chunk = ready.slice(0, BATCH_SIZE);
    const inChunk = new Set(chunk);
    const rest = queue.filter((p) => !inChunk.has(p));
    const body = {
      requests: chunk.map((p, i) => {
        const r = o.request(p.item);
        return { id: String(i + 1), method: r.method, url: r.url, ...(r.body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: r.body } : {}) };
      }),
    };
    const res = await t.send({ method: 'POST', path: '/$batch', body }, o.op);
    const parsed = BatchResponse.safeParse(res.body);
    if (!parsed.success) throw new SyncDriftError('validation', 'GRAPH_BAD_BATCH', `Graph returned a $batch answer that cannot be read: ${formatIssues(parsed.error.issues)}`);
    const byId = new Map(parsed.data.responses.map((r) => [r.id, r]));
    const again: Array<Pending<I>> = [];
    chunk.forEach((p, i) => {
      const r = byId.get(String(i + 1));
      p.attempts++;
      if (!r) {
        // Graph left the item out: ask again (counts as an attempt, so it cannot loop forever).
        if (p.attempts <= t.policy.maxRetriesPerRequest) {
          again.push({ ...p, notBefore: now() });
          return;
        }
        answers[p.index] = { item: p.item, status: 502, headers: new Headers(), body: { error: { code: 'BatchItemMissing', message: 'Graph left this item out of the $batch answer on every attempt.' } }, attempts: p.attempts };
        settled++;
        return;
      }
      const headers = new Headers(r.headers ?? {});
      if (isRetryableStatus(r.status) && p.attempts <= t.policy.maxRetriesPerRequest) {
        if (o.op.budget.take(r.status === 429 ? 'throttle' : 'fault')) {
          const delay = parseRetryAfter(headers.get('retry-after'), o.clock.now()) ?? backoffDelay(p.attempts - 1, t.policy, o.random);
          again.push({ ...p, notBefore: now() + delay });
          return;
        }
        budgetSpent = true;
      }
      answers[p.index] = { item: p.item, status: r.status, headers, body: r.body ?? null, attempts: p.attempts };
      settled++;
    });
    queue = [...again, ...rest];
    if (budgetSpent) {
      // Graph keeps refusing and this operation may not retry any more: sending the items not yet
      // sent would only collect more refusals (and spend the tenant's throttling budget). They end
      // unsent, as throttled, for the caller to try again later; retries already granted still go.
      for (const p of queue) {
        if (p.attempts > 0) continue;
        answers[p.index] = { item: p.item, status: 429, headers: new Headers(), body: { error: { code: 'TooManyRequests', message: 'Not sent: Graph kept throttling and the retry budget of this operation is spent.' } }, attempts: 0 };
        settled++;
      }
      queue = queue.filter((p) => p.attempts > 0);
    }
    o.onRound?.(settled, queue.length);
  }
  return answers as Array<BatchItemAnswer<I>>;
}
