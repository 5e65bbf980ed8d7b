/**
 * The one door for secrets on the service side: typed once in the UI, encrypted with the host's
 * Encryptor (Electron safeStorage, or the key file under plain Node) and kept in the workspace's blob
 * table. Nothing here ever returns a secret to a channel; callers get a getter for the adapter.
 */
import type { TokenCacheStore } from '../cloud';
import type { Encryptor } from '../core/ports';
import type { Workspace } from '../workspace';

export class SecretVault {
  constructor(
    private readonly workspace: Workspace,
    private readonly encryptor: Encryptor,
  ) {}

  private key(profileId: string, name: string): string {
    return `secret:${profileId}:${name}`;
  }

  async put(profileId: string, name: string, value: string): Promise<void> {
    this.workspace.blobs.put(this.key(profileId, name), await this.encryptor.encrypt(value));
  }

  has(profileId: string, name: string): boolean {
    return this.workspace.blobs.get(this.key(profileId, name)) !== null;
  }

  /** A getter for adapters; undefined when nothing is stored. */
  getter(profileId: string, name: string): (() => Promise<string>) | undefined {
    if (!this.has(profileId, name)) return undefined;
    return async () => {
      const blob = this.workspace.blobs.get(this.key(profileId, name));
      if (!blob) throw new Error('the stored secret was removed');
      return this.encryptor.decrypt(blob);
    };
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
    for (const n of names) this.workspace.blobs.delete(this.key(profileId, n));
  }

  copy(from: string, to: string, names: readonly string[]): void {
    for (const n of names) {
      const b = this.workspace.blobs.get(this.key(from, n));
      if (b) this.workspace.blobs.put(this.key(to, n), b);
    }
  }
}

export const onPremSecretName = (sourceId: string) => `onprem:${sourceId}`;
export const CLOUD_SECRET = 'cloud:clientSecret';
/** The encrypted sign-in cache of a profile (refresh tokens): a secret like the others. */
export const CLOUD_TOKEN_CACHE = 'cloud:tokenCache';
