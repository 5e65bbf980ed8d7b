/**
 * Cloud Sync in the CLI (issue 18): a live scan of a profile with `cloud.cloudSync` joins the
 * job's mapping and provisioning logs as the sync engine's view, and `syncdrift provision-on-demand`
 * verifies one user. A permission the sign-in lacks does not stop the scan: it is named among the
 * scan's gaps (exit 4), as the audit log's is.
 */
import { isSyncDriftError } from '../core/errors';
import type { Clock } from '../core/ports';
import type { Profile } from '../core/profile';
import { describeCloudSyncView, readCloudSyncView } from '../cloud/cloud-sync-view';
import type { ScanSources } from './context';

export async function joinCloudSync(sources: ScanSources, profile: Profile, o: { clock: Clock; say: (line: string) => void; signal?: AbortSignal }): Promise<void> {
  const cs = profile.cloud.cloudSync;
  if (!cs || !sources.client) return;
  try {
    const view = await readCloudSyncView(sources.client, { servicePrincipalId: cs.servicePrincipalId, clock: o.clock, ...(cs.logDays ? { logDays: cs.logDays } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    sources.engineObjects = [...(sources.engineObjects ?? []), ...view.objects];
    o.say(describeCloudSyncView(view));
  } catch (e) {
    if (isSyncDriftError(e) && e.kind !== 'cancelled' && e.kind !== 'internal') {
      (sources.missing ??= []).push(`Cloud Sync's view (mapping and provisioning logs): ${e.message}`);
      return;
    }
    throw e;
  }
}
