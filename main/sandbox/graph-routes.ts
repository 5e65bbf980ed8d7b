/**
 * What every resource of the sandbox's Graph shares: the request context, Graph's error, the
 * permission checks, paging limits, and a base class for a resource's routes over the one tenant
 * state (the store), its token codec and the service's throttling. graph.ts routes to the resources.
 */
import type { AccessClaims } from './identity';
import type { SandboxRequest, SandboxResponse } from './http';
import type { TokenCodec } from './odata';
import type { TenantStore } from './tenant';
import { ROLE, type AuditActor, type TenantUser } from './tenant-model';

export const JSON_CT = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
export const MAX_TOP = 999;
export const DEFAULT_USERS_PAGE = 100;
export const DEFAULT_DELTA_PAGE = 200;
export const DEFAULT_AUDIT_PAGE = 100;

/** Per-request context after authentication. */
export interface Ctx {
  req: SandboxRequest;
  claims: AccessClaims;
  version: 'v1.0' | 'beta';
  requestId: string;
  /** Headers to add to the response (throttle information). */
  extra: Record<string, string>;
}

export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const READ_USERS_APP = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const READ_USERS_DELEGATED = [...READ_USERS_APP, 'User.ReadBasic.All', 'Directory.AccessAsUser.All'];
export const WRITE_USERS = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
export const WRITE_PHONE = ['User-Phone.ReadWrite.All'];
export const USER_WRITE_ROLES = [ROLE.GLOBAL_ADMINISTRATOR, ROLE.USER_ADMINISTRATOR];
export const AUDIT_ROLES = [ROLE.GLOBAL_ADMINISTRATOR, ROLE.GLOBAL_READER, ROLE.REPORTS_READER, ROLE.SECURITY_READER];

export function scopesOf(c: AccessClaims): string[] {
  return c.idtyp === 'app' ? (c.roles ?? []) : (c.scp ?? '').split(' ').filter(Boolean);
}

export function has(c: AccessClaims, perms: readonly string[]): boolean {
  const s = scopesOf(c);
  return perms.some((p) => s.includes(p));
}

export function hasRole(c: AccessClaims, roles: readonly string[]): boolean {
  return (c.wids ?? []).some((w) => roles.includes(w));
}

export function denied(): GraphHttpError {
  return new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

export function actorOf(c: AccessClaims): AuditActor {
  return c.idtyp === 'app'
    ? { kind: 'app', appId: c.appid, displayName: c.app_displayname ?? c.appid, servicePrincipalId: c.oid }
    : { kind: 'user', id: c.oid, userPrincipalName: c.upn ?? '', displayName: c.name ?? null };
}

/** A Graph JSON answer. */
export function jsonResponse(status: number, value: unknown): SandboxResponse {
  return { status, headers: { 'content-type': JSON_CT }, body: JSON.stringify(value) };
}

/** Throttling, as the service charges a call to the caller's token buckets (429 when refused). */
export type Charge = (ctx: Ctx, kind: 'read' | 'write' | 'audit', units: number) => void;

/** The routes of one Graph resource over the tenant state. */
export abstract class GraphRoutes {
  constructor(
    protected readonly tenant: TenantStore,
    protected readonly codec: TokenCodec,
    private readonly charger: Charge,
  ) {}

  protected charge(ctx: Ctx, kind: 'read' | 'write' | 'audit', units: number): void {
    this.charger(ctx, kind, units);
  }

  protected ok(status: number, value: unknown): SandboxResponse {
    return jsonResponse(status, value);
  }

  protected context(ctx: Ctx, fragment: string): string {
    return `${ctx.req.origin}/${ctx.version}/$metadata#${fragment}`;
  }

  protected link(ctx: Ctx, path: string, params: URLSearchParams): string {
    // Graph keeps the `$` of system query options unescaped in its links.
    const qs = [...params.entries()].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return `${ctx.req.origin}/${ctx.version}${path}?${qs}`;
  }

  protected topOf(q: URLSearchParams, dflt: number): number {
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

  protected parseBody(ctx: Ctx): unknown {
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

  protected resolve(idOrUpn: string): TenantUser {
    const u = this.tenant.resolveUser(idOrUpn);
    if (!u)
      throw new GraphHttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return u;
  }
}
