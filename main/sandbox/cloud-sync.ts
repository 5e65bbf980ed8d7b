/**
 * The sandbox tenant's Cloud Sync mode (issue 18): the provisioning job
 * (`/servicePrincipals/{id}/synchronization/jobs`), its schema with the attribute mappings toward
 * Entra ID `mobile`/`otherMobile` (direct by default; an expression mapping that reformats mobile for
 * the users of one country can be set), the provisioning logs (`/auditLogs/provisioning`) the sync
 * simulator writes as it provisions in Cloud Sync mode, and `provisionOnDemand` for one user, which
 * runs the simulator for that user alone. Graph's wire format and permissions; what Microsoft leaves
 * unsaid is listed in docs/sandbox.md.
 *
 * One instance per TenantStore (`cloudSyncOf`), so the tenant's own files need no change: the job's
 * ids come from the tenant's CloudSyncJob.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { OnPremUser } from '../core/model';
import type { AccessClaims } from './identity';
import type { TenantStore } from './tenant';
import { ROLE } from './tenant-model';

/** The synchronizationRule id of the user rule (what provisionOnDemand takes). */
export const CLOUD_SYNC_USER_RULE = 'AD2AADProvisioning.UserRule';
export const ON_DEMAND_KEY = 'Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo';

/** attributeMappingSource as Graph has it. */
export interface SandboxMappingSource {
  type: 'Attribute' | 'Constant' | 'Function';
  name: string;
  expression?: string;
  parameters?: { key: string; value: SandboxMappingSource }[];
}

/** A mapping that writes mobile in E.164 for the users whose AD `c` is `country`. */
export interface CountryE164Mapping {
  country: string;
  countryCode: string;
}

const attr = (name: string): SandboxMappingSource => ({ type: 'Attribute', name, expression: `[${name}]` });
const cnst = (v: string): SandboxMappingSource => ({ type: 'Constant', name: v, expression: `"${v}"` });
function fn(name: string, params: [string, SandboxMappingSource][]): SandboxMappingSource {
  return { type: 'Function', name, expression: `${name}(${params.map(([, v]) => v.expression).join(', ')})`, parameters: params.map(([key, value]) => ({ key, value })) };
}

/** Switch([c], [mobile], "FR", Join("", "+33", Mid(StripSpaces([mobile]), 2, 64))): drops the trunk 0. */
export function countryE164Source(m: CountryE164Mapping): SandboxMappingSource {
  const national = fn('Mid', [
    ['source', fn('StripSpaces', [['source', attr('mobile')]])],
    ['start', cnst('2')],
    ['length', cnst('64')],
  ]);
  return fn('Switch', [
    ['source', attr('c')],
    ['defaultValue', attr('mobile')],
    ['key', cnst(m.country)],
    ['value', fn('Join', [['separator', cnst('')], ['source1', cnst(`+${m.countryCode}`)], ['source2', national]])],
  ]);
}

function adAttribute(u: OnPremUser, name: string): string | null {
  switch (name.toLowerCase()) {
    case 'mobile':
      return u.mobile;
    case 'c':
      return u.country;
    case 'distinguishedname':
      return u.dn;
    case 'displayname':
      return u.displayName;
    case 'userprincipalname':
      return u.upn;
    case 'samaccountname':
      return u.samAccountName;
    case 'telephonenumber':
      return u.telephoneNumber;
    default:
      return null;
  }
}

/**
 * Evaluates the functions the sandbox's mappings use (Switch, Join, Mid, StripSpaces). A function
 * over an absent attribute yields null (the sandbox's choice: nothing to reformat, nothing flows).
 */
