/**
 * The vault stores a secret only where it is protected, or where the admin said, for this
 * workspace, that a weak store is acceptable (issue 16 finding 7). A weak store is what the
 * browser host and the CLI have (a key file beside the workspace) and what Electron has on Linux
 * without a keyring (safeStorage's basic_text).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretVault } from '../../main/api/secrets';
import { isSyncDriftError } from '../../main/core/errors';
import type { Encryptor } from '../../main/core/ports';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { openWorkspace, type Workspace } from '../../main/workspace';
import { strongTestEncryptor } from '../support/cloud-sandbox';

const PASSWORD = 'Bind-Password-7f3a91';
const IDENTITY = JSON.stringify(['ldap', 'ldaps://dc01.contoso.com', 'svc-syncdrift@contoso.com']);
const at = new Date('2026-12-06T12:00:00Z');

let dir: string;
let ws: Workspace;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-vault-'));
  ws = openWorkspace(join(dir, 'workspace.db'));
});
afterEach(() => {
  ws.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the vault to refuse');
}

describe('SecretVault on a weak backend', () => {
  it('refuses to store a secret without the admin’s consent, naming the backend and how to consent', async () => {
    const keyFile = join(dir, 'secret.key');
    const vault = new SecretVault(ws, createKeyFileEncryptor(keyFile));
    const e = await refusal(vault.put('p1', 'onprem:dc01', PASSWORD, IDENTITY));
    expect(isSyncDriftError(e) && e.code).toBe('WEAK_SECRET_STORAGE');
    const message = (e as Error).message;
    expect(message).toContain(`key file ${keyFile} beside the workspace, readable by anyone who can read the workspace`);
    expect(message).toMatch(/consent/i);
    expect(message).toContain('--accept-weak-secret-storage');
    expect(vault.state('p1', 'onprem:dc01', IDENTITY)).toBe('none');
    expect(ws.blobs.get('secret:p1:onprem:dc01')).toBeNull();
  });

  it('stores it after consent, records when and for which backend, and refuses again once consent is revoked', async () => {
    const vault = new SecretVault(ws, createKeyFileEncryptor(join(dir, 'secret.key')));
    expect(vault.storage()).toMatchObject({ backend: 'key-file', strong: false, consent: null, storingAllowed: false, storedSecrets: 0 });
    vault.consent('key-file', at);
    expect(vault.storage()).toMatchObject({ consent: { backend: 'key-file', at: at.toISOString() }, storingAllowed: true });
    await vault.put('p1', 'onprem:dc01', PASSWORD, IDENTITY);
    expect(await vault.getter('p1', 'onprem:dc01', IDENTITY, 'f')!()).toBe(PASSWORD);
    // Never plain text on disk, even on a weak backend.
    expect(ws.blobs.get('secret:p1:onprem:dc01')!.includes(Buffer.from(PASSWORD))).toBe(false);

    vault.revokeConsent({ forgetStored: false });
    expect(vault.storage()).toMatchObject({ consent: null, storingAllowed: false, storedSecrets: 1 });
    expect(isSyncDriftError(await refusal(vault.put('p2', 'onprem:dc01', PASSWORD, IDENTITY)))).toBe(true);
  });

  it('consent is for the backend the admin was shown: another one is refused, and a consent for another backend does not carry over', async () => {
    const vault = new SecretVault(ws, createKeyFileEncryptor(join(dir, 'secret.key')));
    const e = await refusal(Promise.resolve().then(() => vault.consent('basic_text', at)));
    expect(isSyncDriftError(e) && e.code).toBe('SECRET_STORAGE_CHANGED');
    // A consent recorded under Electron's basic_text does not cover the browser host's key file.
    const basic: Encryptor = { ...strongTestEncryptor(), backend: 'basic_text', isStrong: false, description: 'basic_text' };
    new SecretVault(ws, basic).consent('basic_text', at);
    expect(vault.storage()).toMatchObject({ consent: null, storingAllowed: false });
  });

  it('revoking with forgetStored deletes every stored secret and kept sign-in', async () => {
    const vault = new SecretVault(ws, createKeyFileEncryptor(join(dir, 'secret.key')));
    vault.consent('key-file', at);
    await vault.put('p1', 'onprem:dc01', PASSWORD, IDENTITY);
    await vault.tokenCacheStore('p1').write(Buffer.from('encrypted cache'));
    expect(vault.storage().storedSecrets).toBe(2);
    vault.revokeConsent({ forgetStored: true });
    expect(vault.storage()).toMatchObject({ storedSecrets: 0, consent: null });
    expect(vault.state('p1', 'onprem:dc01', IDENTITY)).toBe('none');
  });

  it('says so when secrets are already stored under a weak backend nobody consented to', () => {
    ws.blobs.put('secret:p1:onprem:dc01', Buffer.from('SDE1 from an older version'));
    const vault = new SecretVault(ws, createKeyFileEncryptor(join(dir, 'secret.key')));
    expect(vault.storage()).toMatchObject({ storingAllowed: false, storedSecrets: 1 });
    expect(vault.storage().warning).toMatch(/1 secret is already stored .*without your consent/);
  });

  it('refuses an Encryptor that would keep the secret in plain text', async () => {
    const passthrough: Encryptor = { backend: 'test-plain', isStrong: true, description: 'test', encrypt: async (s) => Buffer.from(s), decrypt: async (b) => b.toString() };
    const e = await refusal(new SecretVault(ws, passthrough).put('p1', 'onprem:dc01', PASSWORD, IDENTITY));
    expect(isSyncDriftError(e) && e.code).toBe('SECRET_NOT_ENCRYPTED');
    expect(ws.blobs.get('secret:p1:onprem:dc01')).toBeNull();
  });
});

describe('SecretVault on a strong backend', () => {
  it('stores without asking and reports the backend it uses', async () => {
    const vault = new SecretVault(ws, { ...strongTestEncryptor(), description: 'test keychain' });
    expect(vault.storage()).toMatchObject({ strong: true, storingAllowed: true, consent: null, description: 'test keychain' });
    await vault.put('p1', 'onprem:dc01', PASSWORD, IDENTITY);
    expect(vault.state('p1', 'onprem:dc01', IDENTITY)).toBe('stored');
  });
});
