/**
 * Composition root of the service side: builds every service from the ports a host supplies and
 * returns the contract's handlers. Hosts (Electron utilityProcess, browser host, tests) call this;
 * nothing here knows which host it runs in.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { z } from 'zod';
import { join } from 'node:path';
import type { Clock, Encryptor, Logger, Network } from '../core/ports';
import { CancelledError, SyncDriftError, callerMessage } from '../core/errors';
import { timelineOf } from '../drift/timeline';
import { demoEngineObjects } from '../sandbox/demo-engine';
import { parseDirectoryAudits } from '../drift/audit';
import { renderViews } from '../evidence/powershell-views';
import { buildEvidencePackage } from '../evidence/package';
import { verifyEvidence } from '../evidence/verify';
import { evidenceInputFromWorkspace } from './evidence-input';
import { demoHelpdeskActor } from '../sandbox/demo';
import { openWorkspace, type Workspace } from '../workspace';
import type { ConnectionTest, ProfileSummary, RowDetails } from '../../preload/contract';
import { createRouter, validatedEventSink, type Handlers, type Router } from './router';
import { Operations } from './operations';
import { APP_NAME, APP_VERSION } from '../core/version';
import { SandboxRuntime } from './sandbox-runtime';
import { CLOUD_SECRET, SecretVault, confirmConsent, onPremSecretName, type WeakStorageQuestion } from './secrets';
import { secretsInEnv } from '../evidence/redact';
import { ProfileService, SANDBOX_PROFILE_ID } from './profile-service';
import { CloudConnections, openDirectories, sourceIdOf, type SignInPrompts } from './connections';
import { ScanService, toScanInfo, withAudit, type ScanTarget } from './scan-service';
import { liveRemediationTarget, RemediationService, type RemediationTarget } from './remediation-service';
import { ConnectImportService } from './connect-import-service';

export interface ServicePorts {
  host: 'electron' | 'browser' | 'test';
  workspaceDir: string;
  logger: Logger;
  clock: Clock;
  encryptor: Encryptor;
  network: Network;
  /** Pushes an event to every connected renderer. */
  send: (event: string, payload: unknown) => void;
  /** Extra runtime versions the host knows (electron, chrome). */
  versions?: Record<string, string>;
  /** Opens a folder in the OS file manager where the host can (Electron); absent elsewhere. */
  openPath?: (path: string) => Promise<boolean>;
  /** The host's own question for the weak-storage consent (Electron: main's dialog; browser host: its launch command); see confirmConsent. */
  confirmWeakSecretStorage?: WeakStorageQuestion;
  /** The host's network port is shared by live cloud clients only where it adds value (Electron's net.fetch). */
  shareNetwork?: boolean;
}

export interface Services {
  router: Router;
  workspace: Workspace;
  sandbox: SandboxRuntime;
  dispose(): Promise<void>;
}

const MAX_LOG_BYTES_IN_DIAGNOSTICS = 256 * 1024;

