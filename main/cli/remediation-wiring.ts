/**
 * Builds the remediation engine for the CLI: with `--profile`, the profile's LDAP sources and a
 * signed-in CloudClient (the bypass needs a delegated sign-in: deviceCode or interactive); without
 * one, the sandbox demo of the workspace (the same runtime `syncdrift demo` and the app use), whose
 * simulator runs the full cycle and whose state is saved back when the command ends.
 */
import { resolve } from 'node:path';
import { openCliCloudClient } from './cloud-sign-in';
import { secretsFor } from './sources';
import { createNodeNetwork } from '../cloud/network';
import { ValidationError } from '../core/errors';
import { createLogger } from '../core/logger';
import type { Clock } from '../core/ports';
import { noProgress, throttledProgress, type ProgressSink } from '../core/progress';
import { systemClock } from '../core/ports';
import { loadProfile } from '../core/profile';
import { runScan } from '../drift/pipeline';
import { LdapDirectory } from '../onprem/ldap';
import { passwordFromEnv } from '../core/onprem-profile';
import { SandboxRuntime } from '../api/sandbox-runtime';
import { openWorkspace } from '../workspace/workspace';
import { cloudPortFromClient, cloudSyncCyclePort, RemediationEngine, workspaceJournalStore } from '../remediation';
import { openWorkspaceJournal, type EngineHandle, type RemediationCommandDeps, type RemediationCommandIo } from './remediation-commands';
import type { Operator } from '../remediation';
import { reportWithCloudManaged } from '../api/scan-service';
import type { DriftReport } from '../core/model';
import type { EngineFlows, EngineObject } from '../core/engine-view';
import { demoEngineView } from './demo-engine-view';
import type { Profile } from '../core/profile';
import type { OnPremDirectory } from '../onprem/port';
import type { CloudClient } from '../cloud';
import { readProfileCloudSyncView, refuseConnectExportsForCloudSync } from './cloud-sync';
import { keptConnectRead, startConnectExportRead } from './connect-exports';

export function cliRemediationDeps(opts: { clock?: Clock } = {}): RemediationCommandDeps {
  const clock = opts.clock ?? systemClock;
  return {
    clock,
    openEngine: async ({ workspaceFile, profile, operator, io, connectExports }) => {
      if (profile) return openLive(profile, workspaceFile, operator, io, clock, connectExports ?? []);
      if (connectExports?.length) throw new ValidationError('--connect-export', 'needs --profile: the sandbox demo joins its own sync engine\u2019s view');
      return openDemo(workspaceFile, operator, io, clock);
    },
  };
}

