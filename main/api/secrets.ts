/**
 * The one door for secrets on the service side: typed once in the UI, encrypted with the host's
 * Encryptor (Electron safeStorage, or the key file under plain Node) and kept in the workspace's blob
 * table. Nothing here ever returns a secret to a channel; callers get a getter for the adapter.
 */
import { createHash } from 'node:crypto';
import type { TokenCacheStore } from '../cloud';
import { ValidationError } from '../core/errors';
import type { Encryptor } from '../core/ports';
import type { Workspace } from '../workspace';

/**
 * What a stored secret is for: the endpoint identity it was typed for (LDAP url, bind DN, replica
 * DCs, env var name; or sign-in host, tenant, client id, env var name). A secret is handed out only
 * to that identity; any change drops it and the admin types it again (issue 16 finding 1).
 */
export type SecretState = 'stored' | 'needed' | 'none';

const bindingOf = (identity: string) => createHash('sha256').update(identity).digest('hex');

/** The typed answer when a secret was dropped because its endpoint changed. */
export function secretReentryError(field: string): ValidationError {
  return new ValidationError(field, 'the stored secret was typed for another endpoint (the address, account, tenant or app changed) and was dropped; enter it again', { code: 'SECRET_REENTRY' });
}

export class SecretVault {
  constructor(
    private readonly workspace: Workspace,
    private readonly encryptor: Encryptor,
  ) {}

  private key(profileId: string, name: string): string {
    return `secret:${profileId}:${name}`;
  }

  private bindingKey(profileId: string, name: string): string {
    return `secret-for:${profileId}:${name}`;
  }

  /** Stores a secret for the endpoint identity it was typed for. */
  async put(profileId: string, name: string, value: string, identity: string): Promise<void> {
    this.workspace.blobs.put(this.key(profileId, name), await this.encryptor.encrypt(value));
    this.workspace.blobs.put(this.bindingKey(profileId, name), bindingOf(identity));
  }

  /**
   * 'stored': a secret typed for this identity; 'needed': one was typed for another identity (or
   * before secrets were bound) and is not handed out; 'none': nothing was ever stored.
   */
  state(profileId: string, name: string, identity: string): SecretState {
    const value = this.workspace.blobs.get(this.key(profileId, name));
    const binding = this.workspace.blobs.get(this.bindingKey(profileId, name))?.toString('utf8') ?? null;
    if (value && binding === bindingOf(identity)) return 'stored';
    return value || binding ? 'needed' : 'none';
  }

  /** Drops a stored secret whose identity is not `identity` any more; the binding stays as the "enter it again" mark. */
  rebind(profileId: string, name: string, identity: string): void {
    if (this.state(profileId, name, identity) !== 'needed') return;
    this.workspace.blobs.delete(this.key(profileId, name));
    if (!this.workspace.blobs.get(this.bindingKey(profileId, name))) this.workspace.blobs.put(this.bindingKey(profileId, name), 'unbound');
  }

  /**
   * A getter for adapters; undefined when nothing was ever stored. A secret typed for another
   * identity is never decrypted: the getter throws SECRET_REENTRY naming `field`.
   */
  getter(profileId: string, name: string, identity: string, field: string): (() => Promise<string>) | undefined {
    const state = this.state(profileId, name, identity);
    if (state === 'none') return undefined;
    return async () => {
      if (this.state(profileId, name, identity) !== 'stored') throw secretReentryError(field);
      const blob = this.workspace.blobs.get(this.key(profileId, name));
      if (!blob) throw secretReentryError(field);
      return this.encryptor.decrypt(blob);
    };
  }

  /**
   * Whatever is stored under `name`, whichever endpoint it was typed for: only for redacting it out
   * of evidence (main/api/services.ts knownSecrets), never to send anywhere.
   */
  async valueToRedact(profileId: string, name: string): Promise<string | null> {
    const blob = this.workspace.blobs.get(this.key(profileId, name));
    return blob ? this.encryptor.decrypt(blob) : null;
  }

  /**
   * Where a profile's msal token cache lives. The cache plugin encrypts it with the same Encryptor
   * before it gets here, and keeps it in memory only when that Encryptor is weak (main/cloud).
   */
  tokenCacheStore(profileId: string): TokenCacheStore {
    const key = this.key(profileId, CLOUD_TOKEN_CACHE);
    return {
      read: async () => this.workspace.blobs.get(key),
      write: async (data) => this.workspace.blobs.put(key, data),
      clear: async () => void this.workspace.blobs.delete(key),
    };
  }

  deleteAll(profileId: string, names: readonly string[]): void {
    for (const n of names) {
      this.workspace.blobs.delete(this.key(profileId, n));
      this.workspace.blobs.delete(this.bindingKey(profileId, n));
    }
  }

  copy(from: string, to: string, names: readonly string[]): void {
    for (const n of names) {
      for (const [a, b] of [
        [this.key(from, n), this.key(to, n)],
        [this.bindingKey(from, n), this.bindingKey(to, n)],
      ] as const) {
        const v = this.workspace.blobs.get(a);
        if (v) this.workspace.blobs.put(b, v);
      }
    }
  }
}

export const onPremSecretName = (sourceId: string) => `onprem:${sourceId}`;
export const CLOUD_SECRET = 'cloud:clientSecret';
/** The fields of profiles.save's `secrets` the UI asks again for. */
export const CLOUD_SECRET_FIELD = 'secrets.clientSecret';
export const secretFieldOf = (sourceId: string) => `secrets.onPremPasswords.${sourceId}`;
/** The encrypted sign-in cache of a profile (refresh tokens): a secret like the others. */
export const CLOUD_TOKEN_CACHE = 'cloud:tokenCache';

/** The endpoint identity an on-prem bind password belongs to: every address it may be sent to, the account, the env var. */
export function onPremIdentity(source: { url: string; bindDn?: string | undefined; replicaDcs?: readonly string[] | undefined; passwordEnv?: string | undefined }): string {
  return JSON.stringify(['ldap', source.url.toLowerCase(), source.bindDn ?? '', [...(source.replicaDcs ?? [])].map((u) => u.toLowerCase()), source.passwordEnv ?? '']);
}

/** The endpoint identity a client secret belongs to: the sign-in host, tenant, app and env var. */
export function cloudIdentity(cloud: { environment: string; authorityHost: string; tenantId: string; clientId: string; secretEnv: string }): string {
  return JSON.stringify(['cloud', cloud.environment, new URL(cloud.authorityHost).origin.toLowerCase(), cloud.tenantId.toLowerCase(), cloud.clientId.toLowerCase(), cloud.secretEnv]);
}
