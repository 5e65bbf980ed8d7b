/**
 * `syncdrift sandbox`: runs the sandbox tenant standalone on loopback, both sides: the cloud
 * (identity + Graph over HTTPS, main/sandbox/server.ts) and the on-prem directory with the sync
 * simulator (a JSON control API, main/sandbox/control.ts). Prints endpoints, the CA file, app
 * registrations and sign-in accounts, for other tools and scripted training.
 *
 * Sandbox credentials are throwaway, but they are still credentials: they are printed only with
 * --show-secrets, and never written to a file (--state keeps only secret hashes).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ValidationError, toErrorInfo } from '../core/errors';
import { buildDemo, restoreSandbox, serializeSandbox, ScriptedClock, type SandboxDemo } from '../sandbox/demo';
import { SandboxDirectory } from '../sandbox/directory';
import { SyncSimulator } from '../sandbox/sync';
import type { SyncEngineKind } from '../sandbox/sync-model';
import { TenantStore } from '../sandbox/tenant';
import { startSandboxTenant, type SandboxTenant } from '../sandbox/server';
import { startSandboxControl, type SandboxControlServer } from '../sandbox/control';

export interface SandboxCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Stops the sandbox; without it the command stops on SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

export interface SandboxCommandOptions {
  port: number;
  onPremPort: number;
  caDir: string | null;
  ldif: string | null;
  state: string | null;
  engine: SyncEngineKind;
  replicationLagSeconds: number;
  json: boolean;
  showSecrets: boolean;
  once: boolean;
}

export const SANDBOX_USAGE = `Usage: syncdrift sandbox [options]

Runs the sandbox tenant (cloud and on-prem sides) on 127.0.0.1 until Ctrl+C.

  --port N                 HTTPS port of the identity + Graph endpoints (default: any free port)
  --onprem-port N          HTTP port of the on-prem/sync control API (default: any free port)
  --ca-dir DIR             where to write sandbox-ca.pem (default: a new folder under the temp dir)
  --ldif FILE              start from this directory (LDIF) instead of the demo; runs an initial sync
  --state FILE             load the sandbox from FILE if it exists, save it there on exit
  --engine connect|cloud-sync   sync engine to simulate (default connect)
  --replication-lag SECONDS     simulate a second DC that lags behind (default 0: one DC)
  --json                   print the endpoints as JSON (one object)
  --show-secrets           include client secrets, passwords and admin keys in the output
  --once                   start, print, stop (for checks and scripts)
  --help                   this text
`;

function intArg(name: string, v: string | undefined, max: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > max)
    throw new ValidationError(name, `must be a whole number from 0 to ${max}`);
  return Number(v);
}

/** Parses the command's arguments; throws ValidationError naming the argument. */
export function parseSandboxArgs(args: readonly string[], cwd: string): SandboxCommandOptions | 'help' {
  const o: SandboxCommandOptions = {
    port: 0,
    onPremPort: 0,
    caDir: null,
    ldif: null,
    state: null,
    engine: 'connect',
    replicationLagSeconds: 0,
    json: false,
    showSecrets: false,
    once: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const [flag, inline] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new ValidationError(flag, 'needs a value');
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        o.port = intArg('--port', value(), 65535);
        break;
      case '--onprem-port':
        o.onPremPort = intArg('--onprem-port', value(), 65535);
        break;
      case '--ca-dir':
        o.caDir = resolve(cwd, value());
        break;
      case '--ldif':
        o.ldif = resolve(cwd, value());
        break;
      case '--state':
        o.state = resolve(cwd, value());
        break;
      case '--engine': {
        const v = value();
        if (v !== 'connect' && v !== 'cloud-sync')
          throw new ValidationError('--engine', `must be "connect" or "cloud-sync", got "${v}"`);
        o.engine = v;
        break;
      }
      case '--replication-lag':
        o.replicationLagSeconds = intArg('--replication-lag', value(), 86_400);
        break;
      case '--json':
        o.json = true;
        break;
      case '--show-secrets':
        o.showSecrets = true;
        break;
      case '--once':
        o.once = true;
        break;
      default:
        throw new ValidationError(a, 'unknown option (see syncdrift sandbox --help)');
    }
  }
  if (o.port !== 0 && o.port === o.onPremPort) throw new ValidationError('--onprem-port', 'must differ from --port');
  return o;
}

