/**
 * The sandbox's Microsoft Graph subset (v1.0, and /beta for onPremisesSyncBehavior), with Graph's
 * wire format: error bodies `{ error: { code, message, innerError } }`, `@odata.nextLink`,
 * `@odata.deltaLink`, `@odata.count`, 429 with Retry-After. See docs/sandbox.md for what follows
 * Microsoft's documentation and what was assumed where it is silent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SyncDriftError } from '../core/errors';
import type { AccessClaims, IdentityService } from './identity';
import type { SandboxRequest, SandboxResponse } from './http';
import { identityUnitsFor, type SandboxKnobs, type TokenBuckets } from './limits';
import { FilterSyntaxError, parseFilter, TokenCodec, type FilterClause, type FilterValue } from './odata';
import type { TenantStore } from './tenant';
import { toGraphAudit } from './tenant-audit';
import { ROLE, SYNC_FEATURE_NAMES, type AuditActor, type AuditQuery, type CloudUserPatch, type SyncFeatures, type TenantUser } from './tenant-model';

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

const JSON_CT = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const MAX_TOP = 999;
const DEFAULT_USERS_PAGE = 100;
const DEFAULT_DELTA_PAGE = 200;
const DEFAULT_AUDIT_PAGE = 100;
const MAX_BATCH = 20;

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

/** Per-request context after authentication. */
interface Ctx {
  req: SandboxRequest;
  claims: AccessClaims;
  version: 'v1.0' | 'beta';
  requestId: string;
  /** Headers to add to the response (throttle information). */
  extra: Record<string, string>;
}

class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const READ_USERS_APP = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const READ_USERS_DELEGATED = [...READ_USERS_APP, 'User.ReadBasic.All', 'Directory.AccessAsUser.All'];
const WRITE_USERS = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const WRITE_PHONE = ['User-Phone.ReadWrite.All'];
const USER_WRITE_ROLES = [ROLE.GLOBAL_ADMINISTRATOR, ROLE.USER_ADMINISTRATOR];
const AUDIT_ROLES = [ROLE.GLOBAL_ADMINISTRATOR, ROLE.GLOBAL_READER, ROLE.REPORTS_READER, ROLE.SECURITY_READER];

function scopesOf(c: AccessClaims): string[] {
  return c.idtyp === 'app' ? (c.roles ?? []) : (c.scp ?? '').split(' ').filter(Boolean);
}

function has(c: AccessClaims, perms: readonly string[]): boolean {
  const s = scopesOf(c);
  return perms.some((p) => s.includes(p));
}

function hasRole(c: AccessClaims, roles: readonly string[]): boolean {
  return (c.wids ?? []).some((w) => roles.includes(w));
}

