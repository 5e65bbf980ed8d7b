/**
 * The sandbox's Graph routes of Cloud Sync (issue 18): the job list and job, the schema, the
 * provisioning logs and provisionOnDemand, answered by the tenant's Cloud Sync mode (cloud-sync.ts).
 */
import type { SandboxResponse } from './http';
import { cloudSyncOf } from './cloud-sync';
import { GraphHttpError, GraphRoutes, type Ctx } from './graph-routes';

export const CLOUD_SYNC_PATH = /^\/servicePrincipals\/[^/]+\/synchronization\/jobs(?:\/[^/]+(?:\/(?:schema|provisionOnDemand))?)?$/;

export class CloudSyncRoutes extends GraphRoutes {
  async route(ctx: Ctx, method: string, path: string, q: URLSearchParams): Promise<SandboxResponse> {
    const r = await cloudSyncOf(this.tenant).route({ method, path, query: q, claims: ctx.claims, origin: ctx.req.origin, version: ctx.version, body: ctx.req.body });
    if (!r) throw new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    if ('error' in r) throw new GraphHttpError(r.status, r.error.code, r.error.message);
    this.charge(ctx, path.startsWith('/auditLogs') ? 'audit' : 'read', 1);
    return this.ok(r.status, r.body);
  }
}
