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
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { SyncDriftError, ValidationError } from '../core/errors';

// ---------------------------------------------------------------------------------------------
// Types

/** One directory user. Read it through the store; mutate only through store methods. */
export interface TenantUser {
  /** Creation order; stable paging position. */
  readonly ordinal: number;
  readonly id: string;
  userPrincipalName: string;
  displayName: string | null;
  /**
   * Primary SMTP address; non-null = a mail-enabled user. Synced mail-enabled users refuse cloud
   * writes with a different message than other synced users (the user SOA how-to).
   */
  mail: string | null;
  mobilePhone: string | null;
  businessPhones: readonly string[];
  /** Hidden from Graph (Graph has no such property); flows from AD otherMobile. */
  alternateMobilePhones: readonly string[];
  usageLocation: string | null;
  accountEnabled: boolean;
  /** Epoch ms. */
  createdAt: number;
  /** null = cloud-only, false = once synced, true = synced. */
  onPremisesSyncEnabled: boolean | null;
  onPremisesImmutableId: string | null;
  onPremisesSecurityIdentifier: string | null;
  /** Epoch ms or null. */
  onPremisesLastSyncAt: number | null;
  onPremisesDistinguishedName: string | null;
  onPremisesDomainName: string | null;
  onPremisesSamAccountName: string | null;
  onPremisesUserPrincipalName: string | null;
  /** onPremisesSyncBehavior.isCloudManaged: object source of authority switched to the cloud. */
  cloudManaged: boolean;
  /** Hidden DirSyncOverrides flag: set by a legacy cloud edit, never exposed by Graph. */
  dirSyncOverride: boolean;
  /** Delta change sequence of the last change (see TenantStore.currentSeq). */
  changeSeq: number;
  /** Epoch ms of deletion; deleted users stay in the list for delta `@removed`. */
  deletedAt: number | null;
}

/** Properties that the sync engine exports (Entra Connect's user attribute flow, the part we model). */
export interface SyncAttributes {
  userPrincipalName: string;
  displayName: string | null;
  mobilePhone: string | null;
  alternateMobilePhones: string[];
  businessPhones: string[];
  onPremisesSecurityIdentifier: string | null;
  onPremisesDistinguishedName: string | null;
  onPremisesDomainName: string | null;
  onPremisesSamAccountName: string | null;
  onPremisesUserPrincipalName: string | null;
  accountEnabled: boolean;
}

/** Who did something, as the audit log records it. */
export type AuditActor =
  | { kind: 'user'; id: string; userPrincipalName: string; displayName?: string | null; ipAddress?: string | null }
  | { kind: 'app'; appId: string; displayName: string; servicePrincipalId?: string | null };

export interface AuditModifiedProperty {
  displayName: string;
  /** JSON text, as Graph carries it, e.g. `["+1 425 555 0100"]`; null when absent. */
  oldValue: string | null;
  newValue: string | null;
}

export interface AuditTarget {
  id: string;
  type: 'User' | 'Directory' | 'Application';
  displayName: string | null;
  userPrincipalName: string | null;
  modifiedProperties: AuditModifiedProperty[];
}

/** One directoryAudit record, stored compactly; `toGraphAudit` renders Graph's shape. */
export interface AuditRecord {
  /** Store-wide append sequence; tie-breaker for equal times. */
  readonly seq: number;
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  readonly activityDisplayName: string;
  readonly category: string;
  readonly operationType: string;
  readonly result: 'success' | 'failure';
  readonly resultReason: string;
  readonly loggedByService: string;
  readonly correlationId: string;
  readonly initiatedBy: AuditActor;
  readonly targets: AuditTarget[];
  readonly additionalDetails: { key: string; value: string }[];
}

/** Structured audit query (the server parses OData $filter into this). All conditions AND. */
export interface AuditQuery {
  /** activityDateTime ge (inclusive), epoch ms. */
  fromMs?: number;
  /** activityDateTime le (inclusive), epoch ms. */
  toMs?: number;
  activityDisplayName?: string;
  category?: string;
  result?: 'success' | 'failure';
  correlationId?: string;
  loggedByService?: string;
  targetId?: string;
  targetUserPrincipalName?: string;
  initiatorUserId?: string;
  initiatorUserPrincipalName?: string;
  initiatorAppId?: string;
  initiatorAppDisplayName?: string;
  order?: 'asc' | 'desc';
  /** Continue after this record (from the previous page's `next`). */
  after?: { at: number; seq: number };
  top: number;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Position to continue from, or null at the end. */
  next: { at: number; seq: number } | null;
}

/** A sandbox app registration (and its service principal, which shares the id here). */
export interface SandboxApp {
  appId: string;
  displayName: string;
  /** Object id of the service principal (initiatedBy.app.servicePrincipalId). */
  servicePrincipalId: string;
  /** SHA-256 (hex) of each client secret: the store never holds a secret in clear. */
  secretHashes: string[];
  /** Registered certificates: PEM and base64url SHA-1 thumbprint (JWT `x5t`) / SHA-256 (`x5t#S256`). */
  certificates: { pem: string; x5t: string; x5tS256: string }[];
  /** Application permissions granted with admin consent (token `roles`). */
  appRoles: string[];
  /** Delegated scopes consented for the tenant (token `scp`). */
  delegatedScopes: string[];
  redirectUris: string[];
  /** Public client flows (device code, auth code without secret) allowed. */
  publicClient: boolean;
}

/** A user that can sign in to the sandbox, with directory roles (wids). */
export interface SignInAccount {
  userId: string;
  /** Salted SHA-256 (sandbox only: not a password store for real secrets). */
  passwordSalt: string;
  passwordHash: string;
  /** Directory role template ids, e.g. GLOBAL_ADMINISTRATOR. */
  roles: string[];
}

