/**
 * The Entra Connect exports of docs/onprem.md read from files, each told by its content (connector-space
 * XML, or the ConvertTo-Json of Get-ADSyncCSObject, Get-ADSyncRule or Get-ADSyncRunProfileResult) and
 * turned into the engine's view of each user. The connector-space XML is streamed from disk in chunks
 * through ConnectorSpaceXmlReader (no tree, no whole-file string); the JSON exports are read whole
 * (Get-ADSyncCSObject's within a size limit), the rules before the XML, whose objects keep only the
 * attributes the join reads. Cancellable between chunks; reports bytes read.
 * Used by the CLI (`import --connect-export`) and the app's engine import.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CancelledError, ValidationError } from '../core/errors';
import type { EngineObject } from '../core/engine-view';
import { noProgress, throwIfCancelled, type ProgressSink } from '../core/progress';
import { ConnectorSpaceXmlReader, parseCsObjectJson, type CsObject } from './connector-space';
import { parseSyncRulesJson, type SyncRuleInfo } from './sync-rules';
import { parseRunHistoryJson, type ConnectorRun } from './run-history';
import { attributesTheJoinReads, buildConnectEngineObjects, type ConnectStats } from './connect';

export type ConnectExportKind = 'cs-xml' | 'cs-json' | 'rules' | 'runs';

/** Limits on what one import reads: a connector-space XML file streams, the JSON exports are read whole. */
export const CONNECT_LIMITS = {
  /** Connector-space XML (streamed): 4 GiB. */
  xmlBytes: 4 * 1024 ** 3,
  /** A JSON export (read as one text): 512 MiB, under V8's string limit. */
  jsonBytes: 512 * 1024 ** 2,
  files: 32,
} as const;

/** The file kind from its first record (JSON) or its first character (XML). */
export function connectExportKind(head: string, file: string): ConnectExportKind {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('<')) return 'cs-xml';
  if (t.includes('\u0000')) throw new ValidationError(file, 'looks like UTF-16 (Windows PowerShell `>` writes it); re-export with `| Out-File -Encoding utf8`');
  const m = /"(AttributeFlowMappings|Precedence|RunProfileName|RunHistoryId|DistinguishedName)"\s*:/.exec(t);
  if (m) {
    const key = m[1]!;
    if (key === 'AttributeFlowMappings' || key === 'Precedence') return 'rules';
    if (key === 'RunProfileName' || key === 'RunHistoryId') return 'runs';
    return 'cs-json';
  }
  throw new ValidationError(file, 'is none of the Connect exports (connector-space XML, or ConvertTo-Json of Get-ADSyncCSObject, Get-ADSyncRule, Get-ADSyncRunProfileResult): see docs/onprem.md');
}

async function headOf(path: string, bytes = 64 * 1024): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return new StringDecoder('utf8').write(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function cannotRead(path: string, e: unknown): ValidationError {
  return new ValidationError('connect-export', `cannot read ${path} (${(e as { code?: string }).code ?? String(e)})`, { cause: e });
}

/**
 * Streams a connector-space XML file through the reader; progress in bytes, cancellable per chunk.
 * `blocking`: read with readSync into one reused buffer (a worker thread, whose event loop has
 * nothing else to do): no stream, promise and event-loop round trip per chunk, which at 100k users
 * left the reading thread idle ~0.3-0.45 s and cost ~0.25 s of CPU.
 */
async function streamXml(path: string, file: string, signal: AbortSignal | undefined, onChunk: (bytes: number) => void, keep: ReadonlySet<string>, blocking: boolean): Promise<CsObject[]> {
  const reader = new ConnectorSpaceXmlReader(file, 'Export-ADSyncToolsObjects', { keep });
  const decoder = new StringDecoder('utf8');
  // 64 KiB chunks (the stream default): each decoded chunk, and the reader's buffer built from it,
  // stays in V8's young generation. 1 MiB chunks made every buffer a large object (its own mapping,
  // never reused): at 100k objects that was 146 fresh 1 MiB strings plus as many copies, about half
  // of the read's time on this machine.
  const CHUNK = 64 * 1024;
  if (blocking) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw cannotRead(path, e);
    }
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        if (signal?.aborted) throw new CancelledError(`reading ${file}`);
        let n: number;
        try {
          n = readSync(fd, buf, 0, CHUNK, null);
        } catch (e) {
          throw cannotRead(path, e);
        }
        if (n === 0) break;
        // The decoder makes a string of its own (it keeps no view of the reused buffer).
        reader.write(decoder.write(buf.subarray(0, n)));
        onChunk(n);
      }
    } finally {
      closeSync(fd);
    }
  } else {
    const stream = createReadStream(path, { highWaterMark: CHUNK });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (signal?.aborted) throw new CancelledError(`reading ${file}`);
        reader.write(decoder.write(chunk));
        onChunk(chunk.length);
      }
    } catch (e) {
      if (e instanceof ValidationError || e instanceof CancelledError) throw e;
      throw cannotRead(path, e);
    } finally {
      stream.destroy();
    }
  }
  reader.write(decoder.end());
  return reader.end();
}

