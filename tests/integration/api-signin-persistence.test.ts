/**
 * Sign-ins of a live profile across a restart of the service side: the msal token cache is kept in
 * the workspace, encrypted by the host's Encryptor, so a strong Encryptor (the OS keychain through
 * Electron's safeStorage) means no second device code; a weak one (the key file under plain Node)
 * keeps sign-ins in memory only. Real sandbox tenant over HTTPS, real msal device-code flow, real
 * workspace. safeStorage itself cannot run here (no Electron): `strongTestEncryptor` stands in
 * (AES-256-GCM under a key held by the test), which is what safeStorage provides to this code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/api/services';
import { createLogger } from '../../main/core/logger';
import { systemClock, type Encryptor } from '../../main/core/ports';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { enterDeviceCode, scriptedBrowser, startCloudSandbox, strongTestEncryptor, type CloudSandbox } from '../support/cloud-sandbox';

let env: CloudSandbox;
beforeAll(async () => {
  env = await startCloudSandbox({ seed: { count: 20 } });
});
afterAll(async () => {
  await env?.close();
});

interface Opened {
  services: Services;
  deviceCodes: number;
  /** Interactive sign-in links the UI was asked to show (opened here as the admin would). */
  signInLinks: number;
  events: string[];
  call<T>(channel: string, payload: unknown): Promise<T>;
}

async function open(dir: string, encryptor: Encryptor): Promise<Opened> {
  const o: Opened = {
    deviceCodes: 0,
    signInLinks: 0,
    events: [],
    services: await createServices({
      host: 'test',
      workspaceDir: dir,
      logger: createLogger(() => {}),
      clock: systemClock,
      encryptor,
      network: env.network,
      shareNetwork: true,
      send: (event, payload) => {
        o.events.push(event);
        if (event === 'auth.signInUrl') {
          o.signInLinks++;
          void scriptedBrowser(env.network, env.sb.users.globalAdmin)((payload as { url: string }).url);
        }
        if (event !== 'auth.deviceCode') return;
        o.deviceCodes++;
        const p = payload as { verificationUri: string; userCode: string };
        void enterDeviceCode(env.network, p.verificationUri, p.userCode, env.sb.users.globalAdmin);
      },
    }),
    async call<T>(channel: string, payload: unknown) {
      const r = await o.services.router.dispatch(channel, payload, { origin: 'test' });
      if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
      return r.value as T;
    },
  };
  return o;
}

const document = () => ({
  name: 'Sandbox over HTTPS',
  // Never contacted: the dashboard reads the cloud side only.
  onPrem: { url: 'ldaps://127.0.0.1:1', bindDn: 'CN=x,DC=example,DC=test', passwordEnv: 'SD_UNUSED', baseDn: 'DC=example,DC=test' },
  cloud: { environment: 'sandbox', tenantId: env.sb.tenantId, clientId: env.sb.apps.workbench.appId, auth: { type: 'deviceCode' }, authorityHost: env.sb.origin, graphBaseUrl: env.sb.origin },
  defaultRegion: 'US',
});

async function dashboard(o: Opened, profileId: string): Promise<{ tenant: { displayName: string | null; bypass: string } }> {
  return o.call('dashboard.get', { profileId });
}

describe('sign-ins of a live profile', () => {
  it('with a strong Encryptor: one device code, then none after a restart; the cache on disk is ciphertext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-signin-'));
    const key = randomBytes(32);
    const first = await open(dir, strongTestEncryptor(key));
    const { summary } = await first.call<{ summary: { id: string } }>('profiles.save', { document: document() });
    const d1 = await dashboard(first, summary.id);
    expect(d1.tenant.displayName).toBeTruthy();
    expect(d1.tenant.bypass).toMatch(/^(on|off)$/);
    expect(first.deviceCodes).toBe(1);
    // The prompt is taken down once the sign-in is done.
    expect(first.events.filter((e) => e.startsWith('auth.'))).toEqual(['auth.deviceCode', 'auth.signedIn']);
    await first.services.dispose();

    const blob = readFileSync(join(dir, 'workspace.db')).toString('latin1');
    expect(blob).not.toMatch(/RefreshToken|refresh_token|"secret"/);

    const second = await open(dir, strongTestEncryptor(key));
    const d2 = await dashboard(second, summary.id);
    expect(d2.tenant.displayName).toBe(d1.tenant.displayName);
    expect(second.deviceCodes).toBe(0);

    // A change outside the cloud section keeps the sign-ins.
    await second.call('profiles.save', { id: summary.id, document: { ...document(), defaultRegion: 'GB' } });
    await dashboard(second, summary.id);
    expect(second.deviceCodes).toBe(0);
    // Another tenant (here the same one by its domain name) or app: the old sign-ins are dropped.
    await second.call('profiles.save', { id: summary.id, document: { ...document(), cloud: { ...document().cloud, tenantId: env.sb.tenant.organization.initialDomain } } });
    expect(second.services.workspace.blobs.get(`secret:${summary.id}:cloud:tokenCache`)).toBeNull();
    await dashboard(second, summary.id);
    expect(second.deviceCodes).toBe(1);
    await second.services.dispose();

    // A keychain that lost its key (another machine, a reset profile): sign in again, no failure.
    const third = await open(dir, strongTestEncryptor(randomBytes(32)));
    await dashboard(third, summary.id);
    expect(third.deviceCodes).toBe(1);
    // Deleting the profile takes its sign-ins with it.
    await third.call('profiles.delete', { id: summary.id });
    expect(third.services.workspace.blobs.get(`secret:${summary.id}:cloud:tokenCache`)).toBeNull();
    await third.services.dispose();
  }, 120_000);

  it('interactive sign-in: the UI is handed the sign-in link, the admin signs in in the browser, the operation goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-signin-interactive-'));
    const o = await open(dir, strongTestEncryptor());
    const doc = { ...document(), cloud: { ...document().cloud, auth: { type: 'interactive' } } };
    const { summary } = await o.call<{ summary: { id: string } }>('profiles.save', { document: doc });
    const d = await dashboard(o, summary.id);
    expect(d.tenant.displayName).toBeTruthy();
    expect(o.signInLinks).toBe(1);
    expect(o.deviceCodes).toBe(0);
    expect(o.events.filter((e) => e.startsWith('auth.'))).toEqual(['auth.signInUrl', 'auth.signedIn']);
    await o.services.dispose();
  }, 120_000);

  it('with the weak key-file Encryptor: sign-ins stay in memory, so a restart asks again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-signin-weak-'));
    const first = await open(dir, createKeyFileEncryptor(join(dir, 'secret.key')));
    const { summary } = await first.call<{ summary: { id: string } }>('profiles.save', { document: document() });
    await dashboard(first, summary.id);
    await dashboard(first, summary.id);
    expect(first.deviceCodes).toBe(1);
    expect(first.services.workspace.blobs.get(`secret:${summary.id}:cloud:tokenCache`)).toBeNull();
    await first.services.dispose();

    const second = await open(dir, createKeyFileEncryptor(join(dir, 'secret.key')));
    await dashboard(second, summary.id);
    expect(second.deviceCodes).toBe(1);
    await second.services.dispose();
  }, 120_000);
});
