/**
 * Domain model shared by every service and (through preload/contract.ts) by the renderer.
 * Pure: zod schemas only, no Node or browser APIs, so both sides can import it.
 * One source of truth: the TypeScript types are inferred from these schemas, never re-declared.
 */
import { z } from 'zod';
import { EngineSummary } from './engine-view';

export const isoDateTime = z.string().datetime({ offset: true });

/** Where a per-attribute change time came from; `whenChanged` is the honest fallback. */
export const ChangeSource = z.enum(['msDS-ReplAttributeMetaData', 'replPropertyMetaData', 'whenChanged', 'sandbox', 'import']);
export type ChangeSource = z.infer<typeof ChangeSource>;

export const AttributeChange = z.object({
  changedAt: isoDateTime.nullable(),
  version: z.number().int().nonnegative().nullable(),
  source: ChangeSource,
  /** invocationId of the DC that originated the change, when the metadata says. */
  originatingDc: z.string().nullable().optional(),
});
export type AttributeChange = z.infer<typeof AttributeChange>;

/** An AD user as the OnPremDirectory port returns it (LDAP, sandbox or offline import). */
export const OnPremUser = z.object({
  sourceId: z.string(),
  dn: z.string(),
  /** objectGUID in its textual (mixed-endian, .NET) form. */
  objectGuid: z.string(),
  /** Base64 of the raw mS-DS-ConsistencyGuid bytes, as LDAP returned them; null when empty. */
  consistencyGuid: z.string().nullable(),
  /** Base64 of the bytes that Entra Connect uses as onPremisesImmutableId. */
  sourceAnchor: z.string(),
  objectSid: z.string().nullable(),
  upn: z.string().nullable(),
  samAccountName: z.string().nullable(),
  displayName: z.string().nullable(),
  mobile: z.string().nullable(),
  otherMobile: z.array(z.string()),
  telephoneNumber: z.string().nullable(),
  country: z.string().nullable(),
  whenChanged: isoDateTime.nullable(),
  usnChanged: z.number().int().nullable(),
  isDeleted: z.boolean().default(false),
  /** Per-attribute change metadata (at least `mobile`). */
  changes: z.record(z.string(), AttributeChange),
  /** False when Entra Connect's default user scope leaves this object out; scopeReason says why. */
  inScope: z.boolean(),
  scopeReason: z.string().nullable(),
});
export type OnPremUser = z.infer<typeof OnPremUser>;

/** A Graph user with exactly the properties the product reads ($select). */
export const CloudUser = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string().nullable(),
  mobilePhone: z.string().nullable(),
  businessPhones: z.array(z.string()),
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesImmutableId: z.string().nullable(),
  onPremisesSecurityIdentifier: z.string().nullable(),
  onPremisesLastSyncDateTime: isoDateTime.nullable(),
  onPremisesDistinguishedName: z.string().nullable(),
  onPremisesDomainName: z.string().nullable(),
  onPremisesSamAccountName: z.string().nullable(),
  onPremisesUserPrincipalName: z.string().nullable(),
  /** True where Graph accepts a per-user write: no longer synced, or object SOA switched to the cloud. */
  cloudManaged: z.boolean().default(false),
  /**
   * The object's source of authority was switched to the cloud (onPremisesSyncBehavior.isCloudManaged):
   * Graph shows such users with onPremisesSyncEnabled null and their anchor kept; a per-user read of
   * onPremisesSyncBehavior confirms it for users that still look synced.
   */
  soaSwitched: z.boolean().optional(),
});
export type CloudUser = z.infer<typeof CloudUser>;

export const DriftStatus = z.enum([
  'unmatched-onprem',
  'unmatched-cloud',
  'in-sync',
  'pending-sync',
  'format-only',
  'cloud-missing',
  'onprem-missing',
  'cloud-override',
  /** The sync engine's rule reformats AD's value and Entra ID holds exactly what it exported (issue 18). */
  'rule-formatted',
]);
export type DriftStatus = z.infer<typeof DriftStatus>;

/** Statuses that need an admin's attention (everything except in-sync). */
export const ATTENTION_STATUSES: readonly DriftStatus[] = DriftStatus.options.filter((s) => s !== 'in-sync' && s !== 'rule-formatted');

export const MatchKind = z.enum(['anchor', 'sid', 'upn-soft']);
export type MatchKind = z.infer<typeof MatchKind>;

/** Audit-derived knowledge of the last cloud change, honest about what is not known. */
export const CloudChangeState = z.enum(['known', 'loading', 'outside-retention', 'none-found', 'unavailable']);

