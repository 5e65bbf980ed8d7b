/**
 * The guided flow's service side: plans built from a stored scan, preflight, journalled sessions run
 * in the background (progress as `op.progress`, the end as `remediation.finished`), resume with the
 * admin's confirmations, undo, restore plans and the session's evidence. One engine per profile,
 * over the workspace's journal, so the CLI and the app see the same sessions.
 */
import { verifyByProvisionOnDemand, type OnDemandVerification } from '../cloud/cloud-sync-verify';
import { SyncDriftError, callerMessage } from '../core/errors';
import type { Profile } from '../core/profile';
import { cloudSyncCyclePort } from '../remediation/ports';
import type { Clock, Logger } from '../core/ports';
import type { DriftReport } from '../core/model';
import { runScan } from '../drift/pipeline';
import type { OnPremDirectory } from '../onprem/port';
import {
  RemediationEngine,
  buildPlan,
  buildRestorePlan,
  cloudPortFromClient,
  planReadiness,
  sessionSummaries as sessionSummariesOf,
  suggestDecision,
  workspaceJournalStore,
  type EngineTiming,
  type Operator,
  type Plan,
  type SessionOutcome,
} from '../remediation';
import { Plan as PlanSchema, acceptanceCovers, affectedUserCount, assertPlanStructure, unscannedToAccept } from '../remediation/plan-schema';
import { refuseMaskedPlan, refuseMaskedSession } from '../remediation/masked-copies';
import { REMEDIATION_SETTINGS, type Workspace } from '../workspace';
import type { SessionOutcomeWire } from '../../preload/contract';
import type { Operations } from './operations';
import type { EventSink } from './router';
import { engineViewOf, reportWithCloudManaged, type ScanTarget } from './scan-service';
import { z } from 'zod';

/** `masked`: the plan came with a masked workspace export (the import marks it): read only. */
const Owner = z.object({ scanId: z.string(), profileId: z.string(), masked: z.boolean().optional(), imported: z.boolean().optional() });
// The keys live in main/workspace (carried-settings.ts), which masks these records in exports.
const ownerKey = (planId: string) => `${REMEDIATION_SETTINGS.owner}${planId}`;
/** The service's own copy of every plan it built: apply and preflight run this copy, never the caller's. */
const planKey = (planId: string) => `${REMEDIATION_SETTINGS.plan}${planId}`;
const outcomeKey = (sessionId: string) => `${REMEDIATION_SETTINGS.outcome}${sessionId}`;
const undoKey = (sessionId: string) => `${REMEDIATION_SETTINGS.undo}${sessionId}`;

export interface RemediationTarget extends ScanTarget {
  syncEngine: 'connect' | 'cloud-sync';
  connectServer: string | null;
  replicaDcs: string[];
  /** The sandbox runs the full cycle itself; a real tenant's admin runs it on the Connect server. */
  runSyncCycle?: () => Promise<{ summary: string }>;
  timing?: Partial<EngineTiming>;
  /** Called after writes, e.g. to persist the sandbox. */
  afterWrites?: () => void;
}

/**
 * A live profile's remediation target: a Cloud Sync tenant (`cloud.cloudSync`) gets Cloud Sync plans
 * (the job's restart, not Start-ADSyncSyncCycle) and the product runs that restart itself, the
 * portal's way (#17 point 1); an Entra Connect tenant's cycle is the admin's, on the Connect server.
 */
export function liveRemediationTarget(t: ScanTarget, profile: Pick<Profile, 'cloud' | 'onPrem'>): RemediationTarget {
  const replicaDcs = profile.onPrem.flatMap((s) => s.replicaDcs ?? []);
  const cs = profile.cloud.cloudSync;
  if (!cs) return { ...t, syncEngine: 'connect', connectServer: null, replicaDcs };
  const cycle = cloudSyncCyclePort(t.client, cs.servicePrincipalId);
  return { ...t, syncEngine: 'cloud-sync', connectServer: null, replicaDcs, runSyncCycle: () => cycle('initial', {}) };
}

export class RemediationService {
  private readonly live = new Map<string, string>(); // sessionId -> operationId
  private reportCache: { scanId: string; report: DriftReport } | null = null;

  constructor(
    private readonly deps: {
      workspace: Workspace;
      logger: Logger;
      clock: Clock;
      emit: EventSink;
      ops: Operations;
      target: (profileId: string) => Promise<RemediationTarget>;
    },
  ) {}

