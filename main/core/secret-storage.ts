/**
 * What protects stored secrets, in words an admin can judge (issue 16 finding 7). Pure: the hosts
 * pass in what they know (Electron: the platform and safeStorage's selected backend; plain Node:
 * the key file's path) and get back the backend, whether it protects anything, and a sentence.
 *
 * Electron's safeStorage (https://www.electronjs.org/docs/latest/api/safe-storage): macOS keeps the
 * key in the Keychain, Windows derives it with DPAPI from the user's logon, Linux uses the keyring
 * of the desktop (gnome_libsecret, kwallet, kwallet5, kwallet6) and, where none is found, basic_text:
 * a key hard-coded in Chromium, which protects nothing. 'unknown' is what it answers before the app
 * is ready; we treat it as weak because we cannot say what it is.
 */

export interface SecretStorageBackend {
  /** Stable name: 'key-file', 'dpapi', 'keychain', or safeStorage's Linux name ('basic_text', 'gnome_libsecret', ...). */
  backend: string;
  /** False when anyone who can read the workspace folder can decrypt what is stored. */
  strong: boolean;
  /** One sentence for the UI, the CLI and diagnostics. */
  description: string;
}

const LINUX_STRONG: Record<string, string> = {
  gnome_libsecret: 'the desktop keyring through libsecret (GNOME Keyring or another Secret Service)',
  kwallet: 'KDE Wallet (KWallet)',
  kwallet5: 'KDE Wallet 5 (KWallet)',
  kwallet6: 'KDE Wallet 6 (KWallet)',
};

/** Electron safeStorage on `platform` (process.platform), with the Linux backend it selected. */
export function safeStorageBackend(platform: string, linuxBackend: string | null): SecretStorageBackend {
  if (platform === 'win32') return { backend: 'dpapi', strong: true, description: 'Electron safeStorage with Windows DPAPI: only your Windows account can decrypt stored secrets' };
  if (platform === 'darwin') return { backend: 'keychain', strong: true, description: 'Electron safeStorage with the macOS Keychain: only this app under your macOS account can decrypt stored secrets' };
  const b = linuxBackend ?? 'unknown';
  const strong = LINUX_STRONG[b];
  if (strong) return { backend: b, strong: true, description: `Electron safeStorage with ${strong} (${b}): stored secrets are encrypted with a key your desktop keyring keeps` };
  if (b === 'basic_text')
    return {
      backend: b,
      strong: false,
      description: 'Electron safeStorage with basic_text: no desktop keyring was found, so secrets are encrypted with a key built into the app, and anyone who can read the workspace can decrypt them',
    };
  return { backend: b, strong: false, description: `Electron safeStorage with an unrecognised backend (${b}): treated as unprotected, anyone who can read the workspace may be able to decrypt stored secrets` };
}

/** The browser host's and the CLI's store: an AES key in a file next to the workspace. */
export function keyFileBackend(keyFile: string): SecretStorageBackend {
  return { backend: 'key-file', strong: false, description: `key file ${keyFile} beside the workspace, readable by anyone who can read the workspace` };
}

/** The flag the CLI takes to record the admin's consent to a weak store. */
export const ACCEPT_WEAK_SECRET_STORAGE_FLAG = '--accept-weak-secret-storage';
