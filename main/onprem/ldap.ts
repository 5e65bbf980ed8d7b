/**
 * The LDAP adapter of the OnPremDirectory port (ldapts): ldaps:// or ldap:// + StartTLS, simple
 * bind only (ldapts has no Kerberos/GSSAPI), streamed paged scans in Entra Connect's default
 * scope, incremental rescans by uSNChanged, and a compare-and-set write of `mobile`.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { Change, Attribute, Client, Control, FilterParser, type Entry } from 'ldapts';
import { SyncDriftError, ValidationError } from '../core/errors';
import type { OnPremUser } from '../core/model';
import { throwIfCancelled } from '../core/progress';
import type { Logger } from '../core/ports';
import { readAsBinary } from './binary-attributes';
import { guidToText } from './decoders';
import { decodeAttributeList, deferEntryDecoding, deferredAttributes, lowerName } from './deferred-entries';
import { BINARY_ATTRIBUTES, toOnPremUser, USER_ATTRIBUTES, type RawEntry } from './entry';
import { mapConnectError, mapOperationError } from './ldap-errors';
import { isUnder, normDn, type OnPremSource } from '../core/onprem-profile';
import type { MobileWrite, MobileWriteResult, OnPremDirectory, ReplicaState, ScanOptions, ScanResult, SourceInfo } from './port';

/** LDAP_SERVER_SHOW_DELETED_OID: tombstones (and recycled objects) come back in searches. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

/** RFC 4515: escapes a value for use inside a filter assertion (`*`, `(`, `)`, `\`, NUL and non-ASCII bytes stay literal). */
export function escapeFilterValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return [...value].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  // eslint-disable-next-line no-control-regex -- NUL must be escaped by RFC 4515
  return value.replace(/[*()\\\u0000]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Checks an admin-supplied filter (syntax via ldapts' own parser); returns it parenthesised. */
export function validateExtraFilter(filter: string, field = 'onPrem.filter'): string {
  const f = filter.trim().startsWith('(') ? filter.trim() : `(${filter.trim()})`;
  try {
    FilterParser.parseString(f);
  } catch (e) {
    throw new ValidationError(field, `not a valid LDAP filter (RFC 4515): ${e instanceof Error ? e.message : String(e)}`);
  }
  return f;
}

/**
 * The user filter: person users, minus what Entra Connect's default scope excludes (unless the
 * caller wants those back, marked out of scope), ANDed with the profile's extra filter.
 * Exclusions that LDAP cannot express exactly (Exchange bits, CNF names) are applied per entry.
 */
export function buildUserFilter(options: { includeOutOfScope?: boolean; extra?: string; sinceUsn?: number }): string {
  const parts = ['(objectCategory=person)', '(objectClass=user)'];
  if (!options.includeOutOfScope) {
    parts.push('(!(isCriticalSystemObject=TRUE))');
    for (const prefix of ['MSOL_', 'AAD_']) parts.push(`(!(sAMAccountName=${escapeFilterValue(prefix)}*))`);
    parts.push(`(!(sAMAccountName=${escapeFilterValue('SUPPORT_388945a0')}))`);
    parts.push(`(!(sAMAccountName=${escapeFilterValue('CAS_')}*${escapeFilterValue('}')}*))`);
    parts.push(`(!(adminDescription=${escapeFilterValue('User_')}*))`);
  }
  if (options.sinceUsn !== undefined) parts.push(`(uSNChanged>=${Math.floor(options.sinceUsn)})`);
  if (options.extra) parts.push(validateExtraFilter(options.extra));
  return `(&${parts.join('')})`;
}

export interface LdapDirectoryOptions {
  /** Resolved by the caller (vault or the env variable the profile names); never cached here beyond a bind. */
  getPassword: () => Promise<string>;
  logger?: Logger;
  /** Reads the CA file; injectable for hosts that keep files elsewhere. */
  readFile?: (path: string) => Promise<Buffer>;
}

function asArray(v: Entry[string] | undefined): Array<string | Buffer> {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function toRaw(e: Entry, binary?: ReadonlySet<string>): RawEntry {
  const raw = binary ? deferredAttributes(e) : null;
  if (raw && binary) {
    try {
      return { dn: e.dn, attrs: decodeAttributeList(raw, binary) };
    } catch (err) {
      throw new SyncDriftError('validation', 'LDAP_BAD_ENTRY', `${e.dn}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const attrs: RawEntry['attrs'] = {};
  for (const k in e) {
    if (k === 'dn') continue;
    attrs[lowerName(k)] = asArray(e[k]);
  }
  return { dn: e.dn, attrs };
}

function textOf(v: string | Buffer | undefined): string | null {
  return v === undefined ? null : typeof v === 'string' ? v : v.toString('utf8');
}

function certSha256(cert: PeerCertificate): string {
  if (cert.raw) return createHash('sha256').update(cert.raw).digest('hex');
  return (cert.fingerprint256 ?? '').replace(/:/g, '').toLowerCase();
}

export class LdapDirectory implements OnPremDirectory {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly searchBases: string[];

  constructor(
    private readonly source: OnPremSource,
    private readonly options: LdapDirectoryOptions,
  ) {
    const bases = source.searchBases ?? [source.baseDn];
    // Nested bases would return the same users twice: keep the outermost.
    this.searchBases = bases.filter((b, i) => !bases.some((o, j) => j !== i && normDn(o) !== normDn(b) && isUnder(b, o))).filter((b, i, all) => all.findIndex((x) => normDn(x) === normDn(b)) === i);
    if (source.filter) validateExtraFilter(source.filter);
    readAsBinary([...BINARY_ATTRIBUTES, source.sourceAnchor]);
  }

  /**
   * The time limit each search asks the DC for: the profile's operation timeout. ldapts otherwise
   * sends 10 s, and a DC computes the first page of a paged search over the whole result set:
   * Samba needs more than that from about 50k users and aborts the search ("Operations error").
   */
  private get timeLimitSeconds(): number {
    return Math.ceil(this.source.timeouts.operationMs / 1000);
  }

  describe(): SourceInfo {
    return { id: this.source.id ?? new URL(this.source.url).hostname, kind: 'ldap', label: this.source.url, baseDn: this.source.baseDn, searchBases: this.searchBases, writable: true };
  }

  private get sourceId(): string {
    return this.describe().id;
  }

  private async tlsOptions(host: string): Promise<ConnectionOptions> {
    const opts: ConnectionOptions = { minVersion: 'TLSv1.2' };
    if (this.source.caFile) {
      let pem: Buffer;
      try {
        pem = await (this.options.readFile ?? readFile)(this.source.caFile);
        new X509Certificate(pem);
      } catch (e) {
        throw new ValidationError('onPrem.caFile', `cannot read a PEM certificate from ${this.source.caFile}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      opts.ca = pem;
    }
    if (!/^\d+\.\d+\.\d+\.\d+$|:/.test(host)) opts.servername = host;
    const pin = this.source.certificatePin;
    // Check against the host of the profile's URL: on a StartTLS upgrade Node is handed no name
    // (it would compare against 'localhost').
    opts.checkServerIdentity = (_hostname, cert) => {
      const err = checkServerIdentity(host, cert);
      if (err) return err;
      if (pin && certSha256(cert) !== pin) {
        const e = new Error(`the DC's certificate (SHA-256 ${certSha256(cert)}) does not match the pinned certificatePin`) as Error & { code: string };
        e.code = 'LDAP_TLS_PIN';
        return e;
      }
      return undefined;
    };
    return opts;
  }

  /** Opens, secures and binds a connection to `url` (the profile's DC unless another is named). */
  async connect(url = this.source.url, signal?: AbortSignal): Promise<Client> {
    throwIfCancelled(signal);
    const parsed = new URL(url);
    const tlsOptions = await this.tlsOptions(parsed.hostname);
    const client = new Client({
      url,
      connectTimeout: this.source.timeouts.connectMs,
      timeout: this.source.timeouts.operationMs,
      tlsOptions: parsed.protocol === 'ldaps:' ? tlsOptions : undefined,
      strictDN: false,
    });
    const bindDn = this.source.bindDn;
    try {
      if (parsed.protocol === 'ldap:') {
        if (this.source.startTls) await client.startTLS(tlsOptions);
        else if (!this.source.allowPlainLdap) throw new SyncDriftError('connection', 'LDAP_PLAIN_REFUSED', `Refusing a simple bind over plain ldap:// to ${url}: use ldaps:// or StartTLS (or set allowPlainLdap: true).`);
      }
      const password = await this.options.getPassword();
      await client.bind(bindDn, password);
      return client;
    } catch (e) {
      await client.unbind().catch(() => {});
      throw mapConnectError(e, { url, bindDn });
    }
  }

  private async bound(signal?: AbortSignal): Promise<Client> {
    if (this.client?.isConnected) return this.client;
    this.client = null;
    if (!this.connecting) {
      this.connecting = this.connect(this.source.url, signal).finally(() => {
        this.connecting = null;
      });
    }
    this.client = await this.connecting;
    return this.client;
  }

  /** invocationId of the DC we talk to, and its highest committed USN right now. */
  async watermark(client?: Client): Promise<{ invocationId: string; highestUsn: number; dsServiceName: string }> {
    const c = client ?? (await this.bound());
    try {
      const root = await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['highestCommittedUSN', 'dsServiceName'], timeLimit: this.timeLimitSeconds });
      const r = root.searchEntries[0];
      const usn = Number(textOf(asArray(r?.highestCommittedUSN)[0]) ?? NaN);
      const dsa = textOf(asArray(r?.dsServiceName)[0]);
      if (!dsa || !Number.isFinite(usn)) throw new SyncDriftError('internal', 'LDAP_ROOTDSE', `${this.source.url} returned no highestCommittedUSN/dsServiceName in its RootDSE.`);
      const ntds = await c.search(dsa, { scope: 'base', filter: '(objectClass=*)', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'], timeLimit: this.timeLimitSeconds });
      const inv = asArray(ntds.searchEntries[0]?.invocationId)[0];
      if (!Buffer.isBuffer(inv) || inv.length !== 16) throw new SyncDriftError('internal', 'LDAP_INVOCATION_ID', `${this.source.url} returned no invocationId for ${dsa}.`);
      return { invocationId: guidToText(inv), highestUsn: usn, dsServiceName: dsa };
    } catch (e) {
      throw mapOperationError(e, { url: this.source.url, operation: 'search', bindDn: this.source.bindDn });
    }
  }

  async *scan(options: ScanOptions = {}): AsyncGenerator<OnPremUser[], ScanResult, void> {
    const started = Date.now();
    const client = await this.bound(options.signal);
    const mark = await this.watermark(client);
    const incremental = !!options.since && options.since.invocationId === mark.invocationId;
    if (options.since && !incremental) {
      this.options.logger?.info('incremental rescan not possible: another DC answered; doing a full scan', { expected: options.since.invocationId, got: mark.invocationId });
    }
    const pageSize = options.pageSize ?? this.source.pageSize;
    const anchorAttribute = this.source.sourceAnchor;
    const attributes: string[] = [...USER_ATTRIBUTES];
    if (!attributes.some((a) => a.toLowerCase() === anchorAttribute.toLowerCase())) attributes.push(anchorAttribute);
    const binary: string[] = [...BINARY_ATTRIBUTES, anchorAttribute];
    const binaryLower = new Set(binary.map((b) => b.toLowerCase()));
    // The entries of this scan's searches arrive as bytes and are decoded below, after the next
    // page has been asked for (deferred-entries.ts); `attributes` is this scan's own array.
    deferEntryDecoding(client, attributes);
    let objects = 0;
    let pages = 0;
    const progress = (message?: string) => options.onProgress?.({ phase: 'onprem', done: objects, pages, elapsedMs: Date.now() - started, ...(message ? { message } : {}) });
    // While the DC works on a page nothing arrives; a DC evaluates the whole search before the first
    // page (tens of seconds on a large domain), so progress keeps ticking and says what it waits for.
    const heartbeatMs = options.heartbeatMs ?? 1000;
    const waiting = (p: Promise<unknown>): Promise<unknown> => {
      if (!options.onProgress) return p;
      const beat = setInterval(() => progress(pages === 0 ? 'waiting for the DC to return the first page (it evaluates the whole search first)' : undefined), heartbeatMs);
      return p.finally(() => clearInterval(beat));
    };

    // Incremental: search the whole naming context so users that moved out of the search bases are
    // seen too (marked out of scope); a full scan reads the selected bases only.
    const bases = incremental ? [this.source.baseDn] : this.searchBases;
    const sinceUsn = incremental && options.since ? options.since.highestUsn + 1 : undefined;
    const filter = buildUserFilter({ includeOutOfScope: options.includeOutOfScope || incremental, extra: this.source.filter, sinceUsn });
    const seen = new Set<string>();

    const runSearch = async function* (this: LdapDirectory, base: string, f: string, controls: Control[]): AsyncGenerator<OnPremUser[]> {
      let iterator: AsyncGenerator<{ searchEntries: Entry[] }>;
      try {
        iterator = client.searchPaginated(base, { scope: 'sub', filter: f, attributes, explicitBufferAttributes: binary, paged: { pageSize }, timeLimit: this.timeLimitSeconds }, controls);
      } catch (e) {
        throw mapOperationError(e, { url: this.source.url, dn: base, operation: 'search', bindDn: this.source.bindDn });
      }
      // The next page is asked for before this one is decoded, so the DC produces it while we
      // decode (a paged search is otherwise strictly: DC works, we wait, we decode, DC waits).
      let pending: Promise<IteratorResult<{ searchEntries: Entry[] }>> | null = iterator.next();
      pending.catch(() => {}); // surfaced by the await below; never unhandled when we stop early
      try {
        for (;;) {
          throwIfCancelled(options.signal, 'The on-prem scan');
          let next: IteratorResult<{ searchEntries: Entry[] }> | null;
          try {
            await waiting(pending);
            next = await pending;
          } catch (e) {
            pending = null;
            throw mapOperationError(e, { url: this.source.url, dn: base, operation: 'search', bindDn: this.source.bindDn });
          }
          if (next.done) {
            pending = null;
            return;
          }
          pending = iterator.next();
          pending.catch(() => {});
          let entries: Entry[] | null = next.value.searchEntries;
          // Nothing may hold the raw page (1,000 entries of ldapts objects and buffers) while the
          // consumer works on the users or the next page arrives: it then dies young instead of
          // being promoted, which is what kept the scanner's RSS growing with the scan.
          next = null;
          // A paged search whose result count is a multiple of the page size ends with an empty
          // page: not a page of users anyone would count.
          if (entries.length > 0) pages++;
          const users: OnPremUser[] = [];
          for (const entry of entries) {
            const u = toOnPremUser(toRaw(entry, binaryLower), { sourceId: this.sourceId, anchorAttribute });
            if (seen.has(u.objectGuid)) continue;
            seen.add(u.objectGuid);
            if (incremental && !u.isDeleted && u.inScope && !this.searchBases.some((b) => isUnder(u.dn, b))) {
              u.inScope = false;
              u.scopeReason = 'outside the scanned search bases';
            }
            if (!u.inScope && !options.includeOutOfScope && !incremental) continue;
            users.push(u);
          }
          entries = null;
          objects += users.length;
          progress();
          throwIfCancelled(options.signal, 'The on-prem scan');
          if (users.length) yield users;
        }
      } finally {
        // Stopped early (cancelled, failed, or the consumer left): let the page in flight land,
        // then close ldapts' generator so it asks for no more.
        if (pending) {
          await pending.catch(() => {});
          await iterator.return?.(undefined);
        }
      }
    };

    for (const base of bases) yield* runSearch.call(this, base, filter, []);
    if (incremental && sinceUsn !== undefined) {
      // Tombstones lose objectCategory and move to CN=Deleted Objects: search them separately.
      const delFilter = `(&(objectClass=user)(isDeleted=TRUE)(uSNChanged>=${sinceUsn}))`;
      yield* runSearch.call(this, this.source.baseDn, delFilter, [new Control(SHOW_DELETED_OID, { critical: true })]);
    }
    progress();
    return { watermark: { invocationId: mark.invocationId, highestUsn: mark.highestUsn }, incremental, objects };
  }

  async readUser(dn: string, options: { signal?: AbortSignal } = {}): Promise<OnPremUser | null> {
    const client = await this.bound(options.signal);
    return this.readUserWith(client, dn, this.source.url);
  }

  private async readUserWith(client: Client, dn: string, url: string): Promise<OnPremUser | null> {
    try {
      const r = await client.search(dn, { scope: 'base', filter: '(objectClass=user)', attributes: [...USER_ATTRIBUTES, this.source.sourceAnchor], explicitBufferAttributes: [...BINARY_ATTRIBUTES, this.source.sourceAnchor], timeLimit: this.timeLimitSeconds });
      const e = r.searchEntries[0];
      return e ? toOnPremUser(toRaw(e), { sourceId: this.sourceId, anchorAttribute: this.source.sourceAnchor }) : null;
    } catch (e) {
      if (e && typeof e === 'object' && 'code' in e && (e as { code: unknown }).code === 32) return null;
      throw mapOperationError(e, { url, dn, operation: 'search', bindDn: this.source.bindDn });
    }
  }

  async writeMobile(write: MobileWrite, options: { signal?: AbortSignal } = {}): Promise<MobileWriteResult> {
    if (write.next !== null && (write.next.length < 1 || write.next.length > 64)) throw new ValidationError('mobile', 'AD mobile holds 1 to 64 characters');
    const client = await this.bound(options.signal);
    throwIfCancelled(options.signal);
    const changes: Change[] = [];
    if (write.expected !== null && write.expected !== write.next) changes.push(new Change({ operation: 'delete', modification: new Attribute({ type: 'mobile', values: [write.expected] }) }));
    if (write.next !== null && write.expected !== write.next) changes.push(new Change({ operation: 'add', modification: new Attribute({ type: 'mobile', values: [write.next] }) }));
    if (changes.length === 0) {
      // Nothing to change, but still compare: the caller must learn if AD moved on.
      const now = await this.readUserWith(client, write.dn, this.source.url);
      if (!now) throw new SyncDriftError('not-found', 'LDAP_NO_SUCH_OBJECT', `No such user ${write.dn}.`);
      if (now.mobile !== write.expected) throw this.stale(write, now.mobile);
      return { dn: write.dn, previous: now.mobile, written: write.next, change: now.changes.mobile ?? null };
    }
    try {
      // One modify: AD applies delete-old + add-new atomically, and refuses it when the old value
      // is not there any more (noSuchAttribute) or a value already exists (attributeOrValueExists).
      await client.modify(write.dn, changes);
    } catch (e) {
      const code = e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined;
      if (code === 16 || code === 20 || code === 19) {
        const now = await this.readUserWith(client, write.dn, this.source.url).catch(() => null);
        throw this.stale(write, now?.mobile ?? null, e);
      }
      throw mapOperationError(e, { url: this.source.url, dn: write.dn, operation: 'modify', bindDn: this.source.bindDn });
    }
    const after = await this.readUserWith(client, write.dn, this.source.url);
    return { dn: write.dn, previous: write.expected, written: write.next, change: after?.changes.mobile ?? null };
  }

  private stale(write: MobileWrite, actual: string | null, cause?: unknown): SyncDriftError {
    return new SyncDriftError('conflict', 'LDAP_STALE_WRITE', `AD refused the write of mobile on ${write.dn}: it no longer holds ${write.expected === null ? 'an empty value' : `'${write.expected}'`}${actual !== null ? ` (now '${actual}')` : ''}. Rescan before deciding again.`, { cause, details: { dn: write.dn } });
  }

  async replicaStates(dn: string, dcs?: string[]): Promise<ReplicaState[]> {
    const list = dcs && dcs.length ? dcs : [this.source.url, ...(this.source.replicaDcs ?? [])];
    return Promise.all(
      list.map(async (dc): Promise<ReplicaState> => {
        let client: Client | null = null;
        try {
          client = dc === this.source.url ? await this.bound() : await this.connect(dc);
          const u = await this.readUserWith(client, dn, dc);
          if (!u) return { dc, value: null, change: null, error: 'no such object on this DC' };
          return { dc, value: u.mobile, change: u.changes.mobile ?? null };
        } catch (e) {
          return { dc, value: null, change: null, error: e instanceof Error ? e.message : String(e) };
        } finally {
          if (client && client !== this.client) await client.unbind().catch(() => {});
        }
      }),
    );
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.unbind().catch(() => {});
  }
}

