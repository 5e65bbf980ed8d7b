/**
 * The sandbox on-prem directory: a writable, in-memory AD behind the OnPremDirectory port, with what
 * the product reads from a real DC (USNs and an invocationId for incremental reads, per-attribute
 * change time and version like replication metadata, tombstones, critical system objects) and what
 * remediation needs (compare-and-set `mobile` writes, a second DC that lags behind on request).
 * State serializes to JSON so a workspace can keep a demo across restarts.
 *
 * The entry shape and its helpers are directory-entry.ts; LDIF in and out is directory-ldif.ts.
 */
import type { AttributeChange, OnPremUser } from '../core/model';
import { SyncDriftError, ValidationError, formatIssues } from '../core/errors';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { throwIfCancelled } from '../core/progress';
import type {
  MobileWrite,
  MobileWriteResult,
  OnPremDirectory,
  ReplicaState,
  ScanOptions,
  ScanResult,
  SourceInfo,
} from '../onprem/port';
import {
  SerializedDirectory,
  TRACKED_ATTRIBUTES,
  attrValue,
  emptyToNull,
  norm,
  rdnValue,
  sanitizeMobile,
  scopeOf,
  show,
  toChange,
  type AttrMeta,
  type Entry,
  type SandboxDirectoryOptions,
  type SandboxUserChange,
  type SandboxUserSeed,
  type SecondDcOptions,
  type TrackedAttribute,
} from './directory-entry';
import { entryToLdif, userSeedsFromLdif } from './directory-ldif';
import { anchorFromGuidText, deterministicGuid, isGuidText, isSidText } from './ids';

export class SandboxDirectory implements OnPremDirectory {
  private clock: Clock;
  private state: SerializedDirectory;
  private byDn = new Map<string, Entry>();
  /** objectGUIDs in use, tombstones included (AD never reuses one). */
  private guids = new Set<string>();

  constructor(options: SandboxDirectoryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const baseDn = options.baseDn ?? 'DC=corp,DC=contoso,DC=com';
    const dcName = options.dcName ?? 'DC01';
    this.state = {
      format: 'syncdrift-sandbox-directory',
      version: 1,
      sourceId: options.sourceId ?? 'sandbox',
      baseDn,
      dcName,
      invocationId: options.invocationId ?? deterministicGuid(`${baseDn}/${dcName}/invocation`),
      secondDc: options.secondDc
        ? {
            name: options.secondDc.name,
            lagMs: options.secondDc.lagMs,
            invocationId: options.secondDc.invocationId ?? deterministicGuid(`${baseDn}/${options.secondDc.name}/invocation`),
          }
        : null,
      highestUsn: 12000, // a fresh Windows DC starts in the thousands; tests must not depend on the number
      entries: [],
    };
  }

  /** Builds a directory from LDIF content (the demo's or an ldifde export of users). */
  static fromLdif(source: string, options: SandboxDirectoryOptions & { file?: string } = {}): SandboxDirectory {
    const dir = new SandboxDirectory(options);
    dir.loadLdif(source, options.file ?? 'ldif');
    return dir;
  }

  /** Rebuilds a directory from serialize() output. */
  static fromSerialized(json: string, options: { clock?: Clock } = {}): SandboxDirectory {
    const dir = new SandboxDirectory({ clock: options.clock });
    dir.restore(json);
    return dir;
  }

  // ---- persistence -------------------------------------------------------------------------

  serialize(): string {
    return JSON.stringify(this.state);
  }

