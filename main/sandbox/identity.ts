/**
 * The sandbox's Microsoft identity platform (v2.0 endpoints), enough for msal-node's client
 * credentials (secret and certificate assertion), device code and authorization code + PKCE flows,
 * with an authority on loopback (msal-node needs `knownAuthorities: ['127.0.0.1:<port>']`, or the
 * `cloudDiscoveryMetadata` served at /common/discovery/instance).
 *
 * Tokens are JWTs signed with a per-sandbox RSA key (JWKS published). Access tokens for Graph carry
 * `scp` (delegated) or `roles` (app-only), `wids` (directory roles), `idtyp`; ID tokens carry `wids`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importX509,
  jwtVerify,
  type JWTPayload,
  type CryptoKey as JoseKey,
} from 'jose';
import type { TenantStore, TenantUser, SandboxApp } from './tenant';
import { escapeHtml, html, json, type SandboxRequest, type SandboxResponse } from './http';

/** Graph's application id; the `aud` of Graph access tokens. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const TOKEN_LIFETIME_S = 3600;

/** Claims the Graph side reads from a verified access token. */
export interface AccessClaims extends JWTPayload {
  tid: string;
  oid: string;
  appid: string;
  app_displayname?: string;
  idtyp: 'app' | 'user';
  scp?: string;
  roles?: string[];
  wids?: string[];
  upn?: string;
  name?: string;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: 'S256' | 'plain';
  scopes: string[];
  userId: string;
  nonce: string | null;
  expiresAt: number;
}

interface PendingAuthorize {
  clientId: string;
  redirectUri: string;
  state: string | null;
  nonce: string | null;
  scopes: string[];
  challenge: string;
  method: 'S256' | 'plain';
  responseMode: 'query' | 'form_post';
  expiresAt: number;
}

interface DeviceCode {
  userCode: string;
  clientId: string;
  scopes: string[];
  status: 'pending' | 'approved' | 'denied';
  userId: string | null;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  userId: string;
  scopes: string[];
}

