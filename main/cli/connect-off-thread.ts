/**
 * readConnectExports on a worker thread, for the CLI's one-shot `import --connect-export`: the XML is
 * read and joined while the scan reads the directories on the main thread, and the scan joins the
 * objects when they arrive (runScan takes them as a promise). What crosses back is the stored
 * import's format (main/core/engine-import-format.ts) in one string, decoded and checked here: ~0.3 s
 * at 100k users where structured-cloning 100k objects took ~0.5 s of the main thread. With `keep`,
 * the worker then keeps the read in the workspace for the next run, off the main thread.
 * Errors come back as data and are rebuilt as the same errors (a ValidationError names the file and
 * the line as before); the signal cancels the read and ends the worker.
 *
 * The worker is main/cli/connect-worker.ts (in main/cli because it also keeps the read in the
 * workspace, a floor above the sync engine's readers): from source (tests, `npm run` scripts) it runs
 * under tsx; in a bundle it is connect-worker.mjs beside the bundle (scripts/build.mjs builds it
 * next to the CLI).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CancelledError, SyncDriftError, ValidationError, type ErrorKind } from '../core/errors';
import type { EngineObject } from '../core/engine-view';
import { decodeEngineImport } from '../core/engine-import-format';
import { noProgress, type ProgressEvent } from '../core/progress';
import type { ConnectFileInfo, ReadConnectOptions } from '../syncengine/connect-files';
import type { ExportFileStamp } from '../workspace/connect-export-cache';
import type { ConnectStats } from '../syncengine/connect';

/** Where and as what the worker keeps the read once it has handed it over (main/workspace/connect-export-cache.ts). */
export interface KeepRequest {
  /** The workspace file, open in this process already (the worker opens a second connection). */
  workspace: string;
  stamps: ExportFileStamp[];
  reader: string;
  importedAt: string;
}

export interface WorkerRequest {
  paths: string[];
  keep?: KeepRequest;
}

export type WorkerReply =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; body: string; count: number; stats: ConnectStats; files: ConnectFileInfo[] }
  | { type: 'kept' }
  | { type: 'keep-failed'; message: string }
  | { type: 'error'; error: { kind: ErrorKind; message: string; field?: string; code?: string } };

/** How keeping the read for the next run went: never a rejection, the objects are right either way. */
export type KeepOutcome = { kept: true } | { kept: false; why: string; cancelled?: true };

export interface ConnectReadResult {
  objects: EngineObject[];
  stats: ConnectStats;
  files: ConnectFileInfo[];
  /** The objects in the stored import's format, as they crossed (what a cache of the read keeps). */
  body: string;
  /**
   * With `keep`: settles when the worker has kept the read in the workspace (or could not). The
   * worker runs until then; cancelling ends it, and its unfinished transaction leaves nothing.
   */
  kept?: Promise<KeepOutcome>;
}

export interface OffThreadOptions extends ReadConnectOptions {
  keep?: KeepRequest;
}

/** Where the worker's code is, and how to run it. */
export function connectWorkerEntry(here: string = import.meta.url): { url: URL; execArgv: string[] } {
  if (here.endsWith('.ts')) return { url: new URL('./connect-worker.ts', here), execArgv: ['--import', 'tsx'] };
  return { url: new URL('./connect-worker.mjs', here), execArgv: [] };
}

function rebuild(e: Extract<WorkerReply, { type: 'error' }>['error']): Error {
  if (e.kind === 'cancelled') return new CancelledError('reading the Connect exports');
  if (e.kind === 'validation' && e.field !== undefined) {
    const prefix = e.field ? `${e.field}: ` : '';
    const text = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return new ValidationError(e.field, text, e.code ? { code: e.code } : undefined);
  }
  return new SyncDriftError(e.kind, e.code ?? 'CONNECT_READ_FAILED', e.message);
}

/**
 * Reads and joins the Connect exports on a worker thread. Resolves with what readConnectExports
 * gives; rejects with the error it would throw. With `keep`, the worker then keeps the read in the
 * workspace itself (the result's `kept` says how that went).
 */
export function readConnectExportsOffThread(paths: readonly string[], options: OffThreadOptions = {}, entry = connectWorkerEntry()): Promise<ConnectReadResult> {
  const { signal } = options;
  const progress = options.onProgress ?? noProgress;
  if (signal?.aborted) return Promise.reject(new CancelledError('reading the Connect exports'));
  if (entry.url.protocol === 'file:' && !existsSync(fileURLToPath(entry.url))) {
    return Promise.reject(new SyncDriftError('internal', 'CONNECT_WORKER_MISSING', `the Connect export reader ${fileURLToPath(entry.url)} is missing from this installation (rebuild it: npm run build)`));
  }
  return new Promise<ConnectReadResult>((resolve, reject) => {
    const request: WorkerRequest = { paths: [...paths], ...(options.keep ? { keep: options.keep } : {}) };
    const worker = new Worker(entry.url, { workerData: request, execArgv: entry.execArgv, stdout: false, stderr: false });
    // Two settlements: the objects (or the read's error), then, with keep, how keeping went.
    let read = false;
    let keepDone: ((o: KeepOutcome) => void) | null = null;
    const end = (): void => {
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
    };
    const settleRead = (fn: () => void): void => {
      if (read) return;
      read = true;
      fn();
      if (!keepDone) end();
    };
    const settleKeep = (o: KeepOutcome): void => {
      const done = keepDone;
      if (!done) return;
      keepDone = null;
      done(o);
      end();
    };
    // Ending the worker stops the read (or the keeping) where it is; nothing it read is kept.
    const onAbort = (): void => {
      settleRead(() => reject(new CancelledError('reading the Connect exports')));
      settleKeep({ kept: false, why: 'cancelled', cancelled: true });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopped = (why: string, e?: unknown): void => {
      settleRead(() => reject(new SyncDriftError('internal', 'CONNECT_WORKER_FAILED', `the Connect export reader ${why}`, e === undefined ? undefined : { cause: e })));
      settleKeep({ kept: false, why: `the Connect export reader ${why}` });
    };
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'progress') progress(m.event);
      else if (m.type === 'error') settleRead(() => reject(rebuild(m.error)));
      else if (m.type === 'kept') settleKeep({ kept: true });
      else if (m.type === 'keep-failed') settleKeep({ kept: false, why: m.message });
      else {
        if (read) return; // cancelled or failed meanwhile: ended, nothing to hand over
        let parsed: unknown;
        try {
          parsed = JSON.parse(m.body);
        } catch {
          parsed = null;
        }
        const objects = decodeEngineImport(parsed);
        if (!objects || objects.length !== m.count) {
          settleRead(() => reject(new SyncDriftError('internal', 'CONNECT_WORKER_GARBLED', 'the Connect export reader handed back objects that do not check')));
          return;
        }
        const kept = options.keep ? new Promise<KeepOutcome>((r) => (keepDone = r)) : undefined;
        settleRead(() => resolve({ objects, stats: m.stats, files: m.files, body: m.body, ...(kept ? { kept } : {}) }));
      }
    });
    worker.on('error', (e) => stopped(`stopped: ${e.message}`, e));
    worker.on('exit', (code) => stopped(`ended (exit ${code}) before it answered`));
  });
}
