/**
 * Sign-in with msal-node, the three ways admins actually sign in: interactive in the system browser
 * (PKCE, loopback redirect), device code (for hosts without a browser), and client credentials with a
 * certificate (preferred) or a secret for unattended runs. Tokens stay inside main/cloud; the rest of
 * the app sees AuthSession (who, which tenant, what was granted) and nothing it could replay.
 */
import { ConfidentialClientApplication, PublicClientApplication, type AccountInfo, type AuthenticationResult, type Configuration } from '@azure/msal-node';
import { CancelledError, SyncDriftError } from '../core/errors';
import type { Clock, Encryptor, Logger, Network } from '../core/ports';
import { graphScopes, msalAuthOptions, scopeName, type ResolvedCloud } from './clouds';
import { msalNetworkClient } from './network';
import { createTokenCachePlugin, memoryTokenCacheStore, type TokenCachePersistence, type TokenCachePlugin, type TokenCacheStore, type WeakEncryptionPolicy } from './token-cache';

export type ClientCredential =
  | { kind: 'certificate'; thumbprintSha256: string; privateKeyPem: string; x5c?: string }
  | { kind: 'secret'; secret: string };

export type SessionKind = 'delegated' | 'app';

/** What the rest of the app may know about a sign-in: never a token. */
export interface AuthSession {
  /** Stable key: the msal homeAccountId for users, `app:<clientId>@<tenant>` for the app. */
  key: string;
  kind: SessionKind;
  tenantId: string;
  username: string | null;
  name: string | null;
  /** Granted delegated permissions, short names ('User.Read.All'); for app sessions the configured roles. */
  grantedScopes: string[];
  /** Directory role template ids from the ID token's `wids`; null when the token carried none. */
  directoryRoleIds: string[] | null;
  /** Application roles the profile says the app holds (client credentials); null when not stated. */
  appRoles: string[] | null;
  expiresOn: string | null;
}

export interface DeviceCodeInfo {
  userCode: string;
  verificationUri: string;
  /** The service's own instruction text, shown verbatim (localized by the service). */
  message: string;
  expiresAt: string;
}

export interface CloudAuthOptions {
  cloud: ResolvedCloud;
  network: Network;
  logger: Logger;
  clock: Clock;
  /** Encrypts the persisted token cache; without it (or a store) the cache lives in memory. */
  encryptor?: Encryptor;
  cacheStore?: TokenCacheStore;
  weakEncryption?: WeakEncryptionPolicy;
  /** Asked only when client credentials are used; the credential is never kept beyond the app object. */
  getClientCredential?: () => Promise<ClientCredential>;
  /** Application permissions the admin granted the app (msal does not report them for client credentials). */
  configuredAppRoles?: readonly string[];
  /** Delegated permission names to request; default `.default` (everything consented). */
  delegatedPermissions?: readonly string[];
}

const NEVER_EXPIRING_REQUEST_TIMEOUT_S = 15 * 60;

export class CloudAuth {
  readonly cloud: ResolvedCloud;
  private readonly opts: CloudAuthOptions;
  private readonly plugin: TokenCachePlugin;
  private readonly pca: PublicClientApplication;
  private cca: ConfidentialClientApplication | null = null;
  private readonly known = new Map<string, AuthSession>();
  /**
   * Scopes as granted (full URIs). msal stores an access token under the scopes the service
   * returned, which for a `.default` request are the individual permissions; asking the cache for
   * `.default` again would miss and refresh on every Graph call.
   */
  private readonly granted = new Map<string, string[]>();
  /** The access token in use per session, with the time to renew it (never leaves this class). */
  private readonly current = new Map<string, { token: string; refreshAt: number }>();
  private readonly log: Logger;

  constructor(opts: CloudAuthOptions) {
    this.opts = opts;
    this.cloud = opts.cloud;
    this.log = opts.logger.child({ component: 'cloud.auth', cloud: opts.cloud.name });
    const store = opts.cacheStore && opts.encryptor ? opts.cacheStore : memoryTokenCacheStore();
    const encryptor: Encryptor = opts.encryptor ?? { backend: 'memory', isStrong: true, description: 'kept in memory only, never written', encrypt: async (s) => Buffer.from(s), decrypt: async (b) => b.toString() };
    this.plugin = createTokenCachePlugin({ encryptor, store, weakEncryption: opts.weakEncryption ?? 'refuse', logger: this.log });
    this.pca = new PublicClientApplication(this.config());
  }

