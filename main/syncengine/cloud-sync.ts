/**
 * Cloud Sync's view of each user (issue 18): from the job's schema mapping toward `mobile` and the
 * provisioning logs, what Cloud Sync exported (or tried to) for every user the logs name, as core's
 * EngineObject, so the drift join treats it like a Connect export. Pure: the inputs are the shapes
 * main/cloud/cloud-sync.ts reads (structurally; this floor may not import main/cloud).
 *
 * Per user (the log's target object id, else its AD objectGUID as anchor):
 * - the newest successful entry that modified `mobile` is the exported value (the value Cloud Sync
 *   sent, which Entra ID may have ignored: DirSyncOverrides is invisible to Cloud Sync too);
 * - a newer failure is `error` with the entry's error code and reason, a newer skip `not-exported`
 *   with its reason;
 * - a user whose logs never touch mobile yields no object (the logs say nothing about its value).
 */
import type { EngineEvidence, EngineFlows, EngineObject, EngineRule } from '../core/engine-view';

export interface CloudSyncMappingView {
  target: 'mobile' | 'otherMobile';
  objectMapping: string;
  expression: string;
  sources: string[];
  transforms: boolean;
  functions: string[];
}

export interface CloudSyncLogView {
  id: string;
  activityDateTime: string;
  action: string | null;
  status: string;
  errorCode: string | null;
  reason: string | null;
  sourceId: string | null;
  sourceName: string | null;
  targetId: string | null;
  modified: { name: string; oldValue: string | null; newValue: string | null }[];
  steps: string[];
}

export interface CloudSyncInput {
  jobId: string;
  /** The schema's Graph path (evidence origin). */
  schemaOrigin: string;
  mappings: readonly CloudSyncMappingView[];
  logs: readonly CloudSyncLogView[];
}

export interface CloudSyncStats {
  users: number;
  exported: number;
  errors: number;
  skipped: number;
  logEntries: number;
  /** The mobile mapping reformats (a function, not a plain copy). */
  mobileTransforms: boolean;
}

const isMobile = (n: string) => /^(mobile|mobilephone)$/i.test(n);
const isOtherMobile = (n: string) => /^(othermobile|alternatemobilephones)$/i.test(n);

/** Base64 of the objectGUID bytes in .NET order (what Cloud Sync uses as source anchor); null if not a GUID. */
function guidAnchor(guid: string | null): string | null {
  const hex = (guid ?? '').replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const b: number[] = [];
  for (let i = 0; i < 32; i += 2) b.push(parseInt(hex.slice(i, i + 2), 16));
  return btoa(String.fromCharCode(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.slice(8)));
}

/** otherMobile's new value: JSON array text (as the sandbox and directoryAudit write it) or a single value. */
function multi(v: string | null): string[] {
  if (v === null || v.trim() === '') return [];
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      const a: unknown = JSON.parse(t);
      if (Array.isArray(a)) return a.filter((x): x is string => typeof x === 'string');
    } catch {
      // not JSON: one value
    }
  }
  return [t];
}

/** Whether the job's schema maps otherMobile (tenant-wide), for the otherMobile verdict. */
export function cloudSyncFlows(mappings: readonly CloudSyncMappingView[], schemaOrigin: string): EngineFlows {
  const m = mappings.find((x) => x.target === 'otherMobile');
  return { engine: 'cloud-sync', otherMobile: { mapped: !!m, expression: m?.expression ?? null, origin: schemaOrigin } };
}

export function cloudSyncRule(m: CloudSyncMappingView | undefined, jobId: string): EngineRule {
  if (!m) return { name: 'Cloud Sync: no mapping toward mobile in the schema', precedence: null, expression: 'none', sources: [], connector: jobId };
  return { name: `${m.objectMapping}: ${m.target}`, precedence: null, expression: m.expression, sources: [...m.sources], connector: jobId };
}