function denied(): GraphHttpError {
  return new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function actorOf(c: AccessClaims): AuditActor {
  return c.idtyp === 'app'
    ? { kind: 'app', appId: c.appid, displayName: c.app_displayname ?? c.appid, servicePrincipalId: c.oid }
    : { kind: 'user', id: c.oid, userPrincipalName: c.upn ?? '', displayName: c.name ?? null };
}

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

const BatchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

export class GraphService {
  private readonly codec = new TokenCodec(randomBytes(32));
  private alternate = false;
  private readonly countCache = new Map<string, number>();
  private diceState: { seed: number; next: () => number } | null = null;

  constructor(
    private readonly tenant: TenantStore,
    private readonly identity: IdentityService,
    private readonly knobs: SandboxKnobs,
    private readonly buckets: TokenBuckets,
  ) {}

  /** Handles /v1.0/* and /beta/*; null for other paths. */
  async handle(req: SandboxRequest): Promise<SandboxResponse | null> {
    const m = /^\/(v1\.0|beta)(\/.*)$/.exec(req.path);
    if (!m) return null;
    const version = m[1] as 'v1.0' | 'beta';
    const requestId = randomUUID();
    const base = {
      'request-id': requestId,
      'client-request-id': req.headers['client-request-id'] ?? requestId,
      'x-ms-ags-diagnostic':
        '{"ServerInfo":{"DataCenter":"Sandbox","Slice":"L","Ring":"0","ScaleUnit":"000","RoleInstance":"SANDBOX"}}',
    };
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth);
    if (!bearer)
      return this.error(401, 'InvalidAuthenticationToken', 'Access token is empty.', requestId, req, {
        ...base,
        'www-authenticate': 'Bearer realm=""',
      });
    const claims = await this.identity.verifyAccessToken(bearer[1]!, req.origin);
    if (!claims) {
      return this.error(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience, signature or expired token.',
        requestId,
        req,
        { ...base, 'www-authenticate': 'Bearer realm=""' },
      );
    }
    const ctx: Ctx = { req, claims, version, requestId, extra: {} };
    const sub = m[2]!;
    if (sub === '/$batch' && req.method === 'POST') {
      const res = await this.batch(ctx);
      return { ...res, headers: { ...base, ...res.headers } };
    }
    const res = await this.dispatch(ctx, req.method, sub);
    return { ...res, headers: { ...base, ...ctx.extra, ...res.headers } };
  }

  private error(
    status: number,
    code: string,
    message: string,
    requestId: string,
    req: SandboxRequest,
    headers: Record<string, string> = {},
  ): SandboxResponse {
    return {
      status,
      headers: { 'content-type': JSON_CT, ...headers },
      body: JSON.stringify({
        error: {
          code,
          message,
          innerError: {
            date: new Date().toISOString().slice(0, 19),
            'request-id': requestId,
            'client-request-id': req.headers['client-request-id'] ?? requestId,
          },
        },
      }),
    };
  }

  private ok(status: number, value: unknown): SandboxResponse {
    return { status, headers: { 'content-type': JSON_CT }, body: JSON.stringify(value) };
  }

  /** Routes one Graph call (also used by $batch items), turning GraphHttpError into Graph's body. */
  private async dispatch(ctx: Ctx, method: string, sub: string): Promise<SandboxResponse> {
    try {
      return this.route(ctx, method, sub);
    } catch (e) {
      if (e instanceof GraphHttpError) return this.error(e.status, e.code, e.message, ctx.requestId, ctx.req, e.headers);
      throw e;
    }
  }

  // ----- throttling

  private retryAfter(seconds: number): string {
    const form = this.knobs.throttle.retryAfterForm;
    const useDate = form === 'http-date' || (form === 'alternate' && (this.alternate = !this.alternate));
    return useDate ? new Date(this.tenant.clock.now().getTime() + seconds * 1000).toUTCString() : String(seconds);
  }

  private charge(ctx: Ctx, kind: 'read' | 'write' | 'audit', units: number): void {
    const t = this.knobs.throttle;
    ctx.extra['x-ms-resource-unit'] = String(units);
    if (t.disabled) return;
    const app = ctx.claims.appid;
    const decisions =
      kind === 'audit'
        ? [this.buckets.take(`audit:${app}`, t.auditPer10s, 10_000, 1)]
        : [
            this.buckets.take(`identity:${app}`, t.identityUnitsPer10s ?? identityUnitsFor(this.tenant.userCount), 10_000, units),
            ...(kind === 'write' ? [this.buckets.take(`write:${app}`, t.writesPer150s, 150_000, 1)] : []),
          ];
    const refused = decisions.filter((d) => !d.ok);
    if (refused.length > 0) {
      const secs = Math.max(...refused.map((d) => d.retryAfterSeconds));
      throw new GraphHttpError(
        429,
        'TooManyRequests',
        'Too many requests. Please retry after the time given in the Retry-After header.',
        {
          'retry-after': this.retryAfter(secs),
          'x-ms-throttle-limit-percentage': '1.0',
        },
      );
    }
    const used = Math.max(...decisions.map((d) => d.usedFraction));
    if (used >= 0.8) ctx.extra['x-ms-throttle-limit-percentage'] = used.toFixed(1);
  }

  /** Fault dice for the server layer (deterministic from knobs.faults.seed). */
  dice(): number {
    const seed = this.knobs.faults.seed;
    if (!this.diceState || this.diceState.seed !== seed) {
      let a = seed >>> 0;
      this.diceState = {
        seed,
        next: () => {
          a = (a + 0x6d2b79f5) >>> 0;
          let t = a;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        },
      };
    }
    return this.diceState.next();
  }

  /** A Graph-shaped 503 (fault injection). */
  unavailable(req: SandboxRequest, status: number): SandboxResponse {
    const id = randomUUID();
    const code =
      status === 503
        ? 'ServiceUnavailable'
        : status === 504
          ? 'GatewayTimeout'
          : status === 502
            ? 'BadGateway'
            : 'InternalServerError';
    return this.error(status, code, 'The service is temporarily unavailable (sandbox fault injection).', id, req, {
      'request-id': id,
      ...(status === 503 ? { 'retry-after': '2' } : {}),
    });
  }

  // ----- routing

  private route(ctx: Ctx, method: string, sub: string): SandboxResponse {
    const [pathPart, queryPart] = sub.split('?', 2) as [string, string | undefined];
    const q = queryPart !== undefined ? new URLSearchParams(queryPart) : ctx.req.query;
    let path: string;
    try {
      path = decodeURIComponent(pathPart).replace(/\/+$/, '');
    } catch {
      throw new GraphHttpError(400, 'BadRequest', 'The request URI is not valid (bad percent-encoding).');
    }
    let m: RegExpExecArray | null;
    if (path === '/organization' && method === 'GET') return this.organization(ctx);
    if (path === '/users' && method === 'GET') return this.listUsers(ctx, q);
    if (path === '/users/$count' && method === 'GET') return this.countUsers(ctx, q);
    if (path === '/users/delta' && method === 'GET') return this.delta(ctx, q);
    if ((m = /^\/users\/([^/]+)$/.exec(path))) {
      if (method === 'GET') return this.getUser(ctx, m[1]!, q);
      if (method === 'PATCH') return this.patchUser(ctx, m[1]!);
    }
    if (ctx.version === 'beta' && (m = /^\/users\/([^/]+)\/onPremisesSyncBehavior$/.exec(path))) {
      if (method === 'GET') return this.getSyncBehavior(ctx, m[1]!);
      if (method === 'PATCH') return this.patchSyncBehavior(ctx, m[1]!);
    }
    if ((m = /^\/directory\/onPremisesSynchronization(?:\/([^/]+))?$/.exec(path))) {
      if (method === 'GET') return this.getOnPremSync(ctx, m[1] ?? null);
      if (method === 'PATCH' && m[1]) return this.patchOnPremSync(ctx, m[1]);
    }
    if ((m = /^\/servicePrincipals\/([^/]+)\/synchronization\/jobs\/([^/]+)\/restart$/.exec(path)) && method === 'POST') return this.restartJob(ctx, m[1]!, m[2]!);
    if (path === '/auditLogs/directoryAudits' && method === 'GET') return this.audits(ctx, q);
    if ((m = /^\/auditLogs\/directoryAudits\/([^/]+)$/.exec(path)) && method === 'GET') return this.auditById(ctx, m[1]!);
    if (['GET', 'PATCH', 'POST', 'DELETE', 'PUT'].includes(method)) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/').filter(Boolean).pop() ?? ''}'.`,
      );
    }
    throw new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
  }

  private context(ctx: Ctx, fragment: string): string {
    return `${ctx.req.origin}/${ctx.version}/$metadata#${fragment}`;
  }

  private link(ctx: Ctx, path: string, params: URLSearchParams): string {
    // Graph keeps the `$` of system query options unescaped in its links.
    const qs = [...params.entries()].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return `${ctx.req.origin}/${ctx.version}${path}?${qs}`;
  }

  // ----- organization

  private organization(ctx: Ctx): SandboxResponse {
    if (
      !has(ctx.claims, [
        'Organization.Read.All',
        'Organization.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
        'User.Read',
        'User.Read.All',
      ])
    )
      throw denied();
    this.charge(ctx, 'read', 1);
    const o = this.tenant.organization;
    return this.ok(200, {
      '@odata.context': this.context(ctx, 'organization'),
      value: [
        {
          id: this.tenant.tenantId,
          displayName: o.displayName,
          countryLetterCode: o.countryLetterCode,
          createdDateTime: new Date(o.createdAt).toISOString(),
          tenantType: 'AAD',
          businessPhones: [],
          onPremisesSyncEnabled: o.onPremisesSyncEnabled,
          onPremisesLastSyncDateTime: o.onPremisesLastSyncAt === null ? null : new Date(o.onPremisesLastSyncAt).toISOString(),
          verifiedDomains: o.verifiedDomains.map((name) => ({
            capabilities: 'Email, OfficeCommunicationsOnline',
            isDefault: name === (o.verifiedDomains[1] ?? o.initialDomain),
            isInitial: name === o.initialDomain,
            name,
            type: 'Managed',
          })),
        },
      ],
    });
  }

  // ----- users

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

  private topOf(q: URLSearchParams, dflt: number): number {
    const raw = q.get('$top');
    if (raw === null) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) {
      throw new GraphHttpError(
        400,
        'Request_BadRequest',
        `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_TOP} inclusive.`,
      );
    }
    return n;
  }

  private checkCount(ctx: Ctx, q: URLSearchParams): boolean {
    const c = q.get('$count');
    if (c === null || c === 'false') return false;
    if (c !== 'true') throw new GraphHttpError(400, 'BadRequest', `Invalid value '${c}' for $count.`);
    if (!this.eventual(ctx, q)) throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
    return true;
  }

  private listUsers(ctx: Ctx, q: URLSearchParams): SandboxResponse {
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

  private countUsers(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    if ((ctx.req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual')
      throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
    const { pred, candidates } = this.userFilter(ctx, new URLSearchParams([...q.entries(), ['$count', 'true']]));
    this.charge(ctx, 'read', 1);
    let n = 0;
    for (const u of candidates ?? this.tenant.listUsers()) if (pred(u)) n++;
    return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, body: String(n) };
  }

  private resolve(idOrUpn: string): TenantUser {
    const u = this.tenant.resolveUser(idOrUpn);
    if (!u)
      throw new GraphHttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return u;
  }

  private getUser(ctx: Ctx, id: string, q: URLSearchParams): SandboxResponse {
    this.requireReadUsers(ctx);
    const select = this.selectOf(q);
    this.charge(ctx, 'read', 1);
    const u = this.resolve(id);
    return this.ok(200, {
      '@odata.context': this.context(ctx, select ? `users(${select.join(',')})/$entity` : 'users/$entity'),
      ...this.renderUser(u, select),
    });
  }

  private parseBody(ctx: Ctx): unknown {
    try {
      return JSON.parse(ctx.req.body || 'null') as unknown;
    } catch {
      throw new GraphHttpError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
  }

  /** synchronizationJob: restart (Cloud Sync); see TenantStore.restartProvisioningJob for what is refused. */
  private restartJob(ctx: Ctx, servicePrincipalId: string, jobId: string): SandboxResponse {
    const delegatedOk = ctx.claims.idtyp === 'user' && has(ctx.claims, ['Synchronization.ReadWrite.All']) && hasRole(ctx.claims, [ROLE.GLOBAL_ADMINISTRATOR, ROLE.HYBRID_IDENTITY_ADMINISTRATOR]);
    const appOk = ctx.claims.idtyp === 'app' && has(ctx.claims, ['Synchronization.ReadWrite.All']);
    if (!delegatedOk && !appOk) throw denied();
    const body = this.parseBody(ctx);
    try {
      this.tenant.restartProvisioningJob(servicePrincipalId, jobId, body);
    } catch (e) {
      if (e instanceof SyncDriftError && e.kind === 'not-found') throw new GraphHttpError(404, 'Request_ResourceNotFound', e.message);
      if (e instanceof SyncDriftError) throw new GraphHttpError(400, 'BadRequest', e.message);
      throw e;
    }
    return { status: 204, headers: {}, body: '' };
  }

  private patchUser(ctx: Ctx, id: string): SandboxResponse {
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

  // ----- delta

  private delta(ctx: Ctx, q: URLSearchParams): SandboxResponse {
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

  // ----- onPremisesSyncBehavior (beta)

  private getSyncBehavior(ctx: Ctx, id: string): SandboxResponse {
    if (!has(ctx.claims, ['User-OnPremisesSyncBehavior.ReadWrite.All', ...READ_USERS_APP])) throw denied();
    this.charge(ctx, 'read', 1);
    const u = this.resolve(id);
    return this.ok(200, {
      '@odata.context': this.context(ctx, `users('${u.id}')/onPremisesSyncBehavior/$entity`),
      id: u.id,
      isCloudManaged: u.cloudManaged,
    });
  }

  private patchSyncBehavior(ctx: Ctx, id: string): SandboxResponse {
    if (!has(ctx.claims, ['User-OnPremisesSyncBehavior.ReadWrite.All'])) throw denied();
    if (
      ctx.claims.idtyp === 'user' &&
      !hasRole(ctx.claims, [ROLE.GLOBAL_ADMINISTRATOR, ROLE.HYBRID_IDENTITY_ADMINISTRATOR, ROLE.USER_ADMINISTRATOR])
    )
      throw denied();
    const parsed = z.object({ isCloudManaged: z.boolean() }).strict().safeParse(this.parseBody(ctx));
    if (!parsed.success)
      throw new GraphHttpError(400, 'Request_BadRequest', "The body must set 'isCloudManaged' (boolean) and nothing else.");
    this.charge(ctx, 'write', 3);
    const u = this.resolve(id);
    this.tenant.setCloudManaged(u.id, parsed.data.isCloudManaged, actorOf(ctx.claims));
    return { status: 204, headers: {}, body: '' };
  }

  // ----- onPremisesSynchronization

  private requireGlobalAdmin(ctx: Ctx, write: boolean): void {
    // Documented: delegated only, and Global Administrator is the only supported role.
    if (ctx.claims.idtyp !== 'user') throw denied();
    const perms = write
      ? ['OnPremDirectorySynchronization.ReadWrite.All']
      : ['OnPremDirectorySynchronization.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All'];
    if (!has(ctx.claims, perms) || !hasRole(ctx.claims, [ROLE.GLOBAL_ADMINISTRATOR])) throw denied();
  }

  private onPremSyncObject(): Record<string, unknown> {
    return {
      id: this.tenant.tenantId,
      configuration: {
        synchronizationInterval: 'PT30M',
        customerRequestedSynchronizationInterval: null,
        accidentalDeletionPrevention: { synchronizationPreventionType: 'enabledForCount', alertThreshold: 500 },
      },
      features: { ...this.tenant.features },
    };
  }

  private getOnPremSync(ctx: Ctx, id: string | null): SandboxResponse {
    this.requireGlobalAdmin(ctx, false);
    this.charge(ctx, 'read', 1);
    if (id === null)
      return this.ok(200, {
        '@odata.context': this.context(ctx, 'directory/onPremisesSynchronization'),
        value: [this.onPremSyncObject()],
      });
    if (id !== this.tenant.tenantId)
      throw new GraphHttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return this.ok(200, {
      '@odata.context': this.context(ctx, 'directory/onPremisesSynchronization/$entity'),
      ...this.onPremSyncObject(),
    });
  }

  private patchOnPremSync(ctx: Ctx, id: string): SandboxResponse {
    this.requireGlobalAdmin(ctx, true);
    if (id !== this.tenant.tenantId)
      throw new GraphHttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    const featureShape = Object.fromEntries(SYNC_FEATURE_NAMES.map((n) => [n, z.boolean().optional()])) as Record<
      string,
      z.ZodOptional<z.ZodBoolean>
    >;
    const parsed = z
      .object({
        '@odata.type': z.string().optional(),
        features: z.object(featureShape).strict().optional(),
        configuration: z.unknown().optional(),
      })
      .strict()
      .safeParse(this.parseBody(ctx));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Invalid request body: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      );
    }
    this.charge(ctx, 'write', 3);
    const f = parsed.data.features ?? {};
    const patch: Partial<SyncFeatures> = {};
    for (const [k, v] of Object.entries(f)) if (typeof v === 'boolean') patch[k as keyof SyncFeatures] = v;
    this.tenant.setFeatures(patch, actorOf(ctx.claims));
    return { status: 204, headers: {}, body: '' };
  }

  // ----- audit logs

  private requireAudit(ctx: Ctx): void {
    if (!has(ctx.claims, ['AuditLog.Read.All'])) throw denied();
    if (ctx.claims.idtyp === 'user' && !hasRole(ctx.claims, AUDIT_ROLES)) throw denied();
  }

  private auditQuery(q: URLSearchParams): Omit<AuditQuery, 'top' | 'after'> {
    const out: Omit<AuditQuery, 'top' | 'after'> = {};
    const raw = q.get('$filter');
    const bad = (what: string) =>
      new GraphHttpError(400, 'BadRequest', `Invalid filter clause: ${what} is not supported on directoryAudits.`);
    if (raw !== null) {
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
      for (const c of clauses) {
        if (c.op === 'in' || c.op === 'startswith') throw bad(c.op);
        const v = c.value;
        if (c.prop === 'activityDateTime') {
          const t = typeof v === 'string' ? Date.parse(v) : NaN;
          if (Number.isNaN(t))
            throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: '${String(v)}' is not a date-time.`);
          if (c.op === 'ge') out.fromMs = Math.max(out.fromMs ?? -Infinity, t);
          else if (c.op === 'gt') out.fromMs = Math.max(out.fromMs ?? -Infinity, t + 1);
          else if (c.op === 'le') out.toMs = Math.min(out.toMs ?? Infinity, t);
          else if (c.op === 'lt') out.toMs = Math.min(out.toMs ?? Infinity, t - 1);
          else throw bad(`activityDateTime ${c.op}`);
          continue;
        }
        if (c.op !== 'eq' && c.op !== 'any-eq') throw bad(`${c.prop} ${c.op}`);
        if (typeof v !== 'string') throw bad(`${c.prop} with a non-string value`);
        switch (c.prop) {
          case 'activityDisplayName':
            out.activityDisplayName = v;
            break;
          case 'category':
            out.category = v;
            break;
          case 'result':
            if (v === 'success' || v === 'failure') out.result = v;
            else throw bad(`result '${v}'`);
            break;
          case 'correlationId':
            out.correlationId = v;
            break;
          case 'loggedByService':
            out.loggedByService = v;
            break;
          case 'targetResources/id':
            out.targetId = v;
            break;
          case 'targetResources/userPrincipalName':
            out.targetUserPrincipalName = v;
            break;
          case 'initiatedBy/user/id':
            out.initiatorUserId = v;
            break;
          case 'initiatedBy/user/userPrincipalName':
            out.initiatorUserPrincipalName = v;
            break;
          case 'initiatedBy/app/appId':
            out.initiatorAppId = v;
            break;
          case 'initiatedBy/app/displayName':
            out.initiatorAppDisplayName = v;
            break;
          default:
            throw bad(c.prop);
        }
      }
    }
    const ob = q.get('$orderby');
    if (ob !== null) {
      const m = /^activityDateTime(\s+(asc|desc))?$/i.exec(ob.trim());
      if (!m) throw new GraphHttpError(400, 'BadRequest', `Invalid $orderby '${ob}': only activityDateTime is supported.`);
      out.order = (m[2] ?? 'asc').toLowerCase() as 'asc' | 'desc';
    }
    return out;
  }

  private audits(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireAudit(ctx);
    const top = this.topOf(q, DEFAULT_AUDIT_PAGE);
    const query = this.auditQuery(q);
    this.charge(ctx, 'audit', 1);
    let after: { at: number; seq: number } | undefined;
    const st = q.get('$skiptoken');
    if (st !== null) {
      const p = this.codec.decode('audits', st) as { at?: unknown; seq?: unknown } | undefined;
      if (!p || typeof p.at !== 'number' || typeof p.seq !== 'number')
        throw new GraphHttpError(400, 'BadRequest', 'The $skiptoken is not valid for this request.');
      after = { at: p.at, seq: p.seq };
    }
    const page = this.tenant.queryAudits({ ...query, top, after });
    const body: Record<string, unknown> = { '@odata.context': this.context(ctx, 'auditLogs/directoryAudits') };
    if (page.next) {
      const params = new URLSearchParams(q);
      params.set('$skiptoken', this.codec.encode('audits', page.next));
      body['@odata.nextLink'] = this.link(ctx, '/auditLogs/directoryAudits', params);
    }
    body.value = page.records.map(toGraphAudit);
    return this.ok(200, body);
  }

  private auditById(ctx: Ctx, id: string): SandboxResponse {
    this.requireAudit(ctx);
    this.charge(ctx, 'audit', 1);
    const m = /^Directory_([0-9a-f-]{36})_/.exec(id);
    const rec = m ? this.tenant.queryAudits({ correlationId: m[1]!, top: 50 }).records.find((r) => r.id === id) : undefined;
    if (!rec) throw new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    return this.ok(200, { '@odata.context': this.context(ctx, 'auditLogs/directoryAudits/$entity'), ...toGraphAudit(rec) });
  }

  // ----- $batch

  private async batch(ctx: Ctx): Promise<SandboxResponse> {
    const parsed = BatchSchema.safeParse(this.safeJson(ctx.req.body));
    if (!parsed.success) return this.error(400, 'BadRequest', 'Invalid batch payload format.', ctx.requestId, ctx.req);
    const reqs = parsed.data.requests;
    if (reqs.length > MAX_BATCH)
      return this.error(
        400,
        'BadRequest',
        `The number of requests in the batch exceeds the limit of ${MAX_BATCH}.`,
        ctx.requestId,
        ctx.req,
      );
    const ids = new Set<string>();
    for (const r of reqs) {
      if (ids.has(r.id))
        return this.error(400, 'BadRequest', `Batch request id '${r.id}' is not unique.`, ctx.requestId, ctx.req);
      for (const d of r.dependsOn ?? []) {
        if (!ids.has(d))
          return this.error(
            400,
            'BadRequest',
            `Request '${r.id}' depends on '${d}', which is not an earlier request of this batch.`,
            ctx.requestId,
            ctx.req,
          );
      }
      ids.add(r.id);
    }
    const statusById = new Map<string, number>();
    const responses: Record<string, unknown>[] = [];
    for (const r of reqs) {
      const failedDep = (r.dependsOn ?? []).find((d) => (statusById.get(d) ?? 500) >= 400);
      if (failedDep !== undefined) {
        statusById.set(r.id, 424);
        responses.push({
          id: r.id,
          status: 424,
          headers: { 'content-type': 'application/json' },
          body: {
            error: {
              code: 'FailedDependency',
              message: `Request failed because the request it depends on ('${failedDep}') failed.`,
            },
          },
        });
        continue;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
      let res: SandboxResponse;
      if (r.body !== undefined && !headers['content-type']) {
        res = this.error(
          400,
          'BadRequest',
          'Content-Type header is required for a batch request with a body.',
          ctx.requestId,
          ctx.req,
        );
      } else {
        const url = r.url.startsWith('/') ? r.url : `/${r.url}`;
        const [p, qs] = url.split('?', 2) as [string, string | undefined];
        const itemReq: SandboxRequest = {
          method: r.method.toUpperCase(),
          path: p,
          query: new URLSearchParams(qs ?? ''),
          headers: { ...headers, authorization: ctx.req.headers.authorization ?? '' },
          body: r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
          origin: ctx.req.origin,
        };
        const itemCtx: Ctx = { ...ctx, req: itemReq, requestId: randomUUID(), extra: {} };
        res = await this.dispatch(itemCtx, itemReq.method, p);
        res = { ...res, headers: { ...itemCtx.extra, ...res.headers } };
      }
      statusById.set(r.id, res.status);
      responses.push({
        id: r.id,
        status: res.status,
        headers: res.headers,
        ...(res.body ? { body: this.safeJson(res.body) ?? res.body } : {}),
      });
    }
    return this.ok(200, { responses });
  }

  private safeJson(s: string): unknown {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return undefined;
    }
  }
}
