import { CancelledError } from './errors';

/** A progress report of long work; `phase` names the side or step ("onprem", "cloud", "audit"). */
export interface ProgressEvent {
  phase: string;
  /** Objects processed so far. */
  done: number;
  /** Total when known. */
  total?: number;
  pages?: number;
  retries?: number;
  message?: string;
  elapsedMs?: number;
}

export type ProgressSink = (e: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};

/** Throws CancelledError if the signal has fired; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** Sleeps, waking early (and throwing) on cancellation. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A sink that passes each phase's first and last event (done reaching total) and otherwise at most
 * one per `everyMs` per phase: for line-per-event printers (apply's stderr) fed by readers that
 * report per chunk.
 */
export function throttledProgress(sink: ProgressSink, everyMs: number, now: () => number = () => Date.now()): ProgressSink {
  const last = new Map<string, number>();
  return (e) => {
    const t = now();
    const prev = last.get(e.phase);
    const final = e.total !== undefined && e.done >= e.total;
    if (prev !== undefined && !final && t - prev < everyMs) return;
    last.set(e.phase, t);
    sink(e);
  };
}
