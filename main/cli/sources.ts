/**
 * Scan sources for the CLI: a live profile (LDAP adapters + the signed-in cloud client) and the
 * sandbox demo (the same runtime the app uses: demo directory, HTTPS sandbox tenant, msal device
 * code sign-in as its Global Administrator). The audit index fills from its high-water mark while
 * the users are read; what is not indexed when the scan is done shows as `loading`.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { CloudClient } from '../cloud';
import { openCliCloudClient } from './cloud-sign-in';
import { createNodeNetwork, type NodeNetwork } from '../cloud/network';
import { SyncDriftError, ValidationError, CancelledError, isSyncDriftError } from '../core/errors';
import type { Profile } from '../core/profile';
import type { CloudUser } from '../core/model';
import { parseDirectoryAudits } from '../drift/audit';
import type { AuditLookup } from '../drift/timeline';
import { LdapDirectory } from '../onprem/ldap';
import { passwordFromEnv } from '../core/onprem-profile';
import { SandboxRuntime } from '../api/sandbox-runtime';
import { openWorkspace, type Workspace } from '../workspace/workspace';
import type { CloudSecrets } from '../cloud';
import type { CliContext, DemoSources, ScanSources } from './context';
import { demoEngineView } from './demo-engine-view';

/** How long the CLI waits for the audit index after both sides were read (the fill ran meanwhile). */
export const AUDIT_GRACE_MS = 30_000;

interface AuditFill {
  done: Promise<void>;
  stop(): void;
  records(): number;
}

/** Extends the tenant's audit index from its high-water mark; the mark moves only when a read completes. */
export function startAuditFill(client: CloudClient, ws: Workspace, tenantId: string, ctx: Pick<CliContext, 'onProgress' | 'notify'>): AuditFill {
  const ctl = new AbortController();
  let records = 0;
  const done = (async () => {
    const mark = ws.audit.mark(tenantId);
    const it = client.auditIndex.fetchAuditRecords({ since: mark?.highWater ?? null, signal: ctl.signal });
    try {
      for (;;) {
        const step = await it.next();
        if (step.done) {
          ws.audit.add(tenantId, [], { highWater: step.value.newest ?? mark?.highWater ?? null, coveredFrom: mark?.coveredFrom ?? step.value.retentionStart });
          return;
        }
        const parsed = parseDirectoryAudits(step.value);
        records += step.value.length;
        ws.audit.add(tenantId, parsed.changes);
        ctx.onProgress({ phase: 'audit', done: records });
      }
    } catch (e) {
      if (e instanceof CancelledError || ctl.signal.aborted) return;
      ctx.notify(`Audit log not read: ${isSyncDriftError(e) ? e.message : String(e)} (cloud change times show as loading).`);
    }
  })();
  return { done, stop: () => ctl.abort(), records: () => records };
}

function auditResolver(fill: AuditFill, ws: Workspace, tenantId: string, notify: (l: string) => void): () => Promise<AuditLookup> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([fill.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), AUDIT_GRACE_MS)))]);
    clearTimeout(timer);
    if (!finished) {
      fill.stop();
      notify(`Audit index still filling (${fill.records()} records read this run); rows without a known cloud change say "loading". Run again to continue.`);
    }
    return ws.audit.lookup(tenantId, { complete: ws.audit.mark(tenantId)?.coveredFrom != null });
  };
}

function collectInvalid(missing: string[]): (i: { id: string | null; message: string }) => void {
  let n = 0;
  return (i) => {
    n++;
    if (n === 1) missing.push(`cloud users Graph returned unreadable (first: ${i.id ?? 'no id'}: ${i.message})`);
    else missing[missing.length - 1] = missing[missing.length - 1]!.replace(/^(\d+ )?cloud users/, `${n} cloud users`);
  };
}

/** The profile's app credentials from the environment variables it names (nothing for delegated sign-ins). */
export async function secretsFor(profile: Profile, env: Record<string, string | undefined>): Promise<CloudSecrets> {
  const auth = profile.cloud.auth;
  if (auth.type === 'clientSecret') {
    return {
      getClientSecret: async () => {
        const v = env[auth.secretEnv];
        if (!v) throw new ValidationError('cloud.auth.secretEnv', `environment variable ${auth.secretEnv} is not set or empty`);
        return v;
      },
    };
  }
  if (auth.type === 'certificate') {
    return {
      getClientCertificate: async () => {
        const read = async (file: string, field: string) => {
          try {
            return await readFile(file, 'utf8');
          } catch (e) {
            throw new ValidationError(field, `cannot read ${file} (${(e as { code?: string }).code ?? String(e)})`);
          }
        };
        const certPem = await read(auth.certificateFile, 'cloud.auth.certificateFile');
        const keyPem = await read(auth.privateKeyFile, 'cloud.auth.privateKeyFile');
        let thumbprintSha256: string;
        try {
          thumbprintSha256 = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
        } catch (e) {
          throw new ValidationError('cloud.auth.certificateFile', 'not a PEM certificate', { cause: e });
        }
        const passphrase = auth.passphraseEnv ? env[auth.passphraseEnv] : undefined;
        if (auth.passphraseEnv && !passphrase) throw new ValidationError('cloud.auth.passphraseEnv', `environment variable ${auth.passphraseEnv} is not set or empty`);
        let privateKeyPem: string;
        try {
          privateKeyPem = createPrivateKey(passphrase ? { key: keyPem, passphrase } : keyPem)
            .export({ type: 'pkcs8', format: 'pem' })
            .toString();
        } catch (e) {
          throw new ValidationError('cloud.auth.privateKeyFile', 'the private key cannot be read (wrong passphrase or not a PEM key)', { cause: e });
        }
        return { thumbprintSha256, privateKeyPem };
      },
    };
  }
  return {};
}

