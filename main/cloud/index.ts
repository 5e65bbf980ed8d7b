/**
 * CloudClient: the one door to Entra ID for the scan pipeline, the remediation engine, the API
 * handlers and the CLI. One client per connection profile (cloud + tenant + app registration); it
 * may hold several signed-in accounts of that tenant side by side and uses one at a time.
 * Nothing it returns carries a token or a secret.
 */
import { SyncDriftError } from '../core/errors';
import type { Clock, Encryptor, Logger, Network } from '../core/ports';
import type { CloudUser } from '../core/model';
import type { ProgressSink } from '../core/progress';
import { AuditReader, type AuditFetchOptions, type AuditFetchSummary, type AuditRecord } from './audit';
import type { MobileChange } from '../drift/audit';
import { CloudAuth, type AuthSession, type ClientCredential, type DeviceCodeInfo } from './auth';
import { resolveCloud, type ResolvedCloud } from './clouds';
import { GraphTransport, type GraphOperation } from './graph';
import { CAPABILITIES, evaluatePermissions, type Capability, type CapabilityCheck, type ProbeOutcome } from './permissions';
import { getCloudSyncJob, getCloudSyncSchema, listProvisioningLogs, provisionOnDemand, restartCloudSyncJob, type CloudSyncJobInfo, type CloudSyncSchema, type OnDemandResult, type ProvisioningEntry, type ProvisioningLogQuery } from './cloud-sync';
import { countSyncedUsers, deltaUsers, getOrganization, getSyncFeatures, getUsers, listUsers, type DeltaLinkStore, type DeltaPage, type DeltaSummary, type InvalidItem, type Organization, type PageSummary, type SyncFeatures } from './readers';
import type { RetryPolicy } from './throttle';
import type { TokenCachePersistence, TokenCacheStore, WeakEncryptionPolicy } from './token-cache';
import { getOnPremisesSyncBehavior, patchMobile, setBypass, setCloudManaged, type BatchSummary, type MobileWrite } from './writers';

export interface CloudSecrets {
  /** The app's client secret, asked only for client-credentials sign-in. */
  getClientSecret?: () => Promise<string>;
  /** Certificate credential (preferred over a secret when both exist). */
  getClientCertificate?: () => Promise<{ thumbprintSha256: string; privateKeyPem: string; x5c?: string }>;
}

export interface CloudClientOptions {
  /** The profile's cloud section: { cloud, tenant, clientId, authorityHost?, graphBaseUrl? }; validated here. */
  profileCloud: unknown;
  network: Network;
  logger: Logger;
  clock: Clock;
  /** Encrypts the persisted token cache; with `tokenCacheStore` sign-ins survive a restart. */
  encryptor?: Encryptor;
  tokenCacheStore?: TokenCacheStore;
  /** What to do when `encryptor.isStrong` is false: 'refuse' (default) keeps tokens in memory only. */
  weakEncryption?: WeakEncryptionPolicy;
  secrets?: CloudSecrets;
  /** Application permissions granted to the app (client credentials): msal cannot tell. */
  appRoles?: readonly string[];
  /** Where the /users/delta link is kept per tenant; without it every delta is a full read. */
  deltaLinks?: DeltaLinkStore;
  /** 7 (Free) or 30 (P1/P2) days; default 30. */
  auditRetentionDays?: number;
  retryPolicy?: Partial<RetryPolicy>;
  maxConcurrency?: number;
  /** Delegated permissions to request; default `.default` (all consented). */
  delegatedPermissions?: readonly string[];
  requestTimeoutMs?: number;
}

export type SignInRequest =
  | { flow: 'interactive'; openBrowser: (url: string) => Promise<void>; preferredPort?: number; loginHint?: string; signal?: AbortSignal }
  | { flow: 'device-code'; onDeviceCode: (info: DeviceCodeInfo) => void; signal?: AbortSignal }
  | { flow: 'client-credentials' };

export interface CallOptions {
  signal?: AbortSignal;
}

export interface StreamOptions extends CallOptions {
  onProgress?: ProgressSink;
  onInvalid?: (item: InvalidItem) => void;
}