/**
 * AD `otherMobile` beside the row's `mobile` (#17 point 11; docs/drift.md, "otherMobile"). The bypass
 * persists Mobile and OtherMobile, but Microsoft Graph (v1.0 and beta) has no AlternateMobilePhones
 * property, so the cloud side is never read: `cloud` is always 'not-readable', never a guess.
 */
export const OtherMobileView = z.object({
  /** AD otherMobile as LDAP returned it (multi-valued). */
  onPrem: z.array(z.string()),
  /** Each value normalized like mobile (E.164; its digits where not a possible number), same order. */
  normalized: z.array(z.string()),
  /** When AD's otherMobile last changed (replication metadata); null where unknown. */
  changedAt: isoDateTime.nullable(),
  cloud: z.literal('not-readable'),
  /** What a bypass plus a full cycle does with it: push AD's values, possibly clear cloud ones, or nothing (AD does not flow). */
  verdict: z.enum(['bypass-pushes', 'bypass-may-clear', 'not-flowing']),
  /** The explanation for the details pane, evidence and plans; never contains a phone number. */
  note: z.string(),
});
export type OtherMobileView = z.infer<typeof OtherMobileView>;

export const DriftRow = z.object({
  key: z.string(),
  attribute: z.literal('mobile'),
  status: DriftStatus,
  upn: z.string(),
  match: MatchKind.nullable(),
  onPrem: z
    .object({
      sourceId: z.string(),
      dn: z.string(),
      upn: z.string().nullable(),
      samAccountName: z.string().nullable(),
      displayName: z.string().nullable(),
      value: z.string().nullable(),
      otherMobile: z.array(z.string()),
      changedAt: isoDateTime.nullable(),
      changeVersion: z.number().int().nullable(),
      changeSource: ChangeSource,
      sourceAnchor: z.string(),
      objectGuid: z.string(),
      objectSid: z.string().nullable(),
      country: z.string().nullable(),
    })
    .nullable(),
  cloud: z
    .object({
      id: z.string(),
      upn: z.string(),
      displayName: z.string().nullable(),
      value: z.string().nullable(),
      lastSyncAt: isoDateTime.nullable(),
      changedAt: isoDateTime.nullable(),
      changedBy: z.string().nullable(),
      /** True when that last known change was a sync write (Connect or Cloud Sync), not a person's edit. */
      changedBySync: z.boolean().optional(),
      changeState: CloudChangeState,
      /** outside-retention: the audit log holds no mobile change since this time (its retention start); null = unknown. */
      auditCoveredFrom: isoDateTime.nullable().optional(),
      managed: z.boolean(),
      /** Who masters the user: 'ad' (synced), 'cloud' (source of authority switched), 'unsynced' (onPremisesSyncEnabled false). */
      authority: z.enum(['ad', 'cloud', 'unsynced']).optional(),
      immutableId: z.string().nullable(),
    })
    .nullable(),
  normalized: z.object({ onPrem: z.string().nullable(), cloud: z.string().nullable() }),
  /** Normalization trouble, e.g. 'onprem-unparseable'. */
  flags: z.array(z.string()),
  cause: z.string(),
  /** AD otherMobile and what can be said about it (rows with an AD side; absent in reports from before #17 point 11). */
  otherMobile: OtherMobileView.optional(),
  /** The sync engine's view (Connect connector space or Cloud Sync) when engine data was joined; absent or null otherwise. */
  engine: EngineSummary.nullable().optional(),
});
export type DriftRow = z.infer<typeof DriftRow>;

export const ScanSummary = z.object({
  onPremUsers: z.number().int(),
  cloudUsers: z.number().int(),
  outOfScope: z.number().int(),
  byStatus: z.record(DriftStatus, z.number().int()),
  /**
   * Cloud users the cloud read shows as synced (onPremisesSyncEnabled true, what Graph's $count
   * counts), and how many of them the scan joined to a scanned AD object (#17 point 4): the rest are in the bypass's reach but were not scanned (other
   * OUs, other forests, objects the scan could not read). Absent in reports from before.
   */
  synced: z.object({ inCloudRead: z.number().int().nonnegative(), joined: z.number().int().nonnegative() }).optional(),
  phases: z.record(z.string(), z.number()),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

/** The report the CLI prints with --format json; its shape is a public contract. */
export const DriftReport = z.object({
  generatedAt: isoDateTime,
  profile: z.string(),
  summary: ScanSummary,
  rows: z.array(DriftRow),
});
export type DriftReport = z.infer<typeof DriftReport>;

export const DecisionAction = z.enum(['keep-onprem', 'keep-cloud', 'support-case', 'skip']);
export type DecisionAction = z.infer<typeof DecisionAction>;

export const Decision = z.object({
  rowKey: z.string(),
  action: DecisionAction,
  reason: z.string().optional(),
});
export type Decision = z.infer<typeof Decision>;