export async function createServices(ports: ServicePorts): Promise<Services> {
  mkdirSync(ports.workspaceDir, { recursive: true, mode: 0o700 });
  const workspace = openWorkspace(join(ports.workspaceDir, 'workspace.db'), { clock: ports.clock });
  const ops = new Operations();
  const emit = validatedEventSink(ports.send, ports.logger);
  const vault = new SecretVault(workspace, ports.encryptor);
  const profiles = new ProfileService(workspace, vault, ports.workspaceDir);
  const sandbox = new SandboxRuntime({ workspace, logger: ports.logger.child({ component: 'sandbox' }), clock: ports.clock });
  const clouds = new CloudConnections({ vault, logger: ports.logger, clock: ports.clock, encryptor: ports.encryptor, network: ports.shareNetwork ? ports.network : undefined });
  const scans = new ScanService({ workspace, logger: ports.logger, clock: ports.clock, emit, ops, afterScan: () => sandbox.save() });
  const connectImports = new ConnectImportService({
    workspace,
    logger: ports.logger.child({ component: 'connect-import' }),
    clock: ports.clock,
    emit,
    ops,
    assertProfile: (profileId) => {
      if (profileId !== SANDBOX_PROFILE_ID) profiles.get(profileId);
    },
  });
  const logsDir = join(ports.workspaceDir, 'logs');
  const startedAt = ports.clock.now().toISOString();

  const prompts = (profileId: string): SignInPrompts => ({
    deviceCode: (info) => emit('auth.deviceCode', { profileId, userCode: info.userCode, verificationUri: info.verificationUri, message: info.message }),
    signInUrl: (url) => emit('auth.signInUrl', { profileId, url }),
    signedIn: (account) => emit('auth.signedIn', { profileId, account }),
  });

  /** What a scan of this profile reads from. */
  async function scanTarget(profileId: string): Promise<ScanTarget> {
    if (profileId === SANDBOX_PROFILE_ID) {
      const sb = await sandbox.get();
      return {
        profileId,
        profileName: 'Sandbox tenant (demo)',
        kind: 'demo',
        defaultRegion: 'US',
        directories: [sb.demo.directory],
        client: sb.client,
        tenantId: sb.server.tenantId,
        cloud: 'custom',
        closeDirectories: false,
        // An imported Connect export stands in for the simulator's own (the admin practising the import).
        ...(sb.demo.sync.engine === 'cloud-sync' ? { cloudSync: { servicePrincipalId: sb.server.tenant.cloudSyncJob.servicePrincipalId } } : { engineObjects: () => connectImports.objects(profileId) ?? demoEngineObjects(sb.demo.sync) }),
      };
    }
    const live = profiles.get(profileId);
    const client = await clouds.signedIn(profileId, live.profile, prompts(profileId));
    return {
      profileId,
      profileName: live.profile.name,
      kind: 'live',
      defaultRegion: live.profile.defaultRegion,
      directories: openDirectories(profileId, live.profile, vault, ports.logger),
      client,
      tenantId: live.profile.cloud.tenantId,
      cloud: live.profile.cloud.authorityHost || live.profile.cloud.environment === 'sandbox' ? 'custom' : live.profile.cloud.environment,
      closeDirectories: true,
      ...(live.profile.cloud.cloudSync ? { cloudSync: live.profile.cloud.cloudSync } : {}),
      ...(connectImports.objects(profileId) ? { engineObjects: () => connectImports.objects(profileId) ?? [] } : {}),
    };
  }

  /** What remediation writes through: the scan target plus the sync engine and the DCs the Connect server reads. */
  async function remediationTarget(profileId: string): Promise<RemediationTarget> {
    const t = await scanTarget(profileId);
    if (profileId === SANDBOX_PROFILE_ID) {
      const sb = await sandbox.get();
      return {
        ...t,
        syncEngine: sb.demo.sync.engine === 'cloud-sync' ? 'cloud-sync' : 'connect',
        connectServer: sb.demo.sync.server,
        replicaDcs: [],
        // The sandbox runs the full cycle itself, so training sessions complete end to end.
        runSyncCycle: async () => {
          const r = await sb.demo.sync.runCycle('initial');
          sandbox.save();
          emit('sandbox.changed', { reason: 'initial sync cycle (remediation)' });
          return { summary: `Initial cycle on ${r.server}: ${r.exported} exported, ${r.clearedCount} cloud values cleared, ${r.ignoredDueToOverrideCount} ignored by overrides.` };
        },
        timing: { pollMs: 300, verifyTimeoutMs: 120_000, replicationTimeoutMs: 60_000, resumeReadWindowMs: 5_000 },
        afterWrites: () => {
          sandbox.save();
          emit('sandbox.changed', { reason: 'remediation' });
        },
      };
    }
    return liveRemediationTarget(t, profiles.get(profileId).profile);
  }
  const remediation = new RemediationService({ workspace, logger: ports.logger, clock: ports.clock, emit, ops, target: remediationTarget });

  /**
   * Every secret the package builder must redact (and refuse to write if one survives): what the
   * scan's profile stored in the vault, the values of the environment variables it names, and any
   * secret-named variable of the environment, as the CLI passes.
   */
  async function knownSecrets(profileId: string | null): Promise<string[]> {
    const env = process.env;
    const out = secretsInEnv(env);
    if (!profileId || profileId === SANDBOX_PROFILE_ID) return out;
    let profile;
    try {
      profile = profiles.get(profileId).profile;
    } catch {
      return out; // the profile was deleted since the scan, and its vault entries with it
    }
    const stored = async (name: string) => {
      try {
        const v = await vault.valueToRedact(profileId, name);
        if (v) out.push(v);
      } catch (e) {
        ports.logger.warn('a stored secret could not be read for the evidence redaction', { profileId, name, error: e instanceof Error ? e.message : String(e) });
      }
    };
    for (const source of profile.onPrem) {
      await stored(onPremSecretName(sourceIdOf(source)));
      if (source.passwordEnv && env[source.passwordEnv]) out.push(env[source.passwordEnv]!);
    }
    await stored(CLOUD_SECRET);
    const auth = profile.cloud.auth;
    if (auth.type === 'clientSecret' && env[auth.secretEnv]) out.push(env[auth.secretEnv]!);
    if (auth.type === 'certificate' && auth.passphraseEnv && env[auth.passphraseEnv]) out.push(env[auth.passphraseEnv]!);
    return out;
  }

  async function evidenceFor(scanId: string, rowKeys: readonly string[] | undefined, mask: boolean, session?: { plan: unknown; journal: unknown[]; verification: Record<string, unknown> }) {
    const scan = scans.scanOrThrow(scanId);
    const operator = scan.profileId === SANDBOX_PROFILE_ID ? (sandbox.running?.client.activeSession()?.username ?? 'sandbox operator') : `${userInfo().username} (workstation account)`;
    const input = evidenceInputFromWorkspace(workspace, scanId, { operator, rowKeys, ...(session ? { session: session as never } : {}) });
    const pkg = await buildEvidencePackage(input, { users: rowKeys ? [...rowKeys] : undefined, mask, clock: ports.clock, secrets: await knownSecrets(scan.profileId) });
    const stamp = ports.clock.now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const safe = scan.profileName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'scan';
    return { fileName: `syncdrift-evidence-${safe}-${stamp}${session ? '-session' : ''}.zip`, zipBase64: pkg.zip.toString('base64'), files: pkg.files.size, manifestSha256: pkg.manifestSha256, masked: mask };
  }

  function profileSummary(profileId: string): ProfileSummary {
    if (profileId === SANDBOX_PROFILE_ID) return profiles.sandboxSummary(sandbox.running ? { tenantId: sandbox.running.server.tenantId } : null, startedAt);
    return profiles.summary(profiles.get(profileId).record);
  }

  function tenantOf(scanMeta: Record<string, unknown>): string | null {
    return typeof scanMeta.tenantId === 'string' ? scanMeta.tenantId : null;
  }

  async function testConnections(profileId: string): Promise<ConnectionTest> {
    const target = await scanTarget(profileId);
    const onPrem = await Promise.all(
      target.directories.map(async (d) => {
        const info = d.describe();
        try {
          const it = d.scan({ pageSize: 1 });
          await it.next();
          await it.return?.({ watermark: null, incremental: false, objects: 0 });
          const tls = info.label.startsWith('ldaps://') ? 'LDAPS (TLS)' : info.kind === 'ldap' ? 'StartTLS' : null;
          return { sourceId: info.id, ok: true, message: `Bound and read ${info.searchBases.join('; ')}`, tls };
        } catch (e) {
          return { sourceId: info.id, ok: false, message: callerMessage(e, ports.logger, `Reading ${info.id} failed`), tls: null };
        }
      }),
    );
    if (target.closeDirectories) await Promise.all(target.directories.map((d) => d.close().catch(() => {})));
    let cloud: ConnectionTest['cloud'];
    try {
      const session = target.client.activeSession();
      const caps = await target.client.checkPermissions({ probe: true });
      cloud = {
        ok: true,
        message: `Signed in to tenant ${target.tenantId}`,
        signedInAs: session?.username ?? session?.name ?? null,
        capabilities: caps.map((c) => ({ capability: c.capability, label: c.label, state: c.state, detail: c.state === 'missing' ? (c.grant ?? c.reason) : c.reason })),
      };
    } catch (e) {
      cloud = { ok: false, message: callerMessage(e, ports.logger, 'The cloud check failed'), signedInAs: null, capabilities: [] };
    }
    return { onPrem, cloud };
  }

  const handlers: Handlers = {
    'app.info': () => ({
      name: APP_NAME,
      version: APP_VERSION,
      host: ports.host,
      sandbox: true,
      platform: process.platform,
      versions: { node: process.versions.node, ...(ports.versions ?? {}) },
      workspacePath: ports.workspaceDir,
    }),
    'app.echo': ({ text }) => ({ text, receivedAt: ports.clock.now().toISOString() }),
    'op.cancel': ({ operationId }) => ({ cancelled: ops.cancel(operationId) }),

    'connectExport.import': ({ profileId, files }) => connectImports.start(profileId, files),
    'connectExport.get': ({ profileId }) => ({ import: connectImports.info(profileId) }),
    'connectExport.remove': ({ profileId }) => ({ removed: connectImports.remove(profileId) }),

    'profiles.list': () => ({ profiles: [profileSummary(SANDBOX_PROFILE_ID), ...profiles.list()] }),
    'profiles.get': ({ id }) => {
      const live = profiles.get(id);
      return { summary: profiles.summary(live.record), document: live.record.profile };
    },
    'profiles.save': async (input) => {
      const summary = await profiles.save(input);
      // The next operation builds its client from the saved settings, not the ones it was made with.
      if (input.id) await clouds.forget(input.id);
      return { summary };
    },
    'profiles.duplicate': ({ id }) => ({ summary: profiles.duplicate(id) }),
    'profiles.delete': async ({ id }) => {
      await clouds.forget(id);
      const deleted = profiles.delete(id);
      if (deleted) connectImports.forget(id);
      return { deleted };
    },
    'profiles.import': async ({ text }) => ({ summary: await profiles.import(text) }),
    'profiles.export': ({ id }) => profiles.export(id),
    'profiles.test': ({ id }) => testConnections(id),

    'secrets.storage': () => vault.storage(),
    'secrets.consent': async (input) => {
      if (input.action === 'accept') await confirmConsent(vault, input.backend, ports.confirmWeakSecretStorage, ports.logger);
      const status = input.action === 'accept' ? vault.consent(input.backend, ports.clock.now()) : vault.revokeConsent({ forgetStored: input.forgetStored });
      ports.logger.info(input.action === 'accept' ? 'secret storage: weak backend accepted by the admin' : 'secret storage: consent revoked', {
        backend: status.backend,
        ...(input.action === 'revoke' ? { forgetStored: input.forgetStored } : {}),
      });
      // Clients built while consent held would go on writing their sign-in cache: rebuild them. (After an
      // accept, clients signed in before keep their sign-ins in memory until the next start.)
      if (input.action === 'revoke') await clouds.closeAll();
      return status;
    },

    'dashboard.get': async ({ profileId }) => {
      const target = await scanTarget(profileId);
      const [org, features] = await Promise.all([
        target.client.getOrganization().catch(() => null),
        target.client.getSyncFeatures().catch((e: unknown) => ({ state: 'unknown' as const, reason: callerMessage(e, ports.logger, 'Reading the sync features failed'), code: 'ERROR' })),
      ]);
      if (target.closeDirectories) await Promise.all(target.directories.map((d) => d.close().catch(() => {})));
      const list = workspace.scans.list({ limit: 200 }).filter((s) => s.profileId === profileId);
      const latest = list[0] ?? null;
      return {
        profile: profileSummary(profileId),
        tenant: {
          displayName: org?.displayName ?? null,
          lastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
          bypass: features.state === 'known' ? (features.bypassDirSyncOverridesEnabled ? 'on' : 'off') : 'unknown',
          bypassReason:
            features.state === 'known'
              ? features.bypassDirSyncOverridesEnabled
                ? 'BypassDirSyncOverrides is on: AD mobile and otherMobile win at the next full sync for every user.'
                : 'BypassDirSyncOverrides is off: cloud overrides keep ignoring AD changes.'
              : features.reason,
        },
        latestScan: latest ? toScanInfo(latest) : null,
        trend: list
          .filter((s) => s.summary)
          .slice(0, 30)
          .reverse()
          .map((s) => ({ scanId: s.id, at: s.startedAt, byStatus: s.summary!.byStatus })),
      };
    },

    'scan.start': async ({ profileId }) => scans.start(await scanTarget(profileId)),
    'scans.list': ({ profileId }) => ({ scans: workspace.scans.list({ limit: 200 }).filter((s) => s.profileId === profileId).map(toScanInfo) }),
    'scans.get': ({ scanId }) => toScanInfo(scans.scanOrThrow(scanId)),
    'rows.page': ({ scanId, offset, limit }) => {
      const scan = scans.scanOrThrow(scanId);
      const tenantId = tenantOf(scan.meta);
      const mark = tenantId ? workspace.audit.mark(tenantId) : null;
      const lookup = tenantId ? workspace.audit.lookup(tenantId, { complete: Boolean(mark?.coveredFrom) }) : null;
      const { rows, total } = workspace.rows.query(scanId, { sort: 'seq', offset, limit });
      return { total, offset, rows: rows.map((r) => withAudit(r, lookup)) };
    },
    'rows.details': async ({ scanId, rowKey }) => {
      const scan = scans.scanOrThrow(scanId);
      const stored = workspace.rows.get(scanId, rowKey);
      if (!stored) throw new SyncDriftError('not-found', 'ROW_NOT_FOUND', `Scan ${scanId} has no row ${rowKey}.`);
      const tenantId = tenantOf(scan.meta);
      const mark = tenantId ? workspace.audit.mark(tenantId) : null;
      const lookup = tenantId ? workspace.audit.lookup(tenantId, { complete: Boolean(mark?.coveredFrom) }) : null;
      const row = withAudit(stored, lookup);
      const onPremUser = row.onPrem ? workspace.scans.onPremUser(scanId, row.onPrem.sourceId, row.onPrem.dn) : null;
      const cloudUser = row.cloud ? workspace.scans.cloudUser(scanId, row.cloud.id) : null;
      const changes = tenantId && row.cloud ? workspace.audit.forUser(tenantId, row.cloud.id, 50) : [];
      const audit: RowDetails['audit'] = !row.cloud
        ? { state: 'unavailable', message: 'No cloud user: nothing in the audit log to look for.', records: [] }
        : changes.length
          ? {
              state: 'known',
              message: `${changes.length} change(s) of this user's mobile phone in the audit log`,
              records: changes.map((c) => ({ at: c.at, actor: c.actor ?? 'unknown initiator', oldValue: c.oldValue, newValue: c.newValue, syncWrite: c.syncWrite })),
            }
          : mark?.coveredFrom
            ? { state: 'outside-retention', message: `No change recorded since ${mark.coveredFrom}: an earlier edit is outside the audit log's retention.`, records: [] }
            : { state: 'loading', message: 'The audit index is still filling in the background.', records: [] };
      // Source-of-authority switches come from the raw records kept for the user (evidence keeps the same).
      const authorityChanges = tenantId && row.cloud ? parseDirectoryAudits(workspace.audit.recordsForUser(tenantId, row.cloud.id)).authorityChanges : [];
      return { row, timeline: timelineOf(row, { authorityChanges }), audit, views: renderViews(row, onPremUser, cloudUser, scan.finishedAt ?? scan.startedAt) };
    },

    'prefs.get': ({ scope }) => ({ value: workspace.settings.get(`prefs:${scope}`, z.unknown()) ?? null }),
    'prefs.set': ({ scope, value }) => {
      const text = JSON.stringify(value ?? null);
      if (text.length > 64 * 1024) throw new SyncDriftError('validation', 'PREFS_TOO_LARGE', 'value: preferences must stay under 64 KiB');
      workspace.settings.set(`prefs:${scope}`, value ?? null);
      return { saved: true };
    },

    'sandbox.runSync': async ({ type }) => {
      const sb = await sandbox.get();
      const r = await sb.demo.sync.runCycle(type);
      sandbox.save();
      emit('sandbox.changed', { reason: `${type} sync cycle` });
      return {
        type,
        seen: r.seen,
        exported: r.exported,
        ignoredByOverride: r.ignoredDueToOverrideCount,
        cleared: r.clearedCount,
        errors: r.errors.map((e) => e.message),
        finishedAt: r.finishedAt,
      };
    },
    'sandbox.legacyEdit': async ({ cloudUserId, value }) => {
      const sb = await sandbox.get();
      // The demo's helpdesk operator makes training edits, as in the scripted history.
      sb.demo.tenant.legacyCloudEdit(cloudUserId, value, demoHelpdeskActor(sb.demo.tenant));
      sandbox.save();
      emit('sandbox.changed', { reason: 'legacy cloud edit' });
      return { done: true };
    },
    'sandbox.reset': async () => {
      await sandbox.reset();
      emit('sandbox.changed', { reason: 'demo reset' });
      return { done: true };
    },

    'evidence.build': ({ scanId, rowKeys, mask }) => evidenceFor(scanId, rowKeys, mask),
    'evidence.verify': ({ zipBase64 }) => {
      // A long operation like a scan: a crafted zip is refused before inflating, an honest big one
      // reports progress and can be cancelled (op.cancel).
      const op = ops.start();
      const tmp = mkdtempSync(join(tmpdir(), 'sd-verify-'));
      const file = join(tmp, 'package.zip');
      writeFileSync(file, Buffer.from(zipBase64, 'base64'), { mode: 0o600 });
      const started = performance.now();
      void (async () => {
        try {
          const r = await verifyEvidence(file, {
            signal: op.signal,
            onProgress: (p) => emit('op.progress', { operationId: op.id, ...p, elapsedMs: Math.round(performance.now() - started) }),
          });
          emit('evidence.verified', { operationId: op.id, state: 'done', ok: r.ok, problems: r.ok ? [] : r.problems.map((p) => ({ kind: p.kind, file: p.file, message: p.message })) });
        } catch (e) {
          const cancelled = e instanceof CancelledError || op.signal.aborted;
          emit('evidence.verified', { operationId: op.id, state: cancelled ? 'cancelled' : 'failed', ok: false, problems: [], message: cancelled ? 'The verification was cancelled.' : callerMessage(e, ports.logger, 'The verification failed') });
        } finally {
          op.done();
          rmSync(tmp, { recursive: true, force: true });
        }
      })();
      return { operationId: op.id };
    },

    'remediation.suggest': ({ scanId, rowKeys }) => ({ suggestions: remediation.suggest(scanId, rowKeys) }),
    'remediation.plan': ({ scanId, selected, decisions }) => remediation.plan(scanId, selected, decisions),
    'remediation.preflight': ({ plan, acceptNotScanned }) => remediation.preflight(plan, acceptNotScanned),
    'remediation.apply': ({ plan, confirmUsers, acceptNotScanned }) => ({ operationId: remediation.apply(plan, confirmUsers, acceptNotScanned) }),
    'remediation.sessions': () => ({ sessions: remediation.sessions() }),
    'remediation.session': ({ sessionId }) => remediation.session(sessionId),
    'remediation.resume': ({ sessionId, confirm, takeOver }) => ({ operationId: remediation.resume(sessionId, confirm, { takeOver: takeOver === true }) }),
    'remediation.undo': ({ sessionId, takeOver, turnBypassOff }) => ({ operationId: remediation.undo(sessionId, { takeOver: takeOver === true, turnBypassOff: turnBypassOff === true }) }),
    'remediation.restorePlan': ({ sessionId, rowKeys }) => ({ plan: remediation.restorePlan(sessionId, rowKeys) }),
    'remediation.provisionOnDemand': ({ scanId, rowKey }) => remediation.provisionOnDemand(scanId, rowKey),
    'remediation.evidence': ({ sessionId, mask }) => {
      const ev = remediation.sessionEvidence(sessionId);
      return evidenceFor(
        ev.scanId,
        ev.plan.rows.map((r) => r.key),
        mask,
        { plan: ev.plan, journal: ev.journal, verification: ev.verification },
      );
    },
    'sandbox.knobs': async ({ latencyMs, errorRate }) => {
      const sb = await sandbox.get();
      const k = sb.server.setKnobs({ faults: { ...(latencyMs !== undefined ? { latencyMs } : {}), ...(errorRate !== undefined ? { errorRate } : {}) } });
      return { latencyMs: k.faults.latencyMs, errorRate: k.faults.errorRate };
    },

    'help.logs': async () => ({ path: logsDir, opened: ports.openPath ? await ports.openPath(logsDir) : false }),
    'help.diagnostics': ({ includeDirectoryData }) => {
      const lines: string[] = [];
      lines.push(`${APP_NAME} ${APP_VERSION} diagnostics, ${ports.clock.now().toISOString()}`);
      lines.push(`host: ${ports.host}; platform: ${process.platform} ${process.arch}; node ${process.versions.node}`);
      for (const [k, v] of Object.entries(ports.versions ?? {})) lines.push(`${k}: ${v}`);
      lines.push(`network: ${ports.network.describe()}`);
      const store = vault.storage();
      lines.push(`secret store: ${store.description}${store.strong ? '' : store.consent ? ` (weak; the admin consented ${store.consent.at})` : ' (weak; not consented, so new secrets are not stored)'}; ${store.storedSecrets} stored`);
      lines.push(`profiles: ${profiles.list().length} live + sandbox (documents and secrets not included)`);
      lines.push(`scans kept: ${workspace.scans.list({ limit: 1000 }).length}`);
      if (includeDirectoryData) {
        const latest = workspace.scans.latest();
        if (latest?.summary) lines.push(`latest scan ${latest.id} (${latest.profileName}) counts: ${JSON.stringify(latest.summary.byStatus)}`);
      } else lines.push('directory data: not included (tick the box to include the latest scan’s counts)');
      lines.push('', '--- recent logs (secrets are redacted when written) ---');
      try {
        const files = readdirSync(logsDir).filter((f) => f.endsWith('.log'));
        for (const f of files) {
          const p = join(logsDir, f);
          const size = statSync(p).size;
          const text = readFileSync(p, 'utf8');
          lines.push(`## ${f} (${size} bytes${size > MAX_LOG_BYTES_IN_DIAGNOSTICS ? ', last 256 KiB' : ''})`, text.slice(-MAX_LOG_BYTES_IN_DIAGNOSTICS));
        }
      } catch {
        lines.push('(no logs yet)');
      }
      const stamp = ports.clock.now().toISOString().replace(/[:.]/g, '-');
      return { fileName: `syncdrift-diagnostics-${stamp}.txt`, text: lines.join('\n') + '\n' };
    },
  };

  return {
    router: createRouter(handlers, ports.logger),
    workspace,
    sandbox,
    async dispose() {
      ops.cancelAll();
      await sandbox.stop();
      await clouds.closeAll();
      workspace.close();
    },
  };
}
