/**
 * The worker thread of readConnectExportsOffThread (connect-off-thread.ts): reads and joins the Connect
 * exports named in its workerData with readConnectExports and posts back progress, then either the
 * joined objects in the stored import's format (one string: the main thread decodes columns, not
 * 100k structured-cloned objects) or the error, as data. With `keep` it then keeps that read in the
 * workspace through a connection of its own (keepConnectReadAt) and says how it went: the 25 MB
 * write at 100k users (synchronous=FULL, secure_delete) took 0.2-0.4 s of the main thread when the
 * main thread did it. Built as its own bundle beside the CLI's (scripts/build.mjs); run from source
 * under tsx. Cancelled by ending the thread (an unfinished transaction leaves nothing).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, SyncDriftError, ValidationError } from '../core/errors';
import { encodeEngineImport } from '../core/engine-import-format';
import { readConnectExports } from '../syncengine/connect-files';
import { keepConnectReadAt } from '../workspace/connect-export-cache';
import type { WorkerReply, WorkerRequest } from './connect-off-thread';

const port = parentPort;
if (!port) throw new Error('connect-worker.ts runs as a worker thread (readConnectExportsOffThread)');
const request = workerData as WorkerRequest;
const post = (m: WorkerReply): void => port.postMessage(m);

let body: string | null = null;
let count = 0;
let read: Awaited<ReturnType<typeof readConnectExports>> | null = null;
try {
  // Blocking reads: this thread does nothing else meanwhile (ending it cancels the read).
  read = await readConnectExports(request.paths, { blocking: true, onProgress: (event) => post({ type: 'progress', event }) });
  body = encodeEngineImport(read.objects);
  count = read.objects.length;
  // A string crosses as one copy; the main thread parses it as it is (no UTF-8 decoding there).
  post({ type: 'done', body, count, stats: read.stats, files: read.files });
} catch (e) {
  if (e instanceof CancelledError) post({ type: 'error', error: { kind: 'cancelled', message: e.message } });
  else if (e instanceof ValidationError) post({ type: 'error', error: { kind: 'validation', field: e.field, code: e.code, message: e.message } });
  else if (e instanceof SyncDriftError) post({ type: 'error', error: { kind: e.kind, code: e.code, message: e.message } });
  else post({ type: 'error', error: { kind: 'internal', message: e instanceof Error ? e.message : String(e) } });
}
// The objects are handed over; keeping them for the next run is done here, off the main thread.
const keep = request.keep;
if (keep && read && body !== null) {
  try {
    keepConnectReadAt(keep.workspace, keep.stamps, keep.reader, { importedAt: keep.importedAt, objects: count, files: read.files, stats: read.stats }, body);
    post({ type: 'kept' });
  } catch (e) {
    post({ type: 'keep-failed', message: e instanceof Error ? e.message : String(e) });
  }
}
