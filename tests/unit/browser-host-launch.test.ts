/**
 * The browser host's launch: the URL it prints (and `npm start` hands to xdg-open, where any local
 * user can read it in /proc/<pid>/cmdline) carries a single-use, short-lived nonce, never the session
 * secret. The page trades the nonce once for an HttpOnly SameSite=Strict cookie; the bridge only
 * upgrades with that cookie, the right Origin and Host. A replayed or expired nonce, a foreign Origin
 * and a big frame before the hello are refused. Real HTTP server, real `ws` client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../main/host/server';
import { createRouter, type Handlers } from '../../main/api/router';
import { silentLogger } from '../../main/core/logger';

const rendererDir = mkdtempSync(join(tmpdir(), 'sd-host-renderer-'));
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
const router = createRouter({ 'app.echo': ({ text }: { text: string }) => ({ text, receivedAt: 'now' }) } as unknown as Handlers, silentLogger);

let host: BrowserHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
});

const nonceOf = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('n') ?? '';

async function exchange(h: BrowserHost, nonce: string, origin = h.origin) {
  const res = await fetch(`${h.origin}/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ nonce }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

function connect(h: BrowserHost, opts: { cookie?: string; origin?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${h.origin.replace('http', 'ws')}/bridge`, { origin: opts.origin ?? h.origin, headers: opts.cookie ? { cookie: opts.cookie } : {} });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve(JSON.parse(String(d))));
    ws.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
}

describe('the browser host launch', () => {
  it('trades the printed nonce once for an HttpOnly SameSite=Strict cookie that opens the bridge', async () => {
    host = await startBrowserHost({ rendererDir, router, logger: silentLogger });
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#n=[\w-]{20,}$/);
    const s = await exchange(host, nonceOf(host.url));
    expect(s.status).toBe(204);
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\//);
    // The session secret is nowhere in what the host prints or hands to an opener.
    const token = s.cookie.split('=')[1]!;
    expect(token.length).toBeGreaterThan(30);
    expect(host.url).not.toContain(token);
    const ws = await connect(host, { cookie: s.cookie });
    ws.send(JSON.stringify({ type: 'hello' }));
    expect(await next(ws)).toEqual({ type: 'welcome' });
    ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'app.echo', payload: { text: 'ping' } }));
    expect(await next(ws)).toMatchObject({ type: 'result', id: 1, envelope: { ok: true, value: { text: 'ping' } } });
    ws.close();
  });

  it('refuses a second client replaying the nonce (read from the process list after the browser used it)', async () => {
    host = await startBrowserHost({ rendererDir, router, logger: silentLogger });
    const nonce = nonceOf(host.url);
    expect((await exchange(host, nonce)).status).toBe(204);
    const replay = await exchange(host, nonce);
    expect(replay.status).toBe(403);
    expect(replay.setCookie).toBe('');
    // Without the cookie there is no bridge, with the right Origin or not.
    await expect(connect(host)).rejects.toThrow(/403/);
  });

  it('refuses an expired nonce, and each fresh launch link works once', async () => {
    host = await startBrowserHost({ rendererDir, router, logger: silentLogger, nonceTtlMs: 50 });
    const stale = nonceOf(host.url);
    await new Promise((r) => setTimeout(r, 120));
    expect((await exchange(host, stale)).status).toBe(403);
    const fresh = nonceOf(host.launchUrl());
    expect(fresh).not.toBe(stale);
    expect((await exchange(host, fresh)).status).toBe(204);
  });

  it('refuses the exchange and the bridge from a foreign Origin, cookie or not', async () => {
    host = await startBrowserHost({ rendererDir, router, logger: silentLogger });
    expect((await exchange(host, nonceOf(host.url), 'http://evil.example')).status).toBe(403);
    const s = await exchange(host, nonceOf(host.launchUrl()));
    expect(s.status).toBe(204);
    await expect(connect(host, { cookie: s.cookie, origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(connect(host, { cookie: 'sd_session=forged' })).rejects.toThrow(/403/);
  });

  it('refuses a big frame before the hello', async () => {
    host = await startBrowserHost({ rendererDir, router, logger: silentLogger });
    const s = await exchange(host, nonceOf(host.url));
    const ws = await connect(host, { cookie: s.cookie });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(JSON.stringify({ type: 'hello', pad: 'x'.repeat(64 * 1024) }));
    expect(await closed).toBe(1009);
  });
});
