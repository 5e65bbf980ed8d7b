/**
 * Cloud Sync readers (issue 18): the tenant's Cloud Sync provisioning job
 * (`GET /servicePrincipals/{id}/synchronization/jobs`), the job's schema mappings toward Entra ID
 * `mobile`/`otherMobile` (`GET …/jobs/{jobId}/schema`), the provisioning logs
 * (`GET /auditLogs/provisioning`) and `POST …/jobs/{jobId}/provisionOnDemand` for one user.
 *
 * Every answer is validated and a malformed one fails naming the field. A 403 becomes
 * GRAPH_FORBIDDEN naming the permission Microsoft documents for that call (docs/cloud.md):
 * Synchronization.Read.All for the job and its schema, AuditLog.Read.All for the provisioning logs,
 * Synchronization.ReadWrite.All for provisionOnDemand.
 */
import { z } from 'zod';
import { SyncDriftError, formatIssues, isSyncDriftError } from '../core/errors';
import { throwIfCancelled } from '../core/progress';
import type { GraphOperation, GraphTransport } from './graph';
import { parsePage } from './readers';

/** Cloud Sync's job template (the job id starts with it: `AD2AADProvisioning.<tenant>.<suffix>`). */
export const CLOUD_SYNC_TEMPLATE = 'AD2AADProvisioning';

/** What each Cloud Sync call needs, least privileged first (Microsoft Graph API reference). */
export const CLOUD_SYNC_PERMISSIONS = {
  readJob: {
    permission: 'Synchronization.Read.All',
    text: 'Synchronization.Read.All (delegated, with the Hybrid Identity Administrator, Application Administrator, Cloud Application Administrator or Global Reader role; or application) with admin consent',
  },
  readLogs: {
    permission: 'AuditLog.Read.All',
    text: 'AuditLog.Read.All (delegated, with the Reports Reader, Security Reader, Security Administrator or Global Reader role; or application) with admin consent',
  },
  provisionOnDemand: {
    permission: 'Synchronization.ReadWrite.All',
    text: 'Synchronization.ReadWrite.All (delegated, with the Hybrid Identity Administrator, Application Administrator or Cloud Application Administrator role; or application) with admin consent',
  },
  restartJob: {
    permission: 'Synchronization.ReadWrite.All',
    text: 'Synchronization.ReadWrite.All (delegated, with the Hybrid Identity Administrator, Application Administrator or Cloud Application Administrator role; or application) with admin consent',
  },
} as const;
export type CloudSyncCall = keyof typeof CLOUD_SYNC_PERMISSIONS;

const WHAT: Record<CloudSyncCall, string> = {
  readJob: 'reading the Cloud Sync job and its schema',
  readLogs: 'reading the provisioning logs',
  provisionOnDemand: 'provisioning a user on demand',
  restartJob: 'restarting the provisioning job',
};

/** Sends one request; a 403 names the permission this call needs. */
async function send(t: GraphTransport, op: GraphOperation, call: CloudSyncCall, req: Parameters<GraphTransport['send']>[0]): Promise<unknown> {
  try {
    return (await t.send(req, op)).body;
  } catch (e) {
    if (isSyncDriftError(e) && e.code === 'GRAPH_FORBIDDEN') {
      const need = CLOUD_SYNC_PERMISSIONS[call];
      throw new SyncDriftError('permission', 'GRAPH_FORBIDDEN', `Graph refused ${WHAT[call]} (${req.method} ${req.path}): it needs ${need.text}.`, {
        cause: e,
        details: { ...(e.details ?? {}), permission: need.permission, call },
      });
    }
    throw e;
  }
}

function invalid(code: string, what: string, issues: z.core.$ZodIssue[], prefix: string): SyncDriftError {
  return new SyncDriftError('validation', code, `Graph returned ${what} that cannot be read: ${formatIssues(issues, prefix)}`);
}

// ----- the job

const WireJob = z.object({
  id: z.string().min(1),
  templateId: z.string().nullish(),
  schedule: z.object({ state: z.string().nullish(), interval: z.string().nullish() }).passthrough().nullish(),
  status: z
    .object({
      code: z.string().nullish(),
      lastSuccessfulExecution: z.object({ timeEnded: z.string().nullish() }).passthrough().nullish(),
      quarantine: z.object({ reason: z.string().nullish() }).passthrough().nullish(),
    })
    .passthrough()
    .nullish(),
});

