/**
 * What really protects the passwords and client secrets typed in Profiles (issue 16 finding 7), and
 * the admin's consent where that protection is weak: a key file beside the workspace (browser host),
 * or Electron's basic_text on Linux without a keyring. The service refuses to store secrets on a
 * weak store until the admin consents here; the consent can be withdrawn, with or without deleting
 * what is stored.
 */
import { useState } from 'react';
import type { SecretStorage } from '../../../preload/contract';
import { useProfilesStore } from '../stores/profiles-store';
import { errorText, useAppStore } from '../stores/app-store';
import { formatTime } from '../lib/download';

/** A few words for the backend, for places with no room for the whole sentence. */
export function storageLabel(s: SecretStorage): string {
  switch (s.backend) {
    case 'dpapi':
      return 'Windows DPAPI';
    case 'keychain':
      return 'the macOS Keychain';
    case 'gnome_libsecret':
      return 'the desktop keyring (libsecret)';
    case 'kwallet':
    case 'kwallet5':
    case 'kwallet6':
      return 'KDE Wallet';
    case 'key-file':
      return 'a key file beside the workspace (weak)';
    case 'basic_text':
      return 'basic_text, no keyring (weak)';
    default:
      return s.strong ? s.backend : `${s.backend} (weak)`;
  }
}

export function SecretStoragePanel() {
  const storage = useProfilesStore((s) => s.storage);
  const storageError = useProfilesStore((s) => s.storageError);
  const notify = useAppStore((s) => s.notify);
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const store = useProfilesStore.getState;

  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      notify('error', `${what} failed: ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };

  if (storageError)
    return (
      <section className="panel" aria-labelledby="secret-storage-title" data-testid="secret-storage">
        <h3 id="secret-storage-title">Secret storage</h3>
        <p className="error" role="alert">
          Could not read what protects stored secrets: {storageError}
        </p>
      </section>
    );
  if (!storage) return null;

  return (
    <section className="panel" aria-labelledby="secret-storage-title" data-testid="secret-storage">
      <h3 id="secret-storage-title">Secret storage{storage.strong ? '' : ': weak protection'}</h3>
      {storage.strong ? (
        <p data-testid="secret-storage-backend">
          Passwords and client secrets you type here are stored encrypted by {storage.description}.
        </p>
      ) : (
        <>
          <p data-testid="secret-storage-backend">
            Passwords and client secrets you type here would be protected only by {storage.description}.
          </p>
          <p>
            That is not real protection: anyone who can read the workspace folder (a backup, another administrator
            account, a program running as you) can decrypt them. Instead you can leave the secret fields empty and set
            the environment variables the profile names.
          </p>
          {storage.warning && (
            <p className="error" role="alert" data-testid="secret-storage-warning">
              {storage.warning}
            </p>
          )}
          {storage.consent ? (
            <>
              <p data-testid="secret-storage-consent">
                You agreed on {formatTime(storage.consent.at)} to store secrets in this workspace with this protection.
              </p>
              <div className="form-actions">
                <button type="button" disabled={busy} onClick={() => void act('Withdrawing consent', () => store().revokeStorageConsent(false))} data-testid="secret-storage-revoke">
                  Withdraw consent (keep what is stored)
                </button>
                <button type="button" className="danger" disabled={busy} onClick={() => void act('Deleting stored secrets', () => store().revokeStorageConsent(true))} data-testid="secret-storage-forget">
                  Withdraw consent and delete stored secrets
                </button>
              </div>
            </>
          ) : (
            <>
              <p data-testid="secret-storage-consent">New secrets are not stored until you agree.</p>
              <label>
                <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} data-testid="secret-storage-understood" /> I understand
                that anyone who can read this workspace can read the secrets stored in it.
              </label>
              <div className="form-actions">
                <button
                  type="button"
                  disabled={!understood || busy}
                  onClick={() => void act('Recording consent', () => store().consentToWeakStorage(storage.backend))}
                  data-testid="secret-storage-accept"
                >
                  Store secrets with this weak protection
                </button>
                {storage.storedSecrets > 0 && (
                  <button type="button" className="danger" disabled={busy} onClick={() => void act('Deleting stored secrets', () => store().revokeStorageConsent(true))} data-testid="secret-storage-forget">
                    Delete the stored secrets
                  </button>
                )}
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}
