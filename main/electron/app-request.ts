/**
 * Answers one app:// request: the built renderer from inside the bundle, with the strict CSP.
 * No electron import, so tests/unit/app-protocol.test.ts runs it under plain Node.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentSecurityPolicy, mimeTypeOf, resolveServedPath } from '../core/paths';
import { APP_HOST } from './window-options';

export async function serveAppRequest(rendererDir: string, request: { url: string; method: string }): Promise<Response> {
  const url = new URL(request.url);
  const headers = { 'Content-Security-Policy': contentSecurityPolicy(), 'X-Content-Type-Options': 'nosniff' };
  if (url.host !== APP_HOST) return new Response('Not found', { status: 404, headers });
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405, headers });
  // The pathname keeps percent-encoding, so `..%2f` reaches resolveServedPath and is refused there.
  const rel = resolveServedPath(url.pathname);
  if (!rel) return new Response('Bad path', { status: 400, headers });
  try {
    const body = await readFile(join(rendererDir, rel));
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': mimeTypeOf(rel) } });
  } catch {
    return new Response('Not found', { status: 404, headers });
  }
}
