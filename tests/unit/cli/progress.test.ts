import { describe, expect, it } from 'vitest';
import { createCliProgress } from '../../../main/cli/progress';

describe('CLI progress on stderr', () => {
  it('redraws one bar line on a terminal and clears it when done', () => {
    let t = 0;
    let err = '';
    const p = createCliProgress({ write: (s: string) => (err += s), isTTY: true, columns: 80 }, { now: () => t });
    p.sink({ phase: 'onprem:dc01', done: 500, total: 1000 });
    t = 50;
    p.sink({ phase: 'onprem:dc01', done: 600, total: 1000 }); // throttled: within 100 ms
    t = 200;
    p.sink({ phase: 'onprem:dc01', done: 1000, total: 1000 });
    p.done();
    const frames = err.split('\r').filter(Boolean);
    expect(frames[0]).toMatch(/^\[#{10}\.{10}\] onprem:dc01 500\/1,000/);
    expect(err).not.toMatch(/600/);
    expect(frames[1]).toMatch(/^\[#{20}\] onprem:dc01 1,000\/1,000/);
    expect(err.endsWith('\r\x1b[K')).toBe(true);
    expect(err).not.toContain('\n');
  });

  it('writes a plain line at most every two seconds elsewhere, and nothing when quiet', () => {
    let t = 0;
    let err = '';
    const p = createCliProgress({ write: (s: string) => (err += s), isTTY: false }, { now: () => t });
    t = 2500;
    p.sink({ phase: 'cloud', done: 999, pages: 1 });
    t = 3000;
    p.sink({ phase: 'cloud', done: 1998, pages: 2 });
    expect(err).toBe('progress: cloud 999\n');
    let quiet = '';
    createCliProgress({ write: (s: string) => (quiet += s), isTTY: true }, { quiet: true }).sink({ phase: 'cloud', done: 1 });
    expect(quiet).toBe('');
  });
});