async function openLive(profileFile: string, workspaceFile: string, operator: Operator, io: RemediationCommandIo, clock: Clock, connectExports: readonly string[]): Promise<EngineHandle> {
  const profile = await loadProfile(resolve(io.cwd, profileFile));
  refuseConnectExportsForCloudSync(profile, connectExports, 'the rescan');
  const logger = createLogger(() => {});
  const extraCa = io.env.NODE_EXTRA_CA_CERTS;
  const network = await createNodeNetwork({ env: io.env, ...(extraCa ? { extraCaFiles: [extraCa] } : {}) });
  const directories = new Map(profile.onPrem.map((s) => [s.id ?? new URL(s.url).hostname, new LdapDirectory(s, { getPassword: passwordFromEnv(s, io.env), logger })]));
  const journal = openWorkspaceJournal(workspaceFile);
  const close = async () => {
    await Promise.all([...directories.values()].map((d) => d.close().catch(() => {})));
    await network.close().catch(() => {});
    journal.close();
  };
  try {
    const auth = profile.cloud.auth;
    if (auth.type === 'certificate') throw new ValidationError('cloud.auth', 'remediation from the CLI signs in with deviceCode, interactive or clientSecret; the bypass needs a delegated Global Administrator anyway');
    const signal = io.signal;
    const client = await openCliCloudClient({
      profile,
      env: io.env,
      network,
      logger,
      clock,
      secrets: await secretsFor(profile, io.env),
      workspaceFile,
      acceptWeakSecretStorage: io.acceptWeakSecretStorage ?? false,
      onDeviceCode: (i) => void io.stderr.write(`${i.message}\n`),
      notify: (line) => void io.stderr.write(`${line}\n`),
      ...(signal ? { signal } : {}),
    });
    const onPrem = (sourceId: string) => {
      const d = directories.get(sourceId);
      if (!d) throw new ValidationError('plan.rows[].onPrem.sourceId', `the profile has no on-prem source "${sourceId}" (it has ${[...directories.keys()].join(', ')})`);
      return d;
    };
    const rescan = liveRescan({ profile, directories: [...directories.values()], client, workspaceFile, connectExports, clock, say: (line) => void io.stderr.write(`${line}\n`) });
    // A Cloud Sync tenant's full cycle is the job's restart (empty criteria), which the product can run itself.
    const cs = profile.cloud.cloudSync;
    const engine = new RemediationEngine({ journal, onPrem, cloud: cloudPortFromClient(client), operator, clock, logger, rescan, ...(cs ? { runSyncCycle: cloudSyncCyclePort(client, cs.servicePrincipalId) } : {}) });
    return { engine, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function openDemo(workspaceFile: string, operator: Operator, io: RemediationCommandIo, clock: Clock): Promise<EngineHandle> {
  const logger = createLogger(() => {});
  const ws = openWorkspace(workspaceFile, { clock });
  const runtime = new SandboxRuntime({ workspace: ws, logger, clock });
  const journal = workspaceJournalStore(ws);
  const close = async () => {
    await runtime.stop().catch(() => {}); // saves both sides and the simulator to the workspace
    ws.close();
  };
  try {
    const conn = await runtime.get();
    io.stderr.write('No --profile: remediating the sandbox demo of this workspace.\n');
    const engine = new RemediationEngine({
      journal,
      onPrem: () => conn.demo.directory,
      cloud: cloudPortFromClient(conn.client),
      runSyncCycle: async (_policy, o) => {
        const r = await conn.demo.sync.runCycle('initial', o);
        return { summary: `initial cycle: ${r.exported} object(s) exported` };
      },
      operator,
      clock,
      logger,
      // Joined with the engine's view like `syncdrift demo` and the app, or the demo rule's users look like new format-only drift.
      rescan: async (o) => {
        const engine = await demoEngineView(conn, { clock, ...(o.signal ? { signal: o.signal } : {}) });
        const engineObjects = engine.objects ?? undefined;
        const engineFlows = engine.flows;
        return rescanWithManaged(
          await runScan({ onPrem: [conn.demo.directory], cloudUsers: conn.client.listUsers(o.signal ? { signal: o.signal } : {}), profileName: 'Contoso (sandbox demo)', defaultRegion: 'US', clock, ...(engineObjects ? { engineObjects } : {}), ...(engineFlows ? { engineFlows } : {}), ...(o.signal ? { signal: o.signal } : {}) }),
          { client: conn.client, defaultRegion: 'US', profileName: 'Contoso (sandbox demo)' },
          o.signal,
          engineObjects,
          engineFlows,
        );
      },
    });
    return { engine, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The preflight's rescan of a live profile: a full scan of its directories and tenant that joins the
 * sync engine's view as the scan did (rescanEngineView), or the users a sync rule reformats
 * (rule-formatted in the plan) read as new drift the plan does not list, and block it.
 */
export function liveRescan(o: {
  profile: Profile;
  directories: OnPremDirectory[];
  client: CloudClient;
  workspaceFile: string;
  connectExports: readonly string[];
  clock: Clock;
  say: (line: string) => void;
}): (run: { signal?: AbortSignal; onProgress?: ProgressSink }) => Promise<DriftReport> {
  const { profile, client, clock } = o;
  return async (run) => {
    // apply prints a line per event: the readers report per chunk and page, so a line every 2 s per phase.
    const onProgress = run.onProgress ? throttledProgress(run.onProgress, 2000) : undefined;
    const view = await rescanEngineView({ ...o, ...(run.signal ? { signal: run.signal } : {}), ...(onProgress ? { onProgress } : {}) });
    return rescanWithManaged(
      await runScan({
        onPrem: o.directories,
        cloudUsers: client.listUsers(run.signal ? { signal: run.signal } : {}),
        profileName: profile.name,
        defaultRegion: profile.defaultRegion,
        clock,
        ...(view.objects ? { engineObjects: view.objects } : {}),
        ...(view.flows ? { engineFlows: view.flows } : {}),
        ...(run.signal ? { signal: run.signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      }),
      { client, defaultRegion: profile.defaultRegion, profileName: profile.name },
      run.signal,
      view.objects,
      view.flows,
    );
  };
}

/**
 * The engine's view for a live preflight rescan: Cloud Sync's over Graph for a Cloud Sync profile (a
 * permission the sign-in lacks leaves it out, as the scan did); else the `--connect-export` files, or
 * without them the workspace's kept read of the last ones read when they are all unchanged (the
 * `scan --connect-export` the plan came from); else none. Each is said on stderr.
 */
export async function rescanEngineView(o: {
  profile: Profile;
  client: CloudClient;
  workspaceFile: string;
  connectExports: readonly string[];
  clock: Clock;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** The first read of `--connect-export` files reports its bytes here (a kept read is instant). */
  onProgress?: ProgressSink;
}): Promise<{ objects?: readonly EngineObject[]; flows?: EngineFlows }> {
  const cloudSync = await readProfileCloudSyncView(o.client, o.profile, { clock: o.clock, ...(o.signal ? { signal: o.signal } : {}) });
  if (cloudSync && 'gap' in cloudSync) {
    o.say(`The rescan goes without Cloud Sync's view: ${cloudSync.gap}`);
    return {};
  }
  if (cloudSync) return { objects: cloudSync.view.objects, flows: cloudSync.view.flows };
  const ws = openWorkspace(o.workspaceFile, { clock: o.clock });
  try {
    if (o.connectExports.length > 0) {
      const read = startConnectExportRead(o.connectExports, { workspace: ws, clock: o.clock, signal: o.signal ?? new AbortController().signal, onProgress: o.onProgress ?? noProgress, say: o.say });
      const objects = await read.objects;
      // The worker keeps the read through its own connection: the workspace stays open until it has.
      await read.kept;
      return { objects };
    }
    const kept = keptConnectRead(ws);
    if (!kept) return {};
    o.say(`The rescan joins the Connect exports read at ${kept.info.importedAt} (${kept.paths.join(', ')}), unchanged since; --connect-export names others.`);
    return { objects: kept.objects };
  } finally {
    ws.close();
  }
}

/** The preflight's rescan reads like a scan, cloud-managed detection included (main/api/scan-service.ts). */
async function rescanWithManaged(
  out: Awaited<ReturnType<typeof runScan>>,
  target: Parameters<typeof reportWithCloudManaged>[1],
  signal: AbortSignal | undefined,
  engineObjects?: readonly EngineObject[],
  engineFlows?: EngineFlows,
): Promise<DriftReport> {
  return (await reportWithCloudManaged(out, target, { logger: createLogger(() => {}), ...(signal ? { signal } : {}), ...(engineObjects ? { engineObjects } : {}), engineFlows })).report;
}