  report(scanId: string): { report: DriftReport; profileId: string } {
    const scan = this.deps.workspace.scans.get(scanId);
    if (!scan) throw new SyncDriftError('not-found', 'SCAN_NOT_FOUND', `There is no scan ${scanId} in this workspace.`);
    if (!scan.summary || !scan.finishedAt || scan.status === 'failed' || scan.status === 'cancelled')
      throw new SyncDriftError('validation', 'SCAN_UNFINISHED', 'Plans are built from a finished scan: scan again first.');
    if (this.reportCache?.scanId !== scanId) {
      this.reportCache = { scanId, report: { generatedAt: scan.finishedAt, profile: scan.profileName, summary: scan.summary, rows: this.deps.workspace.rows.all(scanId) } };
    }
    return { report: this.reportCache.report, profileId: scan.profileId ?? '' };
  }

  /**
   * Cloud Sync's verification step for one row (#18): its AD user provisioned on demand, then Entra ID
   * read back (cloud-sync-verify.ts). Refused, naming why, for a row without an AD side or a tenant
   * whose scan target does not use Cloud Sync (Connect has no on-demand provisioning over Graph).
   */
  async provisionOnDemand(scanId: string, rowKey: string): Promise<OnDemandVerification> {
    const { report, profileId } = this.report(scanId);
    const row = report.rows.find((r) => r.key === rowKey);
    if (!row) throw new SyncDriftError('not-found', 'ROW_NOT_FOUND', `rowKey: scan ${scanId} has no row ${rowKey}.`);
    if (!row.onPrem) throw new SyncDriftError('validation', 'ROW_NO_ONPREM', `rowKey: ${row.upn} has no AD object in this scan; provisionOnDemand provisions an AD user.`);
    const t = await this.deps.target(profileId);
    if (!t.cloudSync) {
      throw new SyncDriftError('validation', 'CLOUD_SYNC_NOT_USED', 'This tenant is not scanned as a Cloud Sync tenant (the profile has no cloud.cloudSync): provision on demand is Cloud Sync only; with Entra Connect run a cycle on the Connect server instead.');
    }
    const v = await verifyByProvisionOnDemand(t.client, { servicePrincipalId: t.cloudSync.servicePrincipalId, objectId: row.onPrem.objectGuid });
    t.afterWrites?.();
    this.deps.logger.info('provision on demand', { scanId, rowKey, verdict: v.verdict, status: v.provisioningStatus });
    return v;
  }

  suggest(scanId: string, rowKeys: readonly string[]) {
    const { report } = this.report(scanId);
    const wanted = new Set(rowKeys);
    return report.rows.filter((r) => wanted.has(r.key)).map((r) => ({ rowKey: r.key, ...suggestDecision(r) }));
  }

  async plan(scanId: string, selected: readonly string[], decisions: ReadonlyArray<{ rowKey: string; action: Plan['rows'][number]['action'] & string; reason?: string }>) {
    const { report, profileId } = this.report(scanId);
    const t = await this.deps.target(profileId);
    const plan = buildPlan(report, decisions, { selected: [...selected], syncEngine: t.syncEngine, connectServer: t.connectServer, replicaDcs: t.replicaDcs, now: this.deps.clock.now() });
    this.keep(plan, { scanId, profileId });
    return { plan, readiness: planReadiness(plan) };
  }

  private keep(plan: Plan, owner: z.infer<typeof Owner>): void {
    assertPlanStructure(plan);
    this.deps.workspace.settings.set(planKey(plan.id), plan);
    this.deps.workspace.settings.set(ownerKey(plan.id), owner);
  }

  /**
   * The stored copy of the plan the caller names. A caller holds the bridge, not the plan: a sent plan
   * that differs from the copy in any field is refused with the fields named, so nothing the caller
   * changed (steps, rows, needsBypass...) can run under the id of a plan the admin reviewed.
   */
  private stored(sent: Plan): Plan {
    const own = this.deps.workspace.settings.get(planKey(sent.id), PlanSchema);
    if (!own) throw new SyncDriftError('not-found', 'PLAN_UNKNOWN', 'This plan was not built by this workspace; build it again from a scan.');
    const differs = planDifferences(own, sent);
    if (differs.length > 0)
      throw new SyncDriftError('validation', 'PLAN_TAMPERED', `The plan sent differs from the plan ${own.id} this service built: ${differs.join(', ')}. Nothing was written; build the plan again from the scan.`);
    // A copy imported with a masked export is marked; one whose mark was lost still holds bullets.
    // Any plan an import brought is read only: its steps are what a file said.
    const owner = this.deps.workspace.settings.get(ownerKey(own.id), Owner);
    refuseMaskedPlan(own, owner?.masked === true, owner?.imported === true);
    return own;
  }