export interface CloudSyncJobInfo {
  servicePrincipalId: string;
  jobId: string;
  templateId: string;
  scheduleState: string | null;
  statusCode: string | null;
  lastSuccessAt: string | null;
  quarantineReason: string | null;
}

/** The service principal's Cloud Sync (AD2AADProvisioning) job; fails when it has none. */
export async function getCloudSyncJob(t: GraphTransport, op: GraphOperation, servicePrincipalId: string): Promise<CloudSyncJobInfo> {
  const path = `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/synchronization/jobs`;
  const page = parsePage(await send(t, op, 'readJob', { method: 'GET', path }), 'synchronization jobs');
  const jobs: CloudSyncJobInfo[] = [];
  page.value.forEach((raw, i) => {
    const j = WireJob.safeParse(raw);
    if (!j.success) throw invalid('GRAPH_BAD_SYNC_JOB', 'a synchronization job', j.error.issues, `value[${i}]`);
    const templateId = j.data.templateId ?? j.data.id.split('.')[0] ?? '';
    jobs.push({
      servicePrincipalId,
      jobId: j.data.id,
      templateId,
      scheduleState: j.data.schedule?.state ?? null,
      statusCode: j.data.status?.code ?? null,
      lastSuccessAt: j.data.status?.lastSuccessfulExecution?.timeEnded ?? null,
      quarantineReason: j.data.status?.quarantine?.reason ?? null,
    });
  });
  const job = jobs.find((j) => j.templateId === CLOUD_SYNC_TEMPLATE || j.jobId.startsWith(`${CLOUD_SYNC_TEMPLATE}.`));
  if (!job) {
    throw new SyncDriftError(
      'not-found',
      'CLOUD_SYNC_NO_JOB',
      `Service principal ${servicePrincipalId} has no Cloud Sync job (template ${CLOUD_SYNC_TEMPLATE}); its jobs: ${jobs.map((j) => j.jobId).join(', ') || 'none'}.`,
    );
  }
  return job;
}

// ----- the schema

/** attributeMappingSource: Attribute, Constant or Function (with parameters, recursively). */
export interface MappingSource {
  type: 'Attribute' | 'Constant' | 'Function';
  name: string;
  expression: string | null;
  parameters: { key: string; value: MappingSource }[];
}

const WireSource: z.ZodType<MappingSource> = z.lazy(() =>
  z.object({
    type: z.enum(['Attribute', 'Constant', 'Function']),
    name: z.string(),
    expression: z.string().nullish().transform((v) => v ?? null),
    parameters: z
      .array(z.object({ key: z.string(), value: WireSource }))
      .nullish()
      .transform((v) => v ?? []),
  }),
);

const WireAttributeMapping = z
  .object({
    targetAttributeName: z.string().min(1),
    source: WireSource.nullish(),
    flowType: z.string().nullish(),
    defaultValue: z.string().nullish(),
  })
  .passthrough();

const WireSchema = z.object({
  id: z.string().nullish(),
  synchronizationRules: z.array(
    z
      .object({
        id: z.string().min(1),
        name: z.string().nullish(),
        objectMappings: z.array(
          z
            .object({
              name: z.string().nullish(),
              enabled: z.boolean().nullish(),
              sourceObjectName: z.string().nullish(),
              targetObjectName: z.string().nullish(),
              attributeMappings: z.array(WireAttributeMapping),
            })
            .passthrough(),
        ),
      })
      .passthrough(),
  ),
});

/** How Cloud Sync produces one target phone attribute. */
export interface CloudSyncMapping {
  ruleId: string;
  objectMapping: string;
  /** Entra ID side: 'mobile' or 'otherMobile'. */
  target: 'mobile' | 'otherMobile';
  /** 'direct' for a plain attribute flow, else the expression text. */
  expression: string;
  /** AD attributes the mapping reads. */
  sources: string[];
  /** A function (not a plain copy of mobile/otherMobile): it may reformat the value. */
  transforms: boolean;
  /** Functions the expression calls, outermost first (what the details drawer names). */
  functions: string[];
  flowType: string | null;
}

export interface CloudSyncSchema {
  servicePrincipalId: string;
  jobId: string;
  /** The synchronization rule provisionOnDemand takes (the user rule). */
  ruleId: string;
  mappings: CloudSyncMapping[];
  /** The Graph path read (evidence origin). */
  origin: string;
}

/** Renders an attributeMappingSource as Microsoft's expression syntax when Graph left `expression` out. */
export function renderSource(s: MappingSource): string {
  if (s.type === 'Attribute') return `[${s.name}]`;
  if (s.type === 'Constant') return `"${s.name.replace(/"/g, '\\"')}"`;
  return `${s.name}(${s.parameters.map((p) => renderSource(p.value)).join(', ')})`;
}

