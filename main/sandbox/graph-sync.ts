/**
 * The sandbox's Graph objects of the tenant and its synchronization: GET /organization,
 * GET/PATCH /directory/onPremisesSynchronization (the sync features, BypassDirSyncOverrides among
 * them), GET/PATCH /beta/users/{id}/onPremisesSyncBehavior (source of authority) and the Cloud Sync
 * job's restart, over the tenant state.
 */
import { z } from 'zod';
import { SyncDriftError } from '../core/errors';
import type { SandboxResponse } from './http';
import { GraphHttpError, GraphRoutes, READ_USERS_APP, actorOf, denied, has, hasRole, type Ctx } from './graph-routes';
import { ROLE, SYNC_FEATURE_NAMES, type SyncFeatures } from './tenant-model';

export class SyncRoutes extends GraphRoutes {
  organization(ctx: Ctx): SandboxResponse {
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

  getSyncBehavior(ctx: Ctx, id: string): SandboxResponse {
    if (!has(ctx.claims, ['User-OnPremisesSyncBehavior.ReadWrite.All', ...READ_USERS_APP])) throw denied();
    this.charge(ctx, 'read', 1);
    const u = this.resolve(id);
    return this.ok(200, {
      '@odata.context': this.context(ctx, `users('${u.id}')/onPremisesSyncBehavior/$entity`),
      id: u.id,
      isCloudManaged: u.cloudManaged,
    });
  }

  patchSyncBehavior(ctx: Ctx, id: string): SandboxResponse {
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

  getOnPremSync(ctx: Ctx, id: string | null): SandboxResponse {
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

  patchOnPremSync(ctx: Ctx, id: string): SandboxResponse {
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

  /** synchronizationJob: restart (Cloud Sync); see TenantStore.restartProvisioningJob for what is refused. */
  restartJob(ctx: Ctx, servicePrincipalId: string, jobId: string): SandboxResponse {
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
}
