/**
 * The sandbox tenant's app registrations (with their service principals) and the accounts that can
 * sign in: secrets and passwords are kept only as hashes and compared in constant time.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SyncDriftError } from '../core/errors';
import type { SandboxApp, SignInAccount, TenantUser } from './tenant-model';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function hashPassword(salt: string, password: string): string {
  return createHash('sha256').update(`${salt}:${password}`, 'utf8').digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}


export class AppRegistry {
  private readonly apps = new Map<string, SandboxApp>();
  private readonly accounts = new Map<string, SignInAccount>();

  /** Registers an app; returns the client secret once in clear (the store keeps only its hash). */
  registerApp(input: {
    displayName: string;
    appId?: string;
    appRoles?: string[];
    delegatedScopes?: string[];
    redirectUris?: string[];
    publicClient?: boolean;
    withSecret?: boolean;
    certificates?: { pem: string; x5t: string; x5tS256: string }[];
  }): { app: SandboxApp; clientSecret: string | null } {
    const clientSecret = input.withSecret === false ? null : `sbx~${randomBytes(24).toString('base64url')}`;
    const app: SandboxApp = {
      appId: input.appId ?? randomUUID(),
      displayName: input.displayName,
      servicePrincipalId: randomUUID(),
      secretHashes: clientSecret ? [hashSecret(clientSecret)] : [],
      certificates: input.certificates ?? [],
      appRoles: input.appRoles ?? [],
      delegatedScopes: input.delegatedScopes ?? [],
      redirectUris: input.redirectUris ?? [],
      publicClient: input.publicClient ?? false,
    };
    this.apps.set(app.appId, app);
    return { app, clientSecret };
  }

  /**
   * Replaces an app's credentials (a restarted sandbox hands out fresh ones: the store keeps only
   * hashes, so old secrets cannot be given back). Returns the new secret in clear, once.
   */
  resetAppCredentials(
    appId: string,
    opts: { withSecret: boolean; certificates: { pem: string; x5t: string; x5tS256: string }[] },
  ): string | null {
    const app = this.apps.get(appId);
    if (!app) throw new SyncDriftError('not-found', 'SANDBOX_APP_NOT_FOUND', `No sandbox app with id ${appId}.`);
    const clientSecret = opts.withSecret ? `sbx~${randomBytes(24).toString('base64url')}` : null;
    app.secretHashes = clientSecret ? [hashSecret(clientSecret)] : [];
    app.certificates = opts.certificates;
    return clientSecret;
  }

  getApp(appId: string): SandboxApp | undefined {
    return this.apps.get(appId);
  }

  listApps(): SandboxApp[] {
    return [...this.apps.values()];
  }

  verifyClientSecret(appId: string, secret: string): boolean {
    const app = this.apps.get(appId);
    if (!app) return false;
    const h = hashSecret(secret);
    return app.secretHashes.some((s) => safeEqualHex(s, h));
  }

  /** Makes a user (the store checks it exists) able to sign in with a password and the given directory roles. */
  addSignInAccount(userId: string, password: string, roles: string[]): SignInAccount {
    const salt = randomBytes(12).toString('hex');
    const acct: SignInAccount = { userId, passwordSalt: salt, passwordHash: hashPassword(salt, password), roles: [...roles] };
    this.accounts.set(userId, acct);
    return acct;
  }

  getSignInAccount(userId: string): SignInAccount | undefined {
    return this.accounts.get(userId);
  }

  /** Checks a sign-in of a user (the store finds it by UPN) and password; returns the account or null. */
  verifyPassword(user: TenantUser, password: string): { user: TenantUser; account: SignInAccount } | null {
    const account = this.accounts.get(user.id);
    if (!account) return null;
    return safeEqualHex(account.passwordHash, hashPassword(account.passwordSalt, password)) ? { user, account } : null;
  }

  /** Every sign-in account, copied (the store's snapshot). */
  listAccounts(): SignInAccount[] {
    return [...this.accounts.values()].map((a) => ({ ...a }));
  }

  /** Puts back apps and accounts read from a snapshot. */
  restore(apps: readonly SandboxApp[], accounts: readonly SignInAccount[]): void {
    for (const a of apps) this.apps.set(a.appId, a);
    for (const a of accounts) this.accounts.set(a.userId, a);
  }
}
