/**
 * The three sign-in flows against the sandbox tenant over HTTPS, with real msal-node going through
 * the Node network port: interactive (PKCE + loopback), device code, client credentials with a
 * certificate and with a secret. Also: the encrypted token cache survives a restart, sign-out clears
 * the account, and no token or secret reaches a log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryTokenCacheStore } from '../../main/cloud';
import type { Encryptor } from '../../main/core/ports';
import { enterDeviceCode, scriptedBrowser, startCloudSandbox, strongTestEncryptor, type CloudSandbox } from '../support/cloud-sandbox';

const aesEncryptor = (): Encryptor => strongTestEncryptor(undefined, 'test-aes');

let env: CloudSandbox;
beforeAll(async () => {
  env = await startCloudSandbox({ seed: { count: 20 } });
});
afterAll(async () => {
  await env?.close();
});

describe('sign-in against the sandbox tenant', () => {
  it('signs in interactively in the "system browser" with PKCE and the loopback redirect', async () => {
    const seen: string[] = [];
    const client = env.client();
    const s = await client.signIn({ flow: 'interactive', openBrowser: scriptedBrowser(env.network, env.sb.users.globalAdmin, seen) });
    const authorize = new URL(seen[0]!);
    expect(authorize.origin).toBe(env.sb.origin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+/);
    expect(s).toMatchObject({ kind: 'delegated', username: env.sb.users.globalAdmin.userPrincipalName, tenantId: env.sb.tenantId });
    expect(s.directoryRoleIds).toContain('62e90394-69f5-4237-9190-012177145e10');
    expect(s.grantedScopes).toContain('OnPremDirectorySynchronization.ReadWrite.All');
    const org = await client.getOrganization();
    expect(org.id).toBe(env.sb.tenantId);
  });

  it('signs in with a device code shown through the callback, and cancels cleanly', async () => {
    const client = env.client();
    let shown = '';
    const s = await client.signIn({
      flow: 'device-code',
      onDeviceCode: (d) => {
        shown = d.userCode;
        expect(d.message).toContain(d.userCode);
        void enterDeviceCode(env.network, d.verificationUri, d.userCode, env.sb.users.userAdmin);
      },
    });
    expect(shown).not.toBe('');
    expect(s.username).toBe(env.sb.users.userAdmin.userPrincipalName);

    const ac = new AbortController();
    const pending = env.client().signIn({ flow: 'device-code', onDeviceCode: () => setTimeout(() => ac.abort(), 50), signal: ac.signal });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('signs in app-only with a certificate, and with a secret; a wrong secret names the fix', async () => {
    const { reader } = env.sb.apps;
    const cert = reader.certificate!;
    const byCert = env.client({ clientId: reader.appId, secrets: { getClientCertificate: async () => ({ thumbprintSha256: cert.thumbprintSha256, privateKeyPem: cert.privateKeyPem }) } });
    const s1 = await byCert.signIn({ flow: 'client-credentials' });
    expect(s1.kind).toBe('app');
    expect((await byCert.getOrganization()).id).toBe(env.sb.tenantId);

    const bySecret = env.client({ clientId: reader.appId, secrets: { getClientSecret: async () => reader.clientSecret! } });
    expect((await bySecret.signIn({ flow: 'client-credentials' })).kind).toBe('app');

    const wrong = env.client({ clientId: reader.appId, secrets: { getClientSecret: async () => 'not-the-secret' } });
    await expect(wrong.signIn({ flow: 'client-credentials' })).rejects.toMatchObject({ kind: 'auth', code: 'SIGNIN_AADSTS7000215' });
  });

  it('keeps two accounts side by side, restores them from the encrypted cache, and signs one out', async () => {
    const encryptor = aesEncryptor();
    const store = memoryTokenCacheStore();
    const first = env.client({ encryptor, tokenCacheStore: store });
    const ga = await first.signIn({ flow: 'interactive', openBrowser: scriptedBrowser(env.network, env.sb.users.globalAdmin) });
    const hy = await first.signIn({ flow: 'interactive', openBrowser: scriptedBrowser(env.network, env.sb.users.hybridAdmin) });
    expect(first.tokenCache.mode).toBe('encrypted');
    expect(store.bytes?.toString('latin1') ?? '').not.toContain('sbxrt.');

    const restarted = env.client({ encryptor, tokenCacheStore: store });
    const sessions = await restarted.sessions();
    expect(sessions.map((s) => s.username).sort()).toEqual([env.sb.users.globalAdmin.userPrincipalName, env.sb.users.hybridAdmin.userPrincipalName].sort());
    restarted.use(hy.key);
    expect((await restarted.getOrganization()).id).toBe(env.sb.tenantId);

    await restarted.signOut(ga.key);
    const again = env.client({ encryptor, tokenCacheStore: store });
    expect((await again.sessions()).map((s) => s.username)).toEqual([env.sb.users.hybridAdmin.userPrincipalName]);
  });

  it('never writes a token, refresh token or secret into the log', () => {
    const all = env.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
    expect(all).not.toContain('sbxrt.');
    expect(all).not.toContain(env.sb.apps.reader.clientSecret!);
  });
});