export function evaluateSource(s: SandboxMappingSource, u: OnPremUser): string | null {
  if (s.type === 'Attribute') return adAttribute(u, s.name);
  if (s.type === 'Constant') return s.name;
  const p = (s.parameters ?? []).map((x) => x.value);
  const v = (i: number) => (p[i] ? evaluateSource(p[i], u) : null);
  switch (s.name) {
    case 'StripSpaces': {
      const x = v(0);
      return x === null ? null : x.replace(/\s+/g, '');
    }
    case 'Mid': {
      const x = v(0);
      if (x === null) return null;
      const start = Number(v(1) ?? '1');
      const len = Number(v(2) ?? String(x.length));
      return x.substr(start - 1, len);
    }
    case 'Join': {
      const parts = p.slice(1).map((q) => evaluateSource(q, u));
      if (parts.some((x) => x === null)) return null;
      return parts.join(v(0) ?? '');
    }
    case 'Switch': {
      const src = v(0);
      for (let i = 2; i + 1 < p.length; i += 2) if (src !== null && src === v(i)) return v(i + 1);
      return v(1);
    }
    default:
      throw new Error(`The sandbox cannot evaluate ${s.name}()`);
  }
}

export interface ProvisioningRecordInput {
  action: 'create' | 'update' | 'delete' | 'other';
  status: 'success' | 'failure' | 'skipped' | 'warning';
  objectGuid: string | null;
  sourceName: string | null;
  cloudId: string | null;
  cloudName: string | null;
  modified: { name: string; oldValue: string | null; newValue: string | null }[];
  errorCode?: string;
  reason?: string;
  steps?: string[];
  onDemand?: boolean;
}

interface StoredEntry extends ProvisioningRecordInput {
  id: string;
  at: number;
  cycleId: string;
  changeId: string;
}

/** What the sync simulator offers provisionOnDemand: one user, by AD objectGUID. */
export type OnDemandRunner = (objectGuid: string) => Promise<StoredEntryView>;
export type StoredEntryView = Readonly<StoredEntry>;

class GraphishError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CloudSyncRouteInput {
  method: string;
  path: string;
  query: URLSearchParams;
  claims: AccessClaims;
  origin: string;
  version: string;
  body: string;
}

export type CloudSyncRouteResult = { status: number; body: unknown } | { status: number; error: { code: string; message: string } };

const MAX_LOG = 50_000;
const OnDemandBody = z
  .object({
    parameters: z
      .array(z.object({ ruleId: z.string().min(1), subjects: z.array(z.object({ objectId: z.string().min(1), objectTypeName: z.string().min(1) }).passthrough()).min(1).max(1) }).passthrough())
      .min(1)
      .max(1),
  })
  .passthrough();

export class SandboxCloudSync {
  private mapping: CountryE164Mapping | null = null;
  private otherMobile = true;
  private readonly log: StoredEntry[] = [];
  private cycleId: string = randomUUID();
  private runner: OnDemandRunner | null = null;

  constructor(private readonly tenant: TenantStore) {}

  get ids(): { servicePrincipalId: string; jobId: string; ruleId: string } {
    const j = this.tenant.cloudSyncJob;
    return { servicePrincipalId: j.servicePrincipalId, jobId: j.jobId, ruleId: CLOUD_SYNC_USER_RULE };
  }

  /** An expression mapping for mobile (E.164 for one country), or null for the direct flow. */
  setMobileMapping(m: CountryE164Mapping | null): void {
    this.mapping = m ? { ...m } : null;
  }

  /**
   * Whether the schema maps otherMobile (default: a direct mapping). Without it the simulator does
   * not flow AD otherMobile at all, as a job whose schema lacks the mapping would not (#17 point 11).
   */
  setOtherMobileMapped(mapped: boolean): void {
    this.otherMobile = mapped;
  }

  get otherMobileMapped(): boolean {
    return this.otherMobile;
  }

  mobileSource(): SandboxMappingSource {
    return this.mapping ? countryE164Source(this.mapping) : attr('mobile');
  }

  /** The value Cloud Sync's mapping makes of this user's mobile. */
  mobileFor(u: OnPremUser): string | null {
    return evaluateSource(this.mobileSource(), u);
  }

  /** Called by the sync simulator in Cloud Sync mode. */
  attachRunner(r: OnDemandRunner | null): void {
    this.runner = r;
  }

