/**
 * The Entra Connect exports an admin imported for a profile (#18): the joined engine objects, kept
 * per profile so every later scan of it (and the preflight's rescan) joins them. What the app shows
 * (files, counts, when) is a settings row read without touching the objects; the objects a blob.
 * Both are written in one transaction, so an import is either all there or not there; both are
 * validated on read, and an import that no longer reads as one is ignored, never joined.
 */
import type Sqlite from 'better-sqlite3';
import { z } from 'zod';
import { EngineEvidence, EngineObject, EngineRule } from '../core/engine-view';
import { ConnectImportInfo } from '../core/engine-import';
import type { BlobRepository, SettingsRepository } from './settings';

export { ConnectImportFile, ConnectImportInfo } from '../core/engine-import';

/** The first format: every object whole (its rule and citations repeated per object). Still read. */
const ObjectsV1 = z.object({ format: z.literal('syncdrift-connect-import/1'), objects: z.array(EngineObject) });
/**
 * The stored format: the rules and citations the objects share are written once and referenced by
 * index. At 100k users one rule's expression and two citations were three quarters of the blob (79 of
 * 105 MB) and, read back, 100k copies of each in memory; a stored import now reads back with one
 * object per distinct rule and citation, as the reader built them.
 */
const StoredObject = EngineObject.extend({ rule: z.number().int().nonnegative().nullable(), evidence: z.array(z.number().int().nonnegative()) });
const ObjectsV2 = z.object({
  format: z.literal('syncdrift-connect-import/2'),
  rules: z.array(EngineRule),
  evidence: z.array(EngineEvidence),
  objects: z.array(StoredObject),
});
type StoredObject = z.infer<typeof StoredObject>;

/** An interning table: each distinct value (by identity, else by content) gets one index. */
function table<T>(key: (v: T) => string): { index: (v: T) => number; values: T[] } {
  const byRef = new Map<T, number>();
  const byKey = new Map<string, number>();
  const values: T[] = [];
  return {
    values,
    index(v) {
      let i = byRef.get(v);
      if (i !== undefined) return i;
      const k = key(v);
      i = byKey.get(k);
      if (i === undefined) byKey.set(k, (i = values.push(v) - 1));
      byRef.set(v, i);
      return i;
    },
  };
}

/** The objects in the stored format (shared rules and citations once). */
export function encodeEngineImport(objects: readonly EngineObject[]): string {
  const rules = table<EngineRule>((r) => JSON.stringify([r.name, r.precedence, r.expression, r.sources, r.connector]));
  const evidence = table<EngineEvidence>((e) => JSON.stringify([e.source, e.origin, e.line]));
  const stored: StoredObject[] = objects.map((o) => ({ ...o, rule: o.rule ? rules.index(o.rule) : null, evidence: o.evidence.map((e) => evidence.index(e)) }));
  return JSON.stringify({ format: 'syncdrift-connect-import/2', rules: rules.values, evidence: evidence.values, objects: stored });
}

/** The objects of a stored import (either format), or null when it does not read as one. */
export function decodeEngineImport(parsed: unknown): EngineObject[] | null {
  const v2 = ObjectsV2.safeParse(parsed);
  if (v2.success) {
    const { rules, evidence, objects } = v2.data;
    const out: EngineObject[] = new Array(objects.length);
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i]!;
      if (o.rule !== null && o.rule >= rules.length) return null;
      const cites: EngineEvidence[] = new Array(o.evidence.length);
      for (let j = 0; j < o.evidence.length; j++) {
        const e = evidence[o.evidence[j]!];
        if (!e) return null;
        cites[j] = e;
      }
      out[i] = { ...o, rule: o.rule === null ? null : rules[o.rule]!, evidence: cites };
    }
    return out;
  }
  const v1 = ObjectsV1.safeParse(parsed);
  return v1.success ? v1.data.objects : null;
}

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
