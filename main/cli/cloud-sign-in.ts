/**
 * The CLI's signed-in cloud client for a live profile, shared by `scan` and the remediation
 * commands. Each command is its own process, so a delegated sign-in (device code, interactive)
 * used to run again for every `scan`, `apply`, `resume` and `undo`.
 *
 * With SYNCDRIFT_KEEP_SIGN_IN=1 the msal cache is kept in `sign-ins/` beside the workspace,
 * encrypted with the workspace's key file (the same weak Encryptor the browser host uses: anyone
 * who can read this account's files can read the key), so later commands reuse the sign-in until
 * its refresh token expires. It is opt-in because of that weakness, says where it is kept, and is
 * never used for app-only sign-ins (they have no refresh token; a new one costs nothing). Like the
 * app's vault it needs the admin's consent to that weak store, recorded in the workspace once with
 * --accept-weak-secret-storage (issue 16 finding 7); without it the command stops before signing in.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createCloudClient, fileTokenCacheStore, type CloudClient, type CloudSecrets } from '../cloud';
import type { Clock, Logger, Network } from '../core/ports';
import { toCloudClientProfile, type Profile } from '../core/profile';
import { SyncDriftError } from '../core/errors';
import { ACCEPT_WEAK_SECRET_STORAGE_FLAG } from '../core/secret-storage';
import { createKeyFileEncryptor } from '../node/encryptor';
import { openWorkspace } from '../workspace/workspace';
import { SecretVault } from '../api/secrets';

export const KEEP_SIGN_IN_ENV = 'SYNCDRIFT_KEEP_SIGN_IN';

export interface CliCloudOptions {
  profile: Profile;
  env: Record<string, string | undefined>;
  network: Network;
  logger: Logger;
  clock: Clock;
  secrets?: CloudSecrets;
  /** The workspace database the command uses; the kept sign-in lives beside it. Null: none kept. */
  workspaceFile: string | null;
  /** Device code to show the admin (stderr). */
  onDeviceCode: (info: { userCode: string; verificationUri: string; message: string }) => void;
  /** One-line notices (stderr). */
  notify: (line: string) => void;
  signal?: AbortSignal;
  /** --accept-weak-secret-storage was given: record the admin's consent to the key-file store. */
  acceptWeakSecretStorage?: boolean;
}

/** The CLI's secret store: the key file beside the workspace (the browser host uses the same one). */
export function cliEncryptor(workspaceFile: string) {
  return createKeyFileEncryptor(join(dirname(workspaceFile), 'secret.key'));
}

/**
 * Whether the workspace's consent covers keeping a sign-in with the key-file store; records it when
 * `accept`. Throws WEAK_SECRET_STORAGE naming the key file and the flag otherwise.
 */
function requireKeptSignInConsent(workspaceFile: string, accept: boolean, clock: Clock, notify: (line: string) => void): void {
  const ws = openWorkspace(workspaceFile, { clock });
  try {
    const vault = new SecretVault(ws, cliEncryptor(workspaceFile));
    let store = vault.storage();
    if (!store.storingAllowed && accept) {
      store = vault.consent(store.backend, clock.now());
      notify(`Recorded your consent (${store.consent?.at}) to keep secrets in this workspace protected only by ${store.description}. Withdraw it with \`syncdrift secret-storage --revoke\`.`);
    }
    if (!store.storingAllowed)
      throw new SyncDriftError(
        'validation',
        'WEAK_SECRET_STORAGE',
        `${KEEP_SIGN_IN_ENV}=1 would keep the sign-in protected only by ${store.description}. Add ${ACCEPT_WEAK_SECRET_STORAGE_FLAG} once to agree for this workspace (recorded with the time), or unset ${KEEP_SIGN_IN_ENV}.`,
      );
    if (!accept) notify(`Secret storage: ${store.description} (you agreed ${store.consent?.at}).`);
  } finally {
    ws.close();
  }
}

/** Where a profile's kept sign-in is stored: one file per cloud, tenant and app. */
export function keptSignInFile(workspaceFile: string, profile: Profile): string {
  const c = toCloudClientProfile(profile.cloud);
  const id = createHash('sha256')
    .update(JSON.stringify([c.cloud, c.tenant.toLowerCase(), c.clientId.toLowerCase(), c.authorityHost ?? '', c.graphBaseUrl ?? '', profile.cloud.auth.type]))
    .digest('hex')
    .slice(0, 32);
  return join(dirname(workspaceFile), 'sign-ins', `${id}.bin`);
}

export async function openCliCloudClient(o: CliCloudOptions): Promise<CloudClient> {
  const auth = o.profile.cloud.auth;
  const delegated = auth.type === 'deviceCode' || auth.type === 'interactive';
  const keep = delegated && o.env[KEEP_SIGN_IN_ENV] === '1' && o.workspaceFile !== null;
  if (delegated && o.env[KEEP_SIGN_IN_ENV] === '1' && o.workspaceFile === null) o.notify(`${KEEP_SIGN_IN_ENV}=1 is ignored with --no-save: there is no workspace folder to keep the sign-in in.`);
  const file = keep && o.workspaceFile ? keptSignInFile(o.workspaceFile, o.profile) : null;
  if (file && o.workspaceFile) requireKeptSignInConsent(o.workspaceFile, o.acceptWeakSecretStorage ?? false, o.clock, o.notify);
  const client = createCloudClient({
    profileCloud: toCloudClientProfile(o.profile.cloud),
    network: o.network,
    logger: o.logger,
    clock: o.clock,
    ...(o.secrets ? { secrets: o.secrets } : {}),
    ...(file && o.workspaceFile
      ? { tokenCacheStore: fileTokenCacheStore(file), encryptor: cliEncryptor(o.workspaceFile), weakEncryption: 'allow' as const }
      : {}),
  });
  const signal = o.signal;
  if (auth.type === 'clientSecret' || auth.type === 'certificate') {
    await client.signIn({ flow: 'client-credentials' });
    return client;
  }
  if (file) {
    const kept = await client.sessions();
    if (kept[0]) {
      client.use(kept[0].key);
      o.notify(`Using the sign-in of ${kept[0].username ?? 'the kept account'} kept in ${file} (${KEEP_SIGN_IN_ENV}=1).`);
      return client;
    }
  }
  if (auth.type === 'deviceCode') await client.signIn({ flow: 'device-code', onDeviceCode: o.onDeviceCode, ...(signal ? { signal } : {}) });
  else await client.signIn({ flow: 'interactive', openBrowser: async (url) => o.notify(`Open this address in a browser to sign in:\n  ${url}`), ...(signal ? { signal } : {}) });
  if (file) o.notify(`Sign-in kept in ${file}, encrypted with the key file beside the workspace: anyone who can read the workspace can use it until it expires. Delete the file to sign out.`);
  return client;
}
