/**
 * The one door for secrets on the service side: typed once in the UI, encrypted with the host's
 * Encryptor (Electron safeStorage, or the key file under plain Node) and kept in the workspace's blob
 * table. Nothing here ever returns a secret to a channel; callers get a getter for the adapter.
 *
 * A weak Encryptor (a key file beside the workspace, Linux basic_text) protects nothing from whoever
 * can read the workspace, so the vault stores with it only after the admin consented for this
 * workspace to that very backend; the consent says when and for which backend, and can be revoked
 * (issue 16 finding 7).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TokenCacheStore } from '../cloud';
import { SyncDriftError, ValidationError } from '../core/errors';
import type { Encryptor, Logger } from '../core/ports';
import { ACCEPT_WEAK_SECRET_STORAGE_FLAG } from '../core/secret-storage';
import type { Workspace } from '../workspace';

/** Blob key of the consent record; blobs are not part of a workspace export, so a consent never travels to a partner. */
const CONSENT_KEY = 'secret-storage-consent';
const SECRET_PREFIX = 'secret:';
const BINDING_PREFIX = 'secret-for:';

const ConsentRecord = z.object({ backend: z.string(), description: z.string(), at: z.string() });
export type SecretStorageConsent = z.infer<typeof ConsentRecord>;

/** What the UI, the CLI and diagnostics show of the secret store. */
export interface SecretStorageStatus {
  backend: string;
  strong: boolean;
  description: string;
  /** The admin's consent to this (weak) backend for this workspace; null when none (or given to another backend). */
  consent: SecretStorageConsent | null;
  /** Whether put() stores: the backend is strong, or the admin consented to it. */
  storingAllowed: boolean;
  /** Stored secrets (bind passwords, client secrets, kept sign-ins) in this workspace. */
  storedSecrets: number;
  /** Set when secrets are stored under a weak backend nobody consented to. */
  warning: string | null;
}

const plural = (n: number) => (n === 1 ? '1 secret is' : `${n} secrets are`);

/**
 * The host's own question for the weak-storage consent, asked outside the page: true for the admin's
 * yes, else the words for why not ("declined in the confirmation dialog").
 */
export type WeakStorageQuestion = (backend: string, description: string) => Promise<true | string>;

/**
 * Asks the admin, outside the renderer, to confirm storing secrets with the weak backend in use
 * (Electron: a native dialog of the main process; the browser host: the command that started it),
 * which no script in the page can answer; throws SECRET_STORAGE_CONSENT_DECLINED unless the answer is
 * yes. Without a question (the CLI, whose own flag is the consent; tests) the bridge call is the
 * consent. A backend other than the one in use, or a strong one, is not asked about:
 * SecretVault.consent refuses those by name.
 */
export async function confirmConsent(vault: Pick<SecretVault, 'storage'>, backendSeen: string, confirm: WeakStorageQuestion | undefined, logger: Logger): Promise<void> {
  if (!confirm) return;
  const seen = vault.storage();
  if (seen.backend !== backendSeen || seen.strong) return;
  const answer = await confirm(seen.backend, seen.description);
  if (answer === true) return;
  logger.info('secret storage: the host did not confirm the weak backend', { backend: seen.backend });
  throw new SyncDriftError('validation', 'SECRET_STORAGE_CONSENT_DECLINED', `Not consented: storing secrets protected only by ${seen.description} was ${answer}. Nothing was recorded.`);
}

/** The refusal of put() on a weak backend without consent: names the backend and how to consent. */
export function weakSecretStorageError(description: string): SyncDriftError {
  return new SyncDriftError(
    'validation',
    'WEAK_SECRET_STORAGE',
    `Not stored: in this workspace secrets would be protected only by ${description}. To store them anyway, consent for this workspace (Profiles → Secret storage → "Store secrets with this weak protection"; CLI: ${ACCEPT_WEAK_SECRET_STORAGE_FLAG}), or leave the secret empty and set the environment variable the profile names.`,
  );
}

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

  private consentRecord(): SecretStorageConsent | null {
    const raw = this.workspace.blobs.get(CONSENT_KEY);
    if (!raw) return null;
    try {
      const r = ConsentRecord.safeParse(JSON.parse(raw.toString('utf8')));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  }

  /** The consent that applies now: one given to the backend in use, never one given to another. */
  private currentConsent(): SecretStorageConsent | null {
    const c = this.consentRecord();
    return c && c.backend === this.encryptor.backend ? c : null;
  }

  storage(): SecretStorageStatus {
    const consent = this.encryptor.isStrong ? null : this.currentConsent();
    const storingAllowed = this.encryptor.isStrong || consent !== null;
    const storedSecrets = this.workspace.blobs.keys(SECRET_PREFIX).length;
    return {
      backend: this.encryptor.backend,
      strong: this.encryptor.isStrong,
      description: this.encryptor.description,
      consent,
      storingAllowed,
      storedSecrets,
      warning:
        !storingAllowed && storedSecrets > 0
          ? `${plural(storedSecrets)} already stored in this workspace with this weak protection, without your consent (typed before the app asked). Consent to keep using them, or delete them.`
          : null,
    };
  }

  /**
   * Records the admin's consent to store secrets with the current weak backend. `backendSeen` is the
   * backend the admin was shown: a consent to anything else is refused, so nobody consents blind.
   */
  consent(backendSeen: string, at: Date): SecretStorageStatus {
    if (backendSeen !== this.encryptor.backend)
      throw new SyncDriftError('validation', 'SECRET_STORAGE_CHANGED', `The secret store is now ${this.encryptor.description}, not '${backendSeen}'; look at it again before you consent.`);
    if (this.encryptor.isStrong) throw new ValidationError('backend', `${this.encryptor.description} protects stored secrets; no consent is needed`);
    this.workspace.blobs.put(CONSENT_KEY, JSON.stringify({ backend: this.encryptor.backend, description: this.encryptor.description, at: at.toISOString() } satisfies SecretStorageConsent));
    return this.storage();
  }

  /** Withdraws the consent; with `forgetStored`, deletes every stored secret and kept sign-in too. */
  revokeConsent(opts: { forgetStored: boolean }): SecretStorageStatus {
    this.workspace.blobs.delete(CONSENT_KEY);
    if (opts.forgetStored) {
      // Bindings go too: the profiles then read "no password stored", not "typed for another endpoint".
      for (const key of [...this.workspace.blobs.keys(SECRET_PREFIX), ...this.workspace.blobs.keys(BINDING_PREFIX)]) this.workspace.blobs.delete(key);
    }
    return this.storage();
  }

  /**
   * Stores a secret for the endpoint identity it was typed for. Refused on a weak backend unless the
   * admin consented (WEAK_SECRET_STORAGE), and refused if the Encryptor handed back the plain text.
   */
  async put(profileId: string, name: string, value: string, identity: string): Promise<void> {
    this.assertStoringAllowed();
    const cipher = await this.encryptor.encrypt(value);
    if (cipher.includes(Buffer.from(value, 'utf8')))
      throw new SyncDriftError('internal', 'SECRET_NOT_ENCRYPTED', `Not stored: the secret store (${this.encryptor.backend}) returned the secret unencrypted.`);
    this.workspace.blobs.put(this.key(profileId, name), cipher);
    this.workspace.blobs.put(this.bindingKey(profileId, name), bindingOf(identity));
  }

  /** Throws WEAK_SECRET_STORAGE when put() would refuse: callers check before writing anything else. */
  assertStoringAllowed(): void {
    if (!this.storage().storingAllowed) throw weakSecretStorageError(this.encryptor.description);
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