export const ROLE = {
  GLOBAL_ADMINISTRATOR: '62e90394-69f5-4237-9190-012177145e10',
  USER_ADMINISTRATOR: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  HYBRID_IDENTITY_ADMINISTRATOR: '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2',
  GLOBAL_READER: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  REPORTS_READER: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  SECURITY_READER: '5d6b6bb7-de71-4623-b4af-96380a352509',
  DIRECTORY_READERS: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
} as const;

/** The features object of onPremisesSynchronization, with Graph's names. */
export const SYNC_FEATURE_NAMES = [
  'blockCloudObjectTakeoverThroughHardMatchEnabled',
  'blockSoftMatchEnabled',
  'bypassDirSyncOverridesEnabled',
  'cloudPasswordPolicyForPasswordSyncedUsersEnabled',
  'concurrentCredentialUpdateEnabled',
  'concurrentOrgIdProvisioningEnabled',
  'deviceWritebackEnabled',
  'directoryExtensionsEnabled',
  'fopeConflictResolutionEnabled',
  'groupWriteBackEnabled',
  'passwordSyncEnabled',
  'passwordWritebackEnabled',
  'quarantineUponProxyAddressesConflictEnabled',
  'quarantineUponUpnConflictEnabled',
  'softMatchOnUpnEnabled',
  'synchronizeUpnForManagedUsersEnabled',
  'unifiedGroupWritebackEnabled',
  'userForcePasswordChangeOnLogonEnabled',
  'userWritebackEnabled',
] as const;
export type SyncFeatureName = (typeof SYNC_FEATURE_NAMES)[number];
export type SyncFeatures = Record<SyncFeatureName, boolean>;

export interface OrganizationInfo {
  displayName: string;
  /** The initial domain, e.g. contoso.onmicrosoft.com; more verified domains may follow. */
  initialDomain: string;
  verifiedDomains: string[];
  countryLetterCode: string;
  createdAt: number;
  onPremisesSyncEnabled: boolean | null;
  onPremisesLastSyncAt: number | null;
}

/** Properties a cloud (Graph) write may set on a user, as the store accepts them. */
export interface CloudUserPatch {
  displayName?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  usageLocation?: string | null;
  accountEnabled?: boolean;
}

/** Properties Graph refuses to change on a synced, not cloud-managed user (on-prem mastered). */
export const ONPREM_MASTERED: ReadonlySet<string> = new Set([
  'displayName',
  'mobilePhone',
  'businessPhones',
  'accountEnabled',
  'userPrincipalName',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'officeLocation',
  'streetAddress',
  'city',
  'state',
  'postalCode',
  'country',
  'companyName',
  'employeeId',
  'faxNumber',
  'mail',
  'mailNickname',
  'otherMails',
  'proxyAddresses',
]);

/** synchronizationJobRestartScope values (Microsoft Graph). */
export const RESTART_SCOPES = ['None', 'ConnectorDataStore', 'Escrows', 'Watermark', 'QuarantineState', 'Full', 'ForceDeletes'] as const;
export type RestartScope = (typeof RESTART_SCOPES)[number];
const REFUSED_SCOPES: ReadonlySet<RestartScope> = new Set(['None', 'ConnectorDataStore', 'Full', 'ForceDeletes']);
const RestartBody = z.object({ criteria: z.object({ resetScope: z.string().nullable().optional() }).passthrough().optional() }).passthrough();

export type CloudWriteResult =
  | { ok: true; changed: string[] }
  | { ok: false; reason: 'onprem-mastered'; properties: string[] }
  /** The same refusal for a mail-enabled synced user, which Graph words differently. */
  | { ok: false; reason: 'mail-enabled'; properties: string[] }
  | { ok: false; reason: 'not-found' };

/** One export of the sync engine for one object. */
export interface SyncExport {
  kind: 'add' | 'update' | 'delete';
  /** Source anchor (Base64 of mS-DS-ConsistencyGuid / objectGUID). */
  immutableId: string;
  /** Desired values of the exported attributes (update: only the ones that flow; add: all). */
  attributes?: Partial<SyncAttributes>;
  /** Entra Connect server name; shapes the initiator `Sync_<server>_<hex>@<initial domain>`. */
  server: string;
  /** Initiator recorded instead of the Connect sync account (e.g. the Cloud Sync provisioning app). */
  actor?: AuditActor;
  /** False keeps onPremisesLastSyncDateTime where it was (the simulator's knob); default true. */
  touchLastSync?: boolean;
}

export interface SyncWriteResult {
  userId: string | null;
  /** 'added' | 'updated' | 'unchanged' | 'deleted' | 'skipped' */
  outcome: 'added' | 'updated' | 'unchanged' | 'deleted' | 'skipped';
  /** Properties actually changed. */
  applied: string[];
  /** Properties the DirSyncOverrides flag kept (the silent drift). */
  suppressedByOverride: string[];
  /** Why an export was skipped (cloud-managed, not synced, unknown anchor…). */
  reason?: string;
}

export interface TenantOptions {
  tenantId?: string;
  clock?: Clock;
  organization?: Partial<OrganizationInfo>;
  /** Audit retention in days: 7 (Entra ID Free) or 30 (P1/P2). Default 30. */
  auditRetentionDays?: number;
  /**
   * modifiedProperties display name for the mobile phone. Documentation does not say whether it is
   * `Mobile` or `MobilePhone` (DOMAIN.md marks it unconfirmed); readers must accept both.
   */
  auditMobilePropertyName?: string;
}