function walk(s: MappingSource, attrs: Set<string>, fns: string[]): void {
  if (s.type === 'Attribute') attrs.add(s.name);
  if (s.type === 'Function') {
    fns.push(s.name);
    for (const p of s.parameters) walk(p.value, attrs, fns);
  }
}

/** Names a mapping source: its AD attributes, functions and whether it is a plain copy. */
export function describeSource(target: 'mobile' | 'otherMobile', s: MappingSource): Pick<CloudSyncMapping, 'expression' | 'sources' | 'transforms' | 'functions'> {
  const attrs = new Set<string>();
  const functions: string[] = [];
  walk(s, attrs, functions);
  const direct = s.type === 'Attribute' && s.name.toLowerCase() === target.toLowerCase();
  return { expression: direct ? 'direct' : (s.expression ?? renderSource(s)), sources: [...attrs], transforms: s.type === 'Function', functions };
}

const TARGETS: Record<string, 'mobile' | 'otherMobile'> = { mobile: 'mobile', mobilephone: 'mobile', othermobile: 'otherMobile', alternatemobilephones: 'otherMobile' };

/** The job's schema, reduced to the user mappings toward mobile/otherMobile. */
export async function getCloudSyncSchema(t: GraphTransport, op: GraphOperation, servicePrincipalId: string, jobId: string): Promise<CloudSyncSchema> {
  const path = `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/synchronization/jobs/${encodeURIComponent(jobId)}/schema`;
  const body = await send(t, op, 'readJob', { method: 'GET', path });
  return parseCloudSyncSchema(body, { servicePrincipalId, jobId, origin: path });
}

export function parseCloudSyncSchema(body: unknown, at: { servicePrincipalId: string; jobId: string; origin: string }): CloudSyncSchema {
  const s = WireSchema.safeParse(body);
  if (!s.success) throw invalid('GRAPH_BAD_SYNC_SCHEMA', 'a synchronization schema', s.error.issues, 'schema');
  const mappings: CloudSyncMapping[] = [];
  let ruleId: string | null = null;
  for (const rule of s.data.synchronizationRules) {
    for (const om of rule.objectMappings) {
      if (om.enabled === false) continue;
      const isUser = (om.targetObjectName ?? '').toLowerCase() === 'user' || (om.sourceObjectName ?? '').toLowerCase() === 'user';
      if (!isUser) continue;
      ruleId ??= rule.id;
      for (const am of om.attributeMappings) {
        const target = TARGETS[am.targetAttributeName.toLowerCase()];
        if (!target || !am.source) continue;
        mappings.push({ ruleId: rule.id, objectMapping: om.name ?? `${om.sourceObjectName ?? '?'} to ${om.targetObjectName ?? '?'}`, target, flowType: am.flowType ?? null, ...describeSource(target, am.source) });
      }
    }
  }
  if (!ruleId) throw new SyncDriftError('validation', 'GRAPH_BAD_SYNC_SCHEMA', `The schema of job ${at.jobId} has no enabled user object mapping (schema.synchronizationRules[].objectMappings[].targetObjectName "User").`);
  return { servicePrincipalId: at.servicePrincipalId, jobId: at.jobId, ruleId, mappings, origin: at.origin };
}

// ----- provisioning logs

const Identity = z
  .object({
    id: z.string().nullish().transform((v) => v ?? null),
    displayName: z.string().nullish().transform((v) => v ?? null),
    identityType: z.string().nullish().transform((v) => v ?? null),
  })
  .passthrough();

const WireProvisioning = z.object({
  id: z.string().min(1),
  activityDateTime: z.iso.datetime({ offset: true }),
  jobId: z.string().nullish().transform((v) => v ?? null),
  cycleId: z.string().nullish().transform((v) => v ?? null),
  changeId: z.string().nullish().transform((v) => v ?? null),
  provisioningAction: z.string().nullish().transform((v) => v ?? null),
  provisioningStatusInfo: z.object({
    status: z.enum(['success', 'warning', 'failure', 'skipped', 'unknownFutureValue']),
    errorInformation: z
      .object({
        errorCode: z.string().nullish(),
        reason: z.string().nullish(),
        additionalDetails: z.string().nullish(),
        errorCategory: z.string().nullish(),
      })
      .passthrough()
      .nullish(),
  }),
  sourceIdentity: Identity.nullish().transform((v) => v ?? null),
  targetIdentity: Identity.nullish().transform((v) => v ?? null),
  modifiedProperties: z
    .array(z.object({ displayName: z.string(), oldValue: z.string().nullish(), newValue: z.string().nullish() }).passthrough())
    .nullish()
    .transform((v) => v ?? []),
  provisioningSteps: z
    .array(z.object({ name: z.string().nullish(), status: z.string().nullish(), description: z.string().nullish(), provisioningStepType: z.string().nullish() }).passthrough())
    .nullish()
    .transform((v) => v ?? []),
});

