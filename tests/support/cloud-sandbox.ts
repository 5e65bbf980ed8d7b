/**
 * Wiring for cloud integration tests: a real sandbox tenant over HTTPS, the real Node network port
 * trusting its per-run CA, real CloudClients, and a scripted "system browser" that signs in on the
 * sandbox's pages the way an admin would (GET the authorize page, POST the form, deliver the
 * redirect to msal's loopback listener, as a browser would: form_post or a redirect).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createCloudClient, type CloudClient, type CloudClientOptions } from '../../main/cloud';
import { createNodeNetwork, type NodeNetwork } from '../../main/cloud/network';
import { createLogger } from '../../main/core/logger';
import { systemClock, type Encryptor, type Logger } from '../../main/core/ports';
import { startSandboxTenant, type SandboxAccountInfo, type SandboxTenant, type StartSandboxOptions } from '../../main/sandbox/server';

export interface CloudSandbox {
  sb: SandboxTenant;
  network: NodeNetwork;
  logs: string[];
  logger: Logger;
  client(o?: Partial<CloudClientOptions> & { clientId?: string }): CloudClient;
  close(): Promise<void>;
}

export async function startCloudSandbox(opts: StartSandboxOptions = {}): Promise<CloudSandbox> {
  const sb = await startSandboxTenant(opts);
  const network = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
  const logs: string[] = [];
  const logger = createLogger((l) => logs.push(l), { level: 'debug' });
  return {
    sb,
    network,
    logs,
    logger,
    client: (o = {}) => {
      const { clientId, ...rest } = o;
      return createCloudClient({
        profileCloud: { cloud: 'custom', tenant: sb.tenantId, clientId: clientId ?? sb.apps.workbench.appId, authorityHost: sb.origin, graphBaseUrl: sb.origin },
        network,
        logger,
        clock: systemClock,
        ...rest,
      });
    },
    close: async () => {
      await network.close();
      await sb.close();
    },
  };
}

const attr = (html: string, name: string): string | null => {
  const m = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`value="([^"]*)"[^>]*name="${name}"`).exec(html);
  return m ? m[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'") : null;
};

/** A scripted browser for msal's `openBrowser`: signs `who` in on the sandbox's authorize page. */
export function scriptedBrowser(net: NodeNetwork, who: Pick<SandboxAccountInfo, 'userPrincipalName' | 'password'>, seen: string[] = []): (url: string) => Promise<void> {
  return async (url: string) => {
    seen.push(url);
    const page = await net.fetch(url, { redirect: 'manual' });
    const html = await page.text();
    const rid = attr(html, 'rid');
    if (!rid) throw new Error(`sandbox authorize page had no sign-in form (HTTP ${page.status}): ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? new URL(url).pathname;
    const post = await net.fetch(new URL(action, url).toString(), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ rid, username: who.userPrincipalName, password: who.password }).toString(),
    });
    const location = post.headers.get('location');
    const body = await post.text();
    // msal's loopback listens on 127.0.0.1 while naming it localhost; go where it listens.
    const toLoopback = (u: string) => u.replace('://localhost:', '://127.0.0.1:');
    if (post.status >= 300 && post.status < 400 && location) {
      await (await fetch(toLoopback(location))).text();
      return;
    }
    // form_post: an auto-submitting form carrying code and state to the redirect URI.
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(body) ?? /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(body);
    if (!form) throw new Error(`sandbox sign-in answered HTTP ${post.status} without a redirect or form_post: ${body.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const m of body.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]+)"/.exec(m[0])?.[1];
      const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
      if (name) fields.set(name, value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'"));
    }
    await (await fetch(toLoopback(form[1]!.replace(/&amp;/g, '&')), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })).text();
  };
}

/** Completes a device-code sign-in on the sandbox's /devicelogin page, as the admin would in a browser. */
export async function enterDeviceCode(net: NodeNetwork, verificationUri: string, userCode: string, who: Pick<SandboxAccountInfo, 'userPrincipalName' | 'password'>): Promise<void> {
  const res = await net.fetch(verificationUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: userCode, username: who.userPrincipalName, password: who.password }).toString(),
  });
  const html = await res.text();
  if (!res.ok) throw new Error(`device login refused (HTTP ${res.status}): ${html.slice(0, 300)}`);
}

/**
 * A strong Encryptor for tests: AES-256-GCM under a key the test holds. It stands in for the OS
 * keychain (Electron safeStorage), which cannot run here; pass the same key to "restart" with it.
 */
export function strongTestEncryptor(key: Buffer = randomBytes(32), backend = 'test-keychain'): Encryptor {
  return {
    backend,
    isStrong: true,
    description: `${backend}: a test key standing in for Electron safeStorage`,
    async encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    async decrypt(blob) {
      const d = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
      d.setAuthTag(blob.subarray(12, 28));
      return Buffer.concat([d.update(blob.subarray(28)), d.final()]).toString('utf8');
    },
  };
}
