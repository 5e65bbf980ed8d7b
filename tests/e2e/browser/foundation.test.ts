import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium } from '../support/chromium';
import { startTestHost } from '../support/browser-host';
import { AppPage } from '../pages/app-page';

let browser: Browser;
let host: Awaited<ReturnType<typeof startTestHost>>;

beforeAll(async () => {
  host = await startTestHost();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

async function openApp(url = host.host.launchUrl()): Promise<{ page: Page; app: AppPage; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  await page.exposeFunction('__reportCsp', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __reportCsp: (v: string) => void }).__reportCsp(e.violatedDirective),
    );
  });
  await page.goto(url);
  return { page, app: new AppPage(page), violations };
}

describe('the browser host', () => {
  it('loads the app over the loopback host', async () => {
    const { page, app } = await openApp();
    await app.waitReady();
    expect(await app.version()).toMatch(/^\d+\.\d+\.\d+/);
    // The launch nonce does not linger in the address bar, and page script cannot read the session cookie.
    expect(page.url()).not.toContain('#n=');
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // A reload reconnects with the cookie (the nonce is spent).
    await page.reload();
    await app.waitReady();
    expect(await app.checkServiceConnection()).toMatch(/Service answered "ping"/);
    await page.close();
  });

  it('refuses a launch link another client already used', async () => {
    const url = host.host.launchUrl();
    const nonce = new URLSearchParams(new URL(url).hash.slice(1)).get('n');
    const stolen = await fetch(`${host.host.origin}/session`, { method: 'POST', headers: { origin: host.host.origin, 'content-type': 'application/json' }, body: JSON.stringify({ nonce }) });
    expect(stolen.status).toBe(204);
    const { page, app } = await openApp(url);
    await app.connectError().waitFor();
    expect(await app.connectError().textContent()).toContain('each link it prints works once');
    await page.close();
  });

  it('completes a round trip through the contract', async () => {
    const { page, app } = await openApp();
    await app.waitReady();
    expect(await app.checkServiceConnection()).toMatch(/Service answered "ping" in \d+ ms/);
    await page.close();
  });

  it('holds the CSP: an injected inline script does not run', async () => {
    const { page, app, violations } = await openApp();
    await app.waitReady();
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = true;';
      document.body.appendChild(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __pwned?: boolean }).__pwned === true;
    });
    expect(ran).toBe(false);
    expect(violations.some((v) => v.startsWith('script-src'))).toBe(true);
    await page.close();
  });

  it('serves the CSP header and refuses path traversal', async () => {
    const res = await fetch(host.host.origin + '/');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const trav = await fetch(host.host.origin + '/..%2f..%2fpackage.json');
    expect(trav.status).toBe(400);
  });

  it('refuses a wrong launch nonce with a message the admin can act on', async () => {
    const { page, app } = await openApp(host.host.origin + '/#n=wrong-nonce');
    await app.connectError().waitFor();
    expect(await app.connectError().textContent()).toContain('Press Enter in the terminal');
    await page.close();
  });
});

describe('the bridge endpoint', () => {
  let cookie = '';
  beforeAll(async () => {
    const nonce = new URLSearchParams(new URL(host.host.launchUrl()).hash.slice(1)).get('n');
    const res = await fetch(`${host.host.origin}/session`, { method: 'POST', headers: { origin: host.host.origin, 'content-type': 'application/json' }, body: JSON.stringify({ nonce }) });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  const connect = (origin: string, hostHeader?: string, withCookie = true) =>
    new WebSocket(host.host.origin.replace('http', 'ws') + '/bridge', {
      origin,
      headers: { ...(hostHeader ? { host: hostHeader } : {}), ...(withCookie ? { cookie } : {}) },
    });

  function call(ws: WebSocket, frame: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('close', (code) => reject(new Error(`closed ${code}`)));
      ws.send(JSON.stringify(frame));
    });
  }

  it('refuses a payload that violates the schema, naming the field', async () => {
    const ws = connect(host.host.origin);
    await new Promise((r) => ws.once('open', r));
    expect(await call(ws, { type: 'hello' })).toEqual({ type: 'welcome' });
    const res = await call(ws, { type: 'invoke', id: 1, channel: 'app.echo', payload: { text: '' } });
    expect(res).toMatchObject({
      type: 'result',
      id: 1,
      envelope: { ok: false, error: { code: 'INVALID_PAYLOAD', field: 'text' } },
    });
    const unknown = await call(ws, { type: 'invoke', id: 2, channel: 'shell.exec', payload: {} });
    expect(unknown).toMatchObject({ envelope: { ok: false, error: { code: 'UNKNOWN_CHANNEL' } } });
    ws.close();
  });

  it('refuses the upgrade without the session cookie, before any frame', async () => {
    const ws = connect(host.host.origin, undefined, false);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toContain('403');
  });

  it('closes the socket when the first frame is not a hello', async () => {
    const ws = connect(host.host.origin);
    await new Promise((r) => ws.once('open', r));
    await expect(call(ws, { type: 'invoke', id: 1, channel: 'app.echo', payload: { text: 'x' } })).rejects.toThrow('closed 4401');
  });

  it('refuses a foreign Origin before the upgrade', async () => {
    const ws = connect('http://evil.example');
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toContain('403');
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const ws = connect(host.host.origin, `rebind.example:${host.host.port}`);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toContain('403');
  });
});
