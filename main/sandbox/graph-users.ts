/**
 * The sandbox's Graph users: GET /users (with $select, $filter, $top, $count and skip tokens),
 * /users/$count, GET and PATCH /users/{id | userPrincipalName} and /users/delta, over the tenant state.
 */
import { z } from 'zod';
import type { SandboxResponse } from './http';
import { FilterSyntaxError, parseFilter, type FilterClause, type FilterValue } from './odata';
import {
  DEFAULT_DELTA_PAGE,
  DEFAULT_USERS_PAGE,
  GraphHttpError,
  GraphRoutes,
  MAX_TOP,
  READ_USERS_APP,
  READ_USERS_DELEGATED,
  USER_WRITE_ROLES,
  WRITE_PHONE,
  WRITE_USERS,
  actorOf,
  denied,
  has,
  hasRole,
  type Ctx,
} from './graph-routes';
import type { CloudUserPatch, TenantUser } from './tenant-model';

/** The documented message for on-premises-mastered properties (DOMAIN.md). */
export const SOA_MESSAGE =
  'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.';

/**
 * The refusal a mail-enabled synced user answers instead. The user source-of-authority how-to says
 * only "The error message differs for mail-enabled users, but updates still aren't allowed" (the text
 * is in its screenshot); this wording is the one field reports quote for objects whose Exchange side
 * is mastered elsewhere (docs/sandbox.md).
 */
export const MAIL_ENABLED_MESSAGE = 'Unable to update the specified properties for objects that have originated within an external service.';

const DEFAULT_USER_PROPS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const USER_PROPS = new Set([
  ...DEFAULT_USER_PROPS,
  'accountEnabled',
  'usageLocation',
  'createdDateTime',
  'userType',
  'onPremisesSyncEnabled',
  'onPremisesImmutableId',
  'onPremisesSecurityIdentifier',
  'onPremisesLastSyncDateTime',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesSamAccountName',
  'onPremisesUserPrincipalName',
]);

const PatchUserSchema = z
  .object({
    displayName: z.string().min(1).max(256),
    mobilePhone: z.string().max(64).nullable(),
    businessPhones: z.array(z.string().max(64)).max(1),
    usageLocation: z.string().length(2).nullable(),
    accountEnabled: z.boolean(),
  })
  .partial()
  .strict();

export class UsersRoutes extends GraphRoutes {
  private readonly countCache = new Map<string, number>();