/** One provisioningObjectSummary as the engine view needs it. */
export interface ProvisioningEntry {
  id: string;
  activityDateTime: string;
  jobId: string | null;
  cycleId: string | null;
  action: string | null;
  status: 'success' | 'warning' | 'failure' | 'skipped' | 'unknownFutureValue';
  errorCode: string | null;
  reason: string | null;
  /** AD side (Cloud Sync: the objectGUID) and Entra side (object id). */
  sourceId: string | null;
  sourceName: string | null;
  targetId: string | null;
  modified: { name: string; oldValue: string | null; newValue: string | null }[];
  /** Step descriptions (why a user was skipped, what was exported). */
  steps: string[];
}

export function parseProvisioningEntry(raw: unknown, where: string): ProvisioningEntry {
  const p = WireProvisioning.safeParse(raw);
  if (!p.success) throw invalid('GRAPH_BAD_PROVISIONING_LOG', 'a provisioning log entry', p.error.issues, where);
  const d = p.data;
  const err = d.provisioningStatusInfo.errorInformation;
  return {
    id: d.id,
    activityDateTime: d.activityDateTime,
    jobId: d.jobId,
    cycleId: d.cycleId,
    action: d.provisioningAction,
    status: d.provisioningStatusInfo.status,
    errorCode: err?.errorCode ?? null,
    reason: err?.reason ?? err?.additionalDetails ?? null,
    sourceId: d.sourceIdentity?.id ?? null,
    sourceName: d.sourceIdentity?.displayName ?? null,
    targetId: d.targetIdentity?.id ?? null,
    modified: d.modifiedProperties.map((m) => ({ name: m.displayName, oldValue: m.oldValue ?? null, newValue: m.newValue ?? null })),
    steps: d.provisioningSteps.map((s) => s.description ?? s.name ?? '').filter(Boolean),
  };
}

export interface ProvisioningLogQuery {
  jobId: string;
  /** Only entries at or after this time (ISO). */
  since?: string;
  /** Only this user's entries (Entra object id of the target). */
  targetId?: string;
  signal?: AbortSignal;
  /** Stop after this many entries (newest first); default 100 000. */
  limit?: number;
}

/** The provisioning logs of one job (newest first, paged by @odata.nextLink). */
export async function listProvisioningLogs(t: GraphTransport, op: GraphOperation, q: ProvisioningLogQuery): Promise<ProvisioningEntry[]> {
  const filters = [`jobId eq '${q.jobId.replace(/'/g, "''")}'`];
  if (q.since) filters.push(`activityDateTime ge ${q.since}`);
  if (q.targetId) filters.push(`targetIdentity/id eq '${q.targetId.replace(/'/g, "''")}'`);
  const limit = q.limit ?? 100_000;
  const out: ProvisioningEntry[] = [];
  let next: string | undefined = '/auditLogs/provisioning';
  let first = true;
  let page = 0;
  while (next && out.length < limit) {
    throwIfCancelled(q.signal, 'Reading the provisioning logs');
    const body = await send(t, op, 'readLogs', { method: 'GET', path: next, ...(first ? { query: { $filter: filters.join(' and '), $top: '500' } } : {}) });
    first = false;
    const p = parsePage(body, 'provisioning log');
    p.value.forEach((raw, i) => out.push(parseProvisioningEntry(raw, `page ${page + 1} value[${i}]`)));
    next = p['@odata.nextLink'];
    page++;
  }
  return out.slice(0, limit);
}

// ----- provisionOnDemand

const WireOnDemand = z.object({ key: z.string().nullish(), value: z.string() });

