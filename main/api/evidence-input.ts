/**
 * Builds an evidence package's input from a scan kept in the workspace: the report as stored, the
 * raw snapshots, the raw audit records that touched each affected user, and the tenant facts read at
 * scan time. Shared by the UI's guided flow and `syncdrift evidence --workspace`.
 */
import { z } from 'zod';
import { SyncDriftError } from '../core/errors';
import type { DriftReport } from '../core/model';
import { EVIDENCE_CLOUDS, type EvidenceInputData } from '../evidence/input';
import type { Workspace } from '../workspace';
import { APP_VERSION } from '../core/version';

const ScanMeta = z
  .object({
    tenantId: z.string().nullable().default(null),
    tenantDisplayName: z.string().nullable().default(null),
    tenantLastSyncAt: z.string().nullable().default(null),
    tenantSyncEnabled: z.boolean().nullable().default(null),
    cloud: z.enum(EVIDENCE_CLOUDS).nullable().default(null),
    syncFeatures: z
      .discriminatedUnion('state', [
        z.object({ state: z.literal('known'), bypassDirSyncOverridesEnabled: z.boolean(), features: z.record(z.string(), z.boolean()).default({}) }),
        z.object({ state: z.literal('unknown'), reason: z.string() }),
      ])
      .default({ state: 'unknown', reason: 'The scan did not record the tenant’s sync features.' }),
    sources: z.array(z.object({ searchBases: z.array(z.string()).default([]) }).passthrough()).default([]),
  })
  .passthrough();

export function evidenceInputFromWorkspace(
  workspace: Workspace,
  scanId: string,
  opts: { operator: string; session?: EvidenceInputData['session']; rowKeys?: readonly string[] },
): EvidenceInputData {
  const scan = workspace.scans.get(scanId);
  if (!scan) throw new SyncDriftError('not-found', 'SCAN_NOT_FOUND', `There is no scan ${scanId} in this workspace.`);
  if (!scan.summary || !scan.finishedAt) throw new SyncDriftError('validation', 'SCAN_UNFINISHED', `Scan ${scanId} did not finish (${scan.status}); evidence needs a finished scan.`);
  const meta = ScanMeta.parse(scan.meta);
  const rows = workspace.rows.all(scanId);
  const report: DriftReport = { generatedAt: scan.finishedAt, profile: scan.profileName, summary: scan.summary, rows };
  const wanted = opts.rowKeys ? new Set(opts.rowKeys) : null;
  const auditRecords = new Map<string, unknown>();
  if (meta.tenantId) {
    for (const r of rows) {
      if (!r.cloud || (wanted && !wanted.has(r.key)) || (!wanted && r.status === 'in-sync')) continue;
      for (const rec of workspace.audit.recordsForUser(meta.tenantId, r.cloud.id)) auditRecords.set((rec as { id: string }).id, rec);
    }
  }
  return {
    report,
    onPremUsers: workspace.scans.onPremSnapshot(scanId),
    cloudUsers: workspace.scans.cloudSnapshot(scanId),
    auditRecords: [...auditRecords.values()] as EvidenceInputData['auditRecords'],
    tenant: {
      tenantId: meta.tenantId,
      cloud: meta.cloud,
      displayName: meta.tenantDisplayName,
      onPremisesSyncEnabled: meta.tenantSyncEnabled,
      onPremisesLastSyncDateTime: meta.tenantLastSyncAt,
      syncFeatures: meta.syncFeatures,
    },
    profile: scan.profileName,
    operator: opts.operator,
    scope: { searchBases: meta.sources.flatMap((s) => s.searchBases), note: null },
    toolVersion: APP_VERSION,
    session: opts.session ?? null,
  };
}
