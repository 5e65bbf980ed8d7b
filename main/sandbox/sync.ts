/**
 * The sync-cycle simulator: what Entra Connect Sync (or a Cloud Sync provisioning job) does with the
 * attributes this product cares about, run against any OnPremDirectory (the sandbox directory or a
 * live DC through the LDAP adapter) and the sandbox tenant store.
 *
 * Model (documented in docs/sandbox.md):
 * - The simulator keeps a connector space: per AD object (by objectGUID) the anchor it joined and the
 *   values it last exported. Like Connect, it believes its exports landed even when the cloud ignored
 *   them (DirSyncOverrides): that is why a later delta cycle does not try again.
 * - Delta cycle: imports objects changed since the last watermark and exports the attributes whose
 *   value differs from what it last exported.
 * - Initial (full) cycle: imports everything and compares with the cloud's current values, so every
 *   differing value is exported again; with `bypassDirSyncOverridesEnabled` on, AD wins for all of
 *   them (empty AD values clear the cloud; AlternateMobilePhones is overwritten from otherMobile).
 * - Cloud Sync: a restart of the provisioning job over Graph that cleared its Watermark (the portal's
 *   Restart provisioning) makes the next provisioning run evaluate every user again, like an initial one.
 * - Scope: Entra Connect's default user scope as the directory reports it (main/onprem/entry.ts for LDAP and sandbox).
 * - Join by source anchor; in-scope AD users without a cloud object are provisioned.
 * - Deletions (tombstones, objects leaving scope) of objects in the connector space are exported,
 *   stopped by an export deletion threshold like Connect's (default 500).
 *
 * The options, connector-space shapes, cycle report and value comparisons are sync-model.ts.
 */
import { randomUUID, createHash } from 'node:crypto';
import type { OnPremUser } from '../core/model';
import type { Clock, Logger } from '../core/ports';
import { systemClock } from '../core/ports';
import { silentLogger } from '../core/logger';
import { SyncDriftError, ValidationError, formatIssues, isSyncDriftError } from '../core/errors';
import { throwIfCancelled, type ProgressSink } from '../core/progress';
import type { OnPremDirectory } from '../onprem/port';
import type { TenantStore } from './tenant';
import type { AuditActor } from './tenant-model';
import { connectExports, mobileAfterRules, type ConnectExports, type SandboxSyncRule } from './connect-rules';
import { cloudSyncOf, recordExport, recordFailure, unhonouredRestart, type SandboxCloudSync, type StoredEntryView } from './cloud-sync';
import {
  ConnectorEntry,
  DEFAULT_KNOBS,
  MAX_LISTED,
  SimulatorState,
  cloudValues,
  desiredFrom,
  diff,
  type ClearedValue,
  type CycleType,
  type ObjectExport,
  type SyncCycleReport,
  type SyncEngineKind,
  type SyncKnobs,
  type SyncSimulatorOptions,
} from './sync-model';

export class SyncSimulator {
  private state: SimulatorState;
  private readonly cs = new Map<string, ConnectorEntry>();
  private clock: Clock;
  private readonly logger: Logger;
  private running = false;
  private onDemand = false;
  private rules: readonly SandboxSyncRule[];
  private readonly adConnector: string;

  constructor(
    private readonly directory: OnPremDirectory,
    private readonly tenant: TenantStore,
    options: SyncSimulatorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.rules = options.rules ?? [];
    this.adConnector = options.adConnector ?? 'contoso.com';
    this.state = {
      format: 'syncdrift-sync-simulator',
      version: 1,
      engine: options.engine ?? 'connect',
      server: options.server ?? 'AADCONNECT01',
      knobs: { ...DEFAULT_KNOBS, ...options.knobs },
      watermark: null,
      lastCycleAt: null,
      lastCycleType: null,
      restartHonouredAt: null,
      connectorSpace: [],
    };
    this.attachCloudSync();
  }

  /** In Cloud Sync mode the tenant's provisionOnDemand runs this simulator for one user (cloud-sync.ts). */
  private attachCloudSync(): void {
    cloudSyncOf(this.tenant).attachRunner(this.state.engine === 'cloud-sync' ? (guid) => this.provisionOnDemand(guid) : null);
  }

  private get cloudSync(): SandboxCloudSync | null {
    return this.state.engine === 'cloud-sync' ? cloudSyncOf(this.tenant) : null;
  }