  /** Replaces the whole state with serialize() output (validated). */
  restore(json: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new ValidationError('sandbox directory state', 'is not JSON', { cause: e });
    }
    const parsed = SerializedDirectory.safeParse(raw);
    if (!parsed.success) throw new ValidationError('sandbox directory state', formatIssues(parsed.error.issues));
    this.state = parsed.data;
    this.byDn = new Map(this.state.entries.filter((e) => !e.isDeleted).map((e) => [norm(e.dn), e]));
    this.guids = new Set(this.state.entries.map((e) => e.objectGuid.toLowerCase()));
  }

  /** Changes the clock (e.g. from a scripted demo clock to the system clock). */
  setClock(clock: Clock): void {
    this.clock = clock;
  }

  /** Sets, changes or removes the lagging second DC. */
  setSecondDc(options: SecondDcOptions | null): void {
    this.state.secondDc = options
      ? {
          name: options.name,
          lagMs: options.lagMs,
          invocationId: options.invocationId ?? deterministicGuid(`${this.state.baseDn}/${options.name}/invocation`),
        }
      : null;
  }

  get invocationId(): string {
    return this.state.invocationId;
  }

  get highestCommittedUsn(): number {
    return this.state.highestUsn;
  }

  // ---- loading -----------------------------------------------------------------------------

  /** Adds every user record of the LDIF (objectClass user/inetOrgPerson; other records are skipped). */
  loadLdif(source: string, file = 'ldif'): number {
    const seeds = userSeedsFromLdif(source, file);
    for (const seed of seeds) this.insert(seed);
    return seeds.length;
  }

  // ---- on-prem admin operations (what Set-ADUser / New-ADUser / Remove-ADUser would do) ----

  addUser(seed: SandboxUserSeed): OnPremUser {
    return this.toUser(this.insert(seed));
  }

  private insert(seed: SandboxUserSeed): Entry {
    const dn = seed.dn.trim();
    if (!/^[A-Za-z]+=/.test(dn)) throw new ValidationError('dn', `"${seed.dn}" is not a distinguished name`);
    if (this.byDn.has(norm(dn)))
      throw new SyncDriftError('conflict', 'ONPREM_DN_EXISTS', `A user with DN ${dn} already exists in the sandbox directory.`);
    const objectGuid = seed.objectGuid ?? deterministicGuid(`${this.state.baseDn}/${dn}`);
    if (!isGuidText(objectGuid)) throw new ValidationError(`${dn}.objectGUID`, `"${objectGuid}" is not a GUID`);
    if (this.guids.has(objectGuid.toLowerCase())) {
      throw new SyncDriftError(
        'conflict',
        'ONPREM_GUID_EXISTS',
        `objectGUID ${objectGuid} is already used in the sandbox directory.`,
      );
    }
    if (seed.objectSid && !isSidText(seed.objectSid))
      throw new ValidationError(`${dn}.objectSid`, `"${seed.objectSid}" is not a SID (S-1-5-21-…)`);
    if (seed.consistencyGuid && Buffer.from(seed.consistencyGuid, 'base64').length !== 16) {
      throw new ValidationError(`${dn}.mS-DS-ConsistencyGuid`, 'must be 16 bytes (base64)');
    }
    const now = seed.whenCreated ?? this.clock.now().toISOString();
    const usn = ++this.state.highestUsn;
    const entry: Entry = {
      dn,
      cn: rdnValue(dn),
      objectGuid: objectGuid.toLowerCase(),
      consistencyGuid: seed.consistencyGuid ?? null,
      objectSid: seed.objectSid ?? null,
      upn: seed.upn ?? null,
      samAccountName: seed.samAccountName,
      displayName: seed.displayName ?? null,
      mobile: sanitizeMobile(seed.mobile, `${dn}.mobile`),
      otherMobile: (seed.otherMobile ?? [])
        .map((v, i) => sanitizeMobile(v, `${dn}.otherMobile[${i}]`))
        .filter((v): v is string => v !== null),
      telephoneNumber: seed.telephoneNumber ?? null,
      c: seed.c ?? null,
      isCriticalSystemObject: seed.isCriticalSystemObject ?? false,
      adminDescription: seed.adminDescription ?? null,
      mailNickname: seed.mailNickname ?? null,
      msExchRecipientTypeDetails: seed.msExchRecipientTypeDetails ?? null,
      whenCreated: now,
      whenChanged: now,
      usnCreated: usn,
      usnChanged: usn,
      isDeleted: false,
      meta: {},
      mobileLog: [],
    };
    const stamp = (attr: TrackedAttribute) => {
      entry.meta[attr] = {
        changedAt: now,
        version: 1,
        originatingDc: this.state.invocationId,
        originatingUsn: usn,
        localUsn: usn,
      };
    };
    for (const attr of TRACKED_ATTRIBUTES) if (attrValue(entry, attr) !== null) stamp(attr);
    entry.mobileLog.push({ value: entry.mobile, meta: entry.meta.mobile ?? null, at: Date.parse(now) });
    this.state.entries.push(entry);
    this.byDn.set(norm(dn), entry);
    this.guids.add(entry.objectGuid);
    return entry;
  }

  /** Applies an on-prem edit as one originating write; attributes whose value does not change are left alone (AD drops no-op writes). */
  modifyUser(dn: string, change: SandboxUserChange): OnPremUser {
    const entry = this.mustGet(dn);
    this.apply(entry, change);
    return this.toUser(entry);
  }

  /** Deletes a user: it becomes a tombstone that incremental reads return with isDeleted=true. */
  deleteUser(dn: string): void {
    const entry = this.mustGet(dn);
    const usn = ++this.state.highestUsn;
    const now = this.clock.now().toISOString();
    this.byDn.delete(norm(dn));
    entry.isDeleted = true;
    entry.dn = `CN=${entry.cn}\\0ADEL:${entry.objectGuid},CN=Deleted Objects,${this.state.baseDn}`;
    entry.usnChanged = usn;
    entry.whenChanged = now;
  }

  /** Finds a live user by sAMAccountName or UPN (case-insensitive); convenient for scripts and tests. */
  find(samOrUpn: string): OnPremUser | null {
    const key = samOrUpn.toLowerCase();
    const e = this.state.entries.find(
      (x) => !x.isDeleted && (x.samAccountName?.toLowerCase() === key || x.upn?.toLowerCase() === key),
    );
    return e ? this.toUser(e) : null;
  }

  /** Every live user, in scope or not (no paging): for the demo builder and tests. */
  allUsers(): OnPremUser[] {
    return this.state.entries.filter((e) => !e.isDeleted).map((e) => this.toUser(e));
  }

  /** Exports the live users as LDIF in the demo's format (round-trips through fromLdif). */
  toLdif(): string {
    const out = ['version: 1', ''];
    for (const e of this.state.entries) {
      if (e.isDeleted) continue;
      out.push(...entryToLdif(e), '');
    }
    return out.join('\n');
  }

  // ---- OnPremDirectory port ------------------------------------------------------------------

  describe(): SourceInfo {
    return {
      id: this.state.sourceId,
      kind: 'sandbox',
      label: `Sandbox directory (${this.state.dcName})`,
      baseDn: this.state.baseDn,
      searchBases: [this.state.baseDn],
      writable: true,
    };
  }

  async *scan(options: ScanOptions = {}): AsyncGenerator<OnPremUser[], ScanResult, void> {
    const pageSize = Math.max(1, options.pageSize ?? 500);
    const started = Date.now();
    throwIfCancelled(options.signal, 'The sandbox directory scan');
    const watermark = { invocationId: this.state.invocationId, highestUsn: this.state.highestUsn };
    const since = options.since;
    // A watermark from another DC, or from "the future" (state restored from an older copy), cannot be trusted.
    const incremental = !!since && since.invocationId === this.state.invocationId && since.highestUsn <= this.state.highestUsn;
    let picked: Entry[];
    if (incremental && since) {
      picked = this.state.entries.filter((e) => e.usnChanged > since.highestUsn).sort((a, b) => a.usnChanged - b.usnChanged);
    } else {
      picked = this.state.entries.filter((e) => !e.isDeleted).sort((a, b) => (norm(a.dn) < norm(b.dn) ? -1 : 1));
    }
    // Incremental reads return objects that left scope too (marked), like the LDAP adapter, so a
    // rescan learns about them; a full scan leaves them out unless asked.
    const users = picked.map((e) => this.toUser(e)).filter((u) => options.includeOutOfScope || incremental || u.inScope);
    let done = 0;
    let pages = 0;
    for (let i = 0; i < users.length; i += pageSize) {
      throwIfCancelled(options.signal, 'The sandbox directory scan');
      const page = users.slice(i, i + pageSize);
      done += page.length;
      pages++;
      options.onProgress?.({ phase: 'onprem', done, total: users.length, pages, elapsedMs: Date.now() - started });
      yield page;
    }
    return { watermark, incremental, objects: users.length };
  }

  async readUser(dn: string, options: { signal?: AbortSignal } = {}): Promise<OnPremUser | null> {
    throwIfCancelled(options.signal, 'Reading the user');
    const e = this.byDn.get(norm(dn));
    return e ? this.toUser(e) : null;
  }

  async writeMobile(write: MobileWrite, options: { signal?: AbortSignal } = {}): Promise<MobileWriteResult> {
    throwIfCancelled(options.signal, 'The mobile write');
    const entry = this.byDn.get(norm(write.dn));
    if (!entry)
      throw new SyncDriftError(
        'not-found',
        'ONPREM_USER_NOT_FOUND',
        `No user with DN ${write.dn} in the sandbox directory (deleted or renamed?).`,
      );
    const next = sanitizeMobile(write.next, 'mobile');
    const expected = write.expected === '' ? null : write.expected;
    if (entry.mobile !== expected) {
      throw new SyncDriftError(
        'conflict',
        'ONPREM_STALE_VALUE',
        `AD refused the write for ${entry.samAccountName ?? write.dn}: mobile is now ${show(entry.mobile)}, not ${show(expected)} as planned. Rescan and review the decision.`,
        { details: { dn: entry.dn, expected, actual: entry.mobile } },
      );
    }
    const previous = entry.mobile;
    this.apply(entry, { mobile: next });
    return { dn: entry.dn, previous, written: entry.mobile, change: this.change(entry, 'mobile') };
  }

  async replicaStates(dn: string, dcs?: string[]): Promise<ReplicaState[]> {
    const entry = this.byDn.get(norm(dn));
    const known = [this.state.dcName, ...(this.state.secondDc ? [this.state.secondDc.name] : [])];
    const wanted = dcs && dcs.length > 0 ? dcs : known;
    return wanted.map((dc): ReplicaState => {
      if (!entry) return { dc, value: null, change: null, error: 'object not found' };
      if (dc.toLowerCase() === this.state.dcName.toLowerCase())
        return { dc, value: entry.mobile, change: this.change(entry, 'mobile') };
      const second = this.state.secondDc;
      if (second && dc.toLowerCase() === second.name.toLowerCase()) {
        const v = this.visibleOnSecond(entry, second.lagMs);
        return { dc, value: v.value, change: v.meta ? toChange(v.meta) : null };
      }
      return { dc, value: null, change: null, error: `unknown domain controller ${dc} (sandbox has ${known.join(', ')})` };
    });
  }

  async close(): Promise<void> {}

  // ---- internals ---------------------------------------------------------------------------

  private mustGet(dn: string): Entry {
    const e = this.byDn.get(norm(dn));
    if (!e) throw new SyncDriftError('not-found', 'ONPREM_USER_NOT_FOUND', `No user with DN ${dn} in the sandbox directory.`);
    return e;
  }

  private apply(entry: Entry, change: SandboxUserChange): void {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const updates: Array<[TrackedAttribute, () => void]> = [];
    const plan = <T>(
      attr: TrackedAttribute,
      next: T | undefined,
      current: T,
      set: (v: T) => void,
      same: (a: T, b: T) => boolean,
    ) => {
      if (next === undefined || same(next, current)) return;
      updates.push([attr, () => set(next)]);
    };
    const eq = (a: string | null, b: string | null) => a === b;
    const eqList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    plan(
      'mobile',
      change.mobile === undefined ? undefined : sanitizeMobile(change.mobile, 'mobile'),
      entry.mobile,
      (v) => (entry.mobile = v),
      eq,
    );
    plan(
      'otherMobile',
      change.otherMobile?.map((v, i) => sanitizeMobile(v, `otherMobile[${i}]`)).filter((v): v is string => v !== null),
      entry.otherMobile,
      (v) => (entry.otherMobile = v),
      eqList,
    );
    plan('telephoneNumber', emptyToNull(change.telephoneNumber), entry.telephoneNumber, (v) => (entry.telephoneNumber = v), eq);
    plan('c', emptyToNull(change.c), entry.c, (v) => (entry.c = v), eq);
    plan('displayName', emptyToNull(change.displayName), entry.displayName, (v) => (entry.displayName = v), eq);
    plan('userPrincipalName', emptyToNull(change.upn), entry.upn, (v) => (entry.upn = v), eq);
    plan('sAMAccountName', emptyToNull(change.samAccountName), entry.samAccountName, (v) => (entry.samAccountName = v), eq);
    plan(
      'mS-DS-ConsistencyGuid',
      emptyToNull(change.consistencyGuid),
      entry.consistencyGuid,
      (v) => (entry.consistencyGuid = v),
      eq,
    );
    plan(
      'adminDescription',
      emptyToNull(change.adminDescription),
      entry.adminDescription,
      (v) => (entry.adminDescription = v),
      eq,
    );
    if (change.consistencyGuid && Buffer.from(change.consistencyGuid, 'base64').length !== 16) {
      throw new ValidationError('mS-DS-ConsistencyGuid', 'must be 16 bytes (base64)');
    }
    if (updates.length === 0) return;
    const usn = ++this.state.highestUsn;
    for (const [attr, set] of updates) {
      set();
      const prev = entry.meta[attr];
      entry.meta[attr] = {
        changedAt: nowIso,
        version: (prev?.version ?? 0) + 1,
        originatingDc: this.state.invocationId,
        originatingUsn: usn,
        localUsn: usn,
      };
      if (attr === 'mobile') this.logMobile(entry, now.getTime());
    }
    entry.usnChanged = usn;
    entry.whenChanged = nowIso;
  }

  private logMobile(entry: Entry, at: number): void {
    entry.mobileLog.push({ value: entry.mobile, meta: entry.meta.mobile ?? null, at });
    // Keep only what the lagging DC may still need: versions younger than the lag, plus the one it shows now.
    const lag = this.state.secondDc?.lagMs ?? 0;
    const horizon = at - lag;
    let keepFrom = 0;
    for (let i = 0; i < entry.mobileLog.length; i++) if ((entry.mobileLog[i]?.at ?? 0) <= horizon) keepFrom = i;
    entry.mobileLog = entry.mobileLog.slice(keepFrom);
  }

  private visibleOnSecond(entry: Entry, lagMs: number): { value: string | null; meta: AttrMeta | null } {
    const horizon = this.clock.now().getTime() - lagMs;
    let visible: { value: string | null; meta: AttrMeta | null } | null = null;
    for (const v of entry.mobileLog) if (v.at <= horizon) visible = v;
    // Objects created inside the lag window do not exist on the second DC yet.
    return visible ?? { value: null, meta: null };
  }

  private change(entry: Entry, attr: string): AttributeChange | null {
    const m = entry.meta[attr];
    return m ? toChange(m) : null;
  }

  private toUser(e: Entry): OnPremUser {
    const scope = scopeOf(e);
    const changes: Record<string, AttributeChange> = {};
    for (const [attr, m] of Object.entries(e.meta)) changes[attr] = toChange(m);
    return {
      sourceId: this.state.sourceId,
      dn: e.dn,
      objectGuid: e.objectGuid,
      consistencyGuid: e.consistencyGuid,
      sourceAnchor: e.consistencyGuid ?? anchorFromGuidText(e.objectGuid),
      objectSid: e.objectSid,
      upn: e.upn,
      samAccountName: e.samAccountName,
      displayName: e.displayName,
      mobile: e.mobile,
      otherMobile: [...e.otherMobile],
      telephoneNumber: e.telephoneNumber,
      country: e.c,
      whenChanged: e.whenChanged,
      usnChanged: e.usnChanged,
      isDeleted: e.isDeleted,
      changes,
      inScope: scope.inScope,
      scopeReason: scope.reason,
    };
  }
}
