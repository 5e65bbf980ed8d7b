/**
 * Graph readers: the organization, the tenant's sync features, and users with exactly the
 * properties the product uses, streamed page by page ($top=999, @odata.nextLink) so a 100k-user
 * tenant never sits in memory as one array. Every item is validated: a malformed user is reported
 * with its id and skipped, never a crash of the whole scan.
 */
import { z } from 'zod';
import { SyncDriftError, formatIssues } from '../core/errors';
import type { CloudUser } from '../core/model';
import { noProgress, throwIfCancelled, type ProgressSink } from '../core/progress';
import type { Clock } from '../core/ports';
import { runBatch, USER_ID } from './batch';
import { graphError, type GraphOperation, type GraphTransport } from './graph';

/** Exactly the user properties the product reads (Graph returns onPremises* only when named). */
export const USER_SELECT = [
  'id',
  'userPrincipalName',
  'displayName',
  'mobilePhone',
  'businessPhones',
  'onPremisesSyncEnabled',
  'onPremisesImmutableId',
  'onPremisesSecurityIdentifier',
  'onPremisesLastSyncDateTime',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesSamAccountName',
  'onPremisesUserPrincipalName',
] as const;

export const PAGE_SIZE = 999;

const nstr = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

const ns = z.string().nullish();

/**
 * A Graph user on the wire: Graph omits or nulls properties. No transforms here (they double the
 * cost of a 999-item page); `toCloudUser` normalizes absent values to null.
 */
export const WireUser = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  displayName: ns,
  mobilePhone: ns,
  businessPhones: z.array(z.string()).nullish(),
  onPremisesSyncEnabled: z.boolean().nullish(),
  onPremisesImmutableId: ns,
  onPremisesSecurityIdentifier: ns,
  onPremisesLastSyncDateTime: z.iso.datetime({ offset: true }).nullish(),
  onPremisesDistinguishedName: ns,
  onPremisesDomainName: ns,
  onPremisesSamAccountName: ns,
  onPremisesUserPrincipalName: ns,
});

/**
 * Cloud-managed here means "Graph accepts a per-user write": not synchronized (false or null).
 * A user whose object source of authority was switched to the cloud shows `onPremisesSyncEnabled:
 * null` with its anchor kept (isCloudManaged true, user SOA how-to): `soaSwitched`. Null without an
 * anchor is a cloud-only user. Users that still look synced are checked per user with
 * `getOnPremisesSyncBehavior` where a plan could route them (scan-service).
 */
export function toCloudUser(w: z.infer<typeof WireUser>): CloudUser {
  return {
    id: w.id,
    userPrincipalName: w.userPrincipalName,
    displayName: w.displayName ?? null,
    mobilePhone: w.mobilePhone ?? null,
    businessPhones: w.businessPhones ?? [],
    onPremisesSyncEnabled: w.onPremisesSyncEnabled ?? null,
    onPremisesImmutableId: w.onPremisesImmutableId ?? null,
    onPremisesSecurityIdentifier: w.onPremisesSecurityIdentifier ?? null,
    onPremisesLastSyncDateTime: w.onPremisesLastSyncDateTime ?? null,
    onPremisesDistinguishedName: w.onPremisesDistinguishedName ?? null,
    onPremisesDomainName: w.onPremisesDomainName ?? null,
    onPremisesSamAccountName: w.onPremisesSamAccountName ?? null,
    onPremisesUserPrincipalName: w.onPremisesUserPrincipalName ?? null,
    cloudManaged: w.onPremisesSyncEnabled !== true,
    soaSwitched: isSoaSwitched(w),
  };
}

/** onPremisesSyncEnabled null with an anchor kept: the source of authority was switched to the cloud. */
export function isSoaSwitched(w: { onPremisesSyncEnabled?: boolean | null; onPremisesImmutableId?: string | null; onPremisesSecurityIdentifier?: string | null }): boolean {
  const anchored = !!w.onPremisesImmutableId?.trim() || !!w.onPremisesSecurityIdentifier?.trim();
  return (w.onPremisesSyncEnabled === null || w.onPremisesSyncEnabled === undefined) && anchored;
}

export interface InvalidItem {
  id: string | null;
  message: string;
}

export interface PageSummary {
  pages: number;
  users: number;
  invalid: InvalidItem[];
  retries: number;
  requests: number;
}

const Page = z.object({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().url().optional(),
  '@odata.deltaLink': z.string().url().optional(),
});

export function parsePage(body: unknown, what: string): z.infer<typeof Page> {
  const p = Page.safeParse(body);
  if (!p.success) throw new SyncDriftError('validation', 'GRAPH_BAD_PAGE', `Graph returned a ${what} page that is not a collection: ${formatIssues(p.error.issues)}`);
  return p.data;
}

