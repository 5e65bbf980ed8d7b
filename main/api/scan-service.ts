/**
 * Scans as the workbench runs them: both sides concurrently through their ports (the sandbox or a
 * live profile), progress as `op.progress`, cancellation by operation id, the result kept in the
 * workspace (snapshots raw enough to rebuild evidence offline), then the audit index filled in the
 * background within Graph's reporting limit, with its own progress.
 */
import type { CloudClient } from '../cloud';
import { readCloudSyncView } from '../cloud/cloud-sync-view';
import type { DriftReport, DriftRow } from '../core/model';
import type { EngineFlows, EngineObject } from '../core/engine-view';
import type { ProgressSink } from '../core/progress';
import { CancelledError, SyncDriftError, callerMessage, isSyncDriftError } from '../core/errors';
import type { Clock, Logger } from '../core/ports';
import { parseDirectoryAudits } from '../drift/audit';
import { refreshCauseAudit } from '../drift/cause';
import { runScan, type ScanOutcome } from '../drift/pipeline';
import { buildReport, computeDrift } from '../drift/engine';
import type { AuditLookup } from '../drift/timeline';
import type { OnPremDirectory } from '../onprem/port';
import type { ScanRecord, Workspace } from '../workspace';
import type { ScanInfo } from '../../preload/contract';
import type { EventSink } from './router';
import type { Operations } from './operations';

/** Per-user reads of onPremisesSyncBehavior a scan may spend (the rows that need attention, not the tenant). */
const MAX_BEHAVIOR_READS = 2000;

export interface ScanTarget {
  profileId: string;
  profileName: string;
  kind: 'demo' | 'live';
  defaultRegion: string | null;
  directories: OnPremDirectory[];
  client: CloudClient;
  tenantId: string;
  /** The cloud's name for evidence ('global', 'usgov', …; the sandbox is 'custom'). */
  cloud: 'global' | 'usgov' | 'usgovdod' | 'china' | 'custom';
  /** Whether the directories should be closed after the scan (live LDAP connections). */
  closeDirectories: boolean;
  /** The tenant syncs with Cloud Sync: the scan joins its mapping and provisioning logs (docs/cloud.md). */
  cloudSync?: { servicePrincipalId: string; logDays?: number | undefined };
  /** Entra Connect's view to join when the tenant has no Cloud Sync view (the demo: its simulator's exports). */
  engineObjects?: () => readonly EngineObject[];
}

export function toScanInfo(r: ScanRecord): ScanInfo {
  const problems = Array.isArray(r.meta.problems) ? r.meta.problems.map(String) : [];
  const state = r.status === 'done' ? 'completed' : r.status;
  return { id: r.id, profileId: r.profileId ?? '', startedAt: r.startedAt, finishedAt: r.finishedAt, state, summary: r.summary, problems };
}

/** Overlays what the audit index knows now on rows stored before it filled. */
export function withAudit(row: DriftRow, lookup: AuditLookup | null): DriftRow {
  if (!row.cloud || !lookup || row.cloud.changeState === 'known') return row;
  const info = lookup(row.cloud.id);
  if (info.state === row.cloud.changeState) return row;
  const cause = refreshCauseAudit(row.cause, row.status, { state: row.cloud.changeState }, info);
  if (info.state !== 'known') return { ...row, cause, cloud: { ...row.cloud, changeState: info.state, auditCoveredFrom: info.state === 'outside-retention' ? (info.since ?? null) : null } };
  return { ...row, cause, cloud: { ...row.cloud, changeState: 'known', changedAt: info.at ?? null, changedBy: info.actor ?? null, changedBySync: info.syncWrite === true } };
}

/**
 * Cloud Sync's view (mapping and provisioning logs) or the problem that kept it out: a refusal the
 * admin can act on (a missing permission) is a gap of the scan, not its end. Shared by the scan and
 * the CLI's demo (main/cli/demo-engine-view.ts).
 */