  private owner(planId: string): z.infer<typeof Owner> {
    const o = this.deps.workspace.settings.get(ownerKey(planId), Owner);
    if (!o) throw new SyncDriftError('not-found', 'PLAN_UNKNOWN', 'This plan was not built by this workspace; build it again from a scan.');
    return o;
  }

  private async engine(profileId: string, operator?: Operator): Promise<{ engine: RemediationEngine; target: RemediationTarget }> {
    const t = await this.deps.target(profileId);
    const byId = new Map<string, OnPremDirectory>(t.directories.map((d) => [d.describe().id, d]));
    const engine = new RemediationEngine({
      journal: workspaceJournalStore(this.deps.workspace),
      onPrem: (sourceId) => {
        const d = byId.get(sourceId);
        if (!d) throw new SyncDriftError('validation', 'SOURCE_UNKNOWN', `The plan writes to on-prem source "${sourceId}", which this profile does not have.`);
        return d;
      },
      cloud: cloudPortFromClient(t.client),
      ...(t.runSyncCycle ? { runSyncCycle: () => t.runSyncCycle!() } : {}),
      ...(operator ? { operator } : {}),
      clock: this.deps.clock,
      logger: this.deps.logger.child({ component: 'remediation' }),
      ...(t.timing ? { timing: t.timing } : {}),
      // The same read as a scan, cloud-managed detection included, so the blast radius compares like with like.
      rescan: async (o) => {
        // Joined like the scan's (Cloud Sync's view, or the Connect objects), or rule-formatted rows would look like
        // new drift and an unmapped otherMobile like one the bypass pushes.
        const view = await engineViewOf(t, { clock: this.deps.clock, logger: this.deps.logger, ...(o.signal ? { signal: o.signal } : {}) });
        if (view.problem) this.deps.logger.warn('the rescan for the blast radius runs without the sync engine\'s view', { problem: view.problem });
        const engineObjects = view.objects ?? undefined;
        const engineFlows = view.flows;
        const out = await runScan({
          ...(engineObjects ? { engineObjects } : {}),
          ...(engineFlows ? { engineFlows } : {}),
          onPrem: t.directories,
          cloudUsers: t.client.listUsers(o.signal ? { signal: o.signal } : {}),
          profileName: t.profileName,
          defaultRegion: t.defaultRegion,
          clock: this.deps.clock,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        return (await reportWithCloudManaged(out, t, { logger: this.deps.logger, ...(o.signal ? { signal: o.signal } : {}), ...(engineObjects ? { engineObjects } : {}), engineFlows })).report;
      },
    });
    return { engine, target: t };
  }

  async preflight(sent: Plan, acceptNotScanned?: number | 'unknown') {
    const plan = this.stored(sent);
    const { engine } = await this.engine(this.owner(plan.id).profileId);
    return engine.preflight(plan, acceptNotScanned !== undefined ? { acceptNotScanned } : {});
  }

  /**
   * Runs `work` as a background operation tied to a session, with progress and a final event.
   * Progress carries the session id once known (an apply learns it when the engine journals the
   * session), so a renderer that reloaded mid-run follows its own session and no other.
   */
  private background(
    sessionHint: string | null,
    work: (signal: AbortSignal, progress: (p: { phase: string; done: number; total?: number; retries?: number; message?: string }) => void, sessionStarted: (sessionId: string) => void) => Promise<void>,
  ): string {
    const op = this.deps.ops.start();
    const started = performance.now();
    let sessionId = sessionHint;
    if (sessionId) this.live.set(sessionId, op.id);
    const sessionStarted = (id: string) => {
      sessionId = id;
      this.live.set(id, op.id);
    };
    void (async () => {
      try {
        await work(op.signal, (p) => this.deps.emit('op.progress', { operationId: op.id, ...p, ...(sessionId ? { sessionId } : {}), elapsedMs: Math.round(performance.now() - started) }), sessionStarted);
      } catch (e) {
        // An unexpected error reaches the renderer as a reference; its text (paths, hosts) only the log.
        const message = callerMessage(e, this.deps.logger, 'Remediation failed', { operationId: op.id, sessionId });
        this.deps.emit('remediation.failed', { operationId: op.id, sessionId, message });
      } finally {
        op.done();
        if (sessionId) this.live.delete(sessionId);
      }
    })();
    return op.id;
  }

  private finish(operationId: string, outcome: SessionOutcome, t: RemediationTarget): void {
    if (outcome.sessionId) this.deps.workspace.settings.set(outcomeKey(outcome.sessionId), outcome);
    t.afterWrites?.();
    this.deps.emit('remediation.finished', { operationId, outcome: outcome as SessionOutcomeWire });
  }

  apply(sent: Plan, confirmUsers: number, acceptNotScanned?: number | 'unknown'): string {
    const plan = this.stored(sent);
    const expected = affectedUserCount(plan);
    if (confirmUsers !== expected)
      throw new SyncDriftError('validation', 'CONFIRMATION_STALE', `confirmUsers: the plan changes ${expected} user(s), but the confirmation named ${confirmUsers}. Review the plan again.`);
    const unscanned = unscannedToAccept(plan);
    if (!acceptanceCovers(acceptNotScanned, unscanned)) {
      throw new SyncDriftError(
        'validation',
        'UNSCANNED_NOT_ACCEPTED',
        `acceptNotScanned: the tenant-wide bypass reaches ${unscanned === 'unknown' ? 'an unknown number of' : unscanned} synced user(s) the scan did not read, and ${acceptNotScanned === undefined ? 'that was not accepted' : `the acceptance named ${acceptNotScanned}`}. Accept them explicitly, or scan every OU and forest the sync engine reads.`,
      );
    }
    const readiness = planReadiness(plan);
    if (!readiness.ready) throw new SyncDriftError('validation', 'PLAN_NOT_READY', `The plan is not ready: ${readiness.why.join(' ')}`);
    const { profileId } = this.owner(plan.id);
    const opId = this.background(null, async (signal, progress, sessionStarted) => {
      const { engine, target } = await this.engine(profileId);
      const outcome = await engine.apply(plan, { signal, onProgress: progress, onSession: sessionStarted, ...(acceptNotScanned !== undefined ? { acceptNotScanned } : {}) });
      this.finish(opId, outcome, target);
    });
    return opId;
  }

  sessions() {
    const store = workspaceJournalStore(this.deps.workspace);
    // Listing needs no connection: summaries come from the journal alone.
    return sessionSummariesWithLive(store, this.live);
  }

  session(sessionId: string) {
    const store = workspaceJournalStore(this.deps.workspace);
    const s = store.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `There is no remediation session ${sessionId}.`);
    const summary = sessionSummariesWithLive(store, this.live).find((x) => x.id === sessionId)!;
    const plan = s.plan as Plan;
    const lastOutcome = this.deps.workspace.settings.get(outcomeKey(sessionId), z.unknown()) as SessionOutcomeWire | null;
    const owner = this.deps.workspace.settings.get(ownerKey(plan.id), Owner);
    return { summary, plan, scanId: owner?.scanId ?? null, journalEntries: store.entries(sessionId).length, lastOutcome };
  }

  /**
   * The session's plan and owner. `acting`: the caller is about to resume or undo it (or build a
   * restore plan from its undo), which a masked copy refuses at once, before anything runs.
   */
  private sessionProfile(sessionId: string, acting?: 'resumed' | 'undone'): { plan: Plan; owner: z.infer<typeof Owner> } {
    const store = workspaceJournalStore(this.deps.workspace);
    const s = store.getSession(sessionId);
    if (!s) throw new SyncDriftError('not-found', 'SESSION_NOT_FOUND', `There is no remediation session ${sessionId}.`);
    const plan = s.plan as Plan;
    const owner = this.owner(plan.id);
    if (acting) refuseMaskedSession(sessionId, { plan: s.plan, ...(s.masked || owner.masked ? { masked: true } : {}), ...(s.imported || owner.imported ? { imported: true } : {}) }, tryParsePlan(s.plan), acting);
    return { plan, owner };
  }

  resume(sessionId: string, confirm: { replication?: boolean; cycle?: boolean } = {}, o: { takeOver?: boolean } = {}): string {
    if (this.live.has(sessionId)) throw new SyncDriftError('conflict', 'SESSION_RUNNING', 'This session is running right now; follow its progress instead.');
    const { owner } = this.sessionProfile(sessionId, 'resumed');
    const operator: Operator = {
      confirmReplication: async () => confirm.replication === true,
      confirmCycle: async () => confirm.cycle === true,
    };
    const opId = this.background(sessionId, async (signal, progress) => {
      const { engine, target } = await this.engine(owner.profileId, operator);
      const outcome = await engine.resume(sessionId, { signal, onProgress: progress, ...(o.takeOver ? { takeOver: true } : {}) });
      this.finish(opId, outcome, target);
    });
    return opId;
  }

  undo(sessionId: string, o: { takeOver?: boolean; turnBypassOff?: boolean } = {}): string {
    if (this.live.has(sessionId)) throw new SyncDriftError('conflict', 'SESSION_RUNNING', 'This session is running right now; cancel it first, then undo.');
    const { owner } = this.sessionProfile(sessionId, 'undone');
    const opId = this.background(sessionId, async (signal, progress) => {
      const { engine, target } = await this.engine(owner.profileId);
      const report = await engine.undo(sessionId, { signal, onProgress: progress, ...(o.takeOver ? { takeOver: true } : {}), ...(o.turnBypassOff ? { turnBypassOff: true } : {}) });
      this.deps.workspace.settings.set(undoKey(sessionId), report);
      target.afterWrites?.();
      this.deps.emit('remediation.undone', { operationId: opId, report });
    });
    return opId;
  }

  restorePlan(sessionId: string, rowKeys: 'all' | readonly string[]): Plan {
    const { plan, owner } = this.sessionProfile(sessionId, 'undone');
    const undo = this.deps.workspace.settings.get(undoKey(sessionId), z.unknown());
    if (!undo) throw new SyncDriftError('validation', 'UNDO_FIRST', 'Undo this session first: the restore plan comes from what the undo could not bring back.');
    const restore = buildRestorePlan(undo as Parameters<typeof buildRestorePlan>[0], rowKeys === 'all' ? 'all' : [...rowKeys], {
      now: this.deps.clock.now(),
      replicaDcs: plan.replicaDcs,
      profile: plan.source.profile,
      syncEngine: plan.syncEngine,
    });
    this.keep(restore, owner);
    return restore;
  }

  /** Plan, journal and verification of a session, for its evidence package. */
  sessionEvidence(sessionId: string): { scanId: string; plan: Plan; journal: unknown[]; verification: Record<string, unknown> } {
    const { plan, owner } = this.sessionProfile(sessionId);
    const store = workspaceJournalStore(this.deps.workspace);
    const journal = store.entries(sessionId) as unknown[];
    const outcome = this.deps.workspace.settings.get(outcomeKey(sessionId), z.unknown());
    return { scanId: owner.scanId, plan, journal, verification: (outcome as Record<string, unknown> | null) ?? { state: 'not verified', note: 'The session has no recorded outcome yet.' } };
  }
}

function tryParsePlan(raw: unknown): Plan | null {
  const r = PlanSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/** Which fields of a sent plan differ from the stored one (`steps[2]`, `rows (3 instead of 1)`, `needsBypass`). */
export function planDifferences(own: Plan, sent: Plan): string[] {
  const out: string[] = [];
  const a = own as unknown as Record<string, unknown>;
  const b = sent as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k];
    const y = b[k];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) out.push(`${k} (${y.length} instead of ${x.length})`);
      else out.push(`${k}[${x.findIndex((v, i) => JSON.stringify(v) !== JSON.stringify(y[i]))}]`);
    } else out.push(k);
  }
  return out;
}

/** States in which an engine of this process is working on the session (summaries already report a dead owner's as interrupted). */
const WORKING = new Set(['running', 'verifying', 'undoing']);

function sessionSummariesWithLive(store: ReturnType<typeof workspaceJournalStore>, live: ReadonlyMap<string, string>) {
  return sessionSummariesOf(store).map((s) => ({ ...s, live: live.has(s.id) || WORKING.has(s.state) }));
}
