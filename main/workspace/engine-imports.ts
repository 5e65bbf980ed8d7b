/**
 * The Entra Connect exports an admin imported for a profile (#18): the joined engine objects, kept
 * per profile so every later scan of it (and the preflight's rescan) joins them. What the app shows
 * (files, counts, when) is a settings row read without touching the objects; the objects a blob.
 * Both are written in one transaction, so an import is either all there or not there; both are
 * validated on read, and an import that no longer reads as one is ignored, never joined.
 */
import type Sqlite from 'better-sqlite3';
import type { EngineObject } from '../core/engine-view';
import { decodeEngineImport, encodeEngineImport } from '../core/engine-import-format';
import { ConnectImportInfo } from '../core/engine-import';
import type { BlobRepository, SettingsRepository } from './settings';

export { ConnectImportFile, ConnectImportInfo } from '../core/engine-import';

/** Every settings and blob key of an import starts so (workspace exports carry imports as their own records). */
export const ENGINE_IMPORT_KEY_PREFIX = 'engine-import:';
const INFO_PREFIX = `${ENGINE_IMPORT_KEY_PREFIX}connect:`;
const infoKey = (profileId: string) => `${INFO_PREFIX}${profileId}`;
const objectsKey = (profileId: string) => `${ENGINE_IMPORT_KEY_PREFIX}connect-objects:${profileId}`;

export class EngineImportRepository {
  constructor(
    private readonly db: Sqlite.Database,
    private readonly settings: SettingsRepository,
    private readonly blobs: BlobRepository,
  ) {}

  /** Replaces the profile's import with this one, in one transaction: nothing half-written. */
  put(profileId: string, info: ConnectImportInfo, objects: readonly EngineObject[]): void {
    const body = encodeEngineImport(objects);
    this.db.transaction(() => {
      this.blobs.put(objectsKey(profileId), body);
      this.settings.set(infoKey(profileId), ConnectImportInfo.parse(info));
    })();
  }

  /** The profiles that have an import stored (whether it still reads or not: get() says). */
  profileIds(): string[] {
    return this.db
      .prepare('SELECT substr(key, ?) FROM settings WHERE substr(key, 1, ?) = ? ORDER BY key')
      .pluck()
      .all(INFO_PREFIX.length + 1, INFO_PREFIX.length, INFO_PREFIX) as string[];
  }

  /** What the app shows of the import, or null when there is none (or its objects are gone). */
  info(profileId: string): ConnectImportInfo | null {
    const info = this.settings.get(infoKey(profileId), ConnectImportInfo);
    return info && this.blobs.has(objectsKey(profileId)) ? info : null;
  }

  /** The stored import with its objects, or null when there is none or it no longer reads as one. */
  get(profileId: string): { info: ConnectImportInfo; objects: EngineObject[] } | null {
    const info = this.info(profileId);
    const raw = info ? this.blobs.get(objectsKey(profileId)) : null;
    if (!info || !raw) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return null;
    }
    const objects = decodeEngineImport(parsed);
    return objects ? { info, objects } : null;
  }

  delete(profileId: string): boolean {
    return this.db.transaction(() => {
      const had = this.info(profileId) !== null;
      this.settings.delete(infoKey(profileId));
      this.blobs.delete(objectsKey(profileId));
      return had;
    })();
  }
}