/** Audit activity of a user's source-of-authority switch (user SOA how-to). */
export const SOA_TO_CLOUD = 'Change Source of Authority from AD to cloud';
/** The way back; its activity name is undocumented (modelled). */
export const SOA_TO_AD = 'Change Source of Authority from cloud to AD';

// ---------------------------------------------------------------------------------------------
// Helpers

const EMPTY: readonly string[] = Object.freeze([]) as readonly string[];

function arr(values: readonly string[] | undefined | null): readonly string[] {
  return values && values.length > 0 ? Object.freeze([...values]) : EMPTY;
}

function sameArr(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Graph's JSON-array-in-string form of a single value ("[]" for empty). */
export function auditValue(v: string | null | readonly string[]): string {
  if (v === null) return '[]';
  if (typeof v === 'string') return JSON.stringify([v]);
  return JSON.stringify([...v]);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function hashPassword(salt: string, password: string): string {
  return createHash('sha256').update(`${salt}:${password}`, 'utf8').digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function defaultFeatures(): SyncFeatures {
  const f = {} as SyncFeatures;
  for (const n of SYNC_FEATURE_NAMES) f[n] = false;
  f.passwordSyncEnabled = true;
  f.softMatchOnUpnEnabled = true;
  f.synchronizeUpnForManagedUsersEnabled = true;
  f.quarantineUponProxyAddressesConflictEnabled = true;
  f.quarantineUponUpnConflictEnabled = true;
  return f;
}

// ---------------------------------------------------------------------------------------------
// The store

export class TenantStore {
  readonly tenantId: string;
  readonly clock: Clock;
  readonly organization: OrganizationInfo;
  readonly features: SyncFeatures;
  auditRetentionDays: number;
  auditMobilePropertyName: string;

  /** All users in ordinal order, deleted ones included (deletedAt set). */
  private readonly users: TenantUser[] = [];
  private readonly byId = new Map<string, TenantUser>();
  private readonly byUpn = new Map<string, TenantUser>();
  private readonly byAnchor = new Map<string, TenantUser>();
  private liveCount = 0;
  private nextOrdinal = 1;
  private seq = 1;

  private readonly audits: AuditRecord[] = [];
  private readonly auditsByTarget = new Map<string, AuditRecord[]>();
  private auditSeq = 1;

  private readonly apps = new Map<string, SandboxApp>();
  private readonly accounts = new Map<string, SignInAccount>();
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
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private bump(u: TenantUser): void {
    u.changeSeq = this.seq++;
  }

  // ----- users: reads

  /** Delta change sequence: every user change gets the next number. A delta token is such a number. */
  get currentSeq(): number {
    return this.seq;
  }

  /** Users not deleted. */
  get userCount(): number {
    return this.liveCount;
  }

  getUser(id: string): TenantUser | undefined {
    const u = this.byId.get(id);
    return u && u.deletedAt === null ? u : undefined;
  }

  /** By id or by userPrincipalName (case-insensitive), as Graph's /users/{id | userPrincipalName}. */
  resolveUser(idOrUpn: string): TenantUser | undefined {
    return this.getUser(idOrUpn) ?? this.byUpn.get(idOrUpn.toLowerCase());
  }

  findByUpn(upn: string): TenantUser | undefined {
    return this.byUpn.get(upn.toLowerCase());
  }

  findByImmutableId(immutableId: string): TenantUser | undefined {
    return this.byAnchor.get(immutableId);
  }

  /** Live users in ordinal order, starting after `afterOrdinal`. */
  *listUsers(afterOrdinal = 0): Generator<TenantUser> {
    let i = this.indexAfterOrdinal(afterOrdinal);
    for (; i < this.users.length; i++) {
      const u = this.users[i]!;
      if (u.deletedAt === null) yield u;
    }
  }

  /** Users (deleted ones too) whose last change is at or after `sinceSeq`, in ordinal order. */
  *changedSince(sinceSeq: number, afterOrdinal = 0): Generator<TenantUser> {
    let i = this.indexAfterOrdinal(afterOrdinal);
    for (; i < this.users.length; i++) {
      const u = this.users[i]!;
      if (u.changeSeq >= sinceSeq) yield u;
    }
  }

  private indexAfterOrdinal(afterOrdinal: number): number {
    let lo = 0;
    let hi = this.users.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.users[mid]!.ordinal <= afterOrdinal) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ----- users: writes

  /**
   * Creates a user directly (seeding, cloud-only accounts). Sync-created users normally arrive through
   * `syncWrite({ kind: 'add' })`, which also writes the audit record.
   */
  createUser(
    input: Partial<Omit<TenantUser, 'ordinal' | 'changeSeq' | 'deletedAt'>> & { userPrincipalName: string },
  ): TenantUser {
    const upnKey = input.userPrincipalName.toLowerCase();
    if (this.byUpn.has(upnKey)) {
      throw new SyncDriftError(
        'conflict',
        'SANDBOX_UPN_EXISTS',
        `A user with userPrincipalName ${input.userPrincipalName} already exists.`,
      );
    }
    if (input.onPremisesImmutableId && this.byAnchor.has(input.onPremisesImmutableId)) {
      throw new SyncDriftError(
        'conflict',
        'SANDBOX_ANCHOR_EXISTS',
        `A user with onPremisesImmutableId ${input.onPremisesImmutableId} already exists.`,
      );
    }
    const id = input.id ?? randomUUID();
    if (this.byId.has(id)) throw new SyncDriftError('conflict', 'SANDBOX_ID_EXISTS', `A user with id ${id} already exists.`);
    // Property order is fixed so every user shares one hidden class (memory, speed).
    const u: TenantUser = {
      ordinal: this.nextOrdinal++,
      id,
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName ?? null,
      mail: input.mail ?? null,
      mobilePhone: input.mobilePhone ?? null,
      businessPhones: arr(input.businessPhones),
      alternateMobilePhones: arr(input.alternateMobilePhones),
      usageLocation: input.usageLocation ?? null,
      accountEnabled: input.accountEnabled ?? true,
      createdAt: input.createdAt ?? this.now(),
      onPremisesSyncEnabled: input.onPremisesSyncEnabled ?? null,
      onPremisesImmutableId: input.onPremisesImmutableId ?? null,
      onPremisesSecurityIdentifier: input.onPremisesSecurityIdentifier ?? null,
      onPremisesLastSyncAt: input.onPremisesLastSyncAt ?? null,
      onPremisesDistinguishedName: input.onPremisesDistinguishedName ?? null,
      onPremisesDomainName: input.onPremisesDomainName ?? null,
      onPremisesSamAccountName: input.onPremisesSamAccountName ?? null,
      onPremisesUserPrincipalName: input.onPremisesUserPrincipalName ?? null,
      cloudManaged: input.cloudManaged ?? false,
      dirSyncOverride: input.dirSyncOverride ?? false,
      changeSeq: this.seq++,
      deletedAt: null,
    };
    this.users.push(u);
    this.byId.set(u.id, u);
    this.byUpn.set(upnKey, u);
    if (u.onPremisesImmutableId) this.byAnchor.set(u.onPremisesImmutableId, u);
    this.liveCount++;
    return u;
  }

  /** Soft-deletes a user (delta reports it as removed). */
  deleteUser(id: string): boolean {
    const u = this.getUser(id);
    if (!u) return false;
    u.deletedAt = this.now();
    this.byUpn.delete(u.userPrincipalName.toLowerCase());
    if (u.onPremisesImmutableId) this.byAnchor.delete(u.onPremisesImmutableId);
    this.liveCount--;
    this.bump(u);
    return true;
  }

  private setUpn(u: TenantUser, upn: string): void {
    const key = upn.toLowerCase();
    const other = this.byUpn.get(key);
    if (other && other !== u) {
      throw new SyncDriftError('conflict', 'SANDBOX_UPN_EXISTS', `Another user already has userPrincipalName ${upn}.`);
    }
    this.byUpn.delete(u.userPrincipalName.toLowerCase());
    u.userPrincipalName = upn;
    this.byUpn.set(key, u);
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
      this.bump(u);
      this.appendUpdateUser(u, actor, mods, null);
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
    this.bump(u);
    this.appendUpdateUser(u, actor, mods, null);
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
      this.bump(u);
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
      this.bump(u);
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

  /**
   * Applies one export of the sync engine. Honours DirSyncOverrides: with the flag set and
   * `bypassDirSyncOverridesEnabled` off, mobilePhone and alternateMobilePhones keep the cloud value
   * (returned in `suppressedByOverride`). With the bypass on, AD wins; the flag itself stays (what
   * happens to it is undocumented) so turning the bypass off again restores the old behaviour.
   * Cloud-managed and no-longer-synced users are skipped. Writes audit records with
   * `Action Client Name` = DirectorySync.
   */
  syncWrite(exp: SyncExport): SyncWriteResult {
    const actor = exp.actor ?? this.syncActor(exp.server);
    const existing = this.byAnchor.get(exp.immutableId);
    const now = this.now();
    if (exp.kind === 'delete') {
      if (!existing) return { userId: null, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'unknown anchor' };
      if (existing.cloudManaged)
        return { userId: existing.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'cloud-managed' };
      this.deleteUser(existing.id);
      this.appendAudit({
        activityDisplayName: 'Delete user',
        category: 'UserManagement',
        operationType: 'Delete',
        initiatedBy: actor,
        targets: [
          {
            id: existing.id,
            type: 'User',
            displayName: null,
            userPrincipalName: existing.userPrincipalName,
            modifiedProperties: [],
          },
        ],
      });
      return { userId: existing.id, outcome: 'deleted', applied: [], suppressedByOverride: [] };
    }
    const a = exp.attributes ?? {};
    if (!existing) {
      if (exp.kind !== 'add' && !a.userPrincipalName) {
        return { userId: null, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'unknown anchor' };
      }
      if (!a.userPrincipalName) throw new ValidationError('attributes.userPrincipalName', 'a sync add needs a userPrincipalName');
      const u = this.createUser({
        userPrincipalName: a.userPrincipalName,
        displayName: a.displayName ?? null,
        mobilePhone: a.mobilePhone ?? null,
        businessPhones: a.businessPhones ?? [],
        alternateMobilePhones: a.alternateMobilePhones ?? [],
        accountEnabled: a.accountEnabled ?? true,
        onPremisesSyncEnabled: true,
        onPremisesImmutableId: exp.immutableId,
        onPremisesSecurityIdentifier: a.onPremisesSecurityIdentifier ?? null,
        onPremisesDistinguishedName: a.onPremisesDistinguishedName ?? null,
        onPremisesDomainName: a.onPremisesDomainName ?? null,
        onPremisesSamAccountName: a.onPremisesSamAccountName ?? null,
        onPremisesUserPrincipalName: a.onPremisesUserPrincipalName ?? null,
        onPremisesLastSyncAt: now,
      });
      const mods: AuditModifiedProperty[] = [];
      if (u.displayName !== null) mods.push({ displayName: 'DisplayName', oldValue: '[]', newValue: auditValue(u.displayName) });
      if (u.mobilePhone !== null)
        mods.push({ displayName: this.auditMobilePropertyName, oldValue: '[]', newValue: auditValue(u.mobilePhone) });
      mods.push({ displayName: 'UserPrincipalName', oldValue: '[]', newValue: auditValue(u.userPrincipalName) });
      mods.push({ displayName: 'SourceAnchor', oldValue: '[]', newValue: auditValue(exp.immutableId) });
      if (!exp.actor) mods.push({ displayName: 'Action Client Name', oldValue: null, newValue: JSON.stringify('DirectorySync') });
      this.appendAudit({
        activityDisplayName: 'Add user',
        category: 'UserManagement',
        operationType: 'Add',
        initiatedBy: actor,
        targets: [
          { id: u.id, type: 'User', displayName: null, userPrincipalName: u.userPrincipalName, modifiedProperties: mods },
        ],
      });
      return { userId: u.id, outcome: 'added', applied: Object.keys(a), suppressedByOverride: [] };
    }
    const u = existing;
    if (u.cloudManaged)
      return { userId: u.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'cloud-managed' };
    if (u.onPremisesSyncEnabled !== true)
      return { userId: u.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'not synchronized' };

    const blocked = u.dirSyncOverride && !this.features.bypassDirSyncOverridesEnabled;
    const applied: string[] = [];
    const suppressed: string[] = [];
    const mods: AuditModifiedProperty[] = [];
    if (a.userPrincipalName !== undefined && a.userPrincipalName !== u.userPrincipalName) {
      mods.push({
        displayName: 'UserPrincipalName',
        oldValue: auditValue(u.userPrincipalName),
        newValue: auditValue(a.userPrincipalName),
      });
      this.setUpn(u, a.userPrincipalName);
      applied.push('userPrincipalName');
    }
    if (a.displayName !== undefined && a.displayName !== u.displayName) {
      mods.push({ displayName: 'DisplayName', oldValue: auditValue(u.displayName), newValue: auditValue(a.displayName) });
      u.displayName = a.displayName;
      applied.push('displayName');
    }
    if (a.mobilePhone !== undefined && a.mobilePhone !== u.mobilePhone) {
      if (blocked) suppressed.push('mobilePhone');
      else {
        mods.push({
          displayName: this.auditMobilePropertyName,
          oldValue: auditValue(u.mobilePhone),
          newValue: auditValue(a.mobilePhone),
        });
        u.mobilePhone = a.mobilePhone;
        applied.push('mobilePhone');
      }
    }
    if (a.alternateMobilePhones !== undefined && !sameArr(a.alternateMobilePhones, u.alternateMobilePhones)) {
      if (blocked) suppressed.push('alternateMobilePhones');
      else {
        mods.push({
          displayName: 'AlternateMobilePhones',
          oldValue: auditValue(u.alternateMobilePhones),
          newValue: auditValue(a.alternateMobilePhones),
        });
        u.alternateMobilePhones = arr(a.alternateMobilePhones);
        applied.push('alternateMobilePhones');
      }
    }
    if (a.businessPhones !== undefined && !sameArr(a.businessPhones, u.businessPhones)) {
      mods.push({
        displayName: 'TelephoneNumber',
        oldValue: auditValue(u.businessPhones),
        newValue: auditValue(a.businessPhones),
      });
      u.businessPhones = arr(a.businessPhones);
      applied.push('businessPhones');
    }
    if (a.accountEnabled !== undefined && a.accountEnabled !== u.accountEnabled) {
      mods.push({
        displayName: 'AccountEnabled',
        oldValue: JSON.stringify([u.accountEnabled]),
        newValue: JSON.stringify([a.accountEnabled]),
      });
      u.accountEnabled = a.accountEnabled;
      applied.push('accountEnabled');
    }
    const onPremKeys = [
      'onPremisesSecurityIdentifier',
      'onPremisesDistinguishedName',
      'onPremisesDomainName',
      'onPremisesSamAccountName',
      'onPremisesUserPrincipalName',
    ] as const;
    for (const k of onPremKeys) {
      const v = a[k];
      if (v !== undefined && v !== u[k]) {
        u[k] = v;
        applied.push(k);
      }
    }
    if (exp.touchLastSync !== false) u.onPremisesLastSyncAt = now;
    this.bump(u);
    if (mods.length > 0) {
      // Connect's records carry Action Client Name = DirectorySync; Cloud Sync's (exp.actor) are not
      // documented to, so the sandbox leaves it out: the reader must know the initiator.
      if (!exp.actor) mods.push({ displayName: 'Action Client Name', oldValue: null, newValue: JSON.stringify('DirectorySync') });
      this.appendUpdateUser(u, actor, mods, null);
    }
    return { userId: u.id, outcome: applied.length > 0 ? 'updated' : 'unchanged', applied, suppressedByOverride: suppressed };
  }

  // ----- the Cloud Sync provisioning job (synchronizationJob: restart)

  private jobRestart: { at: number; resetScope: string; cleared: RestartScope[] } | null = null;

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

  // ----- audit log

  /** "Update user" with Graph's "Included Updated Properties" entry naming every property the record changed. */
  private appendUpdateUser(u: TenantUser, actor: AuditActor, changes: AuditModifiedProperty[], correlationId: string | null): void {
    const named = changes.filter((m) => m.displayName !== 'Action Client Name');
    const mods = [
      ...named,
      { displayName: 'Included Updated Properties', oldValue: null, newValue: JSON.stringify(named.map((m) => m.displayName).join(', ')) },
      ...changes.filter((m) => m.displayName === 'Action Client Name'),
    ];
    this.appendAudit({
      activityDisplayName: 'Update user',
      category: 'UserManagement',
      operationType: 'Update',
      initiatedBy: actor,
      correlationId: correlationId ?? undefined,
      targets: [{ id: u.id, type: 'User', displayName: null, userPrincipalName: u.userPrincipalName, modifiedProperties: mods }],
      additionalDetails: [{ key: 'UserType', value: 'Member' }],
    });
  }

  /** Appends an audit record (time = clock now unless `at` is given, e.g. for seeded history). */
  appendAudit(input: {
    activityDisplayName: string;
    category: string;
    operationType: string;
    initiatedBy: AuditActor;
    targets: AuditTarget[];
    result?: 'success' | 'failure';
    resultReason?: string;
    correlationId?: string;
    loggedByService?: string;
    additionalDetails?: { key: string; value: string }[];
    at?: number;
  }): AuditRecord {
    const correlationId = input.correlationId ?? randomUUID();
    const seq = this.auditSeq++;
    const rec: AuditRecord = {
      seq,
      id: `Directory_${correlationId}_${randomBytes(3).toString('hex').toUpperCase()}_${seq}`,
      at: input.at ?? this.now(),
      activityDisplayName: input.activityDisplayName,
      category: input.category,
      operationType: input.operationType,
      result: input.result ?? 'success',
      resultReason: input.resultReason ?? '',
      loggedByService: input.loggedByService ?? 'Core Directory',
      correlationId,
      initiatedBy: input.initiatedBy,
      targets: input.targets,
      additionalDetails: input.additionalDetails ?? [],
    };
    insertSorted(this.audits, rec);
    for (const t of rec.targets) {
      let list = this.auditsByTarget.get(t.id);
      if (!list) this.auditsByTarget.set(t.id, (list = []));
      insertSorted(list, rec);
    }
    return rec;
  }

  get auditCount(): number {
    return this.audits.length;
  }

  /** Queries the audit log within retention, newest first by default, one page at a time. */
  queryAudits(q: AuditQuery): AuditPage {
    const order = q.order ?? 'desc';
    const retentionStart = this.now() - this.auditRetentionDays * 86_400_000;
    const from = Math.max(q.fromMs ?? -Infinity, retentionStart);
    const to = q.toMs ?? Infinity;
    const source = q.targetId !== undefined ? (this.auditsByTarget.get(q.targetId) ?? []) : this.audits;
    const out: AuditRecord[] = [];
    const matches = (r: AuditRecord): boolean => {
      if (q.activityDisplayName !== undefined && r.activityDisplayName !== q.activityDisplayName) return false;
      if (q.category !== undefined && r.category !== q.category) return false;
      if (q.result !== undefined && r.result !== q.result) return false;
      if (q.correlationId !== undefined && r.correlationId !== q.correlationId) return false;
      if (q.loggedByService !== undefined && r.loggedByService !== q.loggedByService) return false;
      if (q.targetUserPrincipalName !== undefined) {
        const want = q.targetUserPrincipalName.toLowerCase();
        if (!r.targets.some((t) => t.userPrincipalName?.toLowerCase() === want)) return false;
      }
      const i = r.initiatedBy;
      if (q.initiatorUserId !== undefined && !(i.kind === 'user' && i.id === q.initiatorUserId)) return false;
      if (
        q.initiatorUserPrincipalName !== undefined &&
        !(i.kind === 'user' && i.userPrincipalName.toLowerCase() === q.initiatorUserPrincipalName.toLowerCase())
      )
        return false;
      if (q.initiatorAppId !== undefined && !(i.kind === 'app' && i.appId === q.initiatorAppId)) return false;
      if (q.initiatorAppDisplayName !== undefined && !(i.kind === 'app' && i.displayName === q.initiatorAppDisplayName))
        return false;
      return true;
    };
    if (order === 'desc') {
      // First index strictly before `after` (or the end), walking down to `from`.
      let i = q.after ? lowerBound(source, q.after) - 1 : upperBoundAt(source, to) - 1;
      for (; i >= 0 && out.length < q.top; i--) {
        const r = source[i]!;
        if (r.at < from) break;
        if (r.at > to) continue;
        if (matches(r)) out.push(r);
      }
      const more = i >= 0 && source[i]!.at >= from;
      const last = out[out.length - 1];
      return { records: out, next: more && last ? { at: last.at, seq: last.seq } : null };
    }
    let i = q.after ? upperBound(source, q.after) : lowerBoundAt(source, from);
    for (; i < source.length && out.length < q.top; i++) {
      const r = source[i]!;
      if (r.at > to) break;
      if (r.at < from) continue;
      if (matches(r)) out.push(r);
    }
    const more = i < source.length && source[i]!.at <= to;
    const last = out[out.length - 1];
    return { records: out, next: more && last ? { at: last.at, seq: last.seq } : null };
  }

  // ----- apps and sign-in accounts

  /** Registers an app; returns the client secret once in clear (the store keeps only its hash). */
  registerApp(input: {
    displayName: string;
    appId?: string;
    appRoles?: string[];
    delegatedScopes?: string[];
    redirectUris?: string[];
    publicClient?: boolean;
    withSecret?: boolean;
    certificates?: { pem: string; x5t: string; x5tS256: string }[];
  }): { app: SandboxApp; clientSecret: string | null } {
    const clientSecret = input.withSecret === false ? null : `sbx~${randomBytes(24).toString('base64url')}`;
    const app: SandboxApp = {
      appId: input.appId ?? randomUUID(),
      displayName: input.displayName,
      servicePrincipalId: randomUUID(),
      secretHashes: clientSecret ? [hashSecret(clientSecret)] : [],
      certificates: input.certificates ?? [],
      appRoles: input.appRoles ?? [],
      delegatedScopes: input.delegatedScopes ?? [],
      redirectUris: input.redirectUris ?? [],
      publicClient: input.publicClient ?? false,
    };
    this.apps.set(app.appId, app);
    return { app, clientSecret };
  }

  /**
   * Replaces an app's credentials (a restarted sandbox hands out fresh ones: the store keeps only
   * hashes, so old secrets cannot be given back). Returns the new secret in clear, once.
   */
  resetAppCredentials(
    appId: string,
    opts: { withSecret: boolean; certificates: { pem: string; x5t: string; x5tS256: string }[] },
  ): string | null {
    const app = this.apps.get(appId);
    if (!app) throw new SyncDriftError('not-found', 'SANDBOX_APP_NOT_FOUND', `No sandbox app with id ${appId}.`);
    const clientSecret = opts.withSecret ? `sbx~${randomBytes(24).toString('base64url')}` : null;
    app.secretHashes = clientSecret ? [hashSecret(clientSecret)] : [];
    app.certificates = opts.certificates;
    return clientSecret;
  }

  getApp(appId: string): SandboxApp | undefined {
    return this.apps.get(appId);
  }

  listApps(): SandboxApp[] {
    return [...this.apps.values()];
  }

  verifyClientSecret(appId: string, secret: string): boolean {
    const app = this.apps.get(appId);
    if (!app) return false;
    const h = hashSecret(secret);
    return app.secretHashes.some((s) => safeEqualHex(s, h));
  }

  /** Makes a user able to sign in with a password and the given directory roles. */
  addSignInAccount(userId: string, password: string, roles: string[]): SignInAccount {
    if (!this.getUser(userId))
      throw new SyncDriftError('not-found', 'SANDBOX_USER_NOT_FOUND', `No sandbox user with id ${userId}.`);
    const salt = randomBytes(12).toString('hex');
    const acct: SignInAccount = { userId, passwordSalt: salt, passwordHash: hashPassword(salt, password), roles: [...roles] };
    this.accounts.set(userId, acct);
    return acct;
  }

  getSignInAccount(userId: string): SignInAccount | undefined {
    return this.accounts.get(userId);
  }

  /** Checks a sign-in by UPN and password; returns the account or null. */
  verifyPassword(upn: string, password: string): { user: TenantUser; account: SignInAccount } | null {
    const user = this.findByUpn(upn);
    if (!user) return null;
    const account = this.accounts.get(user.id);
    if (!account) return null;
    return safeEqualHex(account.passwordHash, hashPassword(account.passwordSalt, password)) ? { user, account } : null;
  }

  // ----- persistence

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
      seq: this.seq,
      nextOrdinal: this.nextOrdinal,
      auditSeq: this.auditSeq,
      users: this.users.map((u) => ({
        ...u,
        businessPhones: [...u.businessPhones],
        alternateMobilePhones: [...u.alternateMobilePhones],
      })),
      audits: this.audits.map((r) => ({ ...r })),
      apps: this.listApps().map((a) => ({ ...a })),
      accounts: [...this.accounts.values()].map((a) => ({ ...a })),
    };
  }

  /** Rebuilds a store from `serialize()` output, validating it (it is read from a file). */
  static restore(data: unknown, opts: { clock?: Clock } = {}): TenantStore {
    const parsed = TenantSnapshotSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidationError(
        issue ? issue.path.join('.') : 'snapshot',
        `not a valid sandbox tenant snapshot: ${issue?.message ?? 'unknown problem'}`,
      );
    }
    const s = parsed.data;
    const store = new TenantStore({
      tenantId: s.tenantId,
      clock: opts.clock,
      organization: s.organization,
      auditRetentionDays: s.auditRetentionDays,
      auditMobilePropertyName: s.auditMobilePropertyName,
    });
    Object.assign(store.features, s.features);
    for (const u of s.users) {
      const user: TenantUser = {
        ...u,
        businessPhones: arr(u.businessPhones),
        alternateMobilePhones: arr(u.alternateMobilePhones),
      };
      store.users.push(user);
      store.byId.set(user.id, user);
      if (user.deletedAt === null) {
        store.byUpn.set(user.userPrincipalName.toLowerCase(), user);
        if (user.onPremisesImmutableId) store.byAnchor.set(user.onPremisesImmutableId, user);
        store.liveCount++;
      }
    }
    store.users.sort((a, b) => a.ordinal - b.ordinal);
    for (const r of s.audits) {
      const rec: AuditRecord = r;
      insertSorted(store.audits, rec);
      for (const t of rec.targets) {
        let list = store.auditsByTarget.get(t.id);
        if (!list) store.auditsByTarget.set(t.id, (list = []));
        insertSorted(list, rec);
      }
    }
    for (const a of s.apps) store.apps.set(a.appId, a);
    for (const a of s.accounts) store.accounts.set(a.userId, a);
    store.seq = s.seq;
    store.nextOrdinal = s.nextOrdinal;
    store.auditSeq = s.auditSeq;
    return store;
  }
}

// ---------------------------------------------------------------------------------------------
// Sorted audit arrays (by at, then seq)

function cmp(a: { at: number; seq: number }, b: { at: number; seq: number }): number {
  return a.at - b.at || a.seq - b.seq;
}
function insertSorted(list: AuditRecord[], rec: AuditRecord): void {
  const last = list[list.length - 1];
  if (!last || cmp(last, rec) <= 0) {
    list.push(rec);
    return;
  }
  list.splice(upperBound(list, rec), 0, rec);
}
/** First index with key >= k. */
function lowerBound(list: AuditRecord[], k: { at: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (cmp(list[m]!, k) < 0) lo = m + 1;
    else hi = m;
  }
  return lo;
}
/** First index with key > k. */
function upperBound(list: AuditRecord[], k: { at: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (cmp(list[m]!, k) <= 0) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function lowerBoundAt(list: AuditRecord[], at: number): number {
  return lowerBound(list, { at, seq: -Infinity });
}
function upperBoundAt(list: AuditRecord[], at: number): number {
  return upperBound(list, { at, seq: Infinity });
}

// ---------------------------------------------------------------------------------------------
// Graph renderings shared by the server and by tests

/** Renders an audit record in Graph's directoryAudit shape. */
export function toGraphAudit(r: AuditRecord): Record<string, unknown> {
  const i = r.initiatedBy;
  return {
    id: r.id,
    category: r.category,
    correlationId: r.correlationId,
    result: r.result,
    resultReason: r.resultReason,
    activityDisplayName: r.activityDisplayName,
    activityDateTime: new Date(r.at).toISOString(),
    loggedByService: r.loggedByService,
    operationType: r.operationType,
    userAgent: null,
    initiatedBy:
      i.kind === 'user'
        ? {
            app: null,
            user: {
              id: i.id,
              displayName: i.displayName ?? null,
              userPrincipalName: i.userPrincipalName,
              ipAddress: i.ipAddress ?? '',
              userType: null,
              homeTenantId: null,
              homeTenantName: null,
            },
          }
        : {
            app: {
              appId: i.appId,
              displayName: i.displayName,
              servicePrincipalId: i.servicePrincipalId ?? null,
              servicePrincipalName: null,
            },
            user: null,
          },
    targetResources: r.targets.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      type: t.type,
      userPrincipalName: t.userPrincipalName,
      groupType: null,
      modifiedProperties: t.modifiedProperties.map((m) => ({
        displayName: m.displayName,
        oldValue: m.oldValue,
        newValue: m.newValue,
      })),
    })),
    additionalDetails: r.additionalDetails.map((d) => ({ key: d.key, value: d.value })),
  };
}