  get persistence(): TokenCachePersistence {
    return this.opts.encryptor && this.opts.cacheStore ? this.plugin.persistence : { mode: 'memory', backend: 'none', reason: 'No token store configured for this profile.' };
  }

  private config(extra: Partial<Configuration['auth']> = {}): Configuration {
    const msalLog = this.log.child({ component: 'msal' });
    return {
      auth: { ...msalAuthOptions(this.cloud), ...extra },
      cache: { cachePlugin: this.plugin },
      system: {
        networkClient: msalNetworkClient(this.opts.network),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: 1, // Warning
          loggerCallback: (_level, message) => msalLog.debug(message),
        },
      },
    };
  }

  private scopes(kind: SessionKind): string[] {
    return kind === 'app' ? graphScopes(this.cloud) : graphScopes(this.cloud, this.opts.delegatedPermissions);
  }

  /** Interactive sign-in: the system browser, PKCE, and msal's loopback listener on `preferredPort`. */
  async signInInteractive(req: { openBrowser: (url: string) => Promise<void>; preferredPort?: number; loginHint?: string; signal?: AbortSignal; successTemplate?: string; errorTemplate?: string }): Promise<AuthSession> {
    const run = this.pca.acquireTokenInteractive({
      scopes: this.scopes('delegated'),
      openBrowser: req.openBrowser,
      ...(req.preferredPort ? { preferredPort: req.preferredPort } : {}),
      ...(req.loginHint ? { loginHint: req.loginHint } : {}),
      successTemplate: req.successTemplate ?? '<h1>Signed in</h1><p>You can close this tab and return to SyncDrift Workbench.</p>',
      errorTemplate: req.errorTemplate ?? '<h1>Sign-in failed</h1><p>Return to SyncDrift Workbench for details.</p>',
    });
    const result = await this.guard('interactive', raceAbort(run, req.signal));
    return this.remember(result, 'delegated');
  }

  /** Device-code sign-in: the code and message go to `onDeviceCode` for the UI to show and copy. */
  async signInDeviceCode(req: { onDeviceCode: (info: DeviceCodeInfo) => void; signal?: AbortSignal }): Promise<AuthSession> {
    if (req.signal?.aborted) throw new CancelledError('Sign-in');
    const request = {
      scopes: this.scopes('delegated'),
      timeout: NEVER_EXPIRING_REQUEST_TIMEOUT_S,
      cancel: false,
      deviceCodeCallback: (r: { userCode: string; verificationUri: string; message: string; expiresIn: number }) =>
        req.onDeviceCode({ userCode: r.userCode, verificationUri: r.verificationUri, message: r.message, expiresAt: new Date(this.opts.clock.now().getTime() + r.expiresIn * 1000).toISOString() }),
    };
    // msal polls until `cancel` flips (it keeps a reference to this very object).
    const onAbort = () => {
      request.cancel = true;
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await this.guard('device-code', this.pca.acquireTokenByDeviceCode(request));
      if (!result) throw new CancelledError('Sign-in');
      return this.remember(result, 'delegated');
    } catch (e) {
      if (req.signal?.aborted) throw new CancelledError('Sign-in');
      throw e;
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** App-only sign-in (client credentials). A certificate is preferred; a secret works too. */
  async signInClientCredentials(): Promise<AuthSession> {
    const result = await this.appToken(false);
    return this.remember(result, 'app');
  }

  private async appClient(): Promise<ConfidentialClientApplication> {
    if (this.cca) return this.cca;
    if (!this.opts.getClientCredential) {
      throw new SyncDriftError('auth', 'NO_CLIENT_CREDENTIAL', 'This profile has no certificate or client secret for unattended sign-in. Add one in the profile, or sign in interactively.');
    }
    const cred = await this.opts.getClientCredential();
    const extra: Partial<Configuration['auth']> =
      cred.kind === 'certificate'
        ? { clientCertificate: { thumbprintSha256: cred.thumbprintSha256, privateKey: cred.privateKeyPem, ...(cred.x5c ? { x5c: cred.x5c } : {}) } }
        : { clientSecret: cred.secret };
    this.cca = new ConfidentialClientApplication(this.config(extra));
    return this.cca;
  }

  private async appToken(forceRefresh: boolean): Promise<AuthenticationResult> {
    const cca = await this.appClient();
    const result = await this.guard('client-credentials', cca.acquireTokenByClientCredential({ scopes: this.scopes('app'), skipCache: forceRefresh }));
    if (!result) throw new SyncDriftError('auth', 'SIGNIN_EMPTY', 'The sign-in service returned no token for the application.');
    return result;
  }

  /** Sessions known now, including accounts restored from the persisted cache. */
  async sessions(): Promise<AuthSession[]> {
    const accounts = await this.pca.getAllAccounts();
    for (const a of accounts) {
      if (this.known.has(a.homeAccountId)) continue;
      try {
        const r = await this.pca.acquireTokenSilent({ account: a, scopes: this.scopes('delegated') });
        this.remember(r, 'delegated');
      } catch (e) {
        this.log.info('cached account needs a new sign-in', { account: a.homeAccountId, error: describeAuthError(e).code });
      }
    }
    return [...this.known.values()];
  }

  session(key: string): AuthSession | undefined {
    return this.known.get(key);
  }

  /**
   * An access token for Graph. Module-internal: only the Graph layer calls this, and only to build an
   * Authorization header. `forceRefresh` skips the cache (after a 401).
   */
  async accessToken(key: string, opts: { forceRefresh?: boolean } = {}): Promise<string> {
    const s = this.known.get(key);
    if (!s) throw new SyncDriftError('auth', 'NOT_SIGNED_IN', 'Not signed in to this tenant any more. Sign in again.');
    // A scan asks for a token per request; msal's cache lookup (with the plugin round trip) is not
    // free, so keep the current token until five minutes before expiry, as msal itself would.
    const memo = this.current.get(key);
    if (!opts.forceRefresh && memo && memo.refreshAt > this.opts.clock.now().getTime()) return memo.token;
    const token = await this.freshToken(s, key, opts.forceRefresh ?? false);
    return token;
  }

  private async freshToken(s: AuthSession, key: string, forceRefresh: boolean): Promise<string> {
    const keep = (r: AuthenticationResult) => {
      const exp = r.expiresOn?.getTime();
      if (exp) this.current.set(key, { token: r.accessToken, refreshAt: exp - 5 * 60_000 });
      else this.current.delete(key);
      return r.accessToken;
    };
    const opts = { forceRefresh };
    if (s.kind === 'app') {
      const r = await this.appToken(opts.forceRefresh ?? false);
      this.remember(r, 'app');
      return keep(r);
    }
    const account = await this.account(key);
    try {
      const r = await this.pca.acquireTokenSilent({ account, scopes: this.silentScopes(key), forceRefresh: opts.forceRefresh ?? false });
      this.remember(r, 'delegated');
      return keep(r);
    } catch (e) {
      const info = describeAuthError(e);
      throw new SyncDriftError('auth', 'SIGNIN_EXPIRED', `The sign-in of ${s.username ?? 'this account'} can no longer be renewed silently (${info.code}). Sign in again.`, { cause: e });
    }
  }

  private silentScopes(key: string): string[] {
    const g = this.granted.get(key);
    return g && g.length > 0 ? g : this.scopes('delegated');
  }

  private async account(key: string): Promise<AccountInfo> {
    const accounts = await this.pca.getAllAccounts();
    const a = accounts.find((x) => x.homeAccountId === key);
    if (!a) throw new SyncDriftError('auth', 'NOT_SIGNED_IN', 'This account was signed out. Sign in again.');
    return a;
  }

  /** Removes the account's tokens from the (persisted) cache. */
  async signOut(key: string): Promise<void> {
    const s = this.known.get(key);
    this.known.delete(key);
    this.granted.delete(key);
    this.current.delete(key);
    if (s?.kind === 'app') {
      if (this.cca) await this.cca.clearCache();
      this.cca = null;
      return;
    }
    const accounts = await this.pca.getAllAccounts();
    const a = accounts.find((x) => x.homeAccountId === key);
    if (a) await this.pca.getTokenCache().removeAccount(a);
  }

  private remember(r: AuthenticationResult, kind: SessionKind): AuthSession {
    const claims = (r.idTokenClaims ?? {}) as Record<string, unknown>;
    const wids = Array.isArray(claims.wids) ? claims.wids.filter((w): w is string => typeof w === 'string') : null;
    const key = kind === 'app' ? `app:${this.cloud.clientId}@${this.cloud.tenant}` : (r.account?.homeAccountId ?? r.uniqueId);
    const session: AuthSession = {
      key,
      kind,
      tenantId: r.tenantId || r.account?.tenantId || this.cloud.tenant,
      username: r.account?.username ?? null,
      name: r.account?.name ?? null,
      grantedScopes: kind === 'app' ? [...(this.opts.configuredAppRoles ?? [])] : r.scopes.map(scopeName).filter((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s.toLowerCase())),
      directoryRoleIds: kind === 'app' ? null : wids,
      appRoles: kind === 'app' ? (this.opts.configuredAppRoles ? [...this.opts.configuredAppRoles] : null) : null,
      expiresOn: r.expiresOn ? r.expiresOn.toISOString() : null,
    };
    this.known.set(key, session);
    if (kind === 'delegated') this.granted.set(key, r.scopes.filter((s) => s.includes('/')));
    return session;
  }

  private async guard<T>(flow: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof SyncDriftError) throw e;
      const info = describeAuthError(e);
      this.log.warn('sign-in failed', { flow, code: info.code });
      throw new SyncDriftError(info.kind, `SIGNIN_${info.code.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`, info.message, { cause: e, details: { flow, code: info.code } });
    }
  }
}

