/**
 * Starts a sandbox tenant: identity endpoints and the Graph subset over HTTPS on 127.0.0.1, with a CA
 * and server certificate made for this sandbox alone. Callers trust `caPem` for this sandbox only.
 *
 *   const sb = await startSandboxTenant({ seed: { count: 1000 } });
 *   // msal-node: auth.authority = sb.authority, auth.knownAuthorities = [sb.authorityHost]
 *   // Graph:     sb.graphBaseUrl (https://127.0.0.1:<port>/v1.0), scope sb.graphScope
 *   await sb.close();
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import type { Clock } from '../core/ports';
import { createAppCertificate, createSandboxCa, issueServerCert, type AppCertificate } from './certs';
import { GraphService } from './graph';
import { json, type SandboxRequest, type SandboxResponse } from './http';
import { IdentityService } from './identity';
import { defaultKnobs, TokenBuckets, type FaultKnobs, type SandboxKnobs, type ThrottleKnobs } from './limits';
import { seedTenant, type SeedResult, type SeedTenantOptions } from './seed';
import { TenantStore } from './tenant';
import { ROLE, type AuditActor } from './tenant-model';

/** Delegated scopes the sandbox's public client (the workbench) is consented for. */
export const WORKBENCH_SCOPES = [
  'User.Read',
  'User.Read.All',
  'User.ReadWrite.All',
  'User-Phone.ReadWrite.All',
  'Directory.Read.All',
  'Organization.Read.All',
  'AuditLog.Read.All',
  'OnPremDirectorySynchronization.Read.All',
  'OnPremDirectorySynchronization.ReadWrite.All',
  'User-OnPremisesSyncBehavior.ReadWrite.All',
  'Synchronization.Read.All',
  'Synchronization.ReadWrite.All',
];

export interface StartSandboxOptions {
  /** An existing (e.g. restored) tenant; a fresh one is made otherwise. */
  tenant?: TenantStore;
  clock?: Clock;
  /** Seed synced users into a fresh tenant. */
  seed?: SeedTenantOptions;
  /** Port on 127.0.0.1 (0 = any free port, the default). */
  port?: number;
  /** Initial knob values. */
  knobs?: { throttle?: Partial<ThrottleKnobs>; faults?: Partial<FaultKnobs> };
  /** Write the CA certificate (public) to this folder as sandbox-ca.pem. */
  caDir?: string;
}

/** An app registration as the caller needs it to sign in. */
export interface SandboxAppInfo {
  appId: string;
  displayName: string;
  /** Client secret in clear: only here, never in the tenant state. */
  clientSecret: string | null;
  certificate: AppCertificate | null;
  appRoles: string[];
  delegatedScopes: string[];
  publicClient: boolean;
}

/** A user that can sign in. */
export interface SandboxAccountInfo {
  id: string;
  userPrincipalName: string;
  password: string;
  roles: string[];
  label: string;
}

export interface SandboxTenant {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** host:port, for msal-node `knownAuthorities`. */
  authorityHost: string;
  /** `${origin}/${tenantId}`: msal-node `auth.authority`. */
  authority: string;
  tenantId: string;
  /** `${origin}/v1.0` */
  graphBaseUrl: string;
  /** `${origin}/beta` */
  graphBetaUrl: string;
  /** `${origin}/.default`: the scope for client credentials against this sandbox's Graph. */
  graphScope: string;
  /** The sandbox CA (PEM); trust it for this sandbox only. */
  caPem: string;
  /** Path of the CA file when `caDir` was given. */
  caFile: string | null;
  apps: {
    /** App-only reader: User.Read.All, AuditLog.Read.All, Organization.Read.All; secret and certificate. */
    reader: SandboxAppInfo;
    /** App-only writer: adds User.ReadWrite.All, User-Phone.ReadWrite.All, User-OnPremisesSyncBehavior.ReadWrite.All. */
    writer: SandboxAppInfo;
    /** Public client with WORKBENCH_SCOPES consented; redirect http://localhost (any port). */
    workbench: SandboxAppInfo;
  };
  users: {
    globalAdmin: SandboxAccountInfo;
    userAdmin: SandboxAccountInfo;
    globalReader: SandboxAccountInfo;
    hybridAdmin: SandboxAccountInfo;
  };
  tenant: TenantStore;
  identity: IdentityService;
  /** Live knobs: change fields to change behaviour (or use setKnobs). */
  knobs: SandboxKnobs;
  setKnobs(patch: { throttle?: Partial<ThrottleKnobs>; faults?: Partial<FaultKnobs> }): SandboxKnobs;
  /** Forgets all throttle bucket state. */
  resetThrottling(): void;
  /** Secret for the /_sandbox admin endpoints (header x-sandbox-admin-key). */
  adminKey: string;
  seeded: SeedResult | null;
  /** Completes a device code sign-in as the /devicelogin page would; returns an error text or null. */
  approveDeviceCode(userCode: string, upn: string, password: string): string | null;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, r: SandboxResponse): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

