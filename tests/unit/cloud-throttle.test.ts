import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, RetryBudget, WindowRateLimiter, backoffDelay, isTransientNetworkError, parseRetryAfter } from '../../main/cloud/throttle';

const now = new Date('2026-03-01T10:00:00Z');

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:59:00 GMT', now)).toBe(0);
  });
  it('ignores absent or garbage values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter and stops at the cap', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 1)).toBe(800);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
    expect(backoffDelay(3, p, () => 0.5)).toBe(400);
  });
  it('recognizes a reset connection through the cause chain', () => {
    const e = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(isTransientNetworkError(e)).toBe(true);
    expect(isTransientNetworkError(new Error('bad request'))).toBe(false);
  });
  it('spends an operation budget and refuses after it', () => {
    const b = new RetryBudget(2);
    expect(b.take('throttle')).toBe(true);
    expect(b.take('fault')).toBe(true);
    expect(b.take('fault')).toBe(false);
    expect([b.retries, b.throttled]).toEqual([2, 1]);
  });
});

describe('adaptive concurrency', () => {
  it('backs off as x-ms-throttle-limit-percentage climbs and recovers on success', () => {
    const c = new AdaptiveConcurrency(8);
    c.observeThrottlePercentage('82');
    expect(c.current).toBe(4);
    c.observeThrottlePercentage('0.93');
    expect(c.current).toBe(2);
    c.observeThrottlePercentage('99');
    expect(c.current).toBe(1);
    c.onSuccess();
    c.onSuccess();
    expect(c.current).toBe(3);
  });
  it('never lets more than the limit run at once', async () => {
    const c = new AdaptiveConcurrency(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        await c.acquire();
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        c.release();
      }),
    );
    expect(peak).toBe(2);
  });
});

describe('reporting window limiter', () => {
  it('allows 5 starts per 10 s and waits for the window to slide', async () => {
    let t = 0;
    const waits: number[] = [];
    const l = new WindowRateLimiter(5, 10_000, () => t, async (ms) => {
      waits.push(ms);
      t += ms;
    });
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await l.take();
      starts.push(t);
      t += 100;
    }
    expect(starts.slice(0, 5)).toEqual([0, 100, 200, 300, 400]);
    // the 6th waits until the 1st leaves the window, the 7th until the 2nd does
    expect(starts[5]).toBeGreaterThan(10_000);
    expect(starts[6]).toBeGreaterThan(10_100);
    expect(waits.length).toBe(1);
  });
  it('after a 429 holds every start back until the penalty passes', async () => {
    let t = 0;
    const l = new WindowRateLimiter(5, 10_000, () => t, async (ms) => {
      t += ms;
    });
    l.penalize(3_000);
    await l.take();
    expect(t).toBeGreaterThanOrEqual(3_000);
  });
});