  /** A new provisioning cycle (the simulator calls this per cycle). */
  newCycle(): void {
    this.cycleId = randomUUID();
  }

  record(e: ProvisioningRecordInput): StoredEntryView {
    const stored: StoredEntry = { ...e, id: randomUUID(), at: this.tenant.clock.now().getTime(), cycleId: e.onDemand ? randomUUID() : this.cycleId, changeId: randomUUID() };
    this.log.push(stored);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    return stored;
  }

  /** The provisioning log entries (oldest first), for tests. */
  entries(): readonly StoredEntryView[] {
    return this.log;
  }

  // ----- Graph

  toGraph(e: StoredEntryView): Record<string, unknown> {
    const { servicePrincipalId, jobId } = this.ids;
    return {
      id: e.id,
      activityDateTime: new Date(e.at).toISOString(),
      changeId: e.changeId,
      cycleId: e.cycleId,
      jobId,
      durationInMilliseconds: 40,
      initiatedBy: { id: '', displayName: e.onDemand ? 'Provision on demand' : 'Microsoft.Azure.SyncFabric', initiatorType: e.onDemand ? 'user' : 'system' },
      provisioningAction: e.action,
      provisioningStatusInfo: {
        status: e.status,
        errorInformation: e.status === 'failure' || e.status === 'skipped' ? { errorCode: e.errorCode ?? null, reason: e.reason ?? null, additionalDetails: null, errorCategory: e.status === 'failure' ? 'NonServiceFailure' : null, recommendedAction: null } : null,
      },
      provisioningSteps: (e.steps ?? []).map((d, i) => ({ name: i === 0 ? 'EntryImport' : 'EntryExportUpdate', provisioningStepType: i === 0 ? 'import' : 'export', status: e.status, description: d, details: {} })),
      servicePrincipal: { id: servicePrincipalId, displayName: this.tenant.organization.initialDomain },
      sourceIdentity: { id: e.objectGuid, displayName: e.sourceName, identityType: 'user', details: {} },
      sourceSystem: { id: null, displayName: 'Active Directory', details: {} },
      targetIdentity: { id: e.cloudId, displayName: e.cloudName, identityType: 'User', details: {} },
      targetSystem: { id: null, displayName: 'Entra ID', details: {} },
      modifiedProperties: e.modified.map((m) => ({ displayName: m.name, oldValue: m.oldValue, newValue: m.newValue })),
    };
  }

  schema(): Record<string, unknown> {
    const src = this.mobileSource();
    return {
      id: this.ids.jobId,
      version: 'Date:2026-12-01T00:00:00Z~###',
      synchronizationRules: [
        {
          id: CLOUD_SYNC_USER_RULE,
          name: 'USER',
          editable: true,
          objectMappings: [
            {
              name: 'Provision Active Directory users',
              enabled: true,
              flowTypes: 'Add,Update,Delete',
              sourceObjectName: 'user',
              targetObjectName: 'User',
              scope: null,
              attributeMappings: [
                { targetAttributeName: 'displayName', source: attr('displayName'), flowType: 'Always', defaultValue: '', exportMissingReferences: false, flowBehavior: 'FlowWhenChanged', matchingPriority: 0 },
                { targetAttributeName: 'mobile', source: src, flowType: 'Always', defaultValue: '', exportMissingReferences: false, flowBehavior: 'FlowWhenChanged', matchingPriority: 0 },
                ...(this.otherMobile
                  ? [{ targetAttributeName: 'otherMobile', source: attr('otherMobile'), flowType: 'Always', defaultValue: '', exportMissingReferences: false, flowBehavior: 'FlowWhenChanged', matchingPriority: 0 }]
                  : []),
              ],
            },
          ],
        },
      ],
    };
  }