  /**
   * provisionOnDemand for one AD user (by objectGUID): imports it, exports it as a full cycle would
   * (against the cloud's current values) and returns the provisioning log entry it wrote.
   */
  async provisionOnDemand(objectGuid: string): Promise<StoredEntryView> {
    const cs = cloudSyncOf(this.tenant);
    const want = objectGuid.toLowerCase();
    let found: OnPremUser | null = null;
    const it = this.directory.scan({ includeOutOfScope: true });
    for (let r = await it.next(); !r.done; r = await it.next()) found ??= r.value.find((u) => u.objectGuid.toLowerCase() === want) ?? null;
    const before = cs.entries().length;
    if (!found) return cs.record({ action: 'other', status: 'failure', objectGuid, sourceName: null, cloudId: null, cloudName: null, modified: [], errorCode: 'ObjectNotFound', reason: `No user with objectGUID ${objectGuid} in Active Directory.`, onDemand: true });
    if (found.isDeleted || !found.inScope) return recordFailure(cs, found, null, 'NotInScope', `Skipped: the user is out of the configuration's scope (${found.scopeReason ?? 'deleted'}).`, 'skipped', true);
    const report = this.emptyReport('initial');
    this.onDemand = true;
    try {
      this.exportObject(found, this.cs.get(want), true, report);
    } finally {
      this.onDemand = false;
    }
    const cloud = this.tenant.findByImmutableId(found.sourceAnchor) ?? null;
    const entries = cs.entries();
    return entries.length > before ? entries[entries.length - 1]! : recordExport(cs, { action: 'update', u: found, cloud, changes: {}, previous: null, outcome: 'unchanged', onDemand: true });
  }

  get engine(): SyncEngineKind {
    return this.state.engine;
  }

  get server(): string {
    return this.state.server;
  }

  get knobs(): SyncKnobs {
    return { ...this.state.knobs };
  }

  setKnobs(knobs: Partial<SyncKnobs>): void {
    this.state.knobs = { ...this.state.knobs, ...knobs };
  }

  /** Custom sync rules from the next cycle on (the state file does not keep them). */
  setRules(rules: readonly SandboxSyncRule[]): void {
    this.rules = [...rules];
  }

  /** The Connect exports of the simulator's own state (docs/onprem.md, "Connect exports"). */
  connectExports(): ConnectExports {
    return connectExports({
      entries: [...this.cs.values()].map((e) => ({
        anchor: e.anchor,
        dn: e.dn,
        mobile: e.exported.mobilePhone,
        otherMobile: [...e.exported.alternateMobilePhones],
        cloudId: this.tenant.findByImmutableId(e.anchor)?.id ?? null,
      })),
      rules: this.rules,
      adConnector: this.adConnector,
      lastExportAt: this.state.lastCycleAt,
    });
  }

  setEngine(engine: SyncEngineKind): void {
    this.state.engine = engine;
    this.attachCloudSync();
  }

  setClock(clock: Clock): void {
    this.clock = clock;
  }

  /** When the last cycle finished, and which kind it was. */
  get lastCycle(): { at: string; type: CycleType } | null {
    return this.state.lastCycleAt && this.state.lastCycleType
      ? { at: this.state.lastCycleAt, type: this.state.lastCycleType }
      : null;
  }

  /** Anchors the simulator has joined (its connector space), for tests and the demo. */
  joinedAnchors(): string[] {
    return [...this.cs.values()].map((e) => e.anchor);
  }

  serialize(): string {
    return JSON.stringify({ ...this.state, connectorSpace: [...this.cs.values()] });
  }

