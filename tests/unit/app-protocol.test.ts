import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveAppRequest } from '../../main/electron/app-request';
import { resolveServedPath } from '../../main/core/paths';

let root: string;
let bundle: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sd-proto-'));
  bundle = join(root, 'renderer');
  mkdirSync(join(bundle, 'assets'), { recursive: true });
  writeFileSync(join(bundle, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(bundle, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'outside the bundle');
});

const get = (url: string) => serveAppRequest(bundle, { url, method: 'GET' });

describe('the app:// protocol handler', () => {
  it('serves the bundle with the strict CSP', async () => {
    const r = await get('app://syncdrift/index.html');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('sends a CSP that allows no plugin, no eval, no framing, no foreign base or form target (checklist 7)', async () => {
    const csp = (await get('app://syncdrift/index.html')).headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('form-action')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|\*|http:/);
    // Refused requests carry it too, so an error page is no hole.
    expect((await get('app://syncdrift/nope.html')).headers.get('content-security-policy')).toBe(csp);
  });

  it('serves index.html for the bare origin', async () => {
    expect((await get('app://syncdrift/')).status).toBe(200);
  });

  it.each([
    'app://syncdrift/..%2fsecret.txt',
    'app://syncdrift/assets/..%2f..%2fsecret.txt',
    'app://syncdrift/%2e%2e/secret.txt',
    'app://syncdrift/%2e%2e%2fsecret.txt',
    'app://syncdrift/assets/..%5c..%5csecret.txt',
    'app://syncdrift/%00index.html',
  ])('cannot read outside the bundle: %s', async (url) => {
    const r = await get(url);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await r.text()).not.toContain('outside the bundle');
  });

  it('answers 404 for another host of the scheme', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
  });

  it('refuses writes', async () => {
    expect((await serveAppRequest(bundle, { url: 'app://syncdrift/index.html', method: 'POST' })).status).toBe(405);
  });
});

describe('resolveServedPath', () => {
  it('keeps ordinary nested paths', () => {
    expect(resolveServedPath('/assets/index-abc.js')).toBe('assets/index-abc.js');
  });
  it('refuses malformed percent-encoding', () => {
    expect(resolveServedPath('/%E0%A4%A')).toBeNull();
  });
  it('refuses Windows drive segments', () => {
    expect(resolveServedPath('/C:/Windows/win.ini')).toBeNull();
  });
});
