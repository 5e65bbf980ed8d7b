/**
 * Throttling and fault injection of the sandbox.
 *
 * Throttling follows Microsoft's published identity and reporting limits: per app (and tenant, which
 * is one here) a resource-unit bucket refilled over 10 s whose size depends on tenant size
 * (3,500 / 5,000 / 8,000 RU for <50 / 50–500 / >500 users), a write bucket of 3,000 requests per
 * 150 s, and for audit logs (reporting) 5 requests per 10 s. The buckets refill continuously (the
 * documentation does not say whether windows are sliding or fixed).
 */
import type { Clock } from '../core/ports';

export interface ThrottleKnobs {
  /** Turn throttling off entirely (seeding, benchmarks that measure the server alone). */
  disabled: boolean;
  /** Resource units per 10 s; null = by tenant size, as documented. */
  identityUnitsPer10s: number | null;
  /** Write requests per 150 s (documented 3,000). */
  writesPer150s: number;
  /** Audit log requests per 10 s per app (documented 5). */
  auditPer10s: number;
  /** Which Retry-After form to send: seconds, HTTP-date, or alternate between both per response. */
  retryAfterForm: 'seconds' | 'http-date' | 'alternate';
}

export interface FaultKnobs {
  /** Extra latency per request, ms. */
  latencyMs: number;
  /** Probability (0–1) that a request fails with 500 InternalServerError... (see errorStatus). */
  errorRate: number;
  /** Status used for injected errors: 500, 502, 503 or 504. */
  errorStatus: 500 | 502 | 503 | 504;
  /** Probability (0–1) that the connection is reset without a response. */
  resetRate: number;
  /** When true every Graph request answers 503 with Retry-After (service outage). */
  unavailable: boolean;
  /** Seed of the fault dice, so a run is repeatable. */
  seed: number;
}

export interface SandboxKnobs {
  throttle: ThrottleKnobs;
  faults: FaultKnobs;
}

export function defaultKnobs(): SandboxKnobs {
  return {
    throttle: { disabled: false, identityUnitsPer10s: null, writesPer150s: 3000, auditPer10s: 5, retryAfterForm: 'seconds' },
    faults: { latencyMs: 0, errorRate: 0, errorStatus: 503, resetRate: 0, unavailable: false, seed: 1 },
  };
}

/** Documented identity bucket size by tenant size. */
export function identityUnitsFor(userCount: number): number {
  if (userCount < 50) return 3500;
  if (userCount <= 500) return 5000;
  return 8000;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface ThrottleDecision {
  ok: boolean;
  /** Seconds until the request would fit. */
  retryAfterSeconds: number;
  /** Share of the limit used after this request (for x-ms-throttle-limit-percentage). */
  usedFraction: number;
}

/** Continuous token buckets keyed by app + limit kind. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly clock: Clock) {}

  take(key: string, capacity: number, windowMs: number, cost: number): ThrottleDecision {
    const now = this.clock.now().getTime();
    const rate = capacity / windowMs;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: capacity, updatedAt: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.updatedAt) * rate);
    b.updatedAt = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true, retryAfterSeconds: 0, usedFraction: (capacity - b.tokens) / capacity };
    }
    const waitMs = (cost - b.tokens) / rate;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), usedFraction: 1 };
  }

  reset(): void {
    this.buckets.clear();
  }
}

export { mulberry32 as prng } from '../core/prng';