async function loadState(o: SandboxCommandOptions): Promise<{ demo: SandboxDemo; origin: string }> {
  const secondDc = o.replicationLagSeconds > 0 ? { name: 'DC02', lagMs: o.replicationLagSeconds * 1000 } : null;
  if (o.state && existsSync(o.state)) {
    const demo = restoreSandbox(readFileSync(o.state, 'utf8'));
    if (secondDc) demo.directory.setSecondDc(secondDc);
    return { demo, origin: `state ${o.state}` };
  }
  if (o.ldif) {
    let text: string;
    try {
      text = readFileSync(o.ldif, 'utf8');
    } catch (e) {
      throw new ValidationError(o.ldif, 'cannot be read', { cause: e });
    }
    const clock = new ScriptedClock(null);
    const directory = SandboxDirectory.fromLdif(text, { file: o.ldif, clock, secondDc });
    const tenant = new TenantStore({ clock });
    const sync = new SyncSimulator(directory, tenant, { clock });
    await sync.runCycle('initial');
    return { demo: { directory, tenant, sync, clock, people: [], builtAt: clock.now().toISOString() }, origin: `LDIF ${o.ldif}` };
  }
  return { demo: await buildDemo({ secondDc }), origin: 'demo' };
}

const hidden = '(hidden: --show-secrets)';

function describe(
  o: SandboxCommandOptions,
  origin: string,
  demo: SandboxDemo,
  cloud: SandboxTenant,
  onPrem: SandboxControlServer,
) {
  const s = (v: string | null) => (v === null ? null : o.showSecrets ? v : hidden);
  const dir = demo.directory.describe();
  return {
    sandbox: true,
    source: origin,
    cloud: {
      tenantId: cloud.tenantId,
      authority: cloud.authority,
      authorityHost: cloud.authorityHost,
      graph: cloud.graphBaseUrl,
      graphBeta: cloud.graphBetaUrl,
      appOnlyScope: cloud.graphScope,
      caFile: cloud.caFile,
      adminKey: s(cloud.adminKey),
      users: demo.tenant.userCount,
    },
    onPrem: {
      controlApi: onPrem.url,
      adminKey: s(onPrem.adminKey),
      baseDn: dir.baseDn,
      invocationId: demo.directory.invocationId,
      users: demo.directory.allUsers().length,
      sync: { engine: demo.sync.engine, server: demo.sync.server, lastCycle: demo.sync.lastCycle },
    },
    apps: Object.values(cloud.apps).map((a) => ({
      displayName: a.displayName,
      appId: a.appId,
      publicClient: a.publicClient,
      applicationPermissions: a.appRoles,
      delegatedScopes: a.delegatedScopes,
      clientSecret: s(a.clientSecret),
      certificateThumbprintSha256: a.certificate?.thumbprintSha256 ?? null,
      certificatePrivateKeyPem: a.certificate ? s(a.certificate.privateKeyPem) : null,
    })),
    accounts: Object.values(cloud.users).map((u) => ({
      label: u.label,
      userPrincipalName: u.userPrincipalName,
      password: s(u.password),
    })),
  };
}

