/**
 * The CLI's last read of `--connect-export` files, kept for the next run that names the same files
 * unchanged (#18). Reading a 100k-user connector-space export costs seconds of CPU; the joined objects
 * it gives depend on the files alone, so a support engineer re-running `syncdrift import` or `scan`
 * on the same exports gets them back from the workspace (the stored import's format,
 * main/core/engine-import-format.ts) instead.
 *
 * "Unchanged" is what `make` and Git's index go by, made stricter: per file its path, device, inode,
 * size, modification and status-change times in nanoseconds (ctime cannot be set back by a program
 * that rewrites a file), in the order given, and the version of the reader that read them. Any
 * difference, a stamp or blob that does not validate, or objects that no longer decode means the
 * files are read again. One entry: the newest read replaces the one before, in one transaction.
 *
 * Kept in `blobs` under its own prefix: derived data, so not carried by export-workspace
 * (main/workspace/transfer.ts carries settings and the per-profile imports, never blobs as such).
 * It holds exported phone numbers, so retention and `purge` drop it once it is older than their
 * cutoff, as they drop scans.
 */
import type Sqlite from 'better-sqlite3';
import { z } from 'zod';
import type { EngineObject } from '../core/engine-view';
import { decodeEngineImport } from '../core/engine-import-format';
import { ConnectImportInfo } from '../core/engine-import';
import { systemClock } from '../core/ports';
import { BlobRepository } from './settings';
import { openExistingDatabase } from './db';

export const CONNECT_EXPORT_CACHE_PREFIX = 'connect-export-cache:';
const META_KEY = `${CONNECT_EXPORT_CACHE_PREFIX}meta`;
const OBJECTS_KEY = `${CONNECT_EXPORT_CACHE_PREFIX}objects`;

/** What identifies one file's content without reading it (bigint stat fields as decimal text). */
export const ExportFileStamp = z.strictObject({
  path: z.string().min(1),
  dev: z.string().regex(/^\d+$/),
  ino: z.string().regex(/^\d+$/),
  size: z.string().regex(/^\d+$/),
  mtimeNs: z.string().regex(/^\d+$/),
  ctimeNs: z.string().regex(/^\d+$/),
});
export type ExportFileStamp = z.infer<typeof ExportFileStamp>;

const Meta = z.strictObject({
  cache: z.literal('syncdrift-connect-export-cache/1'),
  reader: z.string().min(1),
  stamps: z.array(ExportFileStamp).min(1),
  info: ConnectImportInfo,
});

function sameStamps(a: readonly ExportFileStamp[], b: readonly ExportFileStamp[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return x.path === y.path && x.dev === y.dev && x.ino === y.ino && x.size === y.size && x.mtimeNs === y.mtimeNs && x.ctimeNs === y.ctimeNs;
  });
}

export interface CachedConnectRead {
  info: ConnectImportInfo;
  objects: EngineObject[];
}

export class ConnectExportCache {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly blobs: BlobRepository,
  ) {}

  /** The kept read's record, 'none' when there is none, 'unreadable' when it does not validate. */
  private meta(): z.infer<typeof Meta> | 'none' | 'unreadable' {
    const raw = this.blobs.get(META_KEY);
    if (!raw) return 'none';
    try {
      const parsed = Meta.safeParse(JSON.parse(raw.toString('utf8')));
      return parsed.success ? parsed.data : 'unreadable';
    } catch {
      return 'unreadable';
    }
  }

  /**
   * The objects of the last read when it was of exactly these files (same stamps, same order) by this
   * reader; otherwise why not (`miss`, for the CLI to say).
   */
  get(stamps: readonly ExportFileStamp[], reader: string): (CachedConnectRead & { miss?: undefined }) | { miss: 'none' | 'changed' | 'unreadable' } {
    // Record and objects read in one transaction: another run replacing the kept read between the
    // two reads would otherwise pair this read's stamps with that read's objects.
    type Found = { meta: z.infer<typeof Meta>; body: Buffer } | { miss: 'none' | 'changed' | 'unreadable' };
    const found = this.db.transaction((): Found => {
      const meta = this.meta();
      if (typeof meta === 'string') return { miss: meta };
      if (meta.reader !== reader || !sameStamps(meta.stamps, stamps)) return { miss: 'changed' };
      const body = this.blobs.get(OBJECTS_KEY);
      return body ? { meta, body } : { miss: 'unreadable' };
    })();
    if ('miss' in found) return { miss: found.miss };
    let objects: EngineObject[] | null;
    try {
      objects = decodeEngineImport(JSON.parse(found.body.toString('utf8')));
    } catch {
      objects = null;
    }
    if (!objects || objects.length !== found.meta.info.objects) return { miss: 'unreadable' };
    return { info: found.meta.info, objects };
  }

  /** The stamps and reader of the kept read (whether its files are still so or not: get() says), or null. */
  kept(): { stamps: ExportFileStamp[]; reader: string; info: ConnectImportInfo } | null {
    const meta = this.meta();
    return typeof meta === 'string' ? null : { stamps: meta.stamps, reader: meta.reader, info: meta.info };
  }

  /** Replaces the kept read with this one (the stored import's encoding of its objects), all or nothing. */
  put(stamps: readonly ExportFileStamp[], reader: string, info: ConnectImportInfo, body: Uint8Array | string): void {
    const meta = Meta.parse({ cache: 'syncdrift-connect-export-cache/1', reader, stamps, info });
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.db.transaction(() => {
      this.blobs.put(OBJECTS_KEY, bytes);
      this.blobs.put(META_KEY, JSON.stringify(meta));
    })();
  }

  /** Forgets the kept read; true when there was one. */
  clear(): boolean {
    return this.db.transaction(() => {
      const a = this.blobs.delete(META_KEY);
      const b = this.blobs.delete(OBJECTS_KEY);
      return a || b;
    })();
  }
}

/**
 * Keeps a read in the workspace at `path` through a connection of its own (openExistingDatabase):
 * how the CLI's Connect export worker keeps what it read without handing 25 MB back to the main
 * thread to write. The workspace must be open already (the main thread opened and migrated it).
 */
export function keepConnectReadAt(path: string, stamps: readonly ExportFileStamp[], reader: string, info: ConnectImportInfo, body: Uint8Array | string): void {
  const db = openExistingDatabase(path);
  try {
    new ConnectExportCache(db, new BlobRepository(db, systemClock)).put(stamps, reader, info, body);
  } finally {
    db.close();
  }
}