const OnDemandDetail = z
  .object({
    provisioningStatusInfo: z.object({ status: z.string() }).passthrough().nullish(),
    status: z.string().nullish(),
    statusInfo: z.object({ status: z.string() }).passthrough().nullish(),
    modifiedProperties: z
      .array(z.object({ displayName: z.string(), oldValue: z.string().nullish(), newValue: z.string().nullish() }).passthrough())
      .nullish(),
    provisioningSteps: z
      .array(z.object({ name: z.string().nullish(), status: z.string().nullish(), description: z.string().nullish() }).passthrough())
      .nullish(),
    targetIdentity: Identity.nullish(),
  })
  .passthrough();

export interface OnDemandResult {
  status: string;
  modified: { name: string; oldValue: string | null; newValue: string | null }[];
  steps: { name: string; status: string | null; description: string | null }[];
  targetId: string | null;
  /** The answer's key (Microsoft names the status contract there). */
  key: string | null;
}

/**
 * POST …/jobs/{jobId}/provisionOnDemand for one AD user (`objectId`: its objectGUID, objectTypeName
 * "user"). Graph answers a stringKeyStringValuePair whose value is JSON text; its shape is not
 * documented field by field, so the reader accepts the object or an array of them and needs a status.
 */
export async function provisionOnDemand(
  t: GraphTransport,
  op: GraphOperation,
  at: { servicePrincipalId: string; jobId: string; ruleId: string },
  subject: { objectId: string; objectTypeName?: string },
): Promise<OnDemandResult> {
  const path = `/servicePrincipals/${encodeURIComponent(at.servicePrincipalId)}/synchronization/jobs/${encodeURIComponent(at.jobId)}/provisionOnDemand`;
  const body = await send(t, op, 'provisionOnDemand', {
    method: 'POST',
    path,
    body: { parameters: [{ ruleId: at.ruleId, subjects: [{ objectId: subject.objectId, objectTypeName: subject.objectTypeName ?? 'user' }] }] },
  });
  return parseOnDemand(body);
}

export function parseOnDemand(body: unknown): OnDemandResult {
  const w = WireOnDemand.safeParse(body);
  if (!w.success) throw invalid('GRAPH_BAD_ON_DEMAND', 'a provisionOnDemand answer', w.error.issues, 'provisionOnDemand');
  let parsed: unknown;
  try {
    parsed = JSON.parse(w.data.value);
  } catch (e) {
    throw new SyncDriftError('validation', 'GRAPH_BAD_ON_DEMAND', 'Graph returned a provisionOnDemand answer that cannot be read: provisionOnDemand.value: is not JSON text.', { cause: e });
  }
  const item = Array.isArray(parsed) ? parsed[0] : parsed;
  const d = OnDemandDetail.safeParse(item);
  if (!d.success) throw invalid('GRAPH_BAD_ON_DEMAND', 'a provisionOnDemand answer', d.error.issues, 'provisionOnDemand.value');
  const status = d.data.provisioningStatusInfo?.status ?? d.data.statusInfo?.status ?? d.data.status ?? null;
  if (!status) throw new SyncDriftError('validation', 'GRAPH_BAD_ON_DEMAND', 'Graph returned a provisionOnDemand answer that cannot be read: provisionOnDemand.value: no status (provisioningStatusInfo.status).');
  return {
    status,
    key: w.data.key ?? null,
    modified: (d.data.modifiedProperties ?? []).map((m) => ({ name: m.displayName, oldValue: m.oldValue ?? null, newValue: m.newValue ?? null })),
    steps: (d.data.provisioningSteps ?? []).map((s) => ({ name: s.name ?? '', status: s.status ?? null, description: s.description ?? null })),
    targetId: d.data.targetIdentity?.id ?? null,
  };
}

/**
 * The Cloud Sync restart a full cycle needs (#17 point 1): empty criteria, the portal's Restart
 * provisioning (synchronizationJobRestartCriteria: "Leaving this property empty emulates the Restart
 * provisioning option"). Never resetScope Full (it includes ConnectorDataStore, "DO NOT USE") or
 * ForceDeletes (deletes past the accidental-delete threshold). The only body this product sends.
 */
export const CLOUD_SYNC_RESTART_BODY = { criteria: {} } as const;

/** `POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/restart` with CLOUD_SYNC_RESTART_BODY (204, no body). */
export async function restartCloudSyncJob(t: GraphTransport, op: GraphOperation, at: { servicePrincipalId: string; jobId: string }): Promise<void> {
  const path = `/servicePrincipals/${encodeURIComponent(at.servicePrincipalId)}/synchronization/jobs/${encodeURIComponent(at.jobId)}/restart`;
  await send(t, op, 'restartJob', { method: 'POST', path, body: CLOUD_SYNC_RESTART_BODY });
}
