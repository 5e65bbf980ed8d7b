/**
 * The sync engine's view of a Cloud Sync tenant (issue 18), read over Graph: the job, its schema's
 * mapping toward mobile and the provisioning logs of the last `logDays` days, turned into one
 * EngineObject per user the logs name (main/syncengine/cloud-sync.ts), for the drift join.
 */
import type { EngineFlows, EngineObject } from '../core/engine-view';
import type { Clock } from '../core/ports';
import { buildCloudSyncEngineObjects, cloudSyncFlows, type CloudSyncStats } from '../syncengine/cloud-sync';
import type { CloudClient } from './index';
import type { CloudSyncJobInfo, CloudSyncSchema } from './cloud-sync';

export interface CloudSyncView {
  job: CloudSyncJobInfo;
  schema: CloudSyncSchema;
  objects: EngineObject[];
  /** Tenant-wide: whether the schema maps otherMobile (the otherMobile verdict needs it). */
  flows: EngineFlows;
  stats: CloudSyncStats;
}

/** Provisioning logs are kept 30 days (Entra ID P1/P2); older entries are not there to read. */
export const DEFAULT_LOG_DAYS = 30;

export async function readCloudSyncView(client: Pick<CloudClient, 'cloudSync'>, o: { servicePrincipalId: string; logDays?: number; clock: Clock; signal?: AbortSignal }): Promise<CloudSyncView> {
  const call = o.signal ? { signal: o.signal } : {};
  const job = await client.cloudSync.getJob(o.servicePrincipalId, call);
  const schema = await client.cloudSync.getSchema(o.servicePrincipalId, job.jobId, call);
  const since = new Date(o.clock.now().getTime() - (o.logDays ?? DEFAULT_LOG_DAYS) * 86_400_000).toISOString();
  const logs = await client.cloudSync.provisioningLogs({ jobId: job.jobId, since, ...call });
  const { objects, stats } = buildCloudSyncEngineObjects({ jobId: job.jobId, schemaOrigin: schema.origin, mappings: schema.mappings, logs });
  return { job, schema, objects, flows: cloudSyncFlows(schema.mappings, schema.origin), stats };
}

/** One line for the CLI and the scan's notes. */
export function describeCloudSyncView(v: CloudSyncView): string {
  const m = v.schema.mappings.find((x) => x.target === 'mobile');
  const o = v.flows.otherMobile;
  return `Cloud Sync job ${v.job.jobId}: mobile ${m ? (m.expression === 'direct' ? 'flows directly' : `is mapped by ${m.expression}`) : 'has no mapping'}; otherMobile ${o.mapped ? (o.expression === 'direct' ? 'flows directly' : `is mapped by ${o.expression}`) : 'has no mapping (does not flow)'}; ${v.stats.logEntries} provisioning log entries, ${v.stats.exported} user(s) with an export of mobile, ${v.stats.errors} failed, ${v.stats.skipped} skipped.`;
}
