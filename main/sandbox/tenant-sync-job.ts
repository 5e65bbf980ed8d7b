/**
 * The sandbox tenant's Cloud Sync provisioning job (synchronizationJob): its ids, derived from the
 * tenant id, and `restart` with the reset scopes a product may ask for.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SyncDriftError, ValidationError } from '../core/errors';
import { RESTART_SCOPES, type RestartScope } from './tenant-model';

const REFUSED_SCOPES: ReadonlySet<RestartScope> = new Set(['None', 'ConnectorDataStore', 'Full', 'ForceDeletes']);
const RestartBody = z.object({ criteria: z.object({ resetScope: z.string().nullable().optional() }).passthrough().optional() }).passthrough();

export class CloudSyncJob {
  private jobRestart: { at: number; resetScope: string; cleared: RestartScope[] } | null = null;

  constructor(
    private readonly tenantId: string,
    private readonly now: () => number,
  ) {}

  /** The tenant's Cloud Sync provisioning job: ids derived from the tenant id, and its last restart. */
  get cloudSyncJob(): { servicePrincipalId: string; jobId: string; lastRestart: { at: number; resetScope: string; cleared: RestartScope[] } | null } {
    const h = createHash('sha256').update(`cloud-sync-job:${this.tenantId}`).digest('hex');
    const servicePrincipalId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return { servicePrincipalId, jobId: `AD2AADProvisioning.${this.tenantId.replace(/-/g, '')}.${h.slice(32, 44)}`, lastRestart: this.jobRestart ? { ...this.jobRestart, cleared: [...this.jobRestart.cleared] } : null };
  }

  /**
   * POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/restart with `{ criteria }`
   * (synchronizationJobRestartCriteria). An empty resetScope is the portal's Restart provisioning:
   * QuarantineState, Watermark and Escrows. The sandbox refuses what Microsoft says not to use or what
   * forces deletes (None, ConnectorDataStore, Full, ForceDeletes): real Graph would reset the job's
   * connector data store or delete users past the accidental-delete threshold, which a product must
   * never ask for, so a product that sends it fails against the sandbox (docs/sandbox.md).
   */
  restartProvisioningJob(servicePrincipalId: string, jobId: string, body: unknown): { cleared: RestartScope[] } {
    const job = this.cloudSyncJob;
    if (servicePrincipalId.toLowerCase() !== job.servicePrincipalId || jobId !== job.jobId) {
      throw new SyncDriftError('not-found', 'SANDBOX_JOB_NOT_FOUND', `No synchronization job ${jobId} on service principal ${servicePrincipalId}.`);
    }
    const parsed = RestartBody.safeParse(body ?? {});
    if (!parsed.success) throw new ValidationError(parsed.error.issues[0]?.path.join('.') || 'criteria', parsed.error.issues[0]?.message ?? 'not a restart body');
    const raw = parsed.data.criteria?.resetScope ?? '';
    const asked = raw.split(',').map((x) => x.trim()).filter(Boolean);
    for (const a of asked) {
      if (!(RESTART_SCOPES as readonly string[]).includes(a)) {
        throw new ValidationError('criteria.resetScope', `"${a}" is not a synchronizationJobRestartScope (${RESTART_SCOPES.join(', ')})`);
      }
    }
    const refused = asked.filter((a): a is RestartScope => REFUSED_SCOPES.has(a as RestartScope));
    if (refused.length > 0) {
      throw new SyncDriftError(
        'validation',
        'SANDBOX_RESET_SCOPE_REFUSED',
        `resetScope ${refused.join(', ')} refused: ${refused.includes('Full') ? 'Full is every option, so it includes ConnectorDataStore and ForceDeletes; ' : ''}ConnectorDataStore clears the underlying cache for all users ("DO NOT USE"), ForceDeletes deletes pending users past the accidental-delete threshold, None is not a restart. Send an empty criteria (the portal's Restart provisioning).`,
      );
    }
    const cleared: RestartScope[] = asked.length === 0 ? ['QuarantineState', 'Watermark', 'Escrows'] : (asked as RestartScope[]);
    this.jobRestart = { at: this.now(), resetScope: raw, cleared: [...new Set(cleared)] };
    return { cleared: [...new Set(cleared)] };
  }
}
