/**
 * The sandbox's Microsoft identity platform (v2.0 endpoints), enough for msal-node's client
 * credentials (secret and certificate assertion), device code and authorization code + PKCE flows,
 * with an authority on loopback (msal-node needs `knownAuthorities: ['127.0.0.1:<port>']`, or the
 * `cloudDiscoveryMetadata` served at /common/discovery/instance).
 *
 * Tokens are JWTs signed with a per-sandbox RSA key (JWKS published). Access tokens for Graph carry
 * `scp` (delegated) or `roles` (app-only), `wids` (directory roles), `idtyp`; ID tokens carry `wids`.
 *
 * This file holds the keys, the token endpoint and token verification; the interactive flows are
 * their own files (identity-device.ts, identity-authorize.ts) and identity-oauth.ts what they share.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import {
  SignJWT,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importX509,
  jwtVerify,
  type CryptoKey as JoseKey,
} from 'jose';
import type { TenantStore } from './tenant';
import type { TenantUser, SandboxApp } from './tenant-model';
import { json, type SandboxRequest, type SandboxResponse } from './http';
import { AuthorizeFlow } from './identity-authorize';
import { DeviceCodeFlow } from './identity-device';
import { GRAPH_APP_ID, TOKEN_LIFETIME_S, oauthError, parseScopes, unknownResource, type AccessClaims } from './identity-oauth';

export { GRAPH_APP_ID, redirectMatches, type AccessClaims } from './identity-oauth';

interface RefreshGrant {
  clientId: string;
  userId: string;
  scopes: string[];
}

export class IdentityService {
  private readonly refresh = new Map<string, RefreshGrant>();
  private readonly verified = new Map<string, AccessClaims>();
  private readonly device: DeviceCodeFlow;
  private readonly authorize: AuthorizeFlow;

  private constructor(
    private readonly tenant: TenantStore,
    private readonly privateKey: JoseKey,
    private readonly publicKey: JoseKey,
    private readonly jwk: Record<string, unknown>,
    readonly kid: string,
  ) {
    this.device = new DeviceCodeFlow(tenant);
    this.authorize = new AuthorizeFlow(tenant);
  }

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
    if (path === '/devicelogin') return method === 'POST' ? this.device.loginPost(req) : this.device.loginPage(null);
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
    if (what === 'oauth2/v2.0/devicecode' && method === 'POST') return this.device.start(req);
    if (what === 'oauth2/v2.0/authorize') return method === 'POST' ? this.authorize.post(req) : this.authorize.get(req);
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
    const scopes = parseScopes(form.get('scope') ?? '', req.origin);
    if (!scopes)
      return unknownResource();

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
      const redeemed = this.authorize.redeem(form.get('code') ?? '', clientId, form.get('redirect_uri') ?? '', form.get('code_verifier') ?? '');
      if (!redeemed.ok) return redeemed.response;
      const entry = redeemed.code;
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
      const redeemed = this.device.redeem(form.get('device_code') ?? '', clientId);
      if (!redeemed.ok) return redeemed.response;
      const { user } = redeemed;
      return this.userTokens(req.origin, app, user, redeemed.scopes, [...new Set([...scopes.oidc, 'openid', 'profile'])], null);
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

  /** Completes a device code sign-in (what the /devicelogin page does). Returns an error text or null. */
  approveDeviceCode(userCode: string, upn: string, password: string): string | null {
    return this.device.approve(userCode, upn, password);
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
