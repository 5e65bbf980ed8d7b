/**
 * `--connect-export FILE` (repeatable, on `import` and `scan`): the Entra Connect exports of
 * docs/onprem.md, read and joined by main/syncengine/connect-files.ts (the app's engine import reads
 * them the same way), here on a worker thread while the scan reads the directories
 * (main/cli/connect-off-thread.ts). With a workspace (not --no-save) the joined objects are
 * kept (main/workspace/connect-export-cache.ts), and a later run naming the same files unchanged
 * gets them back from it instead of reading the files again; it says which it did.
 */
import { statSync } from 'node:fs';
import type { EngineObject } from '../core/engine-view';
import type { ConnectImportInfo } from '../core/engine-import';
import type { Clock } from '../core/ports';
import type { ProgressSink } from '../core/progress';
import type { Workspace } from '../workspace/workspace';
import type { ExportFileStamp } from '../workspace/connect-export-cache';
import { ENGINE_IMPORT_FORMAT } from '../core/engine-import-format';
import { APP_VERSION } from '../core/version';
import { readConnectExportsOffThread, type ConnectReadResult, type OffThreadOptions } from './connect-off-thread';

export { readConnectExports } from '../syncengine/connect-files';
export { readConnectExportsOffThread } from './connect-off-thread';

/** The files' stamps (main/workspace/connect-export-cache.ts), or null when one cannot be stat'ed (the read then names it). */
export function stampExportFiles(paths: readonly string[]): ExportFileStamp[] | null {
  const out: ExportFileStamp[] = [];
  for (const path of paths) {
    let st;
    try {
      st = statSync(path, { bigint: true });
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    out.push({ path, dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) });
  }
  return out;
}

const describe = (info: ConnectImportInfo): string =>
  `${info.stats.aadUsers} Entra ID connector user(s), ${info.stats.adOnly} AD-only, ${info.stats.rulesTouchingMobile} rule(s) flowing to mobile`;

/** Who reads the exports: a kept read by another version of the CLI is not used. */
export const CONNECT_EXPORT_READER = `syncdrift ${APP_VERSION}`;
/** What a kept read is recorded as read by: the reader and the format its objects are kept in. */
const keptBy = (reader: string = CONNECT_EXPORT_READER): string => `${reader} ${ENGINE_IMPORT_FORMAT}`;

/**
 * The workspace's kept read when every file it was read from is still as it was (stamped again
 * now), for a command that did not name the files itself (apply's preflight rescan); else null.
 */
export function keptConnectRead(ws: Workspace): { objects: EngineObject[]; info: ConnectImportInfo; paths: string[] } | null {
  const kept = ws.connectExportCache.kept();
  if (!kept) return null;
  const paths = kept.stamps.map((s) => s.path);
  const now = stampExportFiles(paths);
  if (!now) return null;
  const r = ws.connectExportCache.get(now, keptBy());
  return r.miss ? null : { objects: r.objects, info: r.info, paths };
}

export interface ConnectExportReadOptions {
  /** The workspace the read is kept in and looked up from; null (--no-save): read every time. */
  workspace: Workspace | null;
  /** Who read the files (CONNECT_EXPORT_READER): a kept read by another reader is not used. */
  reader?: string;
  clock: Clock;
  signal: AbortSignal;
  onProgress: ProgressSink;
  say: (line: string) => void;
  /** Called when the objects are there, whichever way (ends the progress line). */
  onSettled?: () => void;
  /** For tests and the bench: another worker entry. */
  read?: (paths: readonly string[], o: OffThreadOptions & { signal: AbortSignal; onProgress: ProgressSink }) => Promise<ConnectReadResult>;
}

export interface ConnectExportRead {
  /** The joined objects; rejects with the reader's error (naming the file and line). */
  objects: Promise<readonly EngineObject[]>;
  /**
   * Settles (never rejects) once the read is kept for the next run, or said to be not kept. Await
   * it before closing the workspace or cancelling: the worker keeps the read after handing it over.
   */
  kept: Promise<void>;
}

/**
 * The joined objects of the exports at `paths`: the workspace's kept read when it is of these files
 * unchanged, else read on a worker thread, which then keeps the read in the workspace itself (off
 * the main thread's critical path). A read that cannot be kept is said, not fatal.
 */
export function startConnectExportRead(paths: readonly string[], o: ConnectExportReadOptions): ConnectExportRead {
  const reader = keptBy(o.reader);
  const stamps = o.workspace ? stampExportFiles(paths) : null;
  let why = '';
  if (o.workspace && stamps) {
    const kept = o.workspace.connectExportCache.get(stamps, reader);
    if (!kept.miss) {
      o.onSettled?.();
      o.say(`Connect exports: unchanged since they were read at ${kept.info.importedAt}, taken from ${o.workspace.path} (${describe(kept.info)}).`);
      return { objects: Promise.resolve(kept.objects), kept: Promise.resolve() };
    }
    if (kept.miss === 'unreadable') why = ' (the read kept in the workspace no longer checks, so they are read again)';
  }
  const ws = o.workspace;
  // The files were stamped before the read began, so the read is dated from then too.
  const importedAt = o.clock.now().toISOString();
  const keep = ws && stamps && ws.path !== ':memory:' ? { workspace: ws.path, stamps, reader, importedAt } : undefined;
  const read = o.read ?? ((p, x) => readConnectExportsOffThread(p, x));
  const notKept = (why: string): void => o.say(`Connect exports: not kept for the next run (${why}); they will be read again.`);
  let keptDone: () => void = () => {};
  const kept = new Promise<void>((r) => (keptDone = r));
  const objects = read(paths, { signal: o.signal, onProgress: o.onProgress, ...(keep ? { keep } : {}) }).then(
    (r) => {
      o.onSettled?.();
      const info: ConnectImportInfo = { importedAt, objects: r.objects.length, files: r.files, stats: r.stats };
      o.say(`Connect exports${why}: ${describe(info)}.`);
      if (r.kept) {
        void r.kept.then((k) => {
          if (!k.kept && !k.cancelled) notKept(k.why);
          keptDone();
        });
      } else {
        // Asked to keep it, a reader that says nothing of keeping did not (without a workspace file, or in
        // memory, there is nothing to keep it in).
        if (keep) notKept('the reader did not keep it');
        keptDone();
      }
      return r.objects;
    },
    (e: unknown) => {
      keptDone();
      throw e;
    },
  );
  return { objects, kept };
}