/** Live sources for `syncdrift scan`. Signs in before returning, so sign-in errors exit 3 before any reading starts. */
export async function openLiveSources(profile: Profile, ctx: CliContext): Promise<ScanSources> {
  const extraCa = ctx.env.NODE_EXTRA_CA_CERTS;
  const network: NodeNetwork = await createNodeNetwork({ env: ctx.env, ...(extraCa ? { extraCaFiles: [extraCa] } : {}) });
  const directories = profile.onPrem.map((s) => new LdapDirectory(s, { getPassword: passwordFromEnv(s, ctx.env), logger: ctx.logger }));
  const ownWs = ctx.workspace ? null : openWorkspace(':memory:', { clock: ctx.clock });
  const ws = ctx.workspace ?? ownWs!;
  let fill: AuditFill | null = null;
  const close = async () => {
    fill?.stop();
    await Promise.all(directories.map((d) => d.close().catch(() => {})));
    await network.close().catch(() => {});
    ownWs?.close();
  };
  try {
    const signal = ctx.signal;
    const client = await openCliCloudClient({
      profile,
      env: ctx.env,
      network,
      logger: ctx.logger,
      clock: ctx.clock,
      secrets: await secretsFor(profile, ctx.env),
      workspaceFile: ctx.workspace && ctx.workspace.path !== ':memory:' ? ctx.workspace.path : null,
      acceptWeakSecretStorage: ctx.acceptWeakSecretStorage ?? false,
      onDeviceCode: (i) => ctx.notify(i.message),
      notify: ctx.notify,
      ...(signal ? { signal } : {}),
    });
    const session = client.activeSession();
    const tenantId = session?.tenantId ?? profile.cloud.tenantId;
    const missing: string[] = [];
    const org = await client.getOrganization(signal ? { signal } : {}).catch((e: unknown) => {
      ctx.notify(`Tenant last sync time not read (${isSyncDriftError(e) ? e.message : String(e)}): pending changes cannot be called stuck.`);
      return null;
    });
    fill = startAuditFill(client, ws, tenantId, ctx);
    const cloudUsers: AsyncIterable<CloudUser[]> = client.listUsers({ ...(signal ? { signal } : {}), onInvalid: collectInvalid(missing) });
    return {
      onPrem: directories,
      cloudUsers,
      client,
      tenantId,
      tenantLastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
      resolveAuditLookup: auditResolver(fill, ws, tenantId, ctx.notify),
      missing,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The sandbox demo for `syncdrift demo`: no arguments, no credentials. */
export async function openDemoSources(ctx: CliContext): Promise<DemoSources> {
  const ownWs = ctx.workspace ? null : openWorkspace(':memory:', { clock: ctx.clock });
  const ws = ctx.workspace ?? ownWs!;
  const runtime = new SandboxRuntime({ workspace: ws, logger: ctx.logger, clock: ctx.clock });
  let fill: AuditFill | null = null;
  const close = async () => {
    fill?.stop();
    await runtime.stop().catch(() => {});
    ownWs?.close();
  };
  try {
    const conn = await runtime.get();
    const tenantId = conn.server.tenantId;
    const signal = ctx.signal;
    const org = await conn.client.getOrganization(signal ? { signal } : {}).catch(() => null);
    fill = startAuditFill(conn.client, ws, tenantId, ctx);
    const missing: string[] = [];
    const engine = await demoEngineView(conn, { clock: ctx.clock, ...(signal ? { signal } : {}) });
    if (engine.problem) missing.push(engine.problem);
    return {
      ...(engine.objects ? { engineObjects: engine.objects } : {}),
      ...(engine.flows ? { engineFlows: engine.flows } : {}),
      profileName: 'Contoso (sandbox demo)',
      defaultRegion: 'US',
      onPrem: [conn.demo.directory],
      cloudUsers: conn.client.listUsers({ ...(signal ? { signal } : {}), onInvalid: collectInvalid(missing) }),
      client: conn.client,
      tenantId,
      tenantLastSyncAt: org?.onPremisesLastSyncDateTime ?? null,
      resolveAuditLookup: auditResolver(fill, ws, tenantId, ctx.notify),
      missing,
      close,
    };
  } catch (e) {
    await close();
    if (isSyncDriftError(e)) throw e;
    throw new SyncDriftError('internal', 'DEMO_FAILED', `The sandbox demo could not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