export function logEvidence(e: Pick<CloudSyncLogView, 'id'>): EngineEvidence {
  return { source: 'provisioning-log', origin: `/auditLogs/provisioning/${e.id}`, line: null };
}

export function buildCloudSyncEngineObjects(input: CloudSyncInput): { objects: EngineObject[]; stats: CloudSyncStats } {
  const mobileMap = input.mappings.find((m) => m.target === 'mobile');
  const rule = cloudSyncRule(mobileMap, input.jobId);
  const schemaEvidence: EngineEvidence = { source: 'synchronization-schema', origin: input.schemaOrigin, line: null };
  const byUser = new Map<string, CloudSyncLogView[]>();
  for (const l of input.logs) {
    const k = l.targetId ? `t:${l.targetId.toLowerCase()}` : l.sourceId ? `s:${l.sourceId.toLowerCase()}` : null;
    if (!k) continue;
    const list = byUser.get(k);
    if (list) list.push(l);
    else byUser.set(k, [l]);
  }
  // A user's failures before it had a cloud object are logged by source id only: fold them in.
  for (const [k, list] of byUser) {
    if (!k.startsWith('t:')) continue;
    const src = list.find((l) => l.sourceId)?.sourceId;
    const early = src ? byUser.get(`s:${src.toLowerCase()}`) : undefined;
    if (early) {
      list.push(...early);
      byUser.delete(`s:${src!.toLowerCase()}`);
    }
  }
  const stats: CloudSyncStats = { users: 0, exported: 0, errors: 0, skipped: 0, logEntries: input.logs.length, mobileTransforms: mobileMap?.transforms ?? false };
  const objects: EngineObject[] = [];
  for (const list of byUser.values()) {
    list.sort((a, b) => Date.parse(b.activityDateTime) - Date.parse(a.activityDateTime));
    const newest = list[0]!;
    const sent = list.find((l) => (l.status === 'success' || l.status === 'warning') && l.modified.some((m) => isMobile(m.name)));
    const other = list.find((l) => (l.status === 'success' || l.status === 'warning') && l.modified.some((m) => isOtherMobile(m.name)));
    const targetId = list.find((l) => l.targetId)?.targetId ?? null;
    const sourceId = list.find((l) => l.sourceId)?.sourceId ?? null;
    const base = { engine: 'cloud-sync' as const, sourceAnchor: guidAnchor(sourceId), onPremDn: null, cloudId: targetId };
    const newerProblem = (newest.status === 'failure' || newest.status === 'skipped') && (!sent || Date.parse(newest.activityDateTime) > Date.parse(sent.activityDateTime));
    if (newerProblem) {
      const why = [newest.errorCode, newest.reason ?? newest.steps[newest.steps.length - 1] ?? null].filter(Boolean).join(': ') || 'no reason in the log entry';
      const failed = newest.status === 'failure';
      if (failed) stats.errors++;
      else stats.skipped++;
      objects.push({
        ...base,
        state: failed ? 'error' : 'not-exported',
        exported: null,
        exportedAt: null,
        rule,
        reason: `${failed ? 'provisioning failed' : 'provisioning skipped the user'} ${newest.activityDateTime.slice(0, 16).replace('T', ' ')} UTC (${why})`,
        evidence: [logEvidence(newest), schemaEvidence],
      });
      stats.users++;
      continue;
    }
    if (!sent) continue;
    const mobile = sent.modified.find((m) => isMobile(m.name))!;
    const otherMobile = other ? multi(other.modified.find((m) => isOtherMobile(m.name))!.newValue) : [];
    objects.push({
      ...base,
      state: 'exported',
      exported: { mobile: mobile.newValue, otherMobile },
      exportedAt: sent.activityDateTime,
      rule,
      reason: null,
      evidence: [logEvidence(sent), schemaEvidence],
    });
    stats.users++;
    stats.exported++;
  }
  return { objects, stats };
}