function printText(io: SandboxCommandIo, d: ReturnType<typeof describe>): void {
  const w = (line = '') => io.stdout.write(line + '\n');
  w(`SyncDrift sandbox (${d.source}): a local stand-in, not a Microsoft tenant.`);
  w();
  w('Cloud (identity + Graph, HTTPS)');
  w(`  tenant id       ${d.cloud.tenantId}`);
  w(`  authority       ${d.cloud.authority}   (msal knownAuthorities: ${d.cloud.authorityHost})`);
  w(`  Graph           ${d.cloud.graph}   beta: ${d.cloud.graphBeta}`);
  w(`  app-only scope  ${d.cloud.appOnlyScope}`);
  w(`  CA file         ${d.cloud.caFile ?? '(none)'}   trust it for this sandbox only`);
  w(`  admin key       ${d.cloud.adminKey}   (header x-sandbox-admin-key, /_sandbox/…)`);
  w(`  users           ${d.cloud.users}`);
  w();
  w('On-prem (sandbox directory + sync simulator, HTTP on loopback)');
  w(`  control API     ${d.onPrem.controlApi}   (Authorization: Bearer <admin key>)`);
  w(`  admin key       ${d.onPrem.adminKey}`);
  w(`  base DN         ${d.onPrem.baseDn}   invocationId ${d.onPrem.invocationId}`);
  w(`  users           ${d.onPrem.users}`);
  const last = d.onPrem.sync.lastCycle;
  w(
    `  sync            ${d.onPrem.sync.engine} on ${d.onPrem.sync.server}; last cycle ${last ? `${last.type} at ${last.at}` : 'never'}`,
  );
  w(`                  POST /sync/cycle {"type":"delta"|"initial"}   GET /onprem/users[/{sam}]   PATCH /onprem/users/{sam}`);
  w();
  w('App registrations');
  for (const a of d.apps) {
    const perms = a.publicClient
      ? `delegated: ${a.delegatedScopes.join(', ')}`
      : `application: ${a.applicationPermissions.join(', ')}`;
    w(`  ${a.displayName}`);
    w(`    appId ${a.appId}${a.publicClient ? ' (public client, redirect http://localhost)' : ''}`);
    w(`    ${perms}`);
    if (a.clientSecret) w(`    client secret ${a.clientSecret}`);
    if (a.certificateThumbprintSha256) w(`    certificate SHA-256 ${a.certificateThumbprintSha256}`);
  }
  w();
  w('Sign-in accounts');
  for (const u of d.accounts) w(`  ${u.label.padEnd(48)} ${u.userPrincipalName}   password ${u.password}`);
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveStop) => {
    if (signal) {
      if (signal.aborted) return resolveStop();
      signal.addEventListener('abort', () => resolveStop(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs `syncdrift sandbox`; resolves with the exit code (0 ok, 2 bad arguments, 1 failure). */
export async function runSandboxCommand(args: readonly string[], io: SandboxCommandIo): Promise<number> {
  let o: SandboxCommandOptions | 'help';
  try {
    o = parseSandboxArgs(args, io.cwd);
  } catch (e) {
    io.stderr.write(`syncdrift sandbox: ${toErrorInfo(e).message}\n${SANDBOX_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    io.stdout.write(SANDBOX_USAGE);
    return 0;
  }
  let cloud: SandboxTenant | null = null;
  let onPrem: SandboxControlServer | null = null;
  try {
    const { demo, origin } = await loadState(o);
    demo.sync.setEngine(o.engine);
    const caDir = o.caDir ?? join(tmpdir(), `syncdrift-sandbox-${process.pid}-${Date.now().toString(36)}`);
    cloud = await startSandboxTenant({ tenant: demo.tenant, port: o.port, caDir });
    onPrem = await startSandboxControl({ directory: demo.directory, sync: demo.sync }, { port: o.onPremPort });
    const d = describe(o, origin, demo, cloud, onPrem);
    if (o.json) io.stdout.write(JSON.stringify(d, null, 2) + '\n');
    else printText(io, d);
    if (!o.once) {
      if (!o.json) io.stdout.write('\nRunning. Press Ctrl+C to stop.\n');
      await waitForStop(io.signal);
    }
    if (o.state) {
      mkdirSync(dirname(o.state), { recursive: true });
      writeFileSync(o.state, serializeSandbox(demo), { mode: 0o600 });
      if (!o.json) io.stdout.write(`Saved the sandbox to ${o.state}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr.write(`syncdrift sandbox: ${toErrorInfo(e).message}\n`);
    return 1;
  } finally {
    await onPrem?.close();
    await cloud?.close();
  }
}
