/**
 * Issue 16 finding 1, the attack: a caller that holds the bridge re-saves a live profile that has
 * stored secrets, pointing its LDAP url and its sign-in host at servers it runs, then asks for a
 * connection test. The stored bind password and client secret must never reach those servers: a
 * secret belongs to the endpoint it was typed for, and re-pointing the profile drops it.
 * Real service side (createServices), real ldapts bind, real msal-node over HTTPS (the fake sign-in
 * host's certificate is even trusted, the worst case); the two fake servers only record bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServices, type Services } from '../../main/api/services';
import { createLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import { createKeyFileEncryptor } from '../../main/node/encryptor';
import { createNodeNetwork, type NodeNetwork } from '../../main/cloud/network';
import { createSandboxCa, issueServerCert } from '../../main/sandbox/certs';

const PASSWORD = 'Bind-Password-Leak-4e1d9c';
const SECRET = 'Client-Secret-Leak-b7a203';

const ldapBytes: Buffer[] = [];
const httpsBodies: string[] = [];
let ldap: NetServer;
let https: HttpsServer;
let network: NodeNetwork;
let services: Services;
let ldapUrl = '';
let httpsOrigin = '';

beforeAll(async () => {
  ldap = createNetServer((sock) => {
    sock.on('data', (d) => {
      ldapBytes.push(Buffer.from(d));
      setTimeout(() => sock.destroy(), 50);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => ldap.listen(0, '127.0.0.1', () => r()));
  ldapUrl = `ldap://127.0.0.1:${(ldap.address() as AddressInfo).port}`;

  const ca = createSandboxCa('Attacker CA');
  const cert = issueServerCert(ca);
  https = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      httpsBodies.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString('utf8')}`);
      res.setHeader('content-type', 'application/json');
      // A token answer, so the service goes on to bind to the directory too.
      if (req.url?.includes('/token')) res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'attacker-token' }));
      else {
        res.statusCode = 403;
        res.end(JSON.stringify({ error: { code: 'Authorization_RequestDenied', message: 'no' } }));
      }
    });
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
  httpsOrigin = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'sd-bind-'));
  network = await createNodeNetwork({ env: {}, extraCaPem: [ca.certPem] });
  services = await createServices({
    host: 'test',
    workspaceDir: dir,
    logger: createLogger(() => {}),
    clock: systemClock,
    encryptor: createKeyFileEncryptor(join(dir, 'secret.key')),
    network,
    shareNetwork: true,
    send: () => {},
  });
  // The key-file store is weak: secrets are stored only with the admin's consent (issue 16 finding 7).
  const consent = await services.router.dispatch('secrets.consent', { action: 'accept', backend: 'key-file' }, { origin: 'test' });
  if (!consent.ok) throw new Error(consent.error.message);
});

afterAll(async () => {
  await services?.dispose();
  await network?.close();
  ldap?.close();
  https?.close();
});

async function call(channel: string, payload: unknown): Promise<{ ok: boolean; value?: unknown; error?: { field?: string; message: string; code: string } }> {
  const env = await services.router.dispatch(channel, payload, { origin: 'test' });
  return env.ok ? { ok: true, value: env.value } : { ok: false, error: env.error };
}

const leaked = () => ({
  ldap: Buffer.concat(ldapBytes).includes(PASSWORD),
  https: httpsBodies.some((b) => b.includes(SECRET) || b.includes(encodeURIComponent(SECRET))),
});

describe('a re-pointed profile does not take its stored secrets along', () => {
  const doc = {
    name: 'Contoso',
    onPrem: { url: 'ldaps://dc01.contoso.test:636', bindDn: 'svc-syncdrift@contoso.test', baseDn: 'DC=contoso,DC=test' },
    cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'clientSecret', secretEnv: 'SYNCDRIFT_CLIENT_SECRET' } },
  };

  it('never sends the bind password or the client secret to the new endpoints, and asks for them again', async () => {
    const saved = await call('profiles.save', { document: doc, secrets: { onPremPasswords: { 'dc01.contoso.test': PASSWORD }, clientSecret: SECRET } });
    expect(saved.ok, saved.error?.message).toBe(true);
    const id = (saved.value as { summary: { id: string } }).summary.id;

    // 1. A named cloud with a sign-in host that is not Microsoft's: refused, naming the field.
    const onGlobal = await call('profiles.save', {
      id,
      document: { ...doc, onPrem: { ...doc.onPrem, id: 'dc01.contoso.test', url: ldapUrl, startTls: false, allowPlainLdap: true }, cloud: { ...doc.cloud, authorityHost: httpsOrigin, graphBaseUrl: httpsOrigin } },
    });
    await call('profiles.test', { id });
    expect(leaked()).toEqual({ ldap: false, https: false });
    expect(onGlobal.ok).toBe(false);
    expect(onGlobal.error?.message).toContain('cloud.authorityHost');

    // 2. Declared a sandbox (loopback hosts are allowed there): saved, but the secrets stay behind.
    const onSandbox = await call('profiles.save', {
      id,
      document: { ...doc, onPrem: { ...doc.onPrem, id: 'dc01.contoso.test', url: ldapUrl, startTls: false, allowPlainLdap: true }, cloud: { ...doc.cloud, environment: 'sandbox', authorityHost: httpsOrigin, graphBaseUrl: httpsOrigin } },
    });
    expect(onSandbox.ok, onSandbox.error?.message).toBe(true);
    const summary = (onSandbox.value as { summary: { onPrem: Array<{ secretStored: boolean; secretNeeded?: boolean }>; cloud: { secretStored: boolean; secretNeeded?: boolean } } }).summary;
    expect(summary.onPrem[0]).toMatchObject({ secretStored: false, secretNeeded: true });
    expect(summary.cloud).toMatchObject({ secretStored: false, secretNeeded: true });
    const test = await call('profiles.test', { id });
    expect(leaked()).toEqual({ ldap: false, https: false });
    const text = JSON.stringify(test);
    expect(text).toMatch(/SECRET_REENTRY/);
    expect(text).toMatch(/secrets\.(clientSecret|onPremPasswords)/);
  });
});
