/**
 * readConnectExports on a worker thread, for the CLI's one-shot `import --connect-export`: the XML is
 * read and joined while the scan reads the directories on the main thread, and the scan joins the
 * objects when they arrive (runScan takes them as a promise). What crosses back is the stored
 * import's format (main/core/engine-import-format.ts) in one transferred buffer, decoded and checked
 * here: ~0.3 s at 100k users where structured-cloning 100k objects took ~0.5 s of the main thread.
 * Errors come back as data and are rebuilt as the same errors (a ValidationError names the file and
 * the line as before); the signal cancels the read and ends the worker.
 *
 * The worker is main/syncengine/connect-worker.ts: from source (tests, `npm run` scripts) it runs
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
import type { ConnectFileInfo, ReadConnectOptions } from './connect-files';
import type { ConnectStats } from './connect';

export interface WorkerRequest {
  paths: string[];
}

export type WorkerReply =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; body: Uint8Array; count: number; stats: ConnectStats; files: ConnectFileInfo[] }
  | { type: 'error'; error: { kind: ErrorKind; message: string; field?: string; code?: string } };

export interface ConnectReadResult {
  objects: EngineObject[];
  stats: ConnectStats;
  files: ConnectFileInfo[];
  /** The objects in the stored import's format, as they crossed (what a cache of the read keeps). */
  body: Uint8Array;
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
 * gives; rejects with the error it would throw.
 */
export function readConnectExportsOffThread(paths: readonly string[], options: ReadConnectOptions = {}, entry = connectWorkerEntry()): Promise<ConnectReadResult> {
  const { signal } = options;
  const progress = options.onProgress ?? noProgress;
  if (signal?.aborted) return Promise.reject(new CancelledError('reading the Connect exports'));
  if (entry.url.protocol === 'file:' && !existsSync(fileURLToPath(entry.url))) {
    return Promise.reject(new SyncDriftError('internal', 'CONNECT_WORKER_MISSING', `the Connect export reader ${fileURLToPath(entry.url)} is missing from this installation (rebuild it: npm run build)`));
  }
  return new Promise<ConnectReadResult>((resolve, reject) => {
    const request: WorkerRequest = { paths: [...paths] };
    const worker = new Worker(entry.url, { workerData: request, execArgv: entry.execArgv, stdout: false, stderr: false });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    // Ending the worker stops the read where it is; nothing it read is kept.
    const onAbort = (): void => settle(() => reject(new CancelledError('reading the Connect exports')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'progress') progress(m.event);
      else if (m.type === 'error') settle(() => reject(rebuild(m.error)));
      else {
        settle(() => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('utf8'));
          } catch {
            parsed = null;
          }
          const objects = decodeEngineImport(parsed);
          if (!objects || objects.length !== m.count) reject(new SyncDriftError('internal', 'CONNECT_WORKER_GARBLED', 'the Connect export reader handed back objects that do not check'));
          else resolve({ objects, stats: m.stats, files: m.files, body: m.body });
        });
      }
    });
    worker.on('error', (e) => settle(() => reject(new SyncDriftError('internal', 'CONNECT_WORKER_FAILED', `the Connect export reader stopped: ${e.message}`, { cause: e }))));
    worker.on('exit', (code) => settle(() => reject(new SyncDriftError('internal', 'CONNECT_WORKER_FAILED', `the Connect export reader ended (exit ${code}) before it answered`))));
  });
}
