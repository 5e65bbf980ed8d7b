/**
 * The worker thread of readConnectExportsOffThread (connect-off-thread.ts): reads and joins the Connect
 * exports named in its workerData with readConnectExports and posts back progress, then either the
 * joined objects in the stored import's format (one transferred buffer: the main thread decodes
 * columns, not 100k structured-cloned objects) or the error, as data. Built as its own bundle beside
 * the CLI's (scripts/build.mjs); run from source under tsx. Cancelled by ending the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, SyncDriftError, ValidationError } from '../core/errors';
import { encodeEngineImport } from '../core/engine-import-format';
import { readConnectExports } from './connect-files';
import type { WorkerReply, WorkerRequest } from './connect-off-thread';

const port = parentPort;
if (!port) throw new Error('connect-worker.ts runs as a worker thread (readConnectExportsOffThread)');
const request = workerData as WorkerRequest;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const r = await readConnectExports(request.paths, { onProgress: (event) => post({ type: 'progress', event }) });
  const body = Buffer.from(encodeEngineImport(r.objects), 'utf8');
  // Transferred as it is when the buffer is its own (a large one always is); copied only when it
  // sits in Buffer's shared pool, which must not be transferred.
  const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  const bytes = own ? body : new Uint8Array(body);
  post({ type: 'done', body: bytes, count: r.objects.length, stats: r.stats, files: r.files }, [bytes.buffer as ArrayBuffer]);
} catch (e) {
  if (e instanceof CancelledError) post({ type: 'error', error: { kind: 'cancelled', message: e.message } });
  else if (e instanceof ValidationError) post({ type: 'error', error: { kind: 'validation', field: e.field, code: e.code, message: e.message } });
  else if (e instanceof SyncDriftError) post({ type: 'error', error: { kind: e.kind, code: e.code, message: e.message } });
  else post({ type: 'error', error: { kind: 'internal', message: e instanceof Error ? e.message : String(e) } });
}