function idOf(raw: unknown): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : null;
}

export function parseUser(raw: unknown): { user: CloudUser } | { invalid: InvalidItem } {
  const r = WireUser.safeParse(raw);
  if (!r.success) return { invalid: { id: idOf(raw), message: formatIssues(r.error.issues, 'user') } };
  return { user: toCloudUser(r.data) };
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** Called for each malformed item (also collected in the summary). */
  onInvalid?: (item: InvalidItem) => void;
}

/** Streams all users page by page. The generator's return value summarizes the read. */
export async function* listUsers(t: GraphTransport, opts: ReadOptions = {}): AsyncGenerator<CloudUser[], PageSummary> {
  const progress = opts.onProgress ?? noProgress;
  const summary: PageSummary = { pages: 0, users: 0, invalid: [], retries: 0, requests: 0 };
  const started = Date.now();
  const op = t.operation('cloud', {
    ...(opts.signal ? { signal: opts.signal } : {}),
    capability: 'scanUsers',
    onRetry: ({ retries, reason }) => progress({ phase: 'cloud', done: summary.users, pages: summary.pages, retries, message: `retrying after ${reason}` }),
  });
  let link: string | undefined = undefined;
  let first = true;
  while (first || link) {
    throwIfCancelled(opts.signal, 'The cloud scan');
    const res = await t.send(first ? { method: 'GET', path: '/users', query: { $select: USER_SELECT.join(','), $top: String(PAGE_SIZE) } } : { method: 'GET', path: link as string }, op);
    first = false;
    const page = parsePage(res.body, 'users');
    const users = collect(page.value, summary, opts.onInvalid);
    summary.pages++;
    summary.users += users.length;
    summary.retries = op.retries;
    summary.requests = op.requests;
    link = page['@odata.nextLink'];
    progress({ phase: 'cloud', done: summary.users, pages: summary.pages, retries: op.retries, elapsedMs: Date.now() - started });
    yield users;
  }
  return summary;
}

function collect(values: unknown[], summary: PageSummary, onInvalid?: (i: InvalidItem) => void): CloudUser[] {
  const users: CloudUser[] = [];
  for (const raw of values) {
    const r = parseUser(raw);
    if ('user' in r) users.push(r.user);
    else {
      summary.invalid.push(r.invalid);
      onInvalid?.(r.invalid);
    }
  }
  return users;
}

// ---------------------------------------------------------------------------------------------
// Delta

/** Where the delta link of each tenant is kept (workspace, file…). */
/**
 * Fresh reads of a few users by id: GET /users/{id} with the product's $select, 20 per $batch,
 * each item retried on its own throttling. A user Graph does not have (404) maps to null. Any
 * other failure throws and names the user: a verify step must never take "could not read" for
 * "gone" or for a value.
 */
export async function getUsers(
  t: GraphTransport,
  ids: readonly string[],
  o: { clock: Clock; signal?: AbortSignal; wait?: (ms: number, s?: AbortSignal) => Promise<void>; random?: () => number },
): Promise<Map<string, CloudUser | null>> {
  const unique = [...new Set(ids)];
  for (const id of unique) if (!USER_ID.test(id)) throw new SyncDriftError('validation', 'BAD_USER_ID', `Not a Graph user id: ${JSON.stringify(id)}`);
  const out = new Map<string, CloudUser | null>();
  if (unique.length === 0) return out;
  const op = t.operation('user read', { ...(o.signal ? { signal: o.signal } : {}), capability: 'scanUsers' });
  const select = encodeURIComponent(USER_SELECT.join(','));
  const answers = await runBatch(t, unique, {
    op,
    clock: o.clock,
    ...(o.wait ? { wait: o.wait } : {}),
    ...(o.random ? { random: o.random } : {}),
    request: (id) => ({ method: 'GET', url: `/users/${id}?$select=${select}` }),
  });
  for (const a of answers) {
    if (a.status === 404) {
      out.set(a.item, null);
      continue;
    }
    if (a.status !== 200) throw graphError(a.status, a.body, a.headers, 'scanUsers', { method: 'GET', path: `/users/${a.item}` });
    const parsed = parseUser(a.body);
    if ('invalid' in parsed) throw new SyncDriftError('validation', 'GRAPH_BAD_USER', `Graph returned user ${a.item} in a shape that cannot be read: ${parsed.invalid.message}`);
    if (parsed.user.id !== a.item) throw new SyncDriftError('validation', 'GRAPH_BAD_USER', `Graph answered the read of user ${a.item} with user ${parsed.user.id}.`);
    out.set(a.item, parsed.user);
  }
  return out;
}