export async function cloudSyncViewOrProblem(
  client: Pick<CloudClient, 'cloudSync'>,
  o: { servicePrincipalId: string; logDays?: number | undefined; clock: Clock; signal?: AbortSignal | undefined },
): Promise<{ objects: EngineObject[] | null; flows?: EngineFlows; problem: string | null; stats?: { users: number; logEntries: number } }> {
  try {
    const v = await readCloudSyncView(client, { servicePrincipalId: o.servicePrincipalId, clock: o.clock, ...(o.signal ? { signal: o.signal } : {}), ...(o.logDays ? { logDays: o.logDays } : {}) });
    return { objects: v.objects, flows: v.flows, problem: null, stats: { users: v.stats.users, logEntries: v.stats.logEntries } };
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    if (isSyncDriftError(e) && e.kind !== 'internal') return { objects: null, problem: `Cloud Sync's view (mapping and provisioning logs): ${e.message}` };
    throw e;
  }
}

/**
 * The sync engine's view a read of this target joins: Cloud Sync's (read now) for a tenant that uses
 * it, else the Entra Connect objects the target carries. The scan and the preflight's rescan both
 * take it from here, so they classify alike; a refusal is a problem to report, not the read's end.
 */
export async function engineViewOf(
  target: Pick<ScanTarget, 'client' | 'cloudSync' | 'engineObjects'>,
  o: { clock: Clock; logger: Logger; signal?: AbortSignal | undefined },
): Promise<{ objects: readonly EngineObject[] | null; flows?: EngineFlows | undefined; problem: string | null }> {
  if (target.cloudSync) {
    const v = await cloudSyncViewOrProblem(target.client, { ...target.cloudSync, clock: o.clock, signal: o.signal });
    if (v.stats) o.logger.info('cloud sync view read', v.stats);
    if (v.objects) return { objects: v.objects, flows: v.flows, problem: null };
    return { objects: target.engineObjects?.() ?? null, problem: v.problem };
  }
  return { objects: target.engineObjects?.() ?? null, problem: null };
}

/**
 * Users whose object source of authority was switched to the cloud look synced in `/users`; only
 * `/beta/users/{id}/onPremisesSyncBehavior` tells. Asked only for synced users whose rows need
 * attention (the ones a plan could route), at most MAX_BEHAVIOR_READS, four at a time. When any
 * turns out cloud-managed, the pure engine runs again over the same snapshots, so their rows route to
 * per-user writes. Scans and the remediation preflight's rescan share this, so they agree.
 */
export async function reportWithCloudManaged(
  outcome: Pick<ScanOutcome, 'report' | 'onPremUsers' | 'cloudUsers' | 'sources'>,
  target: Pick<ScanTarget, 'client' | 'defaultRegion' | 'profileName'>,
  o: { signal?: AbortSignal; logger: Logger; auditLookup?: AuditLookup; tenantLastSyncAt?: string | null; onProgress?: ProgressSink; engineObjects?: readonly EngineObject[]; engineFlows?: EngineFlows | undefined },
): Promise<{ report: DriftReport; changed: number; problem: string | null }> {
  const cloudUsers = outcome.cloudUsers;
  const byId = new Map(cloudUsers.map((u, i) => [u.id, i]));
  const ids = outcome.report.rows.filter((r) => r.cloud && !r.cloud.managed && r.status !== 'in-sync' && r.onPrem).map((r) => r.cloud!.id);
  const todo = ids.slice(0, MAX_BEHAVIOR_READS);
  const total = todo.length;
  let done = 0;
  let changed = 0;
  let refused: string | null = null;
  const next = async (): Promise<void> => {
    for (;;) {
      const id = todo.shift();
      if (!id || refused) return;
      try {
        const b = await target.client.getOnPremisesSyncBehavior(id, o.signal ? { signal: o.signal } : {});
        const i = byId.get(id);
        if (b.isCloudManaged && i !== undefined) {
          cloudUsers[i] = { ...cloudUsers[i]!, cloudManaged: true, soaSwitched: true };
          changed++;
        }
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        if (isSyncDriftError(e) && (e.kind === 'permission' || e.kind === 'auth')) refused = e.message;
        else o.logger.warn('onPremisesSyncBehavior could not be read', { userId: id, error: e instanceof Error ? e.message : String(e) });
      }
      o.onProgress?.({ phase: 'cloud-managed', done: ++done, total, message: 'Checking which users’ source of authority is the cloud' });
    }
  };
  await Promise.all([next(), next(), next(), next()]);
  let report = outcome.report;
  if (changed > 0) {
    const scannedBases = outcome.sources.filter((s) => !s.error).flatMap((s) => s.source.searchBases);
    const drift = computeDrift(outcome.onPremUsers, cloudUsers, {
      defaultRegion: target.defaultRegion,
      scannedBases,
      ...(o.auditLookup ? { auditLookup: o.auditLookup } : {}),
      tenantLastSyncAt: o.tenantLastSyncAt ?? null,
      ...(o.engineObjects ? { engineObjects: o.engineObjects } : {}),
      ...(o.engineFlows ? { engineFlows: o.engineFlows } : {}),
    });
    report = buildReport(drift, { profile: target.profileName, generatedAt: outcome.report.generatedAt, phases: outcome.report.summary.phases });
  }
  const problem = refused
    ? `Which users are cloud-managed (source of authority switched) is unknown: ${refused}`
    : ids.length > MAX_BEHAVIOR_READS
      ? `Only the first ${MAX_BEHAVIOR_READS} of ${ids.length} users needing attention were checked for a cloud source of authority.`
      : null;
  return { report, changed, problem };
}

