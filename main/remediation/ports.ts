/**
 * What the remediation engine needs from the outside, as ports: the cloud side (Graph through the
 * CloudClient, or the sandbox tenant in-process), the sync cycle (the simulator in the sandbox; a
 * human on the Connect server in production) and the operator who confirms what the engine cannot
 * observe. On-prem is the OnPremDirectory port itself.
 */
import type { ErrorInfo } from '../core/errors';
import { SyncDriftError } from '../core/errors';
import type { ProgressSink } from '../core/progress';
import type { CapabilityCheck, CloudClient } from '../cloud/index';

export interface CloudUserState {
  id: string;
  mobilePhone: string | null;
  /** Graph accepts a per-user write (not synced, or object SOA switched to the cloud). */
  managed: boolean;
}

/** A synced user as the whole-tenant read sees it (the bypass's reach: #17 point 4). */
export interface SyncedUserState {
  id: string;
  upn: string;
  mobilePhone: string | null;
}

export interface CloudPatchResult {
  userId: string;
  ok: boolean;
  status: number;
  error: ErrorInfo | null;
  /** Attempts of this item (item-level 429 retries included), when the transport says. */
  attempts?: number;
}

export type BypassState = { state: 'known'; enabled: boolean } | { state: 'unknown'; reason: string; code: string };

export interface CallOpts {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
}

export interface RemediationCloud {
  /** Fresh reads of the listed users; a missing user maps to null. */
  readUsers(ids: readonly string[], o?: CallOpts): Promise<Map<string, CloudUserState | null>>;
  /** mobilePhone PATCHes in $batch; per-item results, never throws for one item. */
  patchMobile(writes: ReadonlyArray<{ userId: string; mobilePhone: string | null }>, o?: CallOpts): Promise<{ results: CloudPatchResult[]; requests: number; retries: number }>;
  /**
   * Every synced user of the tenant (onPremisesSyncEnabled true, not cloud-managed): one paged pass
   * over `/users`. The bypass plus a full cycle reaches all of them, scanned or not, so the session
   * records them before the bypass and reads them again after the cycle.
   */
  syncedUsers(o?: CallOpts): Promise<SyncedUserState[]>;
  /** How many synced users the tenant has (Graph's `$count`, readers.ts countSyncedUsers). */
  countSyncedUsers(o?: CallOpts): Promise<number>;
  getBypass(o?: CallOpts): Promise<BypassState>;
  setBypass(enabled: boolean, o?: CallOpts): Promise<{ enabled: boolean }>;
  checkPermissions(o?: CallOpts): Promise<CapabilityCheck[]>;
}

/** Runs a full (initial) sync cycle where the product can (the sandbox simulator); absent in production. */
export type SyncCyclePort = (policy: 'initial', o: CallOpts) => Promise<{ summary: string }>;

/** Questions only a person can answer. Absent or answering false leaves the session waiting (resumable). */
export interface Operator {
  /** The AD writes did not show on all listed DCs in time: has replication reached the Connect server's DC? */
  confirmReplication?(pending: ReadonlyArray<{ upn: string; dn: string; dcs: string[] }>): Promise<boolean>;
  /** Run the full cycle (instructions are copyable) and answer true once it has finished. */
  confirmCycle?(instructions: string): Promise<boolean>;
}

/**
 * Up to this many users a fresh read is per-user GETs in $batch (ceil(n/20) requests, 1 resource
 * unit each); beyond it one paged pass over the tenant is cheaper in Graph's throttling budget (a
 * page of 999 users costs about 2 units), so a large session's verify does not spend thousands.
 */
export const PER_USER_READ_LIMIT = 200;

/** The real cloud side over CloudClient. */
export function cloudPortFromClient(client: CloudClient): RemediationCloud {
  return {
    async readUsers(ids, o = {}) {
      const out = new Map<string, CloudUserState | null>(ids.map((id) => [id, null]));
      if (ids.length === 0) return out;
      const signal = o.signal ? { signal: o.signal } : {};
      if (out.size <= PER_USER_READ_LIMIT) {
        const users = await client.getUsers([...out.keys()], signal);
        for (const [id, u] of users) out.set(id, u ? { id: u.id, mobilePhone: u.mobilePhone, managed: u.cloudManaged } : null);
        return out;
      }
      for await (const page of client.listUsers(signal)) {
        for (const u of page) if (out.has(u.id)) out.set(u.id, { id: u.id, mobilePhone: u.mobilePhone, managed: u.cloudManaged });
      }
      return out;
    },
    async syncedUsers(o = {}) {
      const out: SyncedUserState[] = [];
      for await (const page of client.listUsers(o.signal ? { signal: o.signal } : {})) {
        for (const u of page) if (u.onPremisesSyncEnabled === true && !u.cloudManaged) out.push({ id: u.id, upn: u.userPrincipalName, mobilePhone: u.mobilePhone });
        o.onProgress?.({ phase: 'tenant-read', done: out.length, message: 'reading the tenant’s synced users' });
      }
      return out;
    },
    countSyncedUsers: (o = {}) => client.countSyncedUsers(o.signal ? { signal: o.signal } : {}),
    async patchMobile(writes, o = {}) {
      const r = await client.patchMobile(writes, { ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
      return { results: r.results.map((x) => ({ userId: x.userId, ok: x.ok, status: x.status, error: x.error, attempts: x.attempts })), requests: r.requests, retries: r.retries };
    },
    async getBypass(o = {}) {
      const f = await client.getSyncFeatures(o.signal ? { signal: o.signal } : {});
      return f.state === 'known' ? { state: 'known', enabled: f.bypassDirSyncOverridesEnabled } : { state: 'unknown', reason: f.reason, code: f.code };
    },
    async setBypass(enabled, o = {}) {
      const f = await client.setBypass(enabled, o.signal ? { signal: o.signal } : {});
      if (f.state !== 'known') throw new SyncDriftError('permission', f.code, f.reason);
      return { enabled: f.bypassDirSyncOverridesEnabled };
    },
    checkPermissions: (o = {}) => client.checkPermissions({ probe: true, ...(o.signal ? { signal: o.signal } : {}) }),
  };
}

/**
 * The full cycle of a Cloud Sync tenant, run by the product (#17 point 1): the provisioning job of
 * the configuration's service principal restarted the way the portal's Restart provisioning does
 * (empty criteria; never Full or ForceDeletes). Cloud Sync then evaluates every user again on its
 * next run (every 2 minutes), which verification waits for. Needs Synchronization.ReadWrite.All.
 */
export function cloudSyncCyclePort(client: Pick<CloudClient, 'cloudSync'>, servicePrincipalId: string): SyncCyclePort {
  return async (_policy, o) => {
    const signal = o.signal ? { signal: o.signal } : {};
    const job = await client.cloudSync.getJob(servicePrincipalId, signal);
    await client.cloudSync.restartJob({ servicePrincipalId, jobId: job.jobId }, signal);
    return { summary: `Cloud Sync job ${job.jobId} restarted as the portal's Restart provisioning does (empty criteria); its next run evaluates every user again.` };
  };
}
