/**
 * The sync engine's view of one user's phone attributes (issue 18): what Entra Connect (connector space
 * of the Entra ID connector, after the sync rules) or Cloud Sync (the job's mapping, provisioning logs)
 * exported to Entra ID, and why. The third side a verdict compares, beside raw AD and Graph.
 *
 * Pure zod schemas in core so every floor can share them: main/syncengine parses the Connect exports
 * and the Cloud Sync answers into these; main/drift joins them to rows; the renderer shows them.
 */
import { z } from 'zod';
// Its own ISO schema (the same as model.ts's): model.ts imports this file for DriftRow.engine.
const isoDateTime = z.string().datetime({ offset: true });

export const SyncEngineKind = z.enum(['connect', 'cloud-sync']);
export type SyncEngineKind = z.infer<typeof SyncEngineKind>;

/** Where an engine fact came from, so the details drawer and the evidence package can cite it. */
export const EngineEvidenceSource = z.enum([
  'Export-ADSyncToolsObjects',
  'Get-ADSyncCSObject',
  'Get-ADSyncRunProfileResult',
  'Get-ADSyncRule',
  'synchronization-schema',
  'provisioning-log',
  'provision-on-demand',
  'sandbox',
]);
export type EngineEvidenceSource = z.infer<typeof EngineEvidenceSource>;

export const EngineEvidence = z.object({
  source: EngineEvidenceSource,
  /** File name of an import, or the Graph path read. */
  origin: z.string(),
  /** 1-based line or record number inside an import, where one applies. */
  line: z.number().int().positive().nullable(),
});
export type EngineEvidence = z.infer<typeof EngineEvidence>;

/** The rule (Connect) or attribute mapping (Cloud Sync) that produced the exported value. */
export const EngineRule = z.object({
  name: z.string(),
  /** Connect sync-rule precedence (lower wins); null for Cloud Sync mappings. */
  precedence: z.number().int().nullable(),
  /** The transformation: Connect expression or Cloud Sync mapping expression; 'direct' for a plain flow. */
  expression: z.string(),
  /** Source attribute(s) the rule reads, e.g. ['mobile']. */
  sources: z.array(z.string()),
  /** Connector (forest) the contributing object came from, for multi-forest precedence. */
  connector: z.string().nullable(),
});
export type EngineRule = z.infer<typeof EngineRule>;

/**
 * What the engine did with the object:
 * - exported: the engine has a value for mobile/otherMobile toward Entra ID (the export itself, not proof
 *   Entra accepted it);
 * - not-exported: no export for the attribute; `reason` says why (filter, scope, no rule, disconnector);
 * - error: the last run for this object failed (`reason` carries the run-history/provisioning error);
 * - pending: the engine holds a change it has not exported yet (pending export).
 */
export const EngineState = z.enum(['exported', 'not-exported', 'error', 'pending']);
export type EngineState = z.infer<typeof EngineState>;

export const EngineObject = z.object({
  engine: SyncEngineKind,
  /** onPremisesImmutableId / sourceAnchor (base64), the join key to a DriftRow; null when unknown. */
  sourceAnchor: z.string().nullable(),
  /** The AD object's DN as the engine saw it (secondary join key). */
  onPremDn: z.string().nullable(),
  /** Entra object id where the engine knows it (Cloud Sync, Connect's cloudAnchor). */
  cloudId: z.string().nullable(),
  state: EngineState,
  exported: z.object({ mobile: z.string().nullable(), otherMobile: z.array(z.string()) }).nullable(),
  exportedAt: isoDateTime.nullable(),
  rule: EngineRule.nullable(),
  reason: z.string().nullable(),
  evidence: z.array(EngineEvidence),
});
export type EngineObject = z.infer<typeof EngineObject>;

/**
 * EngineObject refusing unknown keys at every level, for files a person may have edited (a workspace
 * export): a misspelt key is named instead of silently dropped.
 */
export const EngineObjectStrict = z.strictObject({
  ...EngineObject.shape,
  exported: z.strictObject(EngineObject.shape.exported.unwrap().shape).nullable(),
  rule: EngineRule.strict().nullable(),
  evidence: z.array(EngineEvidence.strict()),
});

/**
 * Tenant-wide facts of the engine's configuration (not per user): whether AD otherMobile flows at
 * all. Cloud Sync's job schema may have no mapping toward otherMobile; then AD otherMobile never
 * reaches AlternateMobilePhones and the bypass pushes none of it (#17 point 11).
 */
export const EngineFlows = z.object({
  engine: SyncEngineKind,
  otherMobile: z.object({
    mapped: z.boolean(),
    /** The mapping's expression ('direct' for a plain copy); null when unmapped. */
    expression: z.string().nullable(),
    /** Where this was read (the schema's Graph path). */
    origin: z.string(),
  }),
});
export type EngineFlows = z.infer<typeof EngineFlows>;

/** What a DriftRow carries of the engine's view (the join keys are the row's own). */
export const EngineSummary = EngineObject.pick({ engine: true, state: true, exported: true, exportedAt: true, rule: true, reason: true, evidence: true });
export type EngineSummary = z.infer<typeof EngineSummary>;