  private selectOf(q: URLSearchParams): string[] | null {
    const raw = q.get('$select');
    if (raw === null) return null;
    const props = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const p of props) {
      if (!USER_PROPS.has(p))
        throw new GraphHttpError(400, 'BadRequest', `Could not find a property named '${p}' on type 'microsoft.graph.user'.`);
    }
    return props;
  }

  renderUser(u: TenantUser, select: string[] | null): Record<string, unknown> {
    const props = select ?? DEFAULT_USER_PROPS;
    const out: Record<string, unknown> = {};
    for (const p of props) {
      switch (p) {
        case 'id':
          out.id = u.id;
          break;
        case 'userPrincipalName':
          out.userPrincipalName = u.userPrincipalName;
          break;
        case 'displayName':
          out.displayName = u.displayName;
          break;
        case 'mobilePhone':
          out.mobilePhone = u.mobilePhone;
          break;
        case 'businessPhones':
          out.businessPhones = u.businessPhones;
          break;
        case 'accountEnabled':
          out.accountEnabled = u.accountEnabled;
          break;
        case 'usageLocation':
          out.usageLocation = u.usageLocation;
          break;
        case 'createdDateTime':
          out.createdDateTime = new Date(u.createdAt).toISOString();
          break;
        case 'userType':
          out.userType = 'Member';
          break;
        case 'onPremisesSyncEnabled':
          out.onPremisesSyncEnabled = u.onPremisesSyncEnabled;
          break;
        case 'onPremisesImmutableId':
          out.onPremisesImmutableId = u.onPremisesImmutableId;
          break;
        case 'onPremisesSecurityIdentifier':
          out.onPremisesSecurityIdentifier = u.onPremisesSecurityIdentifier;
          break;
        case 'onPremisesLastSyncDateTime':
          out.onPremisesLastSyncDateTime =
            u.onPremisesLastSyncAt === null ? null : new Date(u.onPremisesLastSyncAt).toISOString();
          break;
        case 'onPremisesDistinguishedName':
          out.onPremisesDistinguishedName = u.onPremisesDistinguishedName;
          break;
        case 'mail':
          out.mail = u.mail;
          break;
        case 'onPremisesDomainName':
          out.onPremisesDomainName = u.onPremisesDomainName;
          break;
        case 'onPremisesSamAccountName':
          out.onPremisesSamAccountName = u.onPremisesSamAccountName;
          break;
        case 'onPremisesUserPrincipalName':
          out.onPremisesUserPrincipalName = u.onPremisesUserPrincipalName;
          break;
        default:
          out[p] = null; // givenName, surname, jobTitle, officeLocation, preferredLanguage: not modelled
      }
    }
    return out;
  }

  private requireReadUsers(ctx: Ctx): void {
    if (!has(ctx.claims, ctx.claims.idtyp === 'app' ? READ_USERS_APP : READ_USERS_DELEGATED)) throw denied();
  }

  private advanced(ctx: Ctx, q: URLSearchParams): boolean {
    return this.eventual(ctx, q) && q.get('$count') === 'true';
  }

  /**
   * ConsistencyLevel: eventual on this request, or carried by the skip token of an advanced query
   * (SDK page iterators follow @odata.nextLink without re-sending request headers).
   */
  private eventual(ctx: Ctx, q: URLSearchParams): boolean {
    if ((ctx.req.headers.consistencylevel ?? '').toLowerCase() === 'eventual') return true;
    const st = q.get('$skiptoken');
    const p = st === null ? undefined : (this.codec.decode('users', st) as { adv?: unknown } | undefined);
    return p?.adv === true;
  }

  /** Compiles $filter into a predicate and, when it names ids or anchors, a candidate list. */
  private userFilter(ctx: Ctx, q: URLSearchParams): { pred: (u: TenantUser) => boolean; candidates: TenantUser[] | null } {
    const raw = q.get('$filter');
    if (raw === null) return { pred: () => true, candidates: null };
    let clauses: FilterClause[];
    try {
      clauses = parseFilter(raw);
    } catch (e) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Invalid filter clause: ${e instanceof FilterSyntaxError ? e.message : 'syntax error'}`,
      );
    }
    const advanced = this.advanced(ctx, q);
    const unsupported = (prop: string) =>
      new GraphHttpError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
      );
    const preds: ((u: TenantUser) => boolean)[] = [];
    let candidates: TenantUser[] | null = null;
    const get = (u: TenantUser, prop: string): unknown =>
      prop === 'onPremisesImmutableId'
        ? u.onPremisesImmutableId
        : prop === 'onPremisesSyncEnabled'
          ? u.onPremisesSyncEnabled
          : prop === 'accountEnabled'
            ? u.accountEnabled
            : prop === 'mobilePhone'
              ? u.mobilePhone
              : prop === 'displayName'
                ? u.displayName
                : prop === 'userPrincipalName'
                  ? u.userPrincipalName.toLowerCase()
                  : u.id;
    const norm = (prop: string, v: unknown) => (prop === 'userPrincipalName' && typeof v === 'string' ? v.toLowerCase() : v);
    const basicEq = new Set(['id', 'userPrincipalName', 'onPremisesImmutableId', 'displayName', 'accountEnabled']);
    // Assumption (docs/sandbox.md): these need the advanced query mode (ConsistencyLevel + $count).
    const advancedEq = new Set(['onPremisesSyncEnabled', 'mobilePhone']);
    for (const c of clauses) {
      if (c.op === 'eq' || c.op === 'in') {
        if (!basicEq.has(c.prop) && !advancedEq.has(c.prop)) throw unsupported(c.prop);
        if (advancedEq.has(c.prop) && !advanced) throw unsupported(c.prop);
        const values: FilterValue[] = c.op === 'in' ? c.values : [c.value];
        if (c.op === 'in' && values.length > 15)
          throw new GraphHttpError(400, 'Request_UnsupportedQuery', 'Too many values in the in clause; at most 15 are allowed.');
        const set = new Set(values.map((v) => norm(c.prop, v)));
        preds.push((u) => set.has(get(u, c.prop)));
        if (candidates === null && (c.prop === 'id' || c.prop === 'userPrincipalName' || c.prop === 'onPremisesImmutableId')) {
          const found: TenantUser[] = [];
          for (const v of values) {
            if (typeof v !== 'string') continue;
            const u =
              c.prop === 'id'
                ? this.tenant.getUser(v)
                : c.prop === 'userPrincipalName'
                  ? this.tenant.findByUpn(v)
                  : this.tenant.findByImmutableId(v);
            if (u) found.push(u);
          }
          candidates = found.sort((a, b) => a.ordinal - b.ordinal);
        }
      } else if (c.op === 'ne') {
        if (!advanced || !(basicEq.has(c.prop) || advancedEq.has(c.prop))) throw unsupported(c.prop);
        const v = norm(c.prop, c.value);
        preds.push((u) => get(u, c.prop) !== v);
      } else if (c.op === 'startswith') {
        if (c.prop !== 'userPrincipalName' && c.prop !== 'displayName') throw unsupported(c.prop);
        const v = c.value.toLowerCase();
        preds.push((u) =>
          String(get(u, c.prop) ?? '')
            .toLowerCase()
            .startsWith(v),
        );
      } else {
        throw unsupported(c.prop);
      }
    }
    return { pred: (u) => preds.every((p) => p(u)), candidates };
  }

  private checkCount(ctx: Ctx, q: URLSearchParams): boolean {
    const c = q.get('$count');
    if (c === null || c === 'false') return false;
    if (c !== 'true') throw new GraphHttpError(400, 'BadRequest', `Invalid value '${c}' for $count.`);
    if (!this.eventual(ctx, q)) throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
    return true;
  }

  listUsers(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    const select = this.selectOf(q);
    const top = this.topOf(q, DEFAULT_USERS_PAGE);
    const count = this.checkCount(ctx, q);
    if (q.has('$skip')) throw new GraphHttpError(400, 'Request_BadRequest', "'$skip' is not supported by the service.");
    this.refuseUnmodelled(q);
    const { pred, candidates } = this.userFilter(ctx, q);
    this.charge(ctx, 'read', select ? 1 : 2);
    let after = 0;
    const st = q.get('$skiptoken');
    if (st !== null) {
      const p = this.codec.decode('users', st) as { o?: unknown } | undefined;
      if (!p || typeof p.o !== 'number')
        throw new GraphHttpError(
          400,
          'Directory_ExpiredPageToken',
          'The specified page token value has expired and can no longer be included in your request.',
        );
      after = p.o;
    }
    const page: TenantUser[] = [];
    let more = false;
    const source: Iterable<TenantUser> = candidates ? candidates.filter((u) => u.ordinal > after) : this.tenant.listUsers(after);
    for (const u of source) {
      if (!pred(u)) continue;
      if (page.length === top) {
        more = true;
        break;
      }
      page.push(u);
    }
    const body: Record<string, unknown> = {
      '@odata.context': this.context(ctx, select ? `users(${select.join(',')})` : 'users'),
    };
    if (count) {
      // Counting is a full scan; every page of a 500k walk repeats it, so remember it per state.
      const key = `${this.tenant.currentSeq}|${q.get('$filter') ?? ''}`;
      let n = this.countCache.get(key);
      if (n === undefined) {
        n = 0;
        for (const u of candidates ?? this.tenant.listUsers()) if (pred(u)) n++;
        if (this.countCache.size > 64) this.countCache.clear();
        this.countCache.set(key, n);
      }
      body['@odata.count'] = n;
    }
    const last = page[page.length - 1];
    if (more && last) {
      const params = new URLSearchParams(q);
      params.set('$skiptoken', this.codec.encode('users', { o: last.ordinal, adv: this.eventual(ctx, q) }));
      body['@odata.nextLink'] = this.link(ctx, '/users', params);
    }
    body.value = page.map((u) => this.renderUser(u, select));
    return this.ok(200, body);
  }

  /** Query options the sandbox does not model are refused, so a client never trusts an ignored option. */
  private refuseUnmodelled(q: URLSearchParams): void {
    for (const opt of ['$orderby', '$search', '$expand']) {
      if (q.has(opt))
        throw new GraphHttpError(400, 'Request_UnsupportedQuery', `The sandbox tenant does not support '${opt}' on users.`);
    }
  }

  countUsers(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    if ((ctx.req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual')
      throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
    const { pred, candidates } = this.userFilter(ctx, new URLSearchParams([...q.entries(), ['$count', 'true']]));
    this.charge(ctx, 'read', 1);
    let n = 0;
    for (const u of candidates ?? this.tenant.listUsers()) if (pred(u)) n++;
    return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, body: String(n) };
  }

  getUser(ctx: Ctx, id: string, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    const select = this.selectOf(q);
    this.charge(ctx, 'read', 1);
    const u = this.resolve(id);
    return this.ok(200, {
      '@odata.context': this.context(ctx, select ? `users(${select.join(',')})/$entity` : 'users/$entity'),
      ...this.renderUser(u, select),
    });
  }

  patchUser(ctx: Ctx, id: string): SandboxResponse {
    const body = this.parseBody(ctx);
    const parsed = PatchUserSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      throw new GraphHttpError(
        400,
        'Request_BadRequest',
        unknownKey !== undefined
          ? USER_PROPS.has(unknownKey)
            ? `Property '${unknownKey}' is read-only and cannot be set.`
            : `Property '${unknownKey}' does not exist as a declared property or extension property.`
          : `Invalid value specified for property '${issue?.path.join('.') ?? ''}' of resource 'User'.`,
      );
    }
    const patch: CloudUserPatch = parsed.data;
    const keys = Object.keys(patch);
    const phoneOnly = keys.every((k) => k === 'mobilePhone' || k === 'businessPhones');
    const allowed = has(ctx.claims, phoneOnly ? [...WRITE_USERS, ...WRITE_PHONE] : WRITE_USERS);
    if (!allowed || (ctx.claims.idtyp === 'user' && !hasRole(ctx.claims, USER_WRITE_ROLES))) throw denied();
    this.charge(ctx, 'write', 3);
    const u = this.resolve(id);
    const r = this.tenant.cloudWrite(u.id, patch, actorOf(ctx.claims));
    if (!r.ok) {
      if (r.reason === 'not-found')
        throw new GraphHttpError(
          404,
          'Request_ResourceNotFound',
          `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        );
      throw new GraphHttpError(400, 'Request_BadRequest', r.reason === 'mail-enabled' ? MAIL_ENABLED_MESSAGE : SOA_MESSAGE);
    }
    return { status: 204, headers: {}, body: '' };
  }

  delta(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    if (q.has('$filter'))
      throw new GraphHttpError(400, 'Request_UnsupportedQuery', 'The sandbox supports /users/delta without $filter only.');
    this.charge(ctx, 'read', 5);
    // Page size: $top or Prefer: odata.maxpagesize on the first call, then carried by the tokens.
    const m = /odata\.maxpagesize=(\d+)/i.exec(ctx.req.headers.prefer ?? '');
    const asked = q.has('$top') ? this.topOf(q, DEFAULT_DELTA_PAGE) : m ? Math.min(MAX_TOP, Math.max(1, Number(m[1]))) : null;
    type St = { s: number; e: number; o: number; sel: string[] | null; n?: number };
    let st: St;
    const skip = q.get('$skiptoken');
    const dtok = q.get('$deltatoken');
    const expired = () =>
      new GraphHttpError(
        410,
        'SyncStateNotFound',
        'The sync state generation is not found. Start a new delta round without a token.',
      );
    if (skip !== null) {
      const p = this.codec.decode('delta-page', skip) as St | undefined;
      if (!p) throw expired();
      st = p;
    } else if (dtok === 'latest') {
      const params = new URLSearchParams({
        $deltatoken: this.codec.encode('delta', { s: this.tenant.currentSeq, sel: this.selectOf(q) }),
      });
      return this.ok(200, {
        '@odata.context': this.context(ctx, 'users'),
        '@odata.deltaLink': this.link(ctx, '/users/delta', params),
        value: [],
      });
    } else if (dtok !== null) {
      const p = this.codec.decode('delta', dtok) as { s: number; sel: string[] | null; n?: number } | undefined;
      if (!p) throw expired();
      st = { s: p.s, e: this.tenant.currentSeq, o: 0, sel: p.sel, n: p.n };
    } else {
      st = { s: 0, e: this.tenant.currentSeq, o: 0, sel: this.selectOf(q) };
    }
    const pageSize = asked ?? st.n ?? DEFAULT_DELTA_PAGE;
    st.n = pageSize;
    const select = st.sel ? [...new Set(['id', ...st.sel])] : null;
    const items: Record<string, unknown>[] = [];
    let lastOrdinal = st.o;
    let more = false;
    const source = st.s === 0 ? this.tenant.listUsers(st.o) : this.tenant.changedSince(st.s, st.o);
    for (const u of source) {
      if (items.length === pageSize) {
        more = true;
        break;
      }
      lastOrdinal = u.ordinal;
      if (u.deletedAt !== null) items.push({ id: u.id, '@removed': { reason: 'changed' } });
      else items.push(this.renderUser(u, select));
    }
    const body: Record<string, unknown> = {
      '@odata.context': this.context(ctx, select ? `users(${select.join(',')})` : 'users'),
    };
    if (more) {
      body['@odata.nextLink'] = this.link(
        ctx,
        '/users/delta',
        new URLSearchParams({ $skiptoken: this.codec.encode('delta-page', { ...st, o: lastOrdinal }) }),
      );
    } else {
      body['@odata.deltaLink'] = this.link(
        ctx,
        '/users/delta',
        new URLSearchParams({ $deltatoken: this.codec.encode('delta', { s: st.e, sel: st.sel, n: st.n }) }),
      );
    }
    body.value = items;
    return this.ok(200, body);
  }
}