function oauthError(status: number, error: string, code: number, description: string): SandboxResponse {
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

function b64urlSha256(s: string): string {
  return createHash('sha256').update(s, 'ascii').digest('base64url');
}

/** Loopback redirect URIs match regardless of port, as Entra documents for native apps. */
export function redirectMatches(registered: string, actual: string): boolean {
  try {
    const r = new URL(registered);
    const a = new URL(actual);
    const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
    const path = (u: URL) => u.pathname.replace(/\/+$/, '');
    if (r.protocol === 'http:' && loopback(r.hostname) && loopback(a.hostname))
      return r.hostname === a.hostname && path(r) === path(a);
    return r.href.replace(/\/+$/, '') === a.href.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

export class IdentityService {
  private readonly codes = new Map<string, AuthCode>();
  private readonly pending = new Map<string, PendingAuthorize>();
  private readonly devices = new Map<string, DeviceCode>();
  private readonly userCodes = new Map<string, string>();
  private readonly refresh = new Map<string, RefreshGrant>();
  private readonly verified = new Map<string, AccessClaims>();

  private constructor(
    private readonly tenant: TenantStore,
    private readonly privateKey: JoseKey,
    private readonly publicKey: JoseKey,
    private readonly jwk: Record<string, unknown>,
    readonly kid: string,
  ) {}

  static async create(tenant: TenantStore): Promise<IdentityService> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 27);
    return new IdentityService(tenant, privateKey, publicKey, { ...jwk, kid, use: 'sig', alg: 'RS256' }, kid);
  }

  /** Token times follow the tenant's clock, so tests that move time also expire tokens. */
  private nowS(): number {
    return Math.floor(this.tenant.clock.now().getTime() / 1000);
  }

  issuer(origin: string): string {
    return `${origin}/${this.tenant.tenantId}/v2.0`;
  }

  private tenantSegmentOk(seg: string): boolean {
    const t = this.tenant;
    return (
      seg === t.tenantId ||
      seg === 'organizations' ||
      seg === 'common' ||
      seg.toLowerCase() === t.organization.initialDomain.toLowerCase()
    );
  }

  /** Handles identity routes; returns null when the path is not one. */
  async handle(req: SandboxRequest): Promise<SandboxResponse | null> {
    const { path, method, origin } = req;
    if (path === '/common/discovery/instance' && method === 'GET') {
      const host = new URL(origin).host;
      return json(200, {
        tenant_discovery_endpoint: `${origin}/${this.tenant.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    if (path === '/devicelogin') return method === 'POST' ? this.deviceLoginPost(req) : this.deviceLoginPage(null);
    const m =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(token|devicecode|authorize))$/.exec(
        path,
      );
    if (!m) return null;
    if (!this.tenantSegmentOk(m[1]!)) return oauthError(400, 'invalid_tenant', 90002, `Tenant '${m[1]}' not found.`);
    const what = m[2]!;
    if (what.startsWith('v2.0/.well-known')) return json(200, this.openIdConfiguration(origin));
    if (what === 'discovery/v2.0/keys') return json(200, { keys: [this.jwk] });
    if (what === 'oauth2/v2.0/token' && method === 'POST') return this.token(req);
    if (what === 'oauth2/v2.0/devicecode' && method === 'POST') return this.deviceCode(req);
    if (what === 'oauth2/v2.0/authorize') return method === 'POST' ? this.authorizePost(req) : this.authorizeGet(req);
    return json(405, { error: 'invalid_request', error_description: 'Method not allowed.' });
  }

  openIdConfiguration(origin: string): Record<string, unknown> {
    const base = `${origin}/${this.tenant.tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: this.issuer(origin),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${origin}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: new URL(origin).host,
      cloud_graph_host_name: new URL(origin).host,
      msgraph_host: new URL(origin).host,
      rbac_url: origin,
    };
  }

  // ----- scopes

  /** Splits requested scopes into Graph permission names and OIDC scopes; null = foreign resource. */
  private parseScopes(raw: string, origin: string): { graph: string[]; oidc: string[]; isDefault: boolean } | null {
    const graph: string[] = [];
    const oidc: string[] = [];
    let isDefault = false;
    const prefixes = [`${origin}/`, 'https://graph.microsoft.com/', `${GRAPH_APP_ID}/`];
    for (const s of raw.split(/\s+/).filter(Boolean)) {
      if (OIDC_SCOPES.has(s)) {
        oidc.push(s);
        continue;
      }
      const prefix = prefixes.find((p) => s.startsWith(p));
      const name = prefix ? s.slice(prefix.length) : s.includes('/') ? null : s;
      if (name === null) return null;
      if (name === '.default') isDefault = true;
      else graph.push(name);
    }
    return { graph, oidc, isDefault };
  }

  private grantDelegated(app: SandboxApp, requested: { graph: string[]; isDefault: boolean }): string[] {
    if (requested.isDefault) return [...app.delegatedScopes];
    return requested.graph.filter((s) => app.delegatedScopes.includes(s));
  }

  // ----- tokens

  private async accessToken(origin: string, claims: Omit<AccessClaims, 'tid'>): Promise<string> {
    return new SignJWT({ ...claims, tid: this.tenant.tenantId, ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer(origin))
      .setAudience(GRAPH_APP_ID)
      .setIssuedAt(this.nowS())
      .setNotBefore(this.nowS())
      .setExpirationTime(this.nowS() + TOKEN_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  private async userTokens(
    origin: string,
    app: SandboxApp,
    user: TenantUser,
    scopes: string[],
    oidc: string[],
    nonce: string | null,
  ): Promise<SandboxResponse> {
    const roles = this.tenant.getSignInAccount(user.id)?.roles ?? [];
    const access = await this.accessToken(origin, {
      oid: user.id,
      sub: user.id,
      appid: app.appId,
      app_displayname: app.displayName,
      idtyp: 'user',
      scp: scopes.join(' '),
      wids: roles,
      upn: user.userPrincipalName,
      name: user.displayName ?? user.userPrincipalName,
    });
    const idToken = await new SignJWT({
      oid: user.id,
      tid: this.tenant.tenantId,
      preferred_username: user.userPrincipalName,
      name: user.displayName ?? user.userPrincipalName,
      wids: roles,
      ver: '2.0',
      ...(nonce ? { nonce } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer(origin))
      .setAudience(app.appId)
      .setSubject(user.id)
      .setIssuedAt(this.nowS())
      .setNotBefore(this.nowS())
      .setExpirationTime(this.nowS() + TOKEN_LIFETIME_S)
      .sign(this.privateKey);
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...scopes.map((s) => `${origin}/${s}`), ...oidc.filter((s) => s !== 'offline_access')].join(' '),
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: access,
      id_token: idToken,
      client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: this.tenant.tenantId })).toString('base64url'),
    };
    if (oidc.includes('offline_access')) {
      const rt = `sbxrt.${randomBytes(32).toString('base64url')}`;
      this.refresh.set(rt, { clientId: app.appId, userId: user.id, scopes });
      body.refresh_token = rt;
    }
    return json(200, body, { 'cache-control': 'no-store' });
  }

  private async authenticateClient(
    req: SandboxRequest,
    form: URLSearchParams,
    app: SandboxApp,
    required: boolean,
  ): Promise<SandboxResponse | null> {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!this.tenant.verifyClientSecret(app.appId, secret)) {
        return oauthError(
          401,
          'invalid_client',
          7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        );
      }
      return null;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return oauthError(
          400,
          'invalid_request',
          90002,
          "Invalid client_assertion_type; expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        );
      }
      return this.verifyAssertion(req, assertion, app);
    }
    if (required) {
      return oauthError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    return null;
  }

  private async verifyAssertion(req: SandboxRequest, assertion: string, app: SandboxApp): Promise<SandboxResponse | null> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return oauthError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    }
    const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : null;
    const cert = app.certificates.find(
      (c) => (x5tS256 !== null && c.x5tS256 === x5tS256) || (header.x5t !== undefined && c.x5t === header.x5t),
    );
    if (!cert) {
      return oauthError(
        401,
        'invalid_client',
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${x5tS256 ?? header.x5t ?? 'none'}']`,
      );
    }
    const alg = header.alg === 'PS256' ? 'PS256' : 'RS256';
    try {
      const key = await importX509(cert.pem, alg);
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ['RS256', 'PS256'],
        issuer: app.appId,
        subject: app.appId,
        clockTolerance: 300,
      });
      const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const okAud = auds.some((a) => typeof a === 'string' && a.startsWith(`${req.origin}/`) && a.endsWith('/oauth2/v2.0/token'));
      if (!okAud) return oauthError(401, 'invalid_client', 700016, 'The client assertion audience is not this token endpoint.');
      return null;
    } catch (e) {
      return oauthError(
        401,
        'invalid_client',
        700027,
        `Client assertion failed signature validation. (${e instanceof Error ? e.message : 'invalid'})`,
      );
    }
  }

  private async token(req: SandboxRequest): Promise<SandboxResponse> {
    const form = new URLSearchParams(req.body);
    // client_secret_basic too.
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      if (id && !form.has('client_id')) form.set('client_id', decodeURIComponent(id));
      if (secret !== undefined && !form.has('client_secret')) form.set('client_secret', decodeURIComponent(secret));
    }
    const clientId = form.get('client_id');
    if (!clientId)
      return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.tenant.getApp(clientId);
    if (!app) {
      return oauthError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenant.organization.displayName}'.`,
      );
    }
    const grant = form.get('grant_type');
    const scopes = this.parseScopes(form.get('scope') ?? '', req.origin);
    if (!scopes)
      return oauthError(
        400,
        'invalid_resource',
        500011,
        'The resource principal named in the scope was not found in the tenant.',
      );

    if (grant === 'client_credentials') {
      const fail = await this.authenticateClient(req, form, app, true);
      if (fail) return fail;
      if (!scopes.isDefault || scopes.graph.length > 0) {
        return oauthError(
          400,
          'invalid_scope',
          1002012,
          'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
        );
      }
      const access = await this.accessToken(req.origin, {
        oid: app.servicePrincipalId,
        sub: app.servicePrincipalId,
        appid: app.appId,
        app_displayname: app.displayName,
        idtyp: 'app',
        roles: [...app.appRoles],
      });
      return json(
        200,
        { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: access },
        { 'cache-control': 'no-store' },
      );
    }

    if (grant === 'authorization_code') {
      const code = form.get('code') ?? '';
      const entry = this.codes.get(code);
      this.codes.delete(code);
      if (!entry || entry.expiresAt < this.tenant.clock.now().getTime() || entry.clientId !== clientId) {
        return oauthError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      }
      if (!redirectMatches(entry.redirectUri, form.get('redirect_uri') ?? '')) {
        return oauthError(
          400,
          'invalid_grant',
          50148,
          'The redirect_uri does not match the one used in the authorization request.',
        );
      }
      const verifier = form.get('code_verifier') ?? '';
      const expected = entry.method === 'S256' ? b64urlSha256(verifier) : verifier;
      if (!verifier || expected !== entry.challenge) {
        return oauthError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
      const fail = await this.authenticateClient(req, form, app, !app.publicClient);
      if (fail) return fail;
      const user = this.tenant.getUser(entry.userId);
      if (!user) return oauthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
      return this.userTokens(
        req.origin,
        app,
        user,
        entry.scopes,
        [...new Set([...scopes.oidc, 'openid', 'profile'])],
        entry.nonce,
      );
    }

    // msal sends the short form `device_code`; RFC 8628 names the URN. Entra accepts both.
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
      const dc = this.devices.get(form.get('device_code') ?? '');
      if (!dc || dc.clientId !== clientId) return oauthError(400, 'invalid_grant', 70000, 'The provided device code is invalid.');
      if (dc.expiresAt < this.tenant.clock.now().getTime())
        return oauthError(400, 'expired_token', 70020, 'The provided authorization code has expired.');
      if (dc.status === 'denied') return oauthError(400, 'authorization_declined', 70002, 'The user declined the sign-in.');
      if (dc.status === 'pending' || !dc.userId) {
        return oauthError(
          400,
          'authorization_pending',
          70016,
          'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
        );
      }
      this.devices.delete(form.get('device_code') ?? '');
      this.userCodes.delete(dc.userCode);
      const user = this.tenant.getUser(dc.userId);
      if (!user) return oauthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
      return this.userTokens(req.origin, app, user, dc.scopes, [...new Set([...scopes.oidc, 'openid', 'profile'])], null);
    }

    if (grant === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const g = this.refresh.get(rt);
      if (!g || g.clientId !== clientId)
        return oauthError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
      const fail = await this.authenticateClient(req, form, app, !app.publicClient);
      if (fail) return fail;
      this.refresh.delete(rt);
      const user = this.tenant.getUser(g.userId);
      if (!user) return oauthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
      const wanted = scopes.isDefault || scopes.graph.length === 0 ? g.scopes : scopes.graph.filter((s) => g.scopes.includes(s));
      return this.userTokens(
        req.origin,
        app,
        user,
        wanted,
        [...new Set([...scopes.oidc, 'openid', 'profile', 'offline_access'])],
        null,
      );
    }

    return oauthError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant ?? ''}'.`);
  }

  // ----- device code

  private deviceCode(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const app = this.tenant.getApp(form.get('client_id') ?? '');
    if (!app) return oauthError(400, 'unauthorized_client', 700016, 'Application was not found in the directory.');
    if (!app.publicClient)
      return oauthError(
        400,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    const scopes = this.parseScopes(form.get('scope') ?? '', req.origin);
    if (!scopes)
      return oauthError(
        400,
        'invalid_resource',
        500011,
        'The resource principal named in the scope was not found in the tenant.',
      );
    const deviceCode = randomBytes(32).toString('base64url');
    const userCode = randomBytes(6)
      .toString('base64')
      .replace(/[^A-Z0-9]/gi, '')
      .toUpperCase()
      .padEnd(8, 'X')
      .slice(0, 9);
    this.devices.set(deviceCode, {
      userCode,
      clientId: app.appId,
      scopes: this.grantDelegated(app, scopes),
      status: 'pending',
      userId: null,
      expiresAt: this.tenant.clock.now().getTime() + 900_000,
    });
    this.userCodes.set(userCode, deviceCode);
    const uri = `${req.origin}/devicelogin`;
    return json(200, {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: uri,
      expires_in: 900,
      interval: 1,
      message: `To sign in, use a web browser to open the page ${uri} and enter the code ${userCode} to authenticate.`,
    });
  }

  /** Completes a device code sign-in (what the /devicelogin page does). Returns an error text or null. */
  approveDeviceCode(userCode: string, upn: string, password: string): string | null {
    const dcKey = this.userCodes.get(userCode.trim().toUpperCase());
    const dc = dcKey ? this.devices.get(dcKey) : undefined;
    if (!dc || dc.status !== 'pending') return 'That code is not valid or has already been used.';
    const who = this.tenant.verifyPassword(upn, password);
    if (!who) return 'Your account or password is incorrect.';
    dc.status = 'approved';
    dc.userId = who.user.id;
    return null;
  }

  private deviceLoginPage(error: string | null, code = ''): SandboxResponse {
    return html(
      error ? 400 : 200,
      page(
        'Enter code',
        `<form method="post" action="/devicelogin">
  <label>Code <input name="user_code" value="${escapeHtml(code)}" autocomplete="off" required></label>
  <label>User name <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
        error,
      ),
    );
  }

  private deviceLoginPost(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const err = this.approveDeviceCode(form.get('user_code') ?? '', form.get('username') ?? '', form.get('password') ?? '');
    if (err) return this.deviceLoginPage(err, form.get('user_code') ?? '');
    return html(
      200,
      page('Signed in', '<p id="done">You have signed in to the sandbox application. You can close this window.</p>', null),
    );
  }

  // ----- authorization code + PKCE

  private authorizeGet(req: SandboxRequest): SandboxResponse {
    const q = req.query;
    const app = this.tenant.getApp(q.get('client_id') ?? '');
    if (!app)
      return html(
        400,
        page('Sign-in error', '', `AADSTS700016: Application with identifier '${q.get('client_id') ?? ''}' was not found.`),
      );
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!app.redirectUris.some((r) => redirectMatches(r, redirectUri))) {
      return html(
        400,
        page(
          'Sign-in error',
          '',
          `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application.`,
        ),
      );
    }
    if (q.get('response_type') !== 'code')
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'unsupported_response_type',
        'Only response_type=code is supported.',
      );
    const challenge = q.get('code_challenge');
    const method = (q.get('code_challenge_method') ?? 'plain') as 'S256' | 'plain';
    if (!challenge || (method !== 'S256' && method !== 'plain')) {
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'invalid_request',
        'AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
      );
    }
    const scopes = this.parseScopes(q.get('scope') ?? '', req.origin);
    if (!scopes)
      return this.redirectError(
        redirectUri,
        q.get('state'),
        'invalid_resource',
        'AADSTS500011: The resource principal was not found.',
      );
    const rid = randomBytes(18).toString('base64url');
    this.pending.set(rid, {
      clientId: app.appId,
      redirectUri,
      state: q.get('state'),
      nonce: q.get('nonce'),
      scopes: this.grantDelegated(app, scopes),
      challenge,
      method,
      responseMode: q.get('response_mode') === 'form_post' ? 'form_post' : 'query',
      expiresAt: this.tenant.clock.now().getTime() + 600_000,
    });
    return this.signInPage(req, rid, q.get('login_hint') ?? '', null);
  }

  private signInPage(req: SandboxRequest, rid: string, hint: string, error: string | null): SandboxResponse {
    const action = `${req.path}`;
    return html(
      error ? 400 : 200,
      page(
        'Sign in',
        `<form method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="rid" value="${escapeHtml(rid)}">
  <label>User name <input name="username" value="${escapeHtml(hint)}" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
        error,
      ),
    );
  }

  private authorizePost(req: SandboxRequest): SandboxResponse {
    const form = new URLSearchParams(req.body);
    const rid = form.get('rid') ?? '';
    const p = this.pending.get(rid);
    if (!p || p.expiresAt < this.tenant.clock.now().getTime())
      return html(400, page('Sign-in error', '', 'This sign-in request has expired. Start again from the application.'));
    const who = this.tenant.verifyPassword(form.get('username') ?? '', form.get('password') ?? '');
    if (!who) return this.signInPage(req, rid, form.get('username') ?? '', 'Your account or password is incorrect.');
    this.pending.delete(rid);
    const code = `sbxac.${randomBytes(32).toString('base64url')}`;
    this.codes.set(code, {
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      challenge: p.challenge,
      method: p.method,
      scopes: p.scopes,
      userId: who.user.id,
      nonce: p.nonce,
      expiresAt: this.tenant.clock.now().getTime() + 600_000,
    });
    const fields: [string, string][] = [['code', code]];
    if (p.state !== null) fields.push(['state', p.state]);
    fields.push([
      'client_info',
      Buffer.from(JSON.stringify({ uid: who.user.id, utid: this.tenant.tenantId })).toString('base64url'),
    ]);
    if (p.responseMode === 'form_post') {
      // As Entra does: a page whose form posts the response to the redirect URI (msal-node 7 requires it).
      const nonce = randomBytes(16).toString('base64');
      const inputs = fields.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
      const res = html(
        200,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Working...</title></head><body><form method="post" action="${escapeHtml(p.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script nonce="${nonce}">document.forms[0].submit()</script></body></html>`,
      );
      res.headers['content-security-policy'] =
        `default-src 'none'; script-src 'nonce-${nonce}'; form-action http://localhost:* http://127.0.0.1:*`;
      res.headers['cache-control'] = 'no-store';
      return res;
    }
    const target = new URL(p.redirectUri);
    for (const [k, v] of fields) target.searchParams.set(k, v);
    return { status: 302, headers: { location: target.href, 'cache-control': 'no-store' }, body: '' };
  }

  private redirectError(redirectUri: string, state: string | null, error: string, description: string): SandboxResponse {
    const target = new URL(redirectUri);
    target.searchParams.set('error', error);
    target.searchParams.set('error_description', description);
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { location: target.href }, body: '' };
  }

  // ----- verification for Graph

  /** Verifies a bearer token issued by this sandbox; null when invalid or expired. */
  async verifyAccessToken(token: string, origin: string): Promise<AccessClaims | null> {
    const cached = this.verified.get(token);
    const nowS = Math.floor(this.tenant.clock.now().getTime() / 1000);
    if (cached) return (cached.exp ?? 0) > nowS ? cached : null;
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer(origin),
        audience: GRAPH_APP_ID,
        currentDate: this.tenant.clock.now(),
      });
      const claims = payload as AccessClaims;
      if (this.verified.size > 2000) this.verified.clear();
      this.verified.set(token, claims);
      return claims;
    } catch {
      return null;
    }
  }
}

function page(title: string, body: string, error: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - SyncDrift sandbox tenant</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.4rem}button{padding:.5rem 1.2rem}.error{color:#a4262c}.note{color:#605e5c;font-size:.85rem}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Sandbox tenant: a local imitation of Microsoft Entra ID for training and tests. No real account is involved.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${body}
</body></html>`;
}