  restore(json: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new ValidationError('sync simulator state', 'is not JSON', { cause: e });
    }
    const parsed = SimulatorState.safeParse(raw);
    if (!parsed.success) throw new ValidationError('sync simulator state', formatIssues(parsed.error.issues));
    this.state = parsed.data;
    this.cs.clear();
    for (const e of parsed.data.connectorSpace) this.cs.set(e.objectGuid.toLowerCase(), e);
    this.attachCloudSync();
  }

  /**
   * The audit initiator of this engine's writes. Cloud Sync writes as its tenant account
   * `ADToAADSyncServiceAccount@<initial domain>` (the account the Cloud Sync error codes name; its
   * display name is the one Connect's Sync_ account has too). Which initiator real Cloud Sync records
   * carry (that account, or the provisioning service app Microsoft.Azure.SyncFabric) is unconfirmed:
   * the reader accepts both; the sandbox emits the account.
   */
  private actor(): AuditActor | undefined {
    if (this.state.engine === 'connect') return undefined; // the store's Sync_<server>_… account
    const hex = createHash('sha256').update(`cloudsync:${this.tenant.tenantId}`).digest('hex');
    return {
      kind: 'user',
      id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
      userPrincipalName: `ADToAADSyncServiceAccount@${this.tenant.organization.initialDomain}`,
      displayName: 'On-Premises Directory Synchronization Service Account',
    };
  }

  /**
   * Runs one cycle. Connect: `Start-ADSyncSyncCycle -PolicyType Delta|Initial`. Cloud Sync: 'delta'
   * is the regular provisioning run, 'initial' is a restart of the provisioning job.
   */
  async runCycle(cycle: CycleType, options: { signal?: AbortSignal; onProgress?: ProgressSink } = {}): Promise<SyncCycleReport> {
    if (cycle !== 'delta' && cycle !== 'initial')
      throw new ValidationError('cycle', `must be "delta" or "initial", got "${String(cycle)}"`);
    if (this.running)
      throw new SyncDriftError('conflict', 'SYNC_CYCLE_RUNNING', 'A sync cycle is already running; wait for it to finish.');
    this.running = true;
    try {
      return await this.cycle(cycle, options);
    } finally {
      this.running = false;
    }
  }

  private async cycle(cycle: CycleType, options: { signal?: AbortSignal; onProgress?: ProgressSink }): Promise<SyncCycleReport> {
    const report = this.emptyReport(cycle);
    this.cloudSync?.newCycle();
    const restart = this.state.engine === 'cloud-sync' ? unhonouredRestart(this.tenant, this.state.restartHonouredAt) : null;
    if (restart) {
      this.state.restartHonouredAt = restart.at;
      if (cycle === 'delta') report.notes.push(`The provisioning job was restarted at ${new Date(restart.at).toISOString()} (${restart.cleared.join(', ')} cleared): this run evaluated every user again.`);
    }
    return this.runReport(cycle, report, options, cycle === 'initial' || restart !== null);
  }

  private emptyReport(cycle: CycleType): SyncCycleReport {
    const started = this.clock.now();
    return {
      id: randomUUID(),
      cycle,
      engine: this.state.engine,
      server: this.state.server,
      startedAt: started.toISOString(),
      finishedAt: started.toISOString(),
      bypassDirSyncOverrides: this.tenant.features.bypassDirSyncOverridesEnabled,
      incrementalImport: false,
      watermark: null,
      seen: 0,
      inScope: 0,
      outOfScope: 0,
      exported: 0,
      added: 0,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      skipped: 0,
      ignoredDueToOverride: [],
      ignoredDueToOverrideCount: 0,
      cleared: [],
      clearedCount: 0,
      alternateMobileOverwritten: 0,
      exports: [],
      errors: [],
      notes: [],
    };
  }

  private async runReport(cycle: CycleType, report: SyncCycleReport, options: { signal?: AbortSignal; onProgress?: ProgressSink }, full: boolean): Promise<SyncCycleReport> {
    const since = full ? undefined : (this.state.watermark ?? undefined);
    if (!full && !since)
      report.notes.push('No watermark from an earlier cycle: this delta cycle imported everything.');

    // Import: read what the directory has (changed objects only, where it can).
    const imported: OnPremUser[] = [];
    const it = this.directory.scan({ since, includeOutOfScope: true, signal: options.signal });
    let result: Awaited<ReturnType<typeof it.next>>;
    for (result = await it.next(); !result.done; result = await it.next()) {
      throwIfCancelled(options.signal, 'The sync cycle');
      imported.push(...result.value);
      options.onProgress?.({ phase: 'sync-import', done: imported.length });
    }
    const scan = result.value;
    report.incrementalImport = scan.incremental;
    report.watermark = scan.watermark;
    if (cycle === 'delta' && since && !scan.incremental) {
      report.notes.push(
        'The directory could not read changes since the last watermark (other DC or restored state): full import, compared with what was exported before.',
      );
    }
    report.seen = imported.length;

    // Against the cloud's current values on a full cycle; against the connector space on a delta one.
    const compareWithCloud = full;
    const seenInScope = new Set<string>();
    const pendingDeletes: ConnectorEntry[] = [];
    let done = 0;
    for (const u of imported) {
      throwIfCancelled(options.signal, 'The sync cycle');
      const guidKey = u.objectGuid.toLowerCase();
      const entry = this.cs.get(guidKey);
      if (u.isDeleted || !u.inScope) {
        if (!u.isDeleted) report.outOfScope++;
        if (entry) pendingDeletes.push(entry);
        continue;
      }
      report.inScope++;
      seenInScope.add(guidKey);
      try {
        this.exportObject(u, entry, compareWithCloud, report);
      } catch (e) {
        report.errors.push({
          dn: u.dn,
          code: isSyncDriftError(e) ? e.code : 'INTERNAL',
          message: e instanceof Error ? e.message : String(e),
        });
      }
      if (++done % 500 === 0) options.onProgress?.({ phase: 'sync-export', done, total: imported.length });
    }
    if (full || !scan.incremental) {
      // A full import sees every live object: connector-space objects it did not see are gone.
      const seenGuids = new Set(imported.map((u) => u.objectGuid.toLowerCase()));
      for (const [k, e] of this.cs) if (!seenGuids.has(k) && !seenInScope.has(k)) pendingDeletes.push(e);
    }
    this.exportDeletes(pendingDeletes, report);

    this.tenant.completeSyncCycle();
    if (scan.watermark) this.state.watermark = scan.watermark;
    const finished = this.clock.now().toISOString();
    report.finishedAt = finished;
    this.state.lastCycleAt = finished;
    this.state.lastCycleType = cycle;
    options.onProgress?.({ phase: 'sync-export', done: imported.length, total: imported.length, message: 'done' });
    this.logger.info('sync cycle finished', {
      cycle,
      engine: report.engine,
      seen: report.seen,
      exported: report.exported,
      ignoredDueToOverride: report.ignoredDueToOverrideCount,
      errors: report.errors.length,
    });
    return report;
  }

  private exportObject(
    u: OnPremUser,
    entry: ConnectorEntry | undefined,
    compareWithCloud: boolean,
    report: SyncCycleReport,
  ): void {
    const desired = desiredFrom(u);
    const csync = this.cloudSync;
    if (csync) desired.mobilePhone = csync.mobileFor(u);
    else if (this.rules.length > 0) desired.mobilePhone = mobileAfterRules(this.rules, u);
    const anchor = entry?.anchor ?? u.sourceAnchor;
    if (entry && entry.anchor !== u.sourceAnchor) {
      // Connect: a changed sourceAnchor stops the object from synchronizing until it is changed back.
      report.errors.push({
        dn: u.dn,
        code: 'SOURCE_ANCHOR_CHANGED',
        message: `The source anchor of ${u.upn ?? u.dn} changed on-premises; the object no longer synchronizes until it is changed back.`,
      });
      if (csync) recordFailure(csync, u, this.tenant.findByImmutableId(entry.anchor) ?? null, 'SourceAnchorChanged', 'The source anchor changed on-premises; the object no longer synchronizes.', 'failure', this.onDemand);
      return;
    }
    const cloud = this.tenant.findByImmutableId(anchor);
    // A Cloud Sync schema without an otherMobile mapping flows none of it: Entra ID keeps what it holds.
    if (csync && !csync.otherMobileMapped) desired.alternateMobilePhones = cloud ? [...cloud.alternateMobilePhones] : [];
    const common = { server: this.state.server, actor: this.actor(), touchLastSync: this.state.knobs.advanceLastSyncOnExport };
    if (!cloud) {
      if (!u.upn) {
        report.errors.push({
          dn: u.dn,
          code: 'NO_UPN',
          message: `${u.samAccountName ?? u.dn} has no userPrincipalName; the simulator cannot provision it.`,
        });
        if (csync) recordFailure(csync, u, null, 'AzureActiveDirectoryInvalidUserPrincipalName', `${u.samAccountName ?? u.dn} has no userPrincipalName; it cannot be created in Entra ID.`, 'failure', this.onDemand);
        return;
      }
      const r = this.tenant.syncWrite({
        ...common,
        kind: 'add',
        immutableId: anchor,
        attributes: { ...desired, userPrincipalName: u.upn, accountEnabled: true },
      });
      this.cs.set(u.objectGuid.toLowerCase(), { objectGuid: u.objectGuid.toLowerCase(), anchor, dn: u.dn, exported: desired });
      if (csync) recordExport(csync, { action: 'create', u, cloud: this.tenant.findByImmutableId(anchor) ?? null, changes: desired, previous: null, outcome: r.outcome, reason: r.reason, onDemand: this.onDemand });
      report.exported++;
      report.added++;
      this.listExport(report, {
        anchor,
        upn: u.upn,
        outcome: r.outcome,
        applied: r.applied,
        suppressedByOverride: r.suppressedByOverride,
      });
      return;
    }
    const baseline = compareWithCloud || !entry ? cloudValues(cloud) : entry.exported;
    const changes = diff(desired, baseline);
    const previous = cloudValues(cloud);
    this.cs.set(u.objectGuid.toLowerCase(), { objectGuid: u.objectGuid.toLowerCase(), anchor, dn: u.dn, exported: desired });
    if (Object.keys(changes).length === 0) return;
    const r = this.tenant.syncWrite({ ...common, kind: 'update', immutableId: anchor, attributes: changes });
    if (csync) recordExport(csync, { action: 'update', u, cloud, changes, previous: { ...previous }, outcome: r.outcome, reason: r.reason, onDemand: this.onDemand });
    report.exported++;
    if (r.outcome === 'updated') report.updated++;
    else if (r.outcome === 'unchanged') report.unchanged++;
    else if (r.outcome === 'skipped') report.skipped++;
    this.listExport(report, {
      anchor,
      upn: cloud.userPrincipalName,
      outcome: r.outcome,
      applied: r.applied,
      suppressedByOverride: r.suppressedByOverride,
      reason: r.reason,
    });
    if (r.suppressedByOverride.length > 0) {
      report.ignoredDueToOverrideCount++;
      if (report.ignoredDueToOverride.length < MAX_LISTED) {
        report.ignoredDueToOverride.push({
          anchor,
          upn: cloud.userPrincipalName,
          dn: u.dn,
          properties: [...r.suppressedByOverride],
          onPremValue: u.mobile,
          cloudValue: cloud.mobilePhone,
        });
      }
    }
    if (r.applied.includes('mobilePhone') && desired.mobilePhone === null && previous.mobilePhone !== null) {
      this.listCleared(report, { anchor, upn: cloud.userPrincipalName, property: 'mobilePhone', previous: previous.mobilePhone });
    }
    if (r.applied.includes('alternateMobilePhones')) {
      report.alternateMobileOverwritten++;
      if (desired.alternateMobilePhones.length === 0 && previous.alternateMobilePhones.length > 0) {
        this.listCleared(report, {
          anchor,
          upn: cloud.userPrincipalName,
          property: 'alternateMobilePhones',
          previous: previous.alternateMobilePhones,
        });
      }
    }
  }

  private exportDeletes(pending: ConnectorEntry[], report: SyncCycleReport): void {
    if (pending.length === 0) return;
    const threshold = this.state.knobs.deletionThreshold;
    if (threshold !== null && pending.length > threshold) {
      report.errors.push({
        dn: '',
        code: 'EXPORT_DELETION_THRESHOLD',
        message: `${pending.length} deletions exceed the export deletion threshold (${threshold}); none were exported. Check the scope, then raise or disable the threshold.`,
      });
      return;
    }
    for (const e of pending) {
      const r = this.tenant.syncWrite({ kind: 'delete', immutableId: e.anchor, server: this.state.server, actor: this.actor() });
      this.cs.delete(e.objectGuid.toLowerCase());
      report.exported++;
      if (r.outcome === 'deleted') report.deleted++;
      else report.skipped++;
      this.listExport(report, {
        anchor: e.anchor,
        upn: null,
        outcome: r.outcome,
        applied: [],
        suppressedByOverride: [],
        reason: r.reason,
      });
    }
  }

  private listExport(report: SyncCycleReport, x: ObjectExport): void {
    if (report.exports.length < MAX_LISTED) report.exports.push(x);
  }

  private listCleared(report: SyncCycleReport, c: ClearedValue): void {
    report.clearedCount++;
    if (report.cleared.length < MAX_LISTED) report.cleared.push(c);
  }
}
