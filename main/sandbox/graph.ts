/**
 * The sandbox's Microsoft Graph subset (v1.0, and /beta for onPremisesSyncBehavior), with Graph's
 * wire format: error bodies `{ error: { code, message, innerError } }`, `@odata.nextLink`,
 * `@odata.deltaLink`, `@odata.count`, 429 with Retry-After. See docs/sandbox.md for what follows
 * Microsoft's documentation and what was assumed where it is silent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { IdentityService } from './identity';
import type { SandboxRequest, SandboxResponse } from './http';
import { identityUnitsFor, type SandboxKnobs, type TokenBuckets } from './limits';
import { TokenCodec } from './odata';
import { AuditRoutes } from './graph-audit';
import { GraphHttpError, JSON_CT, jsonResponse, type Ctx } from './graph-routes';
import { SyncRoutes } from './graph-sync';
import { CLOUD_SYNC_PATH, CloudSyncRoutes } from './graph-cloud-sync';
import { UsersRoutes } from './graph-users';
import type { TenantStore } from './tenant';

const MAX_BATCH = 20;

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

/**
 * Authenticates a call, throttles it and routes it to its resource (graph-users.ts, graph-sync.ts,
 * graph-audit.ts: each over the one tenant state); answers $batch and Graph's errors.
 */
export class GraphService {
  private readonly codec = new TokenCodec(randomBytes(32));
  private alternate = false;
  private diceState: { seed: number; next: () => number } | null = null;
  private readonly users: UsersRoutes;
  private readonly sync: SyncRoutes;
  private readonly audit: AuditRoutes;
  private readonly cloudSync: CloudSyncRoutes;

  constructor(
    private readonly tenant: TenantStore,
    private readonly identity: IdentityService,
    private readonly knobs: SandboxKnobs,
    private readonly buckets: TokenBuckets,
  ) {
    const charge = (ctx: Ctx, kind: 'read' | 'write' | 'audit', units: number) => this.charge(ctx, kind, units);
    this.users = new UsersRoutes(tenant, this.codec, charge);
    this.sync = new SyncRoutes(tenant, this.codec, charge);
    this.audit = new AuditRoutes(tenant, this.codec, charge);
    this.cloudSync = new CloudSyncRoutes(tenant, this.codec, charge);
  }

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

  /** Routes one Graph call (also used by $batch items), turning GraphHttpError into Graph's body. */
  private async dispatch(ctx: Ctx, method: string, sub: string): Promise<SandboxResponse> {
    try {
      return await this.route(ctx, method, sub);
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

  private route(ctx: Ctx, method: string, sub: string): SandboxResponse | Promise<SandboxResponse> {
    const [pathPart, queryPart] = sub.split('?', 2) as [string, string | undefined];
    const q = queryPart !== undefined ? new URLSearchParams(queryPart) : ctx.req.query;
    let path: string;
    try {
      path = decodeURIComponent(pathPart).replace(/\/+$/, '');
    } catch {
      throw new GraphHttpError(400, 'BadRequest', 'The request URI is not valid (bad percent-encoding).');
    }
    let m: RegExpExecArray | null;
    if (path === '/organization' && method === 'GET') return this.sync.organization(ctx);
    if (path === '/users' && method === 'GET') return this.users.listUsers(ctx, q);
    if (path === '/users/$count' && method === 'GET') return this.users.countUsers(ctx, q);
    if (path === '/users/delta' && method === 'GET') return this.users.delta(ctx, q);
    if ((m = /^\/users\/([^/]+)$/.exec(path))) {
      if (method === 'GET') return this.users.getUser(ctx, m[1]!, q);
      if (method === 'PATCH') return this.users.patchUser(ctx, m[1]!);
    }
    if (ctx.version === 'beta' && (m = /^\/users\/([^/]+)\/onPremisesSyncBehavior$/.exec(path))) {
      if (method === 'GET') return this.sync.getSyncBehavior(ctx, m[1]!);
      if (method === 'PATCH') return this.sync.patchSyncBehavior(ctx, m[1]!);
    }
    if ((m = /^\/directory\/onPremisesSynchronization(?:\/([^/]+))?$/.exec(path))) {
      if (method === 'GET') return this.sync.getOnPremSync(ctx, m[1] ?? null);
      if (method === 'PATCH' && m[1]) return this.sync.patchOnPremSync(ctx, m[1]);
    }
    if ((m = /^\/servicePrincipals\/([^/]+)\/synchronization\/jobs\/([^/]+)\/restart$/.exec(path)) && method === 'POST') return this.sync.restartJob(ctx, m[1]!, m[2]!);
    if (path === '/auditLogs/provisioning' || CLOUD_SYNC_PATH.test(path)) return this.cloudSync.route(ctx, method, path, q);
    if (path === '/auditLogs/directoryAudits' && method === 'GET') return this.audit.audits(ctx, q);
    if ((m = /^\/auditLogs\/directoryAudits\/([^/]+)$/.exec(path)) && method === 'GET') return this.audit.auditById(ctx, m[1]!);
    if (['GET', 'PATCH', 'POST', 'DELETE', 'PUT'].includes(method)) {
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/').filter(Boolean).pop() ?? ''}'.`,
      );
    }
    throw new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
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
    return jsonResponse(200, { responses });
  }

  private safeJson(s: string): unknown {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return undefined;
    }
  }
}
