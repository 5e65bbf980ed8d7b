/**
 * The sandbox tenant's data shapes: users, audit records, apps and sign-in accounts, the sync
 * features and the results of cloud and sync writes, with the small helpers every part of the store
 * shares. The store that holds them is tenant.ts.
 */
import type { Clock } from '../core/ports';

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

export function arr(values: readonly string[] | undefined | null): readonly string[] {
  return values && values.length > 0 ? Object.freeze([...values]) : EMPTY;
}

export function sameArr(a: readonly string[], b: readonly string[]): boolean {
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

export function defaultFeatures(): SyncFeatures {
  const f = {} as SyncFeatures;
  for (const n of SYNC_FEATURE_NAMES) f[n] = false;
  f.passwordSyncEnabled = true;
  f.softMatchOnUpnEnabled = true;
  f.synchronizeUpnForManagedUsersEnabled = true;
  f.quarantineUponProxyAddressesConflictEnabled = true;
  f.quarantineUponUpnConflictEnabled = true;
  return f;
}