// ---------------------------------------------------------------------------------------------
// Snapshot schema (restore validates files)

const ActorSchema = z.union([
  z.object({
    kind: z.literal('user'),
    id: z.string(),
    userPrincipalName: z.string(),
    displayName: z.string().nullable().optional(),
    ipAddress: z.string().nullable().optional(),
  }),
  z.object({
    kind: z.literal('app'),
    appId: z.string(),
    displayName: z.string(),
    servicePrincipalId: z.string().nullable().optional(),
  }),
]);

const UserSchema = z.object({
  ordinal: z.number().int().positive(),
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  displayName: z.string().nullable(),
  // Snapshots written before mail was modelled have none: not mail-enabled.
  mail: z.string().nullable().default(null),
  mobilePhone: z.string().nullable(),
  businessPhones: z.array(z.string()),
  alternateMobilePhones: z.array(z.string()),
  usageLocation: z.string().nullable(),
  accountEnabled: z.boolean(),
  createdAt: z.number(),
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesImmutableId: z.string().nullable(),
  onPremisesSecurityIdentifier: z.string().nullable(),
  onPremisesLastSyncAt: z.number().nullable(),
  onPremisesDistinguishedName: z.string().nullable(),
  onPremisesDomainName: z.string().nullable(),
  onPremisesSamAccountName: z.string().nullable(),
  onPremisesUserPrincipalName: z.string().nullable(),
  cloudManaged: z.boolean(),
  dirSyncOverride: z.boolean(),
  changeSeq: z.number().int(),
  deletedAt: z.number().nullable(),
});

const AuditSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  at: z.number(),
  activityDisplayName: z.string(),
  category: z.string(),
  operationType: z.string(),
  result: z.enum(['success', 'failure']),
  resultReason: z.string(),
  loggedByService: z.string(),
  correlationId: z.string(),
  initiatedBy: ActorSchema,
  targets: z.array(
    z.object({
      id: z.string(),
      type: z.enum(['User', 'Directory', 'Application']),
      displayName: z.string().nullable(),
      userPrincipalName: z.string().nullable(),
      modifiedProperties: z.array(
        z.object({ displayName: z.string(), oldValue: z.string().nullable(), newValue: z.string().nullable() }),
      ),
    }),
  ),
  additionalDetails: z.array(z.object({ key: z.string(), value: z.string() })),
});

const TenantSnapshotSchema = z.object({
  format: z.literal('syncdrift-sandbox-tenant'),
  version: z.literal(1),
  tenantId: z.string(),
  organization: z.object({
    displayName: z.string(),
    initialDomain: z.string(),
    verifiedDomains: z.array(z.string()),
    countryLetterCode: z.string(),
    createdAt: z.number(),
    onPremisesSyncEnabled: z.boolean().nullable(),
    onPremisesLastSyncAt: z.number().nullable(),
  }),
  features: z.record(z.enum(SYNC_FEATURE_NAMES), z.boolean()),
  auditRetentionDays: z.number().positive(),
  auditMobilePropertyName: z.string(),
  seq: z.number().int(),
  nextOrdinal: z.number().int(),
  auditSeq: z.number().int(),
  users: z.array(UserSchema),
  audits: z.array(AuditSchema),
  apps: z.array(
    z.object({
      appId: z.string(),
      displayName: z.string(),
      servicePrincipalId: z.string(),
      secretHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
      certificates: z.array(z.object({ pem: z.string(), x5t: z.string(), x5tS256: z.string() })),
      appRoles: z.array(z.string()),
      delegatedScopes: z.array(z.string()),
      redirectUris: z.array(z.string()),
      publicClient: z.boolean(),
    }),
  ),
  accounts: z.array(
    z.object({ userId: z.string(), passwordSalt: z.string(), passwordHash: z.string(), roles: z.array(z.string()) }),
  ),
});

export type TenantSnapshot = z.input<typeof TenantSnapshotSchema>;