export interface DeltaLinkStore {
  get(tenantId: string): Promise<string | null>;
  set(tenantId: string, deltaLink: string): Promise<void>;
  clear?(tenantId: string): Promise<void>;
}

const DeltaUser = WireUser.partial().extend({ id: z.string().min(1), '@removed': z.object({ reason: z.string().optional() }).passthrough().optional() });

export interface DeltaPage {
  /** Users with every selected property present (first round, or added users). */
  users: CloudUser[];
  /** Changed users where Graph sent only some properties: merge into the snapshot by id. */
  changes: Array<{ id: string; fields: Partial<CloudUser> }>;
  /** Ids reported as removed (deleted or out of scope). */
  removed: string[];
}

export interface DeltaSummary extends PageSummary {
  /** True when no stored link existed or it had expired: the pages were a full read. */
  full: boolean;
  deltaLink: string | null;
}

/**
 * Reads /users/delta: a full round when no link is stored (or it expired), else only changes since
 * the stored link. The new deltaLink is stored only after the last page, so a cancelled rescan
 * repeats rather than loses changes.
 */
export async function* deltaUsers(t: GraphTransport, tenantId: string, store: DeltaLinkStore, opts: ReadOptions = {}): AsyncGenerator<DeltaPage, DeltaSummary> {
  const progress = opts.onProgress ?? noProgress;
  const stored = await store.get(tenantId);
  const summary: DeltaSummary = { pages: 0, users: 0, invalid: [], retries: 0, requests: 0, full: stored === null, deltaLink: null };
  const op = t.operation('cloud-delta', {
    ...(opts.signal ? { signal: opts.signal } : {}),
    capability: 'scanUsers',
    onRetry: ({ retries, reason }) => progress({ phase: 'cloud', done: summary.users, pages: summary.pages, retries, message: `retrying after ${reason}` }),
  });
  const initial = { method: 'GET' as const, path: '/users/delta', query: { $select: USER_SELECT.join(','), $top: String(PAGE_SIZE) } };
  let link: string | null = stored;
  let next: Parameters<GraphTransport['send']>[0] = stored ? { method: 'GET', path: stored } : initial;
  for (;;) {
    throwIfCancelled(opts.signal, 'The cloud rescan');
    let res;
    try {
      res = await t.send(next, op);
    } catch (e) {
      if (e instanceof SyncDriftError && e.code === 'GRAPH_DELTA_EXPIRED' && link === stored && stored !== null && summary.pages === 0) {
        await store.clear?.(tenantId);
        summary.full = true;
        link = null;
        next = initial;
        continue;
      }
      throw e;
    }
    const page = parsePage(res.body, 'users/delta');
    const out: DeltaPage = { users: [], changes: [], removed: [] };
    for (const raw of page.value) sortDeltaItem(raw, out, summary, opts.onInvalid);
    summary.pages++;
    summary.users += out.users.length + out.changes.length;
    summary.retries = op.retries;
    summary.requests = op.requests;
    progress({ phase: 'cloud', done: summary.users, pages: summary.pages, retries: op.retries });
    yield out;
    const nextLink = page['@odata.nextLink'];
    if (nextLink) {
      next = { method: 'GET', path: nextLink };
      continue;
    }
    const deltaLink = page['@odata.deltaLink'];
    if (!deltaLink) throw new SyncDriftError('validation', 'GRAPH_BAD_PAGE', 'The last users/delta page carried neither @odata.nextLink nor @odata.deltaLink.');
    await store.set(tenantId, deltaLink);
    summary.deltaLink = deltaLink;
    return summary;
  }
}

function sortDeltaItem(raw: unknown, out: DeltaPage, summary: PageSummary, onInvalid?: (i: InvalidItem) => void): void {
  const d = DeltaUser.safeParse(raw);
  if (!d.success) {
    const inv = { id: idOf(raw), message: formatIssues(d.error.issues, 'user') };
    summary.invalid.push(inv);
    onInvalid?.(inv);
    return;
  }
  if (d.data['@removed']) {
    out.removed.push(d.data.id);
    return;
  }
  const full = parseUser(raw);
  const rawKeys = Object.keys(raw as object);
  if ('user' in full && USER_SELECT.every((k) => rawKeys.includes(k))) {
    out.users.push(full.user);
    return;
  }
  const { '@removed': _r, ...fields } = d.data;
  const partial: Partial<CloudUser> = {};
  const normalized = toCloudUser({ ...fields, userPrincipalName: fields.userPrincipalName ?? '' });
  for (const k of rawKeys) if (k in fields && k in normalized) (partial as Record<string, unknown>)[k] = normalized[k as keyof CloudUser];
  if ('onPremisesSyncEnabled' in partial) {
    partial.cloudManaged = partial.onPremisesSyncEnabled !== true;
    partial.soaSwitched = isSoaSwitched(partial);
  }
  out.changes.push({ id: d.data.id, fields: partial });
}

