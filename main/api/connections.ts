/**
 * Turns a saved live profile into its connections: one LDAP directory per on-prem source and one
 * CloudClient, with passwords and secrets from the vault (or the environment variable the profile
 * names). Connections are created per operation and closed after it; tokens stay cached per profile.
 */
import { readFile } from 'node:fs/promises';
import { createCloudClient, type CloudClient } from '../cloud';
import { createNodeNetwork, type NodeNetwork } from '../cloud/network';
import { authorityHostOf, toCloudClientProfile, type Profile } from '../core/profile';
import { SyncDriftError } from '../core/errors';
import type { Clock, Encryptor, Logger, Network } from '../core/ports';
import { LdapDirectory } from '../onprem/ldap';
import { passwordFromEnv, type OnPremSource } from '../core/onprem-profile';
import { CLOUD_SECRET, cloudIdentity, onPremIdentity, onPremSecretName, secretFieldOf, CLOUD_SECRET_FIELD, type SecretVault } from './secrets';

export function sourceIdOf(s: Pick<OnPremSource, 'id' | 'url'>): string {
  return s.id ?? new URL(s.url).hostname;
}

export function openDirectories(profileId: string, profile: Profile, vault: SecretVault, logger: Logger, env: NodeJS.ProcessEnv = process.env): LdapDirectory[] {
  return profile.onPrem.map((source) => {
    // A password stored for another address or account is never decrypted for this one.
    const stored = vault.getter(profileId, onPremSecretName(sourceIdOf(source)), onPremIdentity(source), secretFieldOf(sourceIdOf(source)));
    return new LdapDirectory(source, { getPassword: stored ?? passwordFromEnv(source, env), logger: logger.child({ component: 'ldap', source: sourceIdOf(source) }) });
  });
}

export interface CloudConnectionDeps {
  vault: SecretVault;
  logger: Logger;
  clock: Clock;
  encryptor: Encryptor;
  /** The host's network port (Electron net.fetch); under Node a fresh undici network per profile. */
  network?: Network;
  env?: NodeJS.ProcessEnv;
}

/** How a delegated sign-in reaches the admin. */
export interface SignInPrompts {
  deviceCode: (info: { userCode: string; verificationUri: string; message: string }) => void;
  /** Interactive sign-in: the authorization address to open in the system browser. */
  signInUrl?: (url: string) => void;
  /** A sign-in that needed the admin has finished. */
  signedIn?: (account: string | null) => void;
}

/** A CloudClient per live profile, kept for the session so sign-ins and token caches are reused. */
export class CloudConnections {
  private readonly clients = new Map<string, { client: CloudClient; network: NodeNetwork | null; signedIn: boolean }>();

  constructor(private readonly deps: CloudConnectionDeps) {}

  async client(profileId: string, profile: Profile): Promise<CloudClient> {
    let entry = this.clients.get(profileId);
    if (!entry) {
      const own = this.deps.network ? null : await createNodeNetwork({ env: this.deps.env ?? process.env });
      const auth = profile.cloud.auth;
      const env = this.deps.env ?? process.env;
      const storedSecret =
        auth.type === 'clientSecret'
          ? this.deps.vault.getter(profileId, CLOUD_SECRET, cloudIdentity({ ...profile.cloud, authorityHost: authorityHostOf(profile.cloud), secretEnv: auth.secretEnv }), CLOUD_SECRET_FIELD)
          : undefined;
      const client = createCloudClient({
        profileCloud: toCloudClientProfile(profile.cloud),
        network: this.deps.network ?? own!,
        logger: this.deps.logger.child({ component: 'cloud', profile: profile.name }),
        clock: this.deps.clock,
        encryptor: this.deps.encryptor,
        // Sign-ins survive a restart where the Encryptor is strong (DPAPI, the Keychain, a desktop
        // keyring through safeStorage) or the admin consented to the weak one; otherwise the cache
        // plugin keeps them in memory and says why.
        tokenCacheStore: this.deps.vault.tokenCacheStore(profileId),
        weakEncryption: this.deps.vault.storage().storingAllowed ? 'allow' : 'refuse',
        secrets: {
          ...(auth.type === 'clientSecret'
            ? {
                getClientSecret:
                  storedSecret ??
                  (async () => {
                    const v = env[auth.secretEnv];
                    if (!v) throw new SyncDriftError('validation', 'SECRET_MISSING', `cloud.auth.secretEnv: environment variable ${auth.secretEnv} is not set, and no client secret is stored for this profile.`);
                    return v;
                  }),
              }
            : {}),
          ...(auth.type === 'certificate'
            ? {
                getClientCertificate: async () => {
                  const [certPem, privateKeyPem] = await Promise.all([readFile(auth.certificateFile, 'utf8'), readFile(auth.privateKeyFile, 'utf8')]);
                  const { X509Certificate } = await import('node:crypto');
                  const cert = new X509Certificate(certPem);
                  return { thumbprintSha256: cert.fingerprint256.replace(/:/g, ''), privateKeyPem, x5c: certPem };
                },
              }
            : {}),
        },
      });
      entry = { client, network: own, signedIn: false };
      this.clients.set(profileId, entry);
    }
    return entry.client;
  }

  /**
   * Signs in when no session is active: client credentials unattended; device code reports its
   * code; interactive hands the sign-in address to `prompts.signInUrl` (the UI shows it as a link
   * the admin opens in the system browser; msal's loopback listener takes the answer).
   * `prompts.signedIn` is called after a sign-in that needed the admin.
   */
  async signedIn(profileId: string, profile: Profile, prompts: SignInPrompts, signal?: AbortSignal): Promise<CloudClient> {
    const client = await this.client(profileId, profile);
    if (client.activeSession()) return client;
    const existing = await client.sessions();
    if (existing[0]) {
      client.use(existing[0].key);
      return client;
    }
    const type = profile.cloud.auth.type;
    if (type === 'clientSecret' || type === 'certificate') {
      await client.signIn({ flow: 'client-credentials' });
      return client;
    }
    if (type === 'deviceCode') await client.signIn({ flow: 'device-code', onDeviceCode: prompts.deviceCode, signal });
    else if (prompts.signInUrl) {
      const open = prompts.signInUrl;
      await client.signIn({ flow: 'interactive', openBrowser: async (url) => open(url), signal });
    } else
      throw new SyncDriftError('auth', 'INTERACTIVE_NOT_AVAILABLE', 'Interactive sign-in needs a window to show the sign-in link in; switch the profile to device code sign-in.');
    prompts.signedIn?.(client.activeSession()?.username ?? null);
    return client;
  }

  async forget(profileId: string): Promise<void> {
    const e = this.clients.get(profileId);
    this.clients.delete(profileId);
    await e?.network?.close();
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.clients.keys()]) await this.forget(id);
  }
}
