/**
 * msal-node token cache persisted through the injected Encryptor. The serialized cache holds
 * refresh tokens, so it is only ever written encrypted; with a weak backend (Linux `basic_text`)
 * the caller decides: 'refuse' keeps the cache in memory (sign-in again next launch), 'allow'
 * persists and logs a warning the UI can surface.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { SyncDriftError } from '../core/errors';
import type { Encryptor, Logger } from '../core/ports';

/** Where encrypted cache bytes live: a file, or a callback into the workspace or OS store. */
export interface TokenCacheStore {
  read(): Promise<Buffer | null>;
  write(data: Buffer): Promise<void>;
  clear(): Promise<void>;
}

/** A file store written atomically with owner-only permissions. */
export function fileTokenCacheStore(path: string): TokenCacheStore {
  return {
    async read() {
      try {
        return await readFile(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async write(data) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, path);
    },
    async clear() {
      await rm(path, { force: true });
    },
  };
}

/** An in-memory store (tests; sessions that must not persist). */
export function memoryTokenCacheStore(): TokenCacheStore & { bytes: Buffer | null } {
  const s = {
    bytes: null as Buffer | null,
    read: async () => s.bytes,
    write: async (d: Buffer) => {
      s.bytes = d;
    },
    clear: async () => {
      s.bytes = null;
    },
  };
  return s;
}

export type WeakEncryptionPolicy = 'refuse' | 'allow';

export interface TokenCachePersistence {
  /** 'encrypted' (strong backend), 'weak' (persisted under a weak backend), 'memory' (not persisted). */
  mode: 'encrypted' | 'weak' | 'memory';
  backend: string;
  reason?: string;
}

export interface TokenCachePlugin extends ICachePlugin {
  readonly persistence: TokenCachePersistence;
}

export function createTokenCachePlugin(opts: { encryptor: Encryptor; store: TokenCacheStore; weakEncryption?: WeakEncryptionPolicy; logger: Logger }): TokenCachePlugin {
  const { encryptor, store, logger } = opts;
  const weak = !encryptor.isStrong;
  const persist = !weak || opts.weakEncryption === 'allow';
  const persistence: TokenCachePersistence = persist
    ? { mode: weak ? 'weak' : 'encrypted', backend: encryptor.backend, ...(weak ? { reason: `The secret store backend '${encryptor.backend}' does not protect data at rest; the token cache is persisted anyway because the admin allowed it.` } : {}) }
    : { mode: 'memory', backend: encryptor.backend, reason: `The secret store backend '${encryptor.backend}' does not protect data at rest, so sign-ins are kept in memory only and are lost when the app closes.` };
  const readSnapshot = async (): Promise<string | null> => {
    const bytes = await store.read();
    if (!bytes || bytes.length === 0) return null;
    try {
      return await encryptor.decrypt(bytes);
    } catch (e) {
      // A cache from another machine or a reset keyring: start clean instead of failing sign-in.
      logger.warn('token cache unreadable; starting with an empty cache', { backend: encryptor.backend, error: e instanceof Error ? e.message : String(e) });
      await store.clear();
      return null;
    }
  };
  if (weak) logger.warn('token cache: weak encryption backend', { backend: encryptor.backend, persisted: persist });

  // msal-node overwrites its in-memory cache from the plugin on every access (silent calls
  // included), so the plugin must hand back the latest state each time, not only at start-up.
  let snapshot: string | null = null;
  let loaded = false;
  return {
    persistence,
    async beforeCacheAccess(ctx: TokenCacheContext) {
      if (!loaded) {
        loaded = true;
        if (persist) snapshot = await readSnapshot();
      }
      if (snapshot !== null) ctx.tokenCache.deserialize(snapshot);
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (!ctx.cacheHasChanged) return;
      snapshot = ctx.tokenCache.serialize();
      if (!persist) return;
      try {
        await store.write(await encryptor.encrypt(snapshot));
      } catch (e) {
        throw new SyncDriftError('internal', 'TOKEN_CACHE_WRITE', 'The sign-in could not be saved to the encrypted token cache.', { cause: e });
      }
    },
  };
}