  job(): Record<string, unknown> {
    const j = this.tenant.cloudSyncJob;
    return {
      id: j.jobId,
      templateId: 'AD2AADProvisioning',
      schedule: { expiration: null, interval: 'PT2M', state: 'Active' },
      status: {
        code: 'Active',
        countSuccessiveCompleteFailures: 0,
        escrowsPruned: false,
        lastExecution: null,
        lastSuccessfulExecution: this.log.length ? { activityIdentifier: this.cycleId, countEntitled: 0, countExported: 0, state: 'Succeeded', timeBegan: null, timeEnded: new Date(this.log[this.log.length - 1]!.at).toISOString() } : null,
        quarantine: null,
        steadyStateFirstAchievedTime: null,
        troubleshootingUrl: null,
      },
      synchronizationJobSettings: [],
    };
  }

  /** Answers the Cloud Sync part of Graph, or null when the path is not one of its. */
  async route(r: CloudSyncRouteInput): Promise<CloudSyncRouteResult | null> {
    try {
      return await this.dispatch(r);
    } catch (e) {
      if (e instanceof GraphishError) return { status: e.status, error: { code: e.code, message: e.message } };
      throw e;
    }
  }

  private async dispatch(r: CloudSyncRouteInput): Promise<CloudSyncRouteResult | null> {
    let m: RegExpExecArray | null;
    if (r.path === '/auditLogs/provisioning' && r.method === 'GET') {
      this.require(r.claims, ['AuditLog.Read.All'], [ROLE.GLOBAL_ADMINISTRATOR, ROLE.GLOBAL_READER, ROLE.REPORTS_READER, ROLE.SECURITY_READER]);
      return { status: 200, body: this.provisioningPage(r) };
    }
    if ((m = /^\/servicePrincipals\/([^/]+)\/synchronization\/jobs(?:\/([^/]+))?(?:\/(schema|provisionOnDemand))?$/.exec(r.path))) {
      const [, sp, jobId, sub] = m;
      if (sub === undefined && jobId === 'restart') return null;
      const ids = this.ids;
      if (sp!.toLowerCase() !== ids.servicePrincipalId) throw new GraphishError(404, 'Request_ResourceNotFound', `Resource '${sp}' does not exist or one of its queried reference-property objects are not present.`);
      if (jobId !== undefined && jobId !== ids.jobId) throw new GraphishError(404, 'Request_ResourceNotFound', `No synchronization job ${jobId} on service principal ${sp}.`);
      if (sub === 'provisionOnDemand') {
        if (r.method !== 'POST') throw new GraphishError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
        this.require(r.claims, ['Synchronization.ReadWrite.All'], [ROLE.GLOBAL_ADMINISTRATOR, ROLE.HYBRID_IDENTITY_ADMINISTRATOR]);
        return { status: 200, body: await this.onDemand(r) };
      }
      if (r.method !== 'GET') return null;
      this.require(r.claims, ['Synchronization.Read.All', 'Synchronization.ReadWrite.All'], [ROLE.GLOBAL_ADMINISTRATOR, ROLE.HYBRID_IDENTITY_ADMINISTRATOR, ROLE.GLOBAL_READER]);
      if (sub === 'schema') return { status: 200, body: { '@odata.context': `${r.origin}/${r.version}/$metadata#servicePrincipals('${sp}')/synchronization/jobs('${jobId}')/schema/$entity`, ...this.schema() } };
      if (jobId !== undefined) return { status: 200, body: { '@odata.context': `${r.origin}/${r.version}/$metadata#servicePrincipals('${sp}')/synchronization/jobs/$entity`, ...this.job() } };
      return { status: 200, body: { '@odata.context': `${r.origin}/${r.version}/$metadata#servicePrincipals('${sp}')/synchronization/jobs`, value: [this.job()] } };
    }
    return null;
  }

  private require(c: AccessClaims, perms: readonly string[], roles: readonly string[]): void {
    const granted = c.idtyp === 'app' ? (c.roles ?? []) : (c.scp ?? '').split(' ').filter(Boolean);
    const ok = perms.some((p) => granted.includes(p)) && (c.idtyp === 'app' || (c.wids ?? []).some((w) => roles.includes(w)));
    if (!ok) throw new GraphishError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }

