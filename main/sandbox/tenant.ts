/**
 * The sandbox tenant's state: users, organization, sync features, audit log, app registrations and
 * sign-in accounts, in memory. The HTTPS server (server.ts) exposes it as Graph; the sync simulator
 * writes to it through `syncWrite`; nothing else may bypass these methods, because each mutation keeps
 * the indexes, the delta change sequence and the audit log consistent.
 *
 * Memory: one plain object of fixed shape per user (no closures, timestamps as numbers, shared empty
 * arrays), a few Maps as indexes. About 600 bytes per synced user, so 500k users fit in ~300 MB.
 *
 * Hidden state (what Graph never shows): `dirSyncOverride` and `alternateMobilePhones` per user.
 *
 * This file is the store's face and the cloud writes; its parts are their own files: the data shapes
 * (tenant-model.ts), the user list and its indexes (tenant-users.ts), the audit log (tenant-audit.ts),
 * apps and sign-in accounts (tenant-apps.ts), the sync engine's writes (tenant-sync-write.ts), the
 * Cloud Sync provisioning job (tenant-sync-job.ts) and the snapshot format (tenant-snapshot.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { SyncDriftError, ValidationError } from '../core/errors';
import { AppRegistry } from './tenant-apps';
import { AuditLog, type AuditInput } from './tenant-audit';
import {
  ONPREM_MASTERED,
  SOA_TO_AD,
  SOA_TO_CLOUD,
  SYNC_FEATURE_NAMES,
  arr,
  auditValue,
  defaultFeatures,
  sameArr,
  type AuditActor,
  type AuditModifiedProperty,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type CloudUserPatch,
  type CloudWriteResult,
  type OrganizationInfo,
  type RestartScope,
  type SandboxApp,
  type SignInAccount,
  type SyncExport,
  type SyncFeatureName,
  type SyncFeatures,
  type SyncWriteResult,
  type TenantOptions,
  type TenantUser,
} from './tenant-model';
import { parseTenantSnapshot, type TenantSnapshot } from './tenant-snapshot';
import { CloudSyncJob } from './tenant-sync-job';
import { applySyncExport } from './tenant-sync-write';
import { UserTable } from './tenant-users';

export class TenantStore {
  readonly tenantId: string;
  readonly clock: Clock;
  readonly organization: OrganizationInfo;
  readonly features: SyncFeatures;
  auditRetentionDays: number;
  auditMobilePropertyName: string;

  private readonly users = new UserTable(() => this.now());
  private readonly audit = new AuditLog(() => this.now());
  private readonly apps = new AppRegistry();
  private readonly syncJob: CloudSyncJob;
  /** Suffix of the sync service account; one per Connect server name, stable for the tenant. */
  private readonly syncAccountSuffix = new Map<string, string>();

  constructor(opts: TenantOptions = {}) {
    this.tenantId = opts.tenantId ?? randomUUID();
    this.clock = opts.clock ?? systemClock;
    const now = this.clock.now().getTime();
    const initialDomain = opts.organization?.initialDomain ?? 'contoso-sandbox.onmicrosoft.com';
    this.organization = {
      displayName: 'Contoso (sandbox)',
      initialDomain,
      verifiedDomains: [initialDomain, 'contoso.example'],
      countryLetterCode: 'US',
      createdAt: now,
      onPremisesSyncEnabled: true,
      onPremisesLastSyncAt: null,
      ...opts.organization,
    };
    this.features = defaultFeatures();
    this.auditRetentionDays = opts.auditRetentionDays ?? 30;
    this.auditMobilePropertyName = opts.auditMobilePropertyName ?? 'Mobile';
    this.syncJob = new CloudSyncJob(this.tenantId, () => this.now());
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  // ----- users: reads (tenant-users.ts holds the list and its indexes)

  /** Delta change sequence: every user change gets the next number. A delta token is such a number. */
  get currentSeq(): number {
    return this.users.currentSeq;
  }

  /** Users not deleted. */
  get userCount(): number {
    return this.users.userCount;
  }

  getUser(id: string): TenantUser | undefined {
    return this.users.getUser(id);
  }

  /** By id or by userPrincipalName (case-insensitive), as Graph's /users/{id | userPrincipalName}. */
  resolveUser(idOrUpn: string): TenantUser | undefined {
    return this.users.resolveUser(idOrUpn);
  }

  findByUpn(upn: string): TenantUser | undefined {
    return this.users.findByUpn(upn);
  }

  findByImmutableId(immutableId: string): TenantUser | undefined {
    return this.users.findByImmutableId(immutableId);
  }

  /** Live users in ordinal order, starting after `afterOrdinal`. */
  listUsers(afterOrdinal = 0): Generator<TenantUser> {
    return this.users.listUsers(afterOrdinal);
  }

  /** Users (deleted ones too) whose last change is at or after `sinceSeq`, in ordinal order. */
  changedSince(sinceSeq: number, afterOrdinal = 0): Generator<TenantUser> {
    return this.users.changedSince(sinceSeq, afterOrdinal);
  }

  // ----- users: writes

  /**
   * Creates a user directly (seeding, cloud-only accounts). Sync-created users normally arrive through
   * `syncWrite({ kind: 'add' })`, which also writes the audit record.
   */
  createUser(
    input: Partial<Omit<TenantUser, 'ordinal' | 'changeSeq' | 'deletedAt'>> & { userPrincipalName: string },
  ): TenantUser {
    return this.users.createUser(input);
  }

  /** Soft-deletes a user (delta reports it as removed). */
  deleteUser(id: string): boolean {
    return this.users.deleteUser(id);
  }

  /** True where Graph accepts writes of on-prem-mastered properties for this user. */
  isCloudWritable(u: TenantUser): boolean {
    return u.onPremisesSyncEnabled !== true || u.cloudManaged;
  }

  /**
   * A Graph PATCH /users/{id}: refuses on-prem-mastered properties of synced users (unless cloud
   * managed), applies the rest, writes an "Update user" audit record. Nothing is applied on refusal.
   */
  cloudWrite(userId: string, patch: CloudUserPatch, actor: AuditActor): CloudWriteResult {
    const u = this.getUser(userId);
    if (!u) return { ok: false, reason: 'not-found' };
    const keys = Object.keys(patch) as (keyof CloudUserPatch)[];
    if (!this.isCloudWritable(u)) {
      const locked = keys.filter((k) => ONPREM_MASTERED.has(k));
      if (locked.length > 0) return { ok: false, reason: u.mail ? 'mail-enabled' : 'onprem-mastered', properties: locked };
    }
    const mods: AuditModifiedProperty[] = [];
    const changed: string[] = [];
    if (patch.displayName !== undefined && patch.displayName !== u.displayName) {
      mods.push({ displayName: 'DisplayName', oldValue: auditValue(u.displayName), newValue: auditValue(patch.displayName) });
      u.displayName = patch.displayName;
      changed.push('displayName');
    }
    if (patch.mobilePhone !== undefined && patch.mobilePhone !== u.mobilePhone) {
      mods.push({
        displayName: this.auditMobilePropertyName,
        oldValue: auditValue(u.mobilePhone),
        newValue: auditValue(patch.mobilePhone),
      });
      u.mobilePhone = patch.mobilePhone;
      changed.push('mobilePhone');
    }
    if (patch.businessPhones !== undefined && !sameArr(patch.businessPhones, u.businessPhones)) {
      mods.push({
        displayName: 'TelephoneNumber',
        oldValue: auditValue(u.businessPhones),
        newValue: auditValue(patch.businessPhones),
      });
      u.businessPhones = arr(patch.businessPhones);
      changed.push('businessPhones');
    }
    if (patch.usageLocation !== undefined && patch.usageLocation !== u.usageLocation) {
      mods.push({
        displayName: 'UsageLocation',
        oldValue: auditValue(u.usageLocation),
        newValue: auditValue(patch.usageLocation),
      });
      u.usageLocation = patch.usageLocation;
      changed.push('usageLocation');
    }
    if (patch.accountEnabled !== undefined && patch.accountEnabled !== u.accountEnabled) {
      mods.push({
        displayName: 'AccountEnabled',
        oldValue: JSON.stringify([u.accountEnabled]),
        newValue: JSON.stringify([patch.accountEnabled]),
      });
      u.accountEnabled = patch.accountEnabled;
      changed.push('accountEnabled');
    }
    if (changed.length > 0) {
      this.users.bump(u);
      this.audit.appendUpdateUser(u, actor, mods, null);
    }
    return { ok: true, changed };
  }

  /**
   * The pre-2025 portal / MSOnline edit (`Set-MsolUser -MobilePhone`), outside Graph: sets the value,
   * sets the hidden DirSyncOverrides flag on a synced user, and writes the audit record. Since then
   * AD changes of mobile/otherMobile stop flowing for this user until the bypass feature is on.
   */
  legacyCloudEdit(
    userId: string,
    value: string | null,
    actor: AuditActor,
    opts: { property?: 'mobilePhone' | 'alternateMobilePhones'; alternateMobilePhones?: string[] } = {},
  ): TenantUser {
    const u = this.getUser(userId);
    if (!u) throw new SyncDriftError('not-found', 'SANDBOX_USER_NOT_FOUND', `No sandbox user with id ${userId}.`);
    const prop = opts.property ?? 'mobilePhone';
    const mods: AuditModifiedProperty[] = [];
    if (prop === 'mobilePhone') {
      mods.push({ displayName: this.auditMobilePropertyName, oldValue: auditValue(u.mobilePhone), newValue: auditValue(value) });
      u.mobilePhone = value;
    } else {
      const next = opts.alternateMobilePhones ?? (value === null ? [] : [value]);
      mods.push({
        displayName: 'AlternateMobilePhones',
        oldValue: auditValue(u.alternateMobilePhones),
        newValue: auditValue(next),
      });
      u.alternateMobilePhones = arr(next);
    }
    if (u.onPremisesSyncEnabled === true) u.dirSyncOverride = true;
    this.users.bump(u);
    this.audit.appendUpdateUser(u, actor, mods, null);
    return u;
  }

  /**
   * PATCH onPremisesSyncBehavior: switches the object's source of authority (all attributes). As the
   * user SOA how-to describes, a switched user then shows `onPremisesSyncEnabled: null` with its
   * anchor (onPremisesImmutableId) and the other onPremises* values kept, and the switch is audited as
   * "Change Source of Authority from AD to cloud". Switching back makes the object synced again
   * (the next cycle takes it over); that record's name is not documented and is modelled as
   * "Change Source of Authority from cloud to AD".
   */
  setCloudManaged(userId: string, isCloudManaged: boolean, actor: AuditActor): TenantUser | undefined {
    const u = this.getUser(userId);
    if (!u) return undefined;
    if (u.cloudManaged !== isCloudManaged) {
      const wasSynced = u.onPremisesSyncEnabled;
      u.cloudManaged = isCloudManaged;
      if (isCloudManaged && u.onPremisesImmutableId !== null) u.onPremisesSyncEnabled = null;
      else if (!isCloudManaged && u.onPremisesImmutableId !== null && wasSynced === null) u.onPremisesSyncEnabled = true;
      this.users.bump(u);
      this.appendAudit({
        activityDisplayName: isCloudManaged ? SOA_TO_CLOUD : SOA_TO_AD,
        category: 'UserManagement',
        operationType: 'Update',
        initiatedBy: actor,
        targets: [
          {
            id: u.id,
            type: 'User',
            displayName: null,
            userPrincipalName: u.userPrincipalName,
            modifiedProperties: [
              { displayName: 'IsCloudManaged', oldValue: JSON.stringify([!isCloudManaged]), newValue: JSON.stringify([isCloudManaged]) },
              { displayName: 'OnPremisesSyncEnabled', oldValue: JSON.stringify([wasSynced]), newValue: JSON.stringify([u.onPremisesSyncEnabled]) },
            ],
          },
        ],
      });
    }
    return u;
  }

  /** Marks a user no longer synchronized (onPremisesSyncEnabled false), as after a scope change. */
  stopSync(userId: string): TenantUser | undefined {
    const u = this.getUser(userId);
    if (!u) return undefined;
    if (u.onPremisesSyncEnabled === true) {
      u.onPremisesSyncEnabled = false;
      this.users.bump(u);
    }
    return u;
  }

  /** The initiator of sync writes: `Sync_<server>_<12 hex>@<initial domain>`. */
  syncActor(server: string): AuditActor {
    let suffix = this.syncAccountSuffix.get(server);
    if (!suffix) {
      suffix = createHash('sha256').update(`${this.tenantId}:${server}`).digest('hex').slice(0, 12);
      this.syncAccountSuffix.set(server, suffix);
    }
    return {
      kind: 'user',
      id: createHash('sha256')
        .update(`sync:${this.tenantId}:${server}`)
        .digest('hex')
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5'),
      userPrincipalName: `Sync_${server}_${suffix}@${this.organization.initialDomain}`,
      displayName: 'On-Premises Directory Synchronization Service Account',
    };
  }

  /** Applies one export of the sync engine (tenant-sync-write.ts: DirSyncOverrides, audit records). */
  syncWrite(exp: SyncExport): SyncWriteResult {
    return applySyncExport(this, this.users, this.audit, this.now(), exp);
  }

  // ----- the Cloud Sync provisioning job (synchronizationJob: restart; tenant-sync-job.ts)

  /** The tenant's Cloud Sync provisioning job: ids derived from the tenant id, and its last restart. */
  get cloudSyncJob(): { servicePrincipalId: string; jobId: string; lastRestart: { at: number; resetScope: string; cleared: RestartScope[] } | null } {
    return this.syncJob.cloudSyncJob;
  }

  /** POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/restart (see CloudSyncJob). */
  restartProvisioningJob(servicePrincipalId: string, jobId: string, body: unknown): { cleared: RestartScope[] } {
    return this.syncJob.restartProvisioningJob(servicePrincipalId, jobId, body);
  }

  /** Records the end of a sync cycle (organization.onPremisesLastSyncDateTime). */
  completeSyncCycle(): void {
    this.organization.onPremisesLastSyncAt = this.now();
  }

  // ----- sync features

  /** Sets sync features (the PATCH of onPremisesSynchronization) and audits the change. */
  setFeatures(patch: Partial<SyncFeatures>, actor: AuditActor): SyncFeatures {
    const mods: AuditModifiedProperty[] = [];
    for (const [k, v] of Object.entries(patch) as [SyncFeatureName, boolean][]) {
      if (!SYNC_FEATURE_NAMES.includes(k)) throw new ValidationError(`features.${k}`, 'unknown feature');
      if (this.features[k] !== v) {
        mods.push({ displayName: k, oldValue: JSON.stringify([this.features[k]]), newValue: JSON.stringify([v]) });
        this.features[k] = v;
      }
    }
    if (mods.length > 0) {
      this.appendAudit({
        activityDisplayName: 'Set directory feature on tenant',
        category: 'DirectoryManagement',
        operationType: 'Update',
        initiatedBy: actor,
        targets: [
          {
            id: this.tenantId,
            type: 'Directory',
            displayName: this.organization.displayName,
            userPrincipalName: null,
            modifiedProperties: mods,
          },
        ],
      });
    }
    return { ...this.features };
  }

  // ----- audit log (tenant-audit.ts)

  /** Appends an audit record (time = clock now unless `at` is given, e.g. for seeded history). */
  appendAudit(input: AuditInput): AuditRecord {
    return this.audit.appendAudit(input);
  }

  get auditCount(): number {
    return this.audit.auditCount;
  }

  /** Queries the audit log within retention, newest first by default, one page at a time. */
  queryAudits(q: AuditQuery): AuditPage {
    return this.audit.queryAudits(q, this.auditRetentionDays);
  }

  // ----- apps and sign-in accounts (tenant-apps.ts)

  /** Registers an app; returns the client secret once in clear (the store keeps only its hash). */
  registerApp(input: Parameters<AppRegistry['registerApp']>[0]): { app: SandboxApp; clientSecret: string | null } {
    return this.apps.registerApp(input);
  }

  /**
   * Replaces an app's credentials (a restarted sandbox hands out fresh ones: the store keeps only
   * hashes, so old secrets cannot be given back). Returns the new secret in clear, once.
   */
  resetAppCredentials(
    appId: string,
    opts: { withSecret: boolean; certificates: { pem: string; x5t: string; x5tS256: string }[] },
  ): string | null {
    return this.apps.resetAppCredentials(appId, opts);
  }

  getApp(appId: string): SandboxApp | undefined {
    return this.apps.getApp(appId);
  }

  listApps(): SandboxApp[] {
    return this.apps.listApps();
  }

  verifyClientSecret(appId: string, secret: string): boolean {
    return this.apps.verifyClientSecret(appId, secret);
  }

  /** Makes a user able to sign in with a password and the given directory roles. */
  addSignInAccount(userId: string, password: string, roles: string[]): SignInAccount {
    if (!this.getUser(userId))
      throw new SyncDriftError('not-found', 'SANDBOX_USER_NOT_FOUND', `No sandbox user with id ${userId}.`);
    return this.apps.addSignInAccount(userId, password, roles);
  }

  getSignInAccount(userId: string): SignInAccount | undefined {
    return this.apps.getSignInAccount(userId);
  }

  /** Checks a sign-in by UPN and password; returns the account or null. */
  verifyPassword(upn: string, password: string): { user: TenantUser; account: SignInAccount } | null {
    const user = this.findByUpn(upn);
    if (!user) return null;
    return this.apps.verifyPassword(user, password);
  }

  // ----- persistence (tenant-snapshot.ts validates the format)

  /** The whole state as plain JSON-able data (secrets only as hashes). */
  serialize(): TenantSnapshot {
    return {
      format: 'syncdrift-sandbox-tenant',
      version: 1,
      tenantId: this.tenantId,
      organization: { ...this.organization, verifiedDomains: [...this.organization.verifiedDomains] },
      features: { ...this.features },
      auditRetentionDays: this.auditRetentionDays,
      auditMobilePropertyName: this.auditMobilePropertyName,
      seq: this.users.seq,
      nextOrdinal: this.users.nextOrdinal,
      auditSeq: this.audit.auditSeq,
      users: this.users.snapshot(),
      audits: this.audit.records(),
      apps: this.listApps().map((a) => ({ ...a })),
      accounts: this.apps.listAccounts(),
    };
  }

  /** Rebuilds a store from `serialize()` output, validating it (it is read from a file). */
  static restore(data: unknown, opts: { clock?: Clock } = {}): TenantStore {
    const s = parseTenantSnapshot(data);
    const store = new TenantStore({
      tenantId: s.tenantId,
      clock: opts.clock,
      organization: s.organization,
      auditRetentionDays: s.auditRetentionDays,
      auditMobilePropertyName: s.auditMobilePropertyName,
    });
    Object.assign(store.features, s.features);
    store.users.restore(s.users, s.seq, s.nextOrdinal);
    store.audit.restore(s.audits, s.auditSeq);
    store.apps.restore(s.apps, s.accounts);
    return store;
  }
}