export interface AuditIndexPort {
  readonly retentionDays: number;
  retentionStart(): string;
  /** "Update user" records newer than `since`, page by page, within 5 requests per 10 s. */
  fetchAuditRecords(o?: AuditFetchOptions): AsyncGenerator<AuditRecord[], AuditFetchSummary>;
  /** One user's "Update user" records (on demand, when an admin opens a row). */
  lookupUserAudit(userId: string, o?: CallOptions): Promise<{ records: AuditRecord[]; changes: MobileChange[]; summary: AuditFetchSummary }>;
}

export interface CloudClient {
  readonly cloud: ResolvedCloud;
  readonly tokenCache: TokenCachePersistence;
  describeNetwork(): string;

  signIn(req: SignInRequest): Promise<AuthSession>;
  /** Signed-in sessions, including accounts restored from the token cache. */
  sessions(): Promise<AuthSession[]>;
  /** Chooses which signed-in session the Graph calls use. */
  use(sessionKey: string): void;
  activeSession(): AuthSession | null;
  signOut(sessionKey?: string): Promise<void>;

  checkPermissions(o?: CallOptions & { probe?: boolean }): Promise<CapabilityCheck[]>;

  getOrganization(o?: CallOptions): Promise<Organization>;
  /** BypassDirSyncOverrides and the other features; 'unknown' with the reason unless delegated GA. */
  getSyncFeatures(o?: CallOptions): Promise<SyncFeatures>;
  setBypass(enabled: boolean, o?: CallOptions): Promise<SyncFeatures>;

  listUsers(o?: StreamOptions): AsyncGenerator<CloudUser[], PageSummary>;
  /** The number of synced users in the tenant (`$count` with onPremisesSyncEnabled eq true; readers.ts). */
  countSyncedUsers(o?: CallOptions): Promise<number>;
  /** Fresh reads by id ($batch of GETs); a user Graph does not have maps to null. */
  getUsers(ids: readonly string[], o?: CallOptions): Promise<Map<string, CloudUser | null>>;
  delta(o?: StreamOptions): AsyncGenerator<DeltaPage, DeltaSummary>;

  patchMobile(writes: readonly MobileWrite[], o?: CallOptions & { onProgress?: ProgressSink }): Promise<BatchSummary>;
  getOnPremisesSyncBehavior(userId: string, o?: CallOptions): Promise<{ isCloudManaged: boolean }>;
  setCloudManaged(userId: string, isCloudManaged: boolean, o?: CallOptions): Promise<{ isCloudManaged: boolean }>;

  readonly auditIndex: AuditIndexPort;

  /** Cloud Sync: the provisioning job, its schema mappings, provisioning logs, provisionOnDemand (cloud-sync.ts). */
  readonly cloudSync: CloudSyncPort;
}

export interface CloudSyncPort {
  getJob(servicePrincipalId: string, o?: CallOptions): Promise<CloudSyncJobInfo>;
  getSchema(servicePrincipalId: string, jobId: string, o?: CallOptions): Promise<CloudSyncSchema>;
  provisioningLogs(q: ProvisioningLogQuery): Promise<ProvisioningEntry[]>;
  provisionOnDemand(at: { servicePrincipalId: string; jobId: string; ruleId: string }, subject: { objectId: string; objectTypeName?: string }, o?: CallOptions): Promise<OnDemandResult>;
  /** The portal's Restart provisioning (empty criteria only; cloud-sync.ts CLOUD_SYNC_RESTART_BODY). */
  restartJob(at: { servicePrincipalId: string; jobId: string }, o?: CallOptions): Promise<void>;
}