  private provisioningPage(r: CloudSyncRouteInput): Record<string, unknown> {
    const filter = r.query.get('$filter');
    const top = Math.min(Math.max(Number(r.query.get('$top') ?? '50') || 50, 1), 500);
    const skip = Number(r.query.get('$skiptoken') ?? '0') || 0;
    const tests: ((e: StoredEntry) => boolean)[] = [];
    const { jobId } = this.ids;
    if (filter) {
      for (const clause of filter.split(/\s+and\s+/i)) {
        let m: RegExpExecArray | null;
        if ((m = /^jobId eq '([^']*)'$/.exec(clause.trim()))) {
          const want = m[1]!;
          tests.push(() => want === jobId);
        } else if ((m = /^activityDateTime ge (\S+)$/.exec(clause.trim()))) {
          const t = Date.parse(m[1]!);
          if (Number.isNaN(t)) throw new GraphishError(400, 'BadRequest', `Invalid filter clause: '${clause}'.`);
          tests.push((e) => e.at >= t);
        } else if ((m = /^targetIdentity\/id eq '([^']*)'$/.exec(clause.trim()))) {
          const id = m[1]!.toLowerCase();
          tests.push((e) => (e.cloudId ?? '').toLowerCase() === id);
        } else if ((m = /^sourceIdentity\/id eq '([^']*)'$/.exec(clause.trim()))) {
          const id = m[1]!.toLowerCase();
          tests.push((e) => (e.objectGuid ?? '').toLowerCase() === id);
        } else throw new GraphishError(400, 'BadRequest', `Invalid filter clause: the sandbox supports jobId eq, activityDateTime ge, targetIdentity/id eq and sourceIdentity/id eq, got '${clause}'.`);
      }
    }
    const matching = this.log.filter((e) => tests.every((t) => t(e))).reverse();
    const page = matching.slice(skip, skip + top);
    const next = skip + top < matching.length ? `${r.origin}/${r.version}/auditLogs/provisioning?${filter ? `$filter=${encodeURIComponent(filter)}&` : ''}$top=${top}&$skiptoken=${skip + top}` : undefined;
    return { '@odata.context': `${r.origin}/${r.version}/$metadata#auditLogs/provisioning`, value: page.map((e) => this.toGraph(e)), ...(next ? { '@odata.nextLink': next } : {}) };
  }

  private async onDemand(r: CloudSyncRouteInput): Promise<Record<string, unknown>> {
    let raw: unknown;
    try {
      raw = JSON.parse(r.body || 'null');
    } catch {
      throw new GraphishError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
    const b = OnDemandBody.safeParse(raw);
    if (!b.success) throw new GraphishError(400, 'BadRequest', `Invalid provisionOnDemand body: ${b.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const p = b.data.parameters[0]!;
    if (p.ruleId !== CLOUD_SYNC_USER_RULE) throw new GraphishError(400, 'BadRequest', `No synchronization rule '${p.ruleId}' in the job's schema.`);
    const subject = p.subjects[0]!;
    if (subject.objectTypeName.toLowerCase() !== 'user') throw new GraphishError(400, 'BadRequest', `objectTypeName '${subject.objectTypeName}' is not provisioned by this rule.`);
    if (!this.runner) throw new GraphishError(409, 'Conflict', 'The provisioning agent is not running (the sandbox sync simulator is not in Cloud Sync mode).');
    const e = await this.runner(subject.objectId);
    const g = this.toGraph(e);
    return {
      '@odata.context': `${r.origin}/${r.version}/$metadata#microsoft.graph.stringKeyStringValuePair`,
      key: ON_DEMAND_KEY,
      value: JSON.stringify([{ provisioningStatusInfo: g.provisioningStatusInfo, provisioningSteps: g.provisioningSteps, modifiedProperties: g.modifiedProperties, sourceIdentity: g.sourceIdentity, targetIdentity: g.targetIdentity }]),
    };
  }
}

const instances = new WeakMap<TenantStore, SandboxCloudSync>();

/** The tenant's Cloud Sync mode (made on first use). */
export function cloudSyncOf(tenant: TenantStore): SandboxCloudSync {
  let c = instances.get(tenant);
  if (!c) instances.set(tenant, (c = new SandboxCloudSync(tenant)));
  return c;
}

const PROPERTY_NAME: Record<string, string> = { mobilePhone: 'mobile', alternateMobilePhones: 'otherMobile' };
const asText = (v: unknown): string | null => (v === null || v === undefined ? null : Array.isArray(v) ? JSON.stringify(v) : String(v));

/**
 * The provisioning log entry for one export the simulator sent in Cloud Sync mode: what Cloud Sync
 * believes it wrote (new values), whether or not DirSyncOverrides kept Entra ID's value.
 */
export function recordExport(
  cs: SandboxCloudSync,
  x: {
    action: 'create' | 'update' | 'delete';
    u: Pick<OnPremUser, 'objectGuid' | 'displayName' | 'upn' | 'dn'> | null;
    cloud: { id: string; userPrincipalName: string } | null;
    changes: Record<string, unknown>;
    previous: Record<string, unknown> | null;
    outcome: string;
    reason?: string | undefined;
    onDemand?: boolean;
  },
): StoredEntryView {
  const modified = Object.entries(x.changes)
    .filter(([k]) => k === 'displayName' || k in PROPERTY_NAME)
    .map(([k, v]) => ({ name: PROPERTY_NAME[k] ?? k, oldValue: asText(x.previous?.[k] ?? null), newValue: asText(v) }));
  const skipped = x.outcome === 'skipped';
  return cs.record({
    action: x.action,
    status: skipped ? 'skipped' : 'success',
    objectGuid: x.u?.objectGuid ?? null,
    sourceName: x.u?.displayName ?? x.u?.upn ?? null,
    cloudId: x.cloud?.id ?? null,
    cloudName: x.cloud?.userPrincipalName ?? null,
    modified: skipped ? [] : modified,
    ...(skipped ? { errorCode: 'RedundantExport', reason: `Skipped: ${x.reason ?? 'nothing to export'}.` } : {}),
    steps: [`Received User '${x.u?.upn ?? x.u?.dn ?? '?'}' from Active Directory`, skipped ? `Skipped: ${x.reason ?? 'nothing to export'}` : `User '${x.cloud?.userPrincipalName ?? '?'}' was ${x.action === 'create' ? 'created' : x.action === 'delete' ? 'deleted' : 'updated'} in Entra ID`],
    ...(x.onDemand ? { onDemand: true } : {}),
  });
}

/** A failed provisioning of one user (no UPN, a changed anchor, an object out of scope on demand). */
export function recordFailure(cs: SandboxCloudSync, u: Pick<OnPremUser, 'objectGuid' | 'displayName' | 'upn' | 'dn'>, cloud: { id: string; userPrincipalName: string } | null, code: string, reason: string, status: 'failure' | 'skipped' = 'failure', onDemand = false): StoredEntryView {
  return cs.record({ action: 'other', status, objectGuid: u.objectGuid, sourceName: u.displayName ?? u.upn, cloudId: cloud?.id ?? null, cloudName: cloud?.userPrincipalName ?? null, modified: [], errorCode: code, reason, steps: [`Received User '${u.upn ?? u.dn}' from Active Directory`, reason], ...(onDemand ? { onDemand: true } : {}) });
}

/**
 * A restart of the Cloud Sync job (POST …/restart) that cleared the Watermark and that no provisioning
 * run has honoured yet (`honouredAt`: the restart the last one did): "causes the service to reevaluate
 * all the users again" (synchronizationJobRestartCriteria), so the next run reads everything and
 * compares with Entra ID, as an initial one does.
 */
export function unhonouredRestart(tenant: TenantStore, honouredAt: number | null): { at: number; cleared: readonly string[] } | null {
  const r = tenant.cloudSyncJob.lastRestart;
  return r && r.at !== honouredAt && r.cleared.includes('Watermark') ? r : null;
}