const KnobPatch = z
  .object({
    throttle: z
      .object({
        disabled: z.boolean(),
        identityUnitsPer10s: z.number().int().positive().nullable(),
        writesPer150s: z.number().int().positive(),
        auditPer10s: z.number().int().positive(),
        retryAfterForm: z.enum(['seconds', 'http-date', 'alternate']),
      })
      .partial()
      .strict()
      .optional(),
    faults: z
      .object({
        latencyMs: z.number().min(0).max(60_000),
        errorRate: z.number().min(0).max(1),
        errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]),
        resetRate: z.number().min(0).max(1),
        unavailable: z.boolean(),
        seed: z.number().int(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

function secretEq(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startSandboxTenant(opts: StartSandboxOptions = {}): Promise<SandboxTenant> {
  const tenant = opts.tenant ?? new TenantStore({ clock: opts.clock });
  const seeded = opts.seed && !opts.tenant ? seedTenant(tenant, opts.seed) : null;
  const ca = createSandboxCa();
  const serverCert = issueServerCert(ca);
  const identity = await IdentityService.create(tenant);
  const knobs = defaultKnobs();
  Object.assign(knobs.throttle, opts.knobs?.throttle);
  Object.assign(knobs.faults, opts.knobs?.faults);
  const buckets = new TokenBuckets(tenant.clock);
  const graph = new GraphService(tenant, identity, knobs, buckets);
  const adminKey = randomBytes(24).toString('base64url');

  const setKnobs = (patch: { throttle?: Partial<ThrottleKnobs>; faults?: Partial<FaultKnobs> }): SandboxKnobs => {
    const p = KnobPatch.parse(patch);
    Object.assign(knobs.throttle, p.throttle);
    Object.assign(knobs.faults, p.faults);
    return knobs;
  };

  const admin = async (req: SandboxRequest): Promise<SandboxResponse> => {
    if (!secretEq(req.headers['x-sandbox-admin-key'] ?? '', adminKey))
      return json(401, { error: { code: 'Unauthorized', message: 'The sandbox admin key is missing or wrong.' } });
    if (req.path === '/_sandbox/knobs') {
      if (req.method === 'GET') return json(200, knobs);
      if (req.method === 'PATCH') {
        const parsed = KnobPatch.safeParse(JSON.parse(req.body || '{}') as unknown);
        if (!parsed.success)
          return json(400, {
            error: {
              code: 'BadRequest',
              message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            },
          });
        return json(200, setKnobs(parsed.data));
      }
    }
    const m = /^\/_sandbox\/users\/([^/]+)\/legacyCloudEdit$/.exec(req.path);
    if (m && req.method === 'POST') {
      const body = z
        .object({ value: z.string().nullable(), actorUserPrincipalName: z.string().min(1) })
        .safeParse(JSON.parse(req.body || '{}') as unknown);
      if (!body.success)
        return json(400, {
          error: { code: 'BadRequest', message: 'Body: { value: string | null, actorUserPrincipalName: string }' },
        });
      const u = tenant.resolveUser(decodeURIComponent(m[1]!));
      if (!u) return json(404, { error: { code: 'Request_ResourceNotFound', message: 'No such user.' } });
      const actorUser = tenant.findByUpn(body.data.actorUserPrincipalName);
      const actor: AuditActor = {
        kind: 'user',
        id: actorUser?.id ?? '00000000-0000-0000-0000-000000000000',
        userPrincipalName: body.data.actorUserPrincipalName,
      };
      tenant.legacyCloudEdit(u.id, body.data.value, actor);
      return { status: 204, headers: {}, body: '' };
    }
    return json(404, { error: { code: 'NotFound', message: 'Unknown sandbox admin route.' } });
  };

  let origin = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: serverCert.keyPem, cert: serverCert.certPem }, (req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', origin);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const body = await readBody(req);
        const sreq: SandboxRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers,
          body,
          origin,
        };
        const isGraph = url.pathname.startsWith('/v1.0/') || url.pathname.startsWith('/beta/');
        if (isGraph) {
          const f = knobs.faults;
          if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
          if (f.resetRate > 0 && graph.dice() < f.resetRate) {
            req.socket.destroy();
            return;
          }
          if (f.unavailable) return send(res, graph.unavailable(sreq, 503));
          if (f.errorRate > 0 && graph.dice() < f.errorRate) return send(res, graph.unavailable(sreq, f.errorStatus));
        }
        const out = url.pathname.startsWith('/_sandbox/')
          ? await admin(sreq)
          : ((await identity.handle(sreq)) ??
            (await graph.handle(sreq)) ??
            json(404, { error: { code: 'NotFound', message: `No sandbox route for ${url.pathname}.` } }));
        send(res, out);
      } catch (e) {
        if (!res.headersSent)
          send(
            res,
            json(500, {
              error: { code: 'InternalServerError', message: `Sandbox error: ${e instanceof Error ? e.message : 'unknown'}` },
            }),
          );
      }
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;

  let caFile: string | null = null;
  if (opts.caDir) {
    await mkdir(opts.caDir, { recursive: true });
    caFile = join(opts.caDir, 'sandbox-ca.pem');
    await writeFile(caFile, ca.certPem);
  }

  // Default principals. Passwords and secrets live only in this returned object.
  const domain = tenant.organization.initialDomain;
  const mkAccount = (label: string, local: string, display: string, roles: string[]): SandboxAccountInfo => {
    const upn = `${local}@${domain}`;
    const password = `Sbx-${randomBytes(12).toString('base64url')}`;
    const u =
      tenant.findByUpn(upn) ?? tenant.createUser({ userPrincipalName: upn, displayName: display, onPremisesSyncEnabled: null });
    tenant.addSignInAccount(u.id, password, roles);
    return { id: u.id, userPrincipalName: upn, password, roles, label };
  };
  const mkApp = (
    displayName: string,
    o: { appRoles?: string[]; delegatedScopes?: string[]; publicClient?: boolean; cert?: boolean },
  ): SandboxAppInfo => {
    const certificate = o.cert ? createAppCertificate(`CN=${displayName}`) : null;
    const certs = certificate ? [{ pem: certificate.certPem, x5t: certificate.x5t, x5tS256: certificate.x5tS256 }] : [];
    const existing = tenant.listApps().find((a) => a.displayName === displayName);
    if (existing) {
      // A restored tenant: same app ids, fresh credentials for this run.
      const secret = tenant.resetAppCredentials(existing.appId, { withSecret: !existing.publicClient, certificates: certs });
      return {
        appId: existing.appId,
        displayName,
        clientSecret: secret,
        certificate,
        appRoles: existing.appRoles,
        delegatedScopes: existing.delegatedScopes,
        publicClient: existing.publicClient,
      };
    }
    const { app, clientSecret } = tenant.registerApp({
      displayName,
      appRoles: o.appRoles,
      delegatedScopes: o.delegatedScopes,
      publicClient: o.publicClient,
      redirectUris: o.publicClient ? ['http://localhost', 'http://127.0.0.1'] : [],
      withSecret: !o.publicClient,
      certificates: certs,
    });
    return {
      appId: app.appId,
      displayName,
      clientSecret,
      certificate,
      appRoles: app.appRoles,
      delegatedScopes: app.delegatedScopes,
      publicClient: app.publicClient,
    };
  };
  // On a restored tenant the same apps and accounts are found by name and get fresh credentials.
  const apps = {
    reader: mkApp('SyncDrift Reader (sandbox)', {
      appRoles: ['User.Read.All', 'AuditLog.Read.All', 'Organization.Read.All'],
      cert: true,
    }),
    writer: mkApp('SyncDrift Writer (sandbox)', {
      appRoles: [
        'User.Read.All',
        'User.ReadWrite.All',
        'User-Phone.ReadWrite.All',
        'AuditLog.Read.All',
        'Organization.Read.All',
        'User-OnPremisesSyncBehavior.ReadWrite.All',
      ],
      cert: true,
    }),
    workbench: mkApp('SyncDrift Workbench (sandbox)', { delegatedScopes: WORKBENCH_SCOPES, publicClient: true }),
  };
  const users = {
    globalAdmin: mkAccount('Global Administrator', 'admin', 'Sandbox Global Admin', [ROLE.GLOBAL_ADMINISTRATOR]),
    userAdmin: mkAccount('User Administrator (not Global Administrator)', 'useradmin', 'Sandbox User Admin', [
      ROLE.USER_ADMINISTRATOR,
    ]),
    globalReader: mkAccount('Global Reader', 'reader', 'Sandbox Global Reader', [ROLE.GLOBAL_READER]),
    hybridAdmin: mkAccount('Hybrid Identity Administrator', 'hybrid', 'Sandbox Hybrid Identity Admin', [
      ROLE.HYBRID_IDENTITY_ADMINISTRATOR,
    ]),
  };

  return {
    origin,
    authorityHost: `127.0.0.1:${port}`,
    authority: `${origin}/${tenant.tenantId}`,
    tenantId: tenant.tenantId,
    graphBaseUrl: `${origin}/v1.0`,
    graphBetaUrl: `${origin}/beta`,
    graphScope: `${origin}/.default`,
    caPem: ca.certPem,
    caFile,
    apps,
    users,
    tenant,
    identity,
    knobs,
    setKnobs,
    resetThrottling: () => buckets.reset(),
    adminKey,
    seeded,
    approveDeviceCode: (code, upn, password) => identity.approveDeviceCode(code, upn, password),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
