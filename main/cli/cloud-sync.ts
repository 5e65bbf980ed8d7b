/**
 * Cloud Sync in the CLI (issue 18): a live scan of a profile with `cloud.cloudSync` joins the
 * job's mapping and provisioning logs as the sync engine's view, and `syncdrift provision-on-demand`
 * verifies one user. A permission the sign-in lacks does not stop the scan: it is named among the
 * scan's gaps (exit 4), as the audit log's is.
 */
import { resolve } from 'node:path';
import { ValidationError, isSyncDriftError, toErrorInfo } from '../core/errors';
import { createLogger } from '../core/logger';
import { systemClock, type Clock } from '../core/ports';
import { loadProfile, type Profile } from '../core/profile';
import { describeCloudSyncView, readCloudSyncView } from '../cloud/cloud-sync-view';
import { verifyByProvisionOnDemand } from '../cloud/cloud-sync-verify';
import { createNodeNetwork, type NodeNetwork } from '../cloud/network';
import { openCliCloudClient } from './cloud-sign-in';
import type { CloudClient } from '../cloud';
import type { ScanSources } from './context';
import { secretsFor } from './sources';

/**
 * The profile's Cloud Sync view over Graph, or why it could not be read (a permission the sign-in
 * lacks, a job that is not there: a gap to name, not a failure); null when the profile is not a Cloud
 * Sync one. Cancellation and internal errors are thrown. The scan and apply's rescan both read so.
 */
export async function readProfileCloudSyncView(
  client: CloudClient,
  profile: Profile,
  o: { clock: Clock; signal?: AbortSignal },
): Promise<{ view: Awaited<ReturnType<typeof readCloudSyncView>> } | { gap: string } | null> {
  const cs = profile.cloud.cloudSync;
  if (!cs) return null;
  try {
    return { view: await readCloudSyncView(client, { servicePrincipalId: cs.servicePrincipalId, clock: o.clock, ...(cs.logDays ? { logDays: cs.logDays } : {}), ...(o.signal ? { signal: o.signal } : {}) }) };
  } catch (e) {
    if (isSyncDriftError(e) && e.kind !== 'cancelled' && e.kind !== 'internal') return { gap: e.message };
    throw e;
  }
}

export async function joinCloudSync(sources: ScanSources, profile: Profile, o: { clock: Clock; say: (line: string) => void; signal?: AbortSignal }): Promise<void> {
  if (!sources.client) return;
  const r = await readProfileCloudSyncView(sources.client, profile, o);
  if (!r) return;
  if ('gap' in r) {
    (sources.missing ??= []).push(`Cloud Sync's view (mapping and provisioning logs): ${r.gap}`);
    return;
  }
  sources.engineObjects = [...(sources.engineObjects ?? []), ...r.view.objects];
  sources.engineFlows = r.view.flows;
  o.say(describeCloudSyncView(r.view));
}

/** `--connect-export` on a Cloud Sync profile: refused, naming the flag (`what` reads Cloud Sync's view instead). */
export function refuseConnectExportsForCloudSync(profile: Profile, files: readonly string[], what: string): void {
  if (files.length > 0 && profile.cloud.cloudSync) {
    throw new ValidationError('--connect-export', `the profile\u2019s tenant syncs with Cloud Sync (cloud.cloudSync), whose view ${what} reads over Graph; Entra Connect exports do not apply to it`);
  }
}

export const PROVISION_ON_DEMAND_USAGE = `Usage: syncdrift provision-on-demand --profile FILE --object-id GUID [--json]

Where the tenant uses Cloud Sync (the profile's cloud.cloudSync), provisions one AD user on demand
(Graph provisionOnDemand, needs Synchronization.ReadWrite.All) and reads Entra ID back: verified when
Entra ID holds what Cloud Sync exported. --object-id is the user's AD objectGUID.
Exit: 0 verified, 5 Entra ID kept another value (confirmed override), 4 Cloud Sync did not provision
the user, 3 sign-in or permission, 2 usage or profile.
`;

interface PodOptions {
  profile: string;
  objectId: string;
  json: boolean;
}

function parsePodArgs(args: readonly string[]): PodOptions | 'help' {
  let profile: string | null = null;
  let objectId: string | null = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new ValidationError(a, 'needs a value');
      return v;
    };
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--profile') profile = value();
    else if (a === '--object-id') objectId = value();
    else if (a === '--json') json = true;
    else throw new ValidationError(a, 'is not an option of provision-on-demand');
  }
  if (!profile) throw new ValidationError('--profile', 'is required');
  if (!objectId) throw new ValidationError('--object-id', "is required (the AD user's objectGUID)");
  return { profile, objectId, json };
}

export interface PodIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
  clock?: Clock;
  signal?: AbortSignal;
}

export async function runProvisionOnDemandCommand(args: readonly string[], io: PodIo): Promise<number> {
  let o: PodOptions | 'help';
  try {
    o = parsePodArgs(args);
  } catch (e) {
    io.stderr.write(`syncdrift provision-on-demand: ${toErrorInfo(e).message}\n${PROVISION_ON_DEMAND_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    io.stdout.write(PROVISION_ON_DEMAND_USAGE);
    return 0;
  }
  const clock = io.clock ?? systemClock;
  const say = (line: string) => void io.stderr.write(`${line}\n`);
  let network: NodeNetwork | null = null;
  try {
    const profile = await loadProfile(resolve(io.cwd, o.profile));
    const cs = profile.cloud.cloudSync;
    if (!cs) throw new ValidationError('cloud.cloudSync', 'is not set: provisionOnDemand needs the Cloud Sync configuration\u2019s service principal (servicePrincipalId), see docs/cli.md');
    const extraCa = io.env.NODE_EXTRA_CA_CERTS;
    network = await createNodeNetwork({ env: io.env, ...(extraCa ? { extraCaFiles: [extraCa] } : {}) });
    const client = await openCliCloudClient({
      profile,
      env: io.env,
      network,
      logger: createLogger(() => {}),
      clock,
      secrets: await secretsFor(profile, io.env),
      workspaceFile: null,
      onDeviceCode: (i) => say(i.message),
      notify: say,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    const v = await verifyByProvisionOnDemand(client, { servicePrincipalId: cs.servicePrincipalId, objectId: o.objectId, ...(io.signal ? { signal: io.signal } : {}) });
    if (o.json) io.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    else io.stdout.write(`${v.verdict}: ${v.message}\n${v.steps.map((s) => `  - ${s}`).join('\n')}${v.steps.length ? '\n' : ''}`);
    return v.verdict === 'verified' ? 0 : v.verdict === 'not-verified' ? 5 : 4;
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`syncdrift provision-on-demand: ${info.message}\n`);
    return isSyncDriftError(e) ? exitFor(e.kind) : 1;
  } finally {
    await network?.close().catch(() => {});
  }
}

function exitFor(kind: string): number {
  if (kind === 'validation') return 2;
  if (kind === 'connection' || kind === 'auth' || kind === 'permission' || kind === 'throttled') return 3;
  if (kind === 'cancelled') return 130;
  if (kind === 'not-found') return 4;
  return 1;
}