export class ScanService {
  private readonly auditFills = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: { workspace: Workspace; logger: Logger; clock: Clock; emit: EventSink; ops: Operations; afterScan?: () => void },
  ) {}


  /** Starts a scan in the background; returns at once with its ids. */
  start(target: ScanTarget): { operationId: string; scanId: string } {
    const { workspace, emit } = this.deps;
    const op = this.deps.ops.start();
    const scan = workspace.scans.create({ profileName: target.profileName, profileId: target.profileId, kind: target.kind, meta: { tenantId: target.tenantId } });
    const started = performance.now();
    void (async () => {
      try {
        const mark = workspace.audit.mark(target.tenantId);
        const [org, features] = await Promise.all([
          target.client.getOrganization({ signal: op.signal }).catch((e: unknown) => {
            if (e instanceof CancelledError) throw e;
            return null;
          }),
          target.client.getSyncFeatures({ signal: op.signal }).catch((e: unknown) => {
            if (e instanceof CancelledError) throw e;
            return { state: 'unknown' as const, reason: e instanceof Error ? e.message : String(e), code: 'ERROR' };
          }),
        ]);
        const engine = await engineViewOf(target, { clock: this.deps.clock, logger: this.deps.logger, signal: op.signal });
        const outcome = await runScan({
          ...(engine.objects ? { engineObjects: engine.objects } : {}),
          ...(engine.flows ? { engineFlows: engine.flows } : {}),
          onPrem: target.directories,
          cloudUsers: target.client.listUsers({
            signal: op.signal,
            onProgress: (p) => emit('op.progress', { operationId: op.id, ...p, phase: 'cloud', elapsedMs: Math.round(performance.now() - started) }),
          }),
          profileName: target.profileName,
          defaultRegion: target.defaultRegion,
          resolveAuditLookup: async () => workspace.audit.lookup(target.tenantId, { complete: Boolean(mark?.coveredFrom) }),
          tenantLastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
          signal: op.signal,
          continueOnSourceError: true,
          onProgress: (p) => {
            if (p.phase === 'cloud') return; // reported by the reader itself, with pages and retries
            emit('op.progress', { operationId: op.id, ...p, elapsedMs: Math.round(performance.now() - started) });
          },
        });
        const managed = await reportWithCloudManaged(outcome, target, {
          signal: op.signal,
          logger: this.deps.logger,
          auditLookup: workspace.audit.lookup(target.tenantId, { complete: Boolean(mark?.coveredFrom) }),
          tenantLastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
          onProgress: (p) => emit('op.progress', { operationId: op.id, ...p, elapsedMs: Math.round(performance.now() - started) }),
          ...(engine.objects ? { engineObjects: engine.objects } : {}),
          ...(engine.flows ? { engineFlows: engine.flows } : {}),
        });
        if (engine.problem) outcome.missing.push(engine.problem);
        outcome.report = managed.report;
        if (managed.problem) outcome.missing.push(managed.problem);
        workspace.db.transaction(() => {
          workspace.scans.addOnPremSnapshot(scan.id, outcome.onPremUsers);
          workspace.scans.addCloudSnapshot(scan.id, outcome.cloudUsers);
          workspace.scans.saveRows(scan.id, outcome.report.rows);
          workspace.scans.finish(scan.id, {
            status: outcome.missing.length ? 'partial' : 'done',
            summary: outcome.report.summary,
            finishedAt: outcome.finishedAt,
            meta: {
              tenantId: target.tenantId,
              problems: outcome.missing,
              sources: outcome.sources.map((s) => ({ ...s.source, objects: s.objects, watermark: s.result?.watermark ?? null, error: s.error ?? null })),
              tenantLastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
              tenantDisplayName: org?.displayName ?? null,
              tenantSyncEnabled: org?.onPremisesSyncEnabled ?? null,
              cloud: target.cloud,
              syncFeatures:
                features.state === 'known'
                  ? { state: 'known', bypassDirSyncOverridesEnabled: features.bypassDirSyncOverridesEnabled, features: features.features }
                  : { state: 'unknown', reason: features.reason },
            },
          });
        })();
        emit('scan.finished', { operationId: op.id, scan: toScanInfo(workspace.scans.get(scan.id)!) });
        this.deps.afterScan?.();
        this.fillAuditIndex(target);
      } catch (e) {
        const cancelled = e instanceof CancelledError || op.signal.aborted;
        // An unexpected error reaches the renderer as a reference; its text (paths, hosts) only the log.
        const message = cancelled ? 'The scan was cancelled; nothing was kept from it.' : callerMessage(e, this.deps.logger, 'The scan failed', { scanId: scan.id });
        workspace.scans.finish(scan.id, { status: cancelled ? 'cancelled' : 'failed', summary: null, finishedAt: this.deps.clock.now().toISOString(), meta: { tenantId: target.tenantId, problems: [message] } });
        emit('scan.finished', { operationId: op.id, scan: toScanInfo(workspace.scans.get(scan.id)!) });
      } finally {
        op.done();
        if (target.closeDirectories) await Promise.all(target.directories.map((d) => d.close().catch(() => {})));
      }
    })();
    return { operationId: op.id, scanId: scan.id };
  }

  /**
   * Extends the tenant's audit index from its high-water mark. The cost grows with new audit records,
   * never with the number of users; one fill per tenant at a time.
   */
  fillAuditIndex(target: Pick<ScanTarget, 'profileId' | 'tenantId' | 'client'>): Promise<void> {
    const running = this.auditFills.get(target.tenantId);
    if (running) return running;
    const { workspace, emit } = this.deps;
    const fill = (async () => {
      const mark = workspace.audit.mark(target.tenantId);
      let records = 0;
      emit('audit.progress', { profileId: target.profileId, state: 'filling', records, message: mark?.highWater ? `Reading audit records since ${mark.highWater}` : 'Reading the audit log for the first time' });
      try {
        const it = target.client.auditIndex.fetchAuditRecords({
          since: mark?.highWater ?? null,
          onProgress: (p) => {
            if (p.retries) emit('audit.progress', { profileId: target.profileId, state: 'throttled', records, message: 'Waiting for Graph’s reporting limit (5 requests per 10 s)' });
          },
        });
        for (;;) {
          const step = await it.next();
          if (step.done) {
            workspace.audit.add(target.tenantId, [], { highWater: step.value.newest ?? mark?.highWater ?? null, coveredFrom: mark?.coveredFrom ?? step.value.retentionStart });
            break;
          }
          const parsed = parseDirectoryAudits(step.value);
          records += step.value.length;
          workspace.db.transaction(() => {
            workspace.audit.add(target.tenantId, parsed.changes);
            workspace.audit.addRecords(target.tenantId, step.value);
          })();
          emit('audit.progress', { profileId: target.profileId, state: 'filling', records, message: `${records} audit records read` });
        }
        emit('audit.progress', { profileId: target.profileId, state: 'complete', records, message: `Audit index up to date (${records} new records)` });
      } catch (e) {
        const message = callerMessage(e, this.deps.logger, 'Reading the audit log failed', { tenantId: target.tenantId });
        emit('audit.progress', { profileId: target.profileId, state: 'failed', records, message });
      } finally {
        this.auditFills.delete(target.tenantId);
      }
    })();
    this.auditFills.set(target.tenantId, fill);
    return fill;
  }

  scanOrThrow(scanId: string): ScanRecord {
    const s = this.deps.workspace.scans.get(scanId);
    if (!s) throw new SyncDriftError('not-found', 'SCAN_NOT_FOUND', `There is no scan ${scanId} in this workspace (it may have been purged).`);
    return s;
  }
}