// ---------------------------------------------------------------------------------------------
// Organization and sync features

export const Organization = z.object({
  id: z.string(),
  displayName: nstr,
  onPremisesSyncEnabled: z
    .boolean()
    .nullish()
    .transform((v) => v ?? null),
  onPremisesLastSyncDateTime: z.iso
    .datetime({ offset: true })
    .nullish()
    .transform((v) => v ?? null),
  verifiedDomains: z
    .array(z.object({ name: z.string(), isInitial: z.boolean().optional(), isDefault: z.boolean().optional() }).passthrough())
    .nullish()
    .transform((v) => v ?? []),
});
export type Organization = z.infer<typeof Organization>;

export async function getOrganization(t: GraphTransport, op: GraphOperation): Promise<Organization> {
  const res = await t.send({ method: 'GET', path: '/organization', query: { $select: 'id,displayName,onPremisesSyncEnabled,onPremisesLastSyncDateTime,verifiedDomains' } }, op);
  const page = parsePage(res.body, 'organization');
  const o = Organization.safeParse(page.value[0]);
  if (!o.success) throw new SyncDriftError('validation', 'GRAPH_BAD_ORG', `Graph returned an organization that cannot be read: ${formatIssues(o.error.issues, 'organization')}`);
  return o.data;
}

/**
 * How many synced users the tenant has: `GET /users?$filter=onPremisesSyncEnabled eq true&$count=true`
 * with `ConsistencyLevel: eventual` (an advanced query: the filter on onPremisesSyncEnabled needs it),
 * `$top=1` and `$select=id` so the answer is one small page. These are the users a tenant-wide
 * BypassDirSyncOverrides and a full cycle reach (users whose source of authority was switched to the
 * cloud show `onPremisesSyncEnabled` null and are not counted, as the bypass does not touch them).
 * Graph's advanced-query counts are eventually consistent: a user synced seconds ago may be missing.
 */
export async function countSyncedUsers(t: GraphTransport, op: GraphOperation): Promise<number> {
  const res = await t.send(
    { method: 'GET', path: '/users', query: { $filter: 'onPremisesSyncEnabled eq true', $count: 'true', $top: '1', $select: 'id' }, headers: { ConsistencyLevel: 'eventual' } },
    op,
  );
  const n = (res.body as { '@odata.count'?: unknown } | null)?.['@odata.count'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new SyncDriftError('validation', 'GRAPH_BAD_COUNT', `Graph answered the count of synced users without a usable @odata.count (got ${JSON.stringify(n ?? null)}).`);
  }
  return n;
}

const SyncResource = z.object({
  id: z.string(),
  features: z.record(z.string(), z.unknown()).nullish(),
});

/** The bypass state, honest about who may see it. */
export type SyncFeatures =
  | { state: 'known'; id: string; bypassDirSyncOverridesEnabled: boolean; features: Record<string, boolean> }
  | { state: 'unknown'; reason: string; code: string };

export async function getSyncFeatures(t: GraphTransport, op: GraphOperation): Promise<SyncFeatures> {
  let res;
  try {
    res = await t.send({ method: 'GET', path: '/directory/onPremisesSynchronization' }, op);
  } catch (e) {
    if (e instanceof SyncDriftError && (e.kind === 'permission' || e.kind === 'auth')) return { state: 'unknown', reason: e.message, code: e.code };
    throw e;
  }
  const page = parsePage(res.body, 'onPremisesSynchronization');
  const r = SyncResource.safeParse(page.value[0]);
  if (!r.success) throw new SyncDriftError('validation', 'GRAPH_BAD_SYNC', `Graph returned an onPremisesSynchronization resource that cannot be read: ${formatIssues(r.error.issues)}`);
  const features: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(r.data.features ?? {})) if (typeof v === 'boolean') features[k] = v;
  const bypass = features.bypassDirSyncOverridesEnabled;
  if (bypass === undefined) return { state: 'unknown', reason: 'Graph did not return features.bypassDirSyncOverridesEnabled.', code: 'GRAPH_NO_BYPASS_FEATURE' };
  return { state: 'known', id: r.data.id, bypassDirSyncOverridesEnabled: bypass, features };
}
