/**
 * The sandbox tenant's snapshot format (`serialize()` output, saved in the workspace) and its
 * validation: a snapshot is read from a file, so `restore` parses it first.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { SYNC_FEATURE_NAMES } from './tenant-model';

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

/** Parses a snapshot read from a file; the error names the first field that is wrong. */
export function parseTenantSnapshot(data: unknown): z.output<typeof TenantSnapshotSchema> {
  const parsed = TenantSnapshotSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      issue ? issue.path.join('.') : 'snapshot',
      `not a valid sandbox tenant snapshot: ${issue?.message ?? 'unknown problem'}`,
    );
  }
  return parsed.data;
}
