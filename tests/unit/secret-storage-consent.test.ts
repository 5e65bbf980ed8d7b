/**
 * The contract's side of the secret store (issue 16 finding 7): secrets.storage says what really
 * protects stored secrets; profiles.save refuses secrets on a weak store until the admin consents
 * through secrets.consent, which is validated like every other channel and can be revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/api/services';
import type { WeakStorageQuestion } from '../../main/api/secrets';
import { silentLogger } from '../../main/core/logger';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { launchConsent } from '../../main/host/main';
import type { SecretStorage } from '../../preload/contract';

const dir = mkdtempSync(join(tmpdir(), 'sd-consent-'));
const keyFile = join(dir, 'secret.key');
let s: Services;
/** The real services over a key-file store in `where`; `confirm`: the host's own consent question. */
const servicesIn = (where: string, host: 'browser' | 'test', confirm?: WeakStorageQuestion) =>
  createServices({
    host,
    workspaceDir: where,
    logger: silentLogger,
    clock: { now: () => new Date('2026-12-06T12:30:00Z') },
    encryptor: createKeyFileEncryptor(join(where, 'secret.key')),
    network: { fetch, describe: () => 'test' },
    send: () => {},
    ...(confirm ? { confirmWeakSecretStorage: confirm } : {}),
  });
beforeAll(async () => {
  s = await servicesIn(dir, 'test');
});
afterAll(async () => {
  await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (channel: string, payload: unknown) => s.router.dispatch(channel, payload, { origin: 'test' });
const value = async <T>(channel: string, payload: unknown): Promise<T> => {
  const env = await call(channel, payload);
  if (!env.ok) throw new Error(`${channel}: ${env.error.message}`);
  return env.value as T;
};

const doc = {
  name: 'Contoso',
  onPrem: { url: 'ldaps://dc01.contoso.com:636', bindDn: 'svc-syncdrift@contoso.com', baseDn: 'DC=contoso,DC=com' },
  cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'deviceCode' } },
};
const secrets = { onPremPasswords: { 'dc01.contoso.com': 'Bind-Password-2e9c41' } };

describe('secret storage through the contract', () => {
  it('reports the real backend: the key file beside the workspace, weak, not consented', async () => {
    expect(await value<SecretStorage>('secrets.storage', {})).toEqual({
      backend: 'key-file',
      strong: false,
      description: `key file ${keyFile} beside the workspace, readable by anyone who can read the workspace`,
      consent: null,
      storingAllowed: false,
      storedSecrets: 0,
      warning: null,
    });
  });

  it('profiles.save with a secret is refused naming the backend and the way to consent, and nothing is saved', async () => {
    const r = await call('profiles.save', { document: doc, secrets });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('WEAK_SECRET_STORAGE');
    expect(r.error.message).toContain(keyFile);
    expect(r.error.message).toMatch(/Secret storage.*--accept-weak-secret-storage/);
    expect((await value<{ profiles: unknown[] }>('profiles.list', {})).profiles).toHaveLength(1); // the sandbox only
    // Without a secret the profile saves: the bind password can come from passwordEnv instead.
    expect((await call('profiles.save', { document: doc })).ok).toBe(true);
  });

  it('validates consent payloads and refuses a consent to a backend the admin was not shown', async () => {
    const missing = await call('secrets.consent', { action: 'accept' });
    expect(!missing.ok && missing.error.message).toMatch(/backend/);
    const extra = await call('secrets.consent', { action: 'revoke', forgetStored: false, backend: 'x' });
    expect(extra.ok).toBe(false);
    const other = await call('secrets.consent', { action: 'accept', backend: 'gnome_libsecret' });
    expect(!other.ok && other.error.code).toBe('SECRET_STORAGE_CHANGED');
    expect((await value<SecretStorage>('secrets.storage', {})).consent).toBeNull();
  });

  it('after consent stores secrets, records when, shows it in diagnostics; revoking with forgetStored deletes them', async () => {
    const accepted = await value<SecretStorage>('secrets.consent', { action: 'accept', backend: 'key-file' });
    expect(accepted).toMatchObject({ storingAllowed: true, consent: { backend: 'key-file', at: '2026-12-06T12:30:00.000Z' } });
    const { summary } = await value<{ summary: { id: string; onPrem: Array<{ secretStored: boolean }> } }>('profiles.save', { document: doc, secrets });
    expect(summary.onPrem[0]?.secretStored).toBe(true);
    const diag = await value<{ text: string }>('help.diagnostics', { includeDirectoryData: false });
    expect(diag.text).toContain(`secret store: key file ${keyFile} beside the workspace`);
    expect(diag.text).toContain('the admin consented 2026-12-06T12:30:00.000Z');

    const revoked = await value<SecretStorage>('secrets.consent', { action: 'revoke', forgetStored: true });
    expect(revoked).toMatchObject({ consent: null, storingAllowed: false, storedSecrets: 0 });
    const after = await value<{ summary: { onPrem: Array<{ secretStored: boolean; secretNeeded?: boolean }> } }>('profiles.get', { id: summary.id });
    expect(after.summary.onPrem[0]).toMatchObject({ secretStored: false, secretNeeded: false });
  });
});

describe('the browser host: the page cannot consent alone (issue 16, the residual)', () => {
  async function hostServices(acceptedAtLaunch: boolean): Promise<{ s: Services; close: () => Promise<void> }> {
    const where = mkdtempSync(join(tmpdir(), 'sd-consent-host-'));
    const svc = await servicesIn(where, 'browser', launchConsent(acceptedAtLaunch));
    return { s: svc, close: async () => (await svc.dispose(), rmSync(where, { recursive: true, force: true })) };
  }

  it('without --accept-weak-secret-storage on the command that started it, the bridge call records nothing and says how', async () => {
    const h = await hostServices(false);
    try {
      const r = await h.s.router.dispatch('secrets.consent', { action: 'accept', backend: 'key-file' }, { origin: 'test' });
      expect(r).toMatchObject({ ok: false, error: { code: 'SECRET_STORAGE_CONSENT_DECLINED', message: expect.stringContaining('npm start -- --accept-weak-secret-storage') } });
      expect(await h.s.router.dispatch('secrets.storage', {}, { origin: 'test' })).toMatchObject({ ok: true, value: { storingAllowed: false, consent: null } });
      expect(await h.s.router.dispatch('profiles.save', { document: doc, secrets }, { origin: 'test' })).toMatchObject({ ok: false, error: { code: 'WEAK_SECRET_STORAGE' } });
    } finally {
      await h.close();
    }
  });

  it('started with it, the page records the consent for the workspace', async () => {
    const h = await hostServices(true);
    try {
      expect(await h.s.router.dispatch('secrets.consent', { action: 'accept', backend: 'key-file' }, { origin: 'test' })).toMatchObject({ ok: true, value: { storingAllowed: true } });
      expect((await h.s.router.dispatch('profiles.save', { document: doc, secrets }, { origin: 'test' })).ok).toBe(true);
    } finally {
      await h.close();
    }
  });
});
