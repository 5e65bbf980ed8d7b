/**
 * Throttling and retry arithmetic for Graph, kept pure (clock and randomness injected) so the
 * policy can be unit-tested without a server. Graph answers 429/503 with Retry-After in seconds
 * or as an HTTP date; 5xx and connection resets get exponential backoff with full jitter; every
 * request and every operation has a cap so a sick tenant cannot keep a scan spinning forever.
 */
import { sleep } from '../core/progress';

export interface RetryPolicy {
  /** Retries of one request (not counting the first attempt). */
  maxRetriesPerRequest: number;
  /** Retries across one operation (a whole scan, audit fill or batch write). */
  maxRetriesPerOperation: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After beyond this fails the request instead of freezing the operation. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetriesPerRequest: 6,
  maxRetriesPerOperation: 200,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
};

/** Retry-After as delta-seconds or HTTP-date, in ms from `now`; undefined when absent or garbage. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now.getTime());
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling * random());
}

/** Statuses worth another try. 429 and 503 follow Retry-After when present. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Node/undici error codes that mean "the connection broke", not "the request was wrong". */
export function isTransientNetworkError(e: unknown): boolean {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_CLOSED|NETWORK_TIMEOUT)$/.test(code)) return true;
    if (cur instanceof TypeError && /fetch failed|terminated|other side closed/i.test(cur.message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Counts retries of one operation and refuses once its cap is spent. */
export class RetryBudget {
  retries = 0;
  throttled = 0;
  constructor(readonly max: number) {}
  /** Records one retry; false when the operation's budget is exhausted. */
  take(kind: 'throttle' | 'fault'): boolean {
    if (this.retries >= this.max) return false;
    this.retries++;
    if (kind === 'throttle') this.throttled++;
    return true;
  }
}

/**
 * Concurrency that shrinks as Graph reports its throttle bucket filling up
 * (`x-ms-throttle-limit-percentage`, sent from 80 % on) and on every 429, and grows back slowly.
 */
export class AdaptiveConcurrency {
  private limit: number;
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly min = 1,
  ) {
    this.limit = max;
  }

  get current(): number {
    return this.limit;
  }

  /** Feeds the header's value (0-100, or a 0-1 fraction). */
  observeThrottlePercentage(raw: string | null | undefined): void {
    if (!raw) return;
    let p = Number(raw);
    if (!Number.isFinite(p)) return;
    if (p <= 1) p *= 100;
    if (p >= 95) this.limit = this.min;
    else if (p >= 90) this.limit = Math.max(this.min, Math.floor(this.max / 4));
    else if (p >= 80) this.limit = Math.max(this.min, Math.floor(this.max / 2));
    this.wake();
  }

  onThrottled(): void {
    this.limit = Math.max(this.min, Math.floor(this.limit / 2));
  }

  onSuccess(): void {
    if (this.limit < this.max) this.limit++;
    this.wake();
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    this.active++;
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.active < this.limit) {
      const w = this.waiters.shift();
      w?.();
      if (this.active + this.waiters.length >= this.limit) break;
    }
  }
}

/**
 * Sliding-window limiter: at most `limit` starts per `windowMs`. The reporting API (audit logs)
 * allows 5 requests per 10 s per app and tenant; staying under it costs less than the 429s.
 */
export class WindowRateLimiter {
  private readonly starts: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = () => Date.now(),
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= t - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(t);
        return;
      }
      await this.wait((this.starts[0] ?? t) + this.windowMs - t + 1, signal);
    }
  }

  /** Pushes the window out after a 429: no new start before `untilMs`. */
  penalize(untilMs: number): void {
    this.starts.length = 0;
    for (let i = 0; i < this.limit; i++) this.starts.push(untilMs - this.windowMs);
  }
}
