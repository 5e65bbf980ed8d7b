/**
 * The Entra Connect exports an admin imported for a profile (#18): the joined engine objects, kept
 * per profile so every later scan of it (and the preflight's rescan) joins them. One blob per
 * profile, written in one statement, so an import is either all there or not there; validated on read.
 */
import { z } from 'zod';
import { EngineObject } from '../core/engine-view';
import { ConnectImportInfo } from '../core/engine-import';
import type { BlobRepository } from './settings';

export { ConnectImportFile, ConnectImportInfo } from '../core/engine-import';

const Stored = z.object({ format: z.literal('syncdrift-connect-import/1'), info: ConnectImportInfo, objects: z.array(EngineObject) });

const keyOf = (profileId: string) => `engine-import:connect:${profileId}`;

export class EngineImportRepository {
  constructor(private readonly blobs: BlobRepository) {}

  /** Replaces the profile's import with this one (a single write: nothing half-written). */
  put(profileId: string, info: ConnectImportInfo, objects: readonly EngineObject[]): void {
    this.blobs.put(keyOf(profileId), JSON.stringify({ format: 'syncdrift-connect-import/1', info, objects }));
  }

  /** The stored import, or null when there is none or it no longer reads as one (then it is ignored, not trusted). */
  get(profileId: string): { info: ConnectImportInfo; objects: EngineObject[] } | null {
    const raw = this.blobs.get(keyOf(profileId));
    if (!raw) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return null;
    }
    const r = Stored.safeParse(parsed);
    return r.success ? { info: r.data.info, objects: r.data.objects } : null;
  }

  delete(profileId: string): boolean {
    return this.blobs.delete(keyOf(profileId));
  }
}