/** Maps msal/AADSTS failures to something an admin can act on. */
export function describeAuthError(e: unknown): { kind: 'auth' | 'connection' | 'permission'; code: string; message: string } {
  const err = e as { errorCode?: unknown; errorMessage?: unknown; message?: unknown; subError?: unknown };
  const code = typeof err.errorCode === 'string' && err.errorCode ? err.errorCode : 'unknown_error';
  const text = typeof err.errorMessage === 'string' && err.errorMessage ? err.errorMessage : typeof err.message === 'string' ? err.message : String(e);
  const aadsts = /AADSTS(\d+)/.exec(text)?.[0];
  const known: Record<string, string> = {
    AADSTS700016: 'The application (client) id is not registered in this tenant or cloud. Check the client id, the tenant, and the cloud of the profile.',
    AADSTS7000215: 'The client secret is wrong or expired. Create a new secret in the app registration.',
    AADSTS7000222: 'The client secret has expired. Create a new secret (or better, a certificate) in the app registration.',
    AADSTS700027: 'The certificate was not accepted. Upload the certificate (public part) to the app registration and check its thumbprint.',
    AADSTS65001: 'Admin consent is missing for the requested permissions. A Global Administrator must grant consent to the app registration.',
    AADSTS50076: 'Multi-factor authentication is required: use interactive or device-code sign-in.',
    AADSTS7000218: "Public client flows are disabled for this app registration: enable 'Allow public client flows' for device-code sign-in.",
    AADSTS50011: 'The redirect URI is not registered: add http://localhost under Mobile and desktop applications in the app registration.',
    AADSTS90002: 'The tenant was not found in this cloud. Check the tenant id and the cloud of the profile.',
  };
  if (aadsts && known[aadsts]) return { kind: 'auth', code: aadsts, message: `${known[aadsts]} (${aadsts})` };
  if (code === 'network_error' || /network|timeout|ECONN|ENOTFOUND|certificate/i.test(text)) {
    return { kind: 'connection', code, message: `The sign-in service could not be reached: ${firstLine(text)}` };
  }
  if (code === 'authorization_pending' || code === 'expired_token') return { kind: 'auth', code, message: 'The device code expired before sign-in finished. Start again.' };
  return { kind: 'auth', code: aadsts ?? code, message: `Sign-in failed: ${firstLine(text)}` };
}

function firstLine(s: string): string {
  return (s.split(/\r?\n/)[0] ?? s).slice(0, 300);
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new CancelledError('Sign-in'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError('Sign-in'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
