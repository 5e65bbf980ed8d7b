/** What the hosts say protects stored secrets (main/core/secret-storage.ts; issue 16 finding 7). */
import { describe, expect, it } from 'vitest';
import { keyFileBackend, safeStorageBackend } from '../../main/core/secret-storage';
import { createKeyFileEncryptor } from '../../main/node/encryptor';

describe('secret storage backends', () => {
  it('Linux basic_text is weak and says that anyone who can read the workspace can decrypt', () => {
    const b = safeStorageBackend('linux', 'basic_text');
    expect(b).toMatchObject({ backend: 'basic_text', strong: false });
    expect(b.description).toMatch(/no desktop keyring.*anyone who can read the workspace can decrypt/);
  });

  it.each([
    ['linux', 'gnome_libsecret', /libsecret/],
    ['linux', 'kwallet5', /KWallet/],
    ['linux', 'kwallet6', /KWallet/],
    ['win32', null, /Windows DPAPI/],
    ['darwin', null, /macOS Keychain/],
  ])('%s %s is strong and named', (platform, backend, words) => {
    const b = safeStorageBackend(platform, backend);
    expect(b.strong).toBe(true);
    expect(b.description).toMatch(words);
  });

  it('treats unknown (asked before the app was ready) and unrecognised names as weak', () => {
    expect(safeStorageBackend('linux', 'unknown').strong).toBe(false);
    expect(safeStorageBackend('linux', null).strong).toBe(false);
    expect(safeStorageBackend('freebsd', 'something_new').strong).toBe(false);
  });

  it('the browser host and CLI key file is weak and says exactly where the key is', () => {
    expect(keyFileBackend('/home/admin/.syncdrift/secret.key').description).toBe(
      'key file /home/admin/.syncdrift/secret.key beside the workspace, readable by anyone who can read the workspace',
    );
    const e = createKeyFileEncryptor('/tmp/ws/secret.key');
    expect({ backend: e.backend, isStrong: e.isStrong, description: e.description }).toEqual({ backend: 'key-file', isStrong: false, description: keyFileBackend('/tmp/ws/secret.key').description });
  });
});
