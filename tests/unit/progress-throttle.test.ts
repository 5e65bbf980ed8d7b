/**
 * throttledProgress: apply's stderr printer writes a line per event, and the Connect reader reports
 * per chunk (thousands at 100k users). Each phase's first and last event always pass.
 */
import { describe, expect, it } from 'vitest';
import { throttledProgress, type ProgressEvent } from '../../main/core/progress';

describe('throttledProgress', () => {
  it('passes the first and last event of each phase and at most one per interval between', () => {
    let t = 0;
    const seen: ProgressEvent[] = [];
    const sink = throttledProgress((e) => seen.push(e), 2000, () => t);
    for (let i = 0; i <= 100; i++) {
      t = i * 100; // 10 s of events, one per 100 ms
      sink({ phase: 'engine-read', done: i, total: 100 });
      if (i % 10 === 0) sink({ phase: 'onprem', done: i });
    }
    const read = seen.filter((e) => e.phase === 'engine-read').map((e) => e.done);
    expect(read).toEqual([0, 20, 40, 60, 80, 100]);
    // Another phase has its own clock: its events are not swallowed by the first's.
    expect(seen.filter((e) => e.phase === 'onprem').map((e) => e.done)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('passes a final event however soon it follows the last one', () => {
    let t = 0;
    const seen: number[] = [];
    const sink = throttledProgress((e) => seen.push(e.done), 2000, () => t);
    sink({ phase: 'engine-join', done: 0, total: 5 });
    t = 1;
    sink({ phase: 'engine-join', done: 3, total: 5 });
    sink({ phase: 'engine-join', done: 5, total: 5 });
    expect(seen).toEqual([0, 5]);
  });
});
