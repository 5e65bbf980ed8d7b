/**
 * A read-only OnPremDirectory over users imported from a file (LDIF or the export kit's CSV).
 * Built only after the whole file parsed: an import either yields every user or none.
 */
import { SyncDriftError, ValidationError } from '../../core/errors';
import type { OnPremUser } from '../../core/model';
import { throwIfCancelled } from '../../core/progress';
import type { MobileWrite, MobileWriteResult, OnPremDirectory, ReplicaState, ScanOptions, ScanResult, SourceInfo } from '../port';
import { toOnPremUser, type RawEntry } from '../entry';
import { normDn } from '../../core/onprem-profile';

export class SnapshotDirectory implements OnPremDirectory {
  private readonly byDn: Map<string, OnPremUser>;

  constructor(
    private readonly info: SourceInfo,
    private readonly users: readonly OnPremUser[],
  ) {
    this.byDn = new Map(users.map((u) => [normDn(u.dn), u]));
  }

  describe(): SourceInfo {
    return this.info;
  }

  /** All imported users, out-of-scope ones included (marked). */
  all(): readonly OnPremUser[] {
    return this.users;
  }

  async *scan(options: ScanOptions = {}): AsyncGenerator<OnPremUser[], ScanResult, void> {
    const size = options.pageSize ?? 1000;
    const list = options.includeOutOfScope ? this.users : this.users.filter((u) => u.inScope && !u.isDeleted);
    let done = 0;
    for (let i = 0; i < list.length; i += size) {
      throwIfCancelled(options.signal, 'The import scan');
      const page = list.slice(i, i + size);
      done += page.length;
      options.onProgress?.({ phase: 'onprem', done, total: list.length, pages: i / size + 1 });
      yield page;
    }
    // A file has no DC behind it: no watermark, never incremental.
    return { watermark: null, incremental: false, objects: done };
  }

  async readUser(dn: string): Promise<OnPremUser | null> {
    return this.byDn.get(normDn(dn)) ?? null;
  }

  async writeMobile(_write: MobileWrite): Promise<MobileWriteResult> {
    throw new SyncDriftError('permission', 'SNAPSHOT_READ_ONLY', `${this.info.label} is an offline import: it cannot be written. Write mobile in AD, or connect to a DC.`);
  }

  async replicaStates(dn: string): Promise<ReplicaState[]> {
    const u = this.byDn.get(normDn(dn));
    return [{ dc: this.info.label, value: u?.mobile ?? null, change: u?.changes.mobile ?? null, ...(u ? {} : { error: 'not in this import' }) }];
  }

  async close(): Promise<void> {}
}

export interface ImportOptions {
  /** Name shown in errors (file:line) and as the source label. */
  file: string;
  sourceId?: string;
  anchorAttribute?: string;
}

/**
 * Converts parsed entries; any bad entry refuses the whole import with its file:line. So does one
 * user twice (same DN, objectGUID or source anchor): keeping either copy would hide the other.
 */
export function snapshotFrom(entries: Array<{ entry: RawEntry; line: number }>, options: ImportOptions, kind: string): SnapshotDirectory {
  const sourceId = options.sourceId ?? `import:${options.file.split(/[\\/]/).pop() ?? options.file}`;
  const anchorAttribute = options.anchorAttribute ?? 'mS-DS-ConsistencyGuid';
  const users = entries.map(({ entry, line }) => toOnPremUser(entry, { sourceId, anchorAttribute, where: `${options.file}:${line}` }));
  const unit = kind === 'CSV' ? 'row' : 'record';
  const seen = { dn: new Map<string, number>(), guid: new Map<string, number>(), anchor: new Map<string, number>() };
  users.forEach((u, i) => {
    const line = entries[i]!.line;
    const once = (map: Map<string, number>, key: string | null, what: string) => {
      if (key === null || key === '') return;
      const first = map.get(key);
      if (first !== undefined) throw new ValidationError(`${options.file}:${line}`, `${what} is already the ${what === u.dn ? unit : 'user'} on line ${first}: one user appears twice in the file, which would hide one of the two`);
      map.set(key, line);
    };
    once(seen.dn, normDn(u.dn), u.dn);
    once(seen.guid, u.objectGuid, `objectGUID ${u.objectGuid}`);
    once(seen.anchor, u.sourceAnchor, `source anchor ${u.sourceAnchor}`);
  });
  const suffix = commonSuffix(users.map((u) => u.dn));
  return new SnapshotDirectory({ id: sourceId, kind: 'snapshot', label: `${options.file} (${kind})`, baseDn: suffix, searchBases: [suffix], writable: false }, users);
}

/** The longest run of DC= components all DNs share (the domain), for SourceInfo.baseDn. */
function commonSuffix(dns: string[]): string {
  const first = dns[0];
  if (!first) return '';
  const dc = first.split(/(?<!\\),/).filter((p) => /^dc=/i.test(p.trim()));
  return dc.join(',');
}