export function createCloudClient(opts: CloudClientOptions): CloudClient {
  const cloud = resolveCloud(opts.profileCloud, 'profile.cloud');
  const log = opts.logger.child({ component: 'cloud', cloud: cloud.name, tenant: cloud.tenant });
  const secrets = opts.secrets;
  const getClientCredential = secrets?.getClientCertificate || secrets?.getClientSecret
    ? async (): Promise<ClientCredential> => {
        if (secrets.getClientCertificate) return { kind: 'certificate', ...(await secrets.getClientCertificate()) };
        return { kind: 'secret', secret: await (secrets.getClientSecret as () => Promise<string>)() };
      }
    : undefined;
  const auth = new CloudAuth({
    cloud,
    network: opts.network,
    logger: log,
    clock: opts.clock,
    ...(opts.encryptor ? { encryptor: opts.encryptor } : {}),
    ...(opts.tokenCacheStore ? { cacheStore: opts.tokenCacheStore } : {}),
    ...(opts.weakEncryption ? { weakEncryption: opts.weakEncryption } : {}),
    ...(getClientCredential ? { getClientCredential } : {}),
    ...(opts.appRoles ? { configuredAppRoles: opts.appRoles } : {}),
    ...(opts.delegatedPermissions ? { delegatedPermissions: opts.delegatedPermissions } : {}),
  });
  let active: string | null = null;
  const requireSession = (): AuthSession => {
    const s = active ? auth.session(active) : undefined;
    if (!s) throw new SyncDriftError('auth', 'NOT_SIGNED_IN', `Not signed in to tenant ${cloud.tenant}. Sign in first.`);
    return s;
  };
  const transport = new GraphTransport({
    cloud,
    network: opts.network,
    logger: log,
    clock: opts.clock,
    getToken: (forceRefresh) => auth.accessToken(requireSession().key, { forceRefresh }),
    ...(opts.retryPolicy ? { policy: opts.retryPolicy } : {}),
    ...(opts.maxConcurrency ? { maxConcurrency: opts.maxConcurrency } : {}),
    ...(opts.requestTimeoutMs ? { timeoutMs: opts.requestTimeoutMs } : {}),
  });
  const audit = new AuditReader(transport, { clock: opts.clock, ...(opts.auditRetentionDays ? { retentionDays: opts.auditRetentionDays } : {}) });
  const op = (phase: string, o: CallOptions | undefined, capability?: Capability): GraphOperation => {
    requireSession();
    return transport.operation(phase, { ...(o?.signal ? { signal: o.signal } : {}), ...(capability ? { capability } : {}) });
  };
  const memoryDelta = new Map<string, string>();
  const deltaLinks: DeltaLinkStore = opts.deltaLinks ?? {
    get: async (t) => memoryDelta.get(t) ?? null,
    set: async (t, l) => void memoryDelta.set(t, l),
    clear: async (t) => void memoryDelta.delete(t),
  };

  const probe = async (capability: Capability, path: string, query: Record<string, string>, signal?: AbortSignal): Promise<ProbeOutcome | undefined> => {
    try {
      const r = await transport.send({ method: 'GET', path, query }, transport.operation('probe', { ...(signal ? { signal } : {}), capability }));
      return { status: r.status };
    } catch (e) {
      if (e instanceof SyncDriftError && e.code === 'GRAPH_FORBIDDEN') return { status: 403, message: String(e.details.graphMessage ?? '') };
      if (e instanceof SyncDriftError && e.kind === 'cancelled') throw e;
      log.info('permission probe inconclusive', { capability, code: e instanceof SyncDriftError ? e.code : 'error' });
      return undefined;
    }
  };

  const client: CloudClient = {
    cloud,
    get tokenCache() {
      return auth.persistence;
    },
    describeNetwork: () => opts.network.describe(),

    async signIn(req) {
      const s = req.flow === 'interactive' ? await auth.signInInteractive(req) : req.flow === 'device-code' ? await auth.signInDeviceCode(req) : await auth.signInClientCredentials();
      active = s.key;
      log.info('signed in', { flow: req.flow, kind: s.kind, tenantId: s.tenantId });
      return s;
    },
    async sessions() {
      const all = await auth.sessions();
      if (!active && all.length > 0) active = all[0]?.key ?? null;
      return all;
    },
    use(key) {
      if (!auth.session(key)) throw new SyncDriftError('auth', 'NOT_SIGNED_IN', 'That account is not signed in here.');
      active = key;
    },
    activeSession: () => (active ? (auth.session(active) ?? null) : null),
    async signOut(key) {
      const k = key ?? active;
      if (!k) return;
      await auth.signOut(k);
      if (active === k) active = null;
    },

    async checkPermissions(o = {}) {
      const s = requireSession();
      const probes: Partial<Record<Capability, ProbeOutcome>> = {};
      if (o.probe) {
        const first = evaluatePermissions(s);
        const unsure = (c: Capability) => first.find((x) => x.capability === c)?.state !== 'missing' || s.kind === 'app';
        const scan = unsure('scanUsers') ? await probe('scanUsers', '/users', { $top: '1', $select: 'id,onPremisesImmutableId' }, o.signal) : undefined;
        if (scan) probes.scanUsers = scan;
        const aud = unsure('readAuditLog') ? await probe('readAuditLog', '/auditLogs/directoryAudits', { $top: '1' }, o.signal) : undefined;
        if (aud) probes.readAuditLog = aud;
        if (s.kind === 'delegated') {
          const byp = await probe('readBypass', '/directory/onPremisesSynchronization', {}, o.signal);
          if (byp) probes.readBypass = byp;
        }
      }
      return evaluatePermissions(s, probes);
    },

    getOrganization: (o) => getOrganization(transport, op('organization', o)),
    async getSyncFeatures(o) {
      const s = requireSession();
      if (s.kind === 'app') {
        return { state: 'unknown', code: 'BYPASS_DELEGATED_ONLY', reason: 'An app-only sign-in can neither see nor change BypassDirSyncOverrides (Microsoft offers no application permission for it). Sign in as a Global Administrator to read it.' };
      }
      return getSyncFeatures(transport, op('sync-features', o, 'readBypass'));
    },
    async setBypass(enabled, o) {
      const s = requireSession();
      if (s.kind === 'app') throw new SyncDriftError('permission', 'BYPASS_DELEGATED_ONLY', 'BypassDirSyncOverrides can only be changed by a delegated Global Administrator sign-in.');
      return setBypass(transport, enabled, op('bypass', o, 'flipBypass'));
    },

    listUsers(o = {}) {
      requireSession();
      return listUsers(transport, o);
    },
    countSyncedUsers(o) {
      requireSession();
      return countSyncedUsers(transport, op('count-synced', o, 'scanUsers'));
    },
    getUsers(ids, o = {}) {
      requireSession();
      return getUsers(transport, ids, { clock: opts.clock, ...(o.signal ? { signal: o.signal } : {}) });
    },
    delta(o = {}) {
      const s = requireSession();
      return deltaUsers(transport, s.tenantId, deltaLinks, o);
    },

    patchMobile(writes, o = {}) {
      requireSession();
      return patchMobile(transport, writes, { clock: opts.clock, ...o });
    },
    getOnPremisesSyncBehavior: (userId, o) => getOnPremisesSyncBehavior(transport, userId, op('sync-behavior', o, 'readSyncBehavior')),
    setCloudManaged: (userId, v, o) => setCloudManaged(transport, userId, v, op('sync-behavior', o, 'writeSyncBehavior')),

    cloudSync: {
      getJob: (spId, o) => getCloudSyncJob(transport, op('cloud-sync-job', o), spId),
      getSchema: (spId, jobId, o) => getCloudSyncSchema(transport, op('cloud-sync-schema', o), spId, jobId),
      provisioningLogs: (q) => listProvisioningLogs(transport, op('provisioning-logs', q.signal ? { signal: q.signal } : undefined), q),
      provisionOnDemand: (at, subject, o) => provisionOnDemand(transport, op('provision-on-demand', o), at, subject),
      restartJob: (at, o) => restartCloudSyncJob(transport, op('cloud-sync-restart', o), at),
    },

    auditIndex: {
      get retentionDays() {
        return audit.retentionDays;
      },
      retentionStart: () => audit.retentionStart(),
      fetchAuditRecords(o) {
        requireSession();
        return audit.fetchAuditRecords(o);
      },
      lookupUserAudit(userId, o) {
        requireSession();
        return audit.lookupUserAudit(userId, o);
      },
    },
  };
  return client;
}

export { CAPABILITIES };
export type { AuthSession, CapabilityCheck, Capability, DeviceCodeInfo, DeltaLinkStore, DeltaPage, DeltaSummary, PageSummary, SyncFeatures, Organization, MobileWrite, BatchSummary, AuditRecord, MobileChange, AuditFetchSummary, TokenCacheStore };
export { resolveCloud, CLOUDS, graphScopes } from './clouds';
export { createNodeNetwork, createNetworkFromFetch, msalNetworkClient } from './network';
export { fileTokenCacheStore, memoryTokenCacheStore } from './token-cache';
export { USER_SELECT } from './readers';
export type { CloudSyncJobInfo, CloudSyncMapping, CloudSyncSchema, OnDemandResult, ProvisioningEntry, ProvisioningLogQuery } from './cloud-sync';