export interface ReadConnectOptions {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /**
   * Read the connector-space XML with blocking reads: only for a thread with nothing else to do (the
   * CLI's worker, main/cli/connect-worker.ts), never the service process's or the CLI's main thread.
   */
  blocking?: boolean;
}

export interface ConnectFileInfo {
  file: string;
  kind: ConnectExportKind;
  bytes: number;
}

/**
 * Reads the files and joins them: connector-space objects (XML or JSON, any number of files), the sync
 * rules and the run history. Errors name the file and the line; files over the limits are refused
 * before they are read.
 */
export async function readConnectExports(
  paths: readonly string[],
  options: ReadConnectOptions = {},
): Promise<{ objects: EngineObject[]; stats: ConnectStats; files: ConnectFileInfo[] }> {
  const { signal } = options;
  const progress = options.onProgress ?? noProgress;
  if (paths.length === 0) throw new ValidationError('connect-export', 'no files given');
  if (paths.length > CONNECT_LIMITS.files) throw new ValidationError('connect-export', `${paths.length} files: at most ${CONNECT_LIMITS.files} in one import`);
  const files: (ConnectFileInfo & { path: string })[] = [];
  for (const path of paths) {
    const file = basename(path);
    let bytes: number;
    let head: string;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new ValidationError('connect-export', `${path} is not a file`);
      bytes = st.size;
      head = await headOf(path);
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      throw cannotRead(path, e);
    }
    if (bytes === 0) throw new ValidationError(file, 'is empty');
    const kind = connectExportKind(head, file);
    const limit = kind === 'cs-xml' ? CONNECT_LIMITS.xmlBytes : CONNECT_LIMITS.jsonBytes;
    if (bytes > limit) throw new ValidationError(file, `is ${Math.round(bytes / 1024 ** 2)} MiB: a ${kind === 'cs-xml' ? 'connector-space XML' : 'JSON'} export may be at most ${Math.round(limit / 1024 ** 2)} MiB`);
    files.push({ path, file, kind, bytes });
  }
  const total = files.reduce((n, f) => n + f.bytes, 0);
  let done = 0;
  const tick = (bytes: number): void => {
    done += bytes;
    progress({ phase: 'engine-read', done, total, message: 'bytes of the Connect exports read' });
  };
  const csObjects: CsObject[] = [];
  const rules: SyncRuleInfo[] = [];
  const runs: ConnectorRun[] = [];
  let rulesFile: string | null = null;
  let runsFile: string | null = null;
  const append = <T>(to: T[], from: readonly T[]): void => {
    // push(...from) would pass every object as an argument: a 100k export overflows the stack.
    for (const x of from) to.push(x);
  };
  // The rules and run history first (small JSON): what the rules read decides which attributes the
  // connector-space XML's objects keep (attributesTheJoinReads); the objects stay in file order.
  const ordered = [...files.filter((f) => f.kind === 'rules' || f.kind === 'runs'), ...files.filter((f) => f.kind === 'cs-xml' || f.kind === 'cs-json')];
  let keep: Set<string> | null = null;
  for (const f of ordered) {
    throwIfCancelled(signal, 'reading the Connect exports');
    if (f.kind === 'cs-xml') {
      keep ??= attributesTheJoinReads(rules);
      append(csObjects, await streamXml(f.path, f.file, signal, tick, keep, options.blocking === true));
      continue;
    }
    let text: string;
    try {
      text = await readFile(f.path, 'utf8');
    } catch (e) {
      throw cannotRead(f.path, e);
    }
    tick(f.bytes);
    if (f.kind === 'cs-json') append(csObjects, parseCsObjectJson(text, f.file));
    else if (f.kind === 'rules') {
      append(rules, parseSyncRulesJson(text, f.file));
      rulesFile = f.file;
    } else {
      append(runs, parseRunHistoryJson(text, f.file));
      runsFile = f.file;
    }
  }
  if (csObjects.length === 0) throw new ValidationError('connect-export', 'no connector-space export among the files: give the Get-ADSyncCSObject JSON or the connector-space XML too');
  throwIfCancelled(signal, 'joining the Connect exports');
  progress({ phase: 'engine-join', done: 0, total: csObjects.length, message: 'joining the connector spaces' });
  const joined = buildConnectEngineObjects({ csObjects, rules, rulesFile, runs, runsFile });
  progress({ phase: 'engine-join', done: csObjects.length, total: csObjects.length, message: 'joined the connector spaces' });
  return { ...joined, files: files.map(({ file, kind, bytes }) => ({ file, kind, bytes })) };
}
