/**
 * The network port for real: sign-in and Graph through a local CONNECT proxy (app setting and
 * HTTPS_PROXY), the sandbox's per-run CA trusted only through the profile's extra CA file, timeouts,
 * and a token that expires in the middle of a scan.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCloudClient, type CloudClient } from '../../main/cloud';
import { createNodeNetwork, type NodeNetwork } from '../../main/cloud/network';
import { createLogger } from '../../main/core/logger';
import { systemClock, type Clock } from '../../main/core/ports';
import { startSandboxTenant, type SandboxTenant } from '../../main/sandbox/server';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy';

let sb: SandboxTenant;
let proxy: ConnectProxy;
let dir: string;
/** The sandbox's clock runs `skewMs` ahead of the client's (the test moves it). */
let skewMs = 0;
const skewedClock: Clock = { now: () => new Date(Date.now() + skewMs) };
const networks: NodeNetwork[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-cloudnet-'));
  sb = await startSandboxTenant({ seed: { count: 1200 }, caDir: dir, clock: skewedClock });
  proxy = await startConnectProxy();
});
afterAll(async () => {
  for (const n of networks) await n.close();
  await proxy?.close();
  await sb?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
  skewMs = 0;
});

async function net(opts: Parameters<typeof createNodeNetwork>[0]): Promise<NodeNetwork> {
  const n = await createNodeNetwork(opts);
  networks.push(n);
  return n;
}

function appClient(network: NodeNetwork, logs: string[] = []): CloudClient {
  const w = sb.apps.writer;
  return createCloudClient({
    profileCloud: { cloud: 'custom', tenant: sb.tenantId, clientId: w.appId, authorityHost: sb.origin, graphBaseUrl: sb.origin },
    network,
    logger: createLogger((l) => logs.push(l), { level: 'debug' }),
    clock: systemClock,
    secrets: { getClientCertificate: async () => ({ thumbprintSha256: w.certificate!.thumbprintSha256, privateKeyPem: w.certificate!.privateKeyPem }) },
  });
}

async function countUsers(c: CloudClient): Promise<number> {
  let n = 0;
  for await (const page of c.listUsers()) n += page.length;
  return n;
}

describe('network port', () => {
  it('signs in and reads Graph through the app-set CONNECT proxy, trusting the sandbox CA from the extra CA file', async () => {
    const before = proxy.connects.length;
    const network = await net({ proxyUrl: proxy.url, extraCaFiles: [sb.caFile!], env: {} });
    expect(network.describe()).toMatch(/proxy http:\/\/127\.0\.0\.1:\d+ \(set in the app\), 1 extra CA/);
    const c = appClient(network);
    await c.signIn({ flow: 'client-credentials' });
    expect(await countUsers(c)).toBe(sb.tenant.userCount);
    const tunnelled = proxy.connects.slice(before);
    expect(tunnelled.length).toBeGreaterThan(0);
    expect(new Set(tunnelled)).toEqual(new Set([sb.authorityHost]));
  });

  it('honours HTTPS_PROXY and NO_PROXY from the environment', async () => {
    const before = proxy.connects.length;
    const viaEnv = appClient(await net({ extraCaFiles: [sb.caFile!], env: { HTTPS_PROXY: proxy.url } }));
    await viaEnv.signIn({ flow: 'client-credentials' });
    expect(proxy.connects.length).toBeGreaterThan(before);

    const mid = proxy.connects.length;
    const bypassed = appClient(await net({ extraCaFiles: [sb.caFile!], env: { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } }));
    await bypassed.signIn({ flow: 'client-credentials' });
    expect(proxy.connects.length).toBe(mid);
  });

  it('refuses the sandbox without its CA, naming a connection problem', async () => {
    const c = appClient(await net({ env: {} }));
    await expect(c.signIn({ flow: 'client-credentials' })).rejects.toMatchObject({ kind: 'connection' });
  });

  it('rejects an extra CA file that holds no certificate, naming the file', async () => {
    await expect(createNodeNetwork({ extraCaFiles: [join(dir, 'missing.pem')] })).rejects.toMatchObject({ code: 'CA_FILE_UNREADABLE', field: join(dir, 'missing.pem') });
  });

  it('times out a request that gets no answer', async () => {
    const network = await net({ extraCaPem: [sb.caPem], env: {}, timeoutMs: 300 });
    sb.setKnobs({ faults: { latencyMs: 1500 } });
    try {
      await expect(network.fetch(`${sb.origin}/v1.0/organization`)).rejects.toMatchObject({ code: 'NETWORK_TIMEOUT' });
    } finally {
      sb.setKnobs({ faults: { latencyMs: 0 } });
    }
  });

  it('survives a token that expires in the middle of a scan: one 401, one renewal, every page read', async () => {
    const logs: string[] = [];
    const c = appClient(await net({ extraCaPem: [sb.caPem], env: {} }), logs);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    await c.signIn({ flow: 'client-credentials' });
    let users = 0;
    let pages = 0;
    for await (const page of c.listUsers()) {
      users += page.length;
      pages++;
      if (pages === 1) {
        // 53 minutes pass on the admin's machine (msal still sees 7 minutes of life), and the
        // service's clock is 10 minutes ahead: for Graph the token has just expired.
        vi.setSystemTime(Date.now() + 53 * 60_000);
        skewMs = 10 * 60_000;
      }
    }
    expect(pages).toBe(2);
    expect(users).toBe(sb.tenant.userCount);
    expect(logs.filter((l) => l.includes('401 from Graph')).length).toBe(1);
  });
});
