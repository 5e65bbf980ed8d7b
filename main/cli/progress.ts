/**
 * Progress on stderr: a single redrawn bar line on a TTY, a plain line every few seconds
 * otherwise (logs of scheduled runs stay readable). Data never goes here.
 */
import type { ProgressEvent, ProgressSink } from '../core/progress';

export interface ErrStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliProgress {
  sink: ProgressSink;
  /** Clears the bar so the next stderr line starts clean. */
  done(): void;
}

export function createCliProgress(err: ErrStream, opts: { quiet?: boolean; now?: () => number } = {}): CliProgress {
  if (opts.quiet) return { sink: () => {}, done: () => {} };
  const now = opts.now ?? (() => Date.now());
  const phases = new Map<string, ProgressEvent>();
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const describe = () =>
    [...phases.values()]
      .map((e) => `${e.phase} ${e.done.toLocaleString('en-US')}${e.total ? `/${e.total.toLocaleString('en-US')}` : ''}`)
      .join(' \u00b7 ');
  const sink: ProgressSink = (e) => {
    phases.set(e.phase, e);
    const t = now();
    if (err.isTTY) {
      if (t - last < 100 && !(e.total && e.done >= e.total)) return;
      last = t;
      const totals = [...phases.values()].filter((p) => p.total);
      const frac = totals.length ? totals.reduce((a, p) => a + Math.min(1, p.done / p.total!), 0) / totals.length : null;
      const width = 20;
      const bar = frac === null ? '' : `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] `;
      const line = `${bar}${describe()}`;
      const cols = err.columns ?? 100;
      err.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
      drawn = true;
    } else if (t - last >= 2000) {
      last = t;
      err.write(`progress: ${describe()}\n`);
    }
  };
  return {
    sink,
    done: () => {
      if (drawn) err.write('\r\x1b[K');
      drawn = false;
    },
  };
}
