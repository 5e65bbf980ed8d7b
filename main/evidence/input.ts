/**
 * What an evidence package is built from. The lead (main/api) feeds it from the workspace; the CLI
 * from a report file (rows only) or an evidence-input file (everything). Validated here, because a
 * package that says "verified" must not rest on half-parsed input.
 */
import { z } from 'zod';
import { CloudUser, DriftReport, OnPremUser, isoDateTime } from '../core/model';
import { formatIssues, ValidationError } from '../core/errors';
import { DirectoryAuditRecord } from '../drift/audit';

export const EVIDENCE_CLOUDS = ['global', 'usgov', 'usgovdod', 'china', 'custom'] as const;

/** The bypass feature as the tenant showed it, or why it could not be read (delegated-only resource). */
export const SyncFeaturesFact = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('known'),
    bypassDirSyncOverridesEnabled: z.boolean(),
    /** Every boolean feature of onPremisesSynchronization.features, as read. */
    features: z.record(z.string(), z.boolean()).default({}),
  }),
  z.object({ state: z.literal('unknown'), reason: z.string().min(1) }),
]);
export type SyncFeaturesFact = z.infer<typeof SyncFeaturesFact>;

export const TenantFacts = z.object({
  /** null when the package is built from a report file that does not say. */
  tenantId: z.string().min(1).nullable(),
  cloud: z.enum(EVIDENCE_CLOUDS).nullable(),
  /** /organization displayName. */
  displayName: z.string().nullable().default(null),
  /** /organization onPremisesSyncEnabled. */
  onPremisesSyncEnabled: z.boolean().nullable().default(null),
  /** /organization onPremisesLastSyncDateTime. */
  onPremisesLastSyncDateTime: isoDateTime.nullable().default(null),
  syncFeatures: SyncFeaturesFact,
  /** Which engine syncs the tenant, when known (Connect sync vs Cloud Sync: different remedies). */
  syncEngine: z.enum(['connect-sync', 'cloud-sync', 'unknown']).default('unknown'),
});
export type TenantFacts = z.infer<typeof TenantFacts>;

export const EvidenceScope = z.object({
  /** Search bases actually scanned. */
  searchBases: z.array(z.string()).default([]),
  /** Free text, e.g. "Connect filters OU=Lab out; this scan did not". */
  note: z.string().nullable().default(null),
});
export type EvidenceScope = z.infer<typeof EvidenceScope>;

/** A JSON object or array: plan, journal and verification come from main/remediation, kept opaque here. */
const OpaqueJson = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

export const RemediationSessionEvidence = z.object({
  plan: OpaqueJson,
  journal: OpaqueJson,
  verification: OpaqueJson,
});
export type RemediationSessionEvidence = z.infer<typeof RemediationSessionEvidence>;

/** A raw Graph directoryAudit record: checked against the parser's schema, kept verbatim. */
const RawAudit = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  const r = DirectoryAuditRecord.safeParse(v);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
});

export const EvidenceInput = z.object({
  report: DriftReport,
  /** Raw snapshots of the scan; null = built from report rows only (the summary says so). */
  onPremUsers: z.array(OnPremUser).nullable().default(null),
  cloudUsers: z.array(CloudUser).nullable().default(null),
  /** directoryAudit records as Graph returned them (any activity; those touching a user are kept per user). */
  auditRecords: z.array(RawAudit).default([]),
  tenant: TenantFacts,
  profile: z.string().min(1),
  operator: z.string().min(1),
  scope: EvidenceScope.default({ searchBases: [], note: null }),
  toolVersion: z.string().min(1),
  session: RemediationSessionEvidence.nullable().default(null),
});
export type EvidenceInput = z.infer<typeof EvidenceInput>;
export type EvidenceInputData = z.input<typeof EvidenceInput>;

/** Parses an evidence input; the error names the offending field (prefixed with `source` when given). */
export function parseEvidenceInput(raw: unknown, source = 'evidence input'): EvidenceInput {
  const r = EvidenceInput.safeParse(raw);
  if (!r.success) throw new ValidationError(source, formatIssues(r.error.issues), { code: 'EVIDENCE_INPUT_INVALID' });
  return r.data;
}
