/**
 * The loopback browser host: serves the built renderer on 127.0.0.1 (random port) and carries the
 * contract over a WebSocket. Used by the tests and by `npm start` where no Electron binary or display
 * exists.
 *
 * Who may drive it: the launch URL (printed, and handed to xdg-open, so readable in /proc/<pid>/cmdline
 * by any local user) carries only a nonce in its fragment, single-use and short-lived. The page trades
 * it once (POST /session, same Origin) for the session secret in an HttpOnly SameSite=Strict cookie,
 * which never appears on a command line, in output or in page script. The bridge upgrades only with
 * that cookie, the host's own Origin and Host (DNS rebinding, other local pages, forged clients);
 * anyone else gets a 403 before a single frame. Frames: the first must be a small hello; after it a
 * frame is bounded by the contract's largest input.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Router } from '../api/router';
import type { Logger } from '../core/ports';
import { contentSecurityPolicy, mimeTypeOf, resolveServedPath } from '../core/paths';

export interface BrowserHostOptions {
  rendererDir: string;
  router: Router;
  logger: Logger;
  /** 0 (default) picks a free port. */
  port?: number;
  /** How long a launch link works (default 2 minutes). */
  nonceTtlMs?: number;
}

export interface BrowserHost {
  /** The first launch URL (a single-use nonce in the fragment): print it, hand it to an opener. */
  url: string;
  /** A fresh launch URL (the admin asked for a new link, or a test opens another browser context). */
  launchUrl(): string;
  origin: string;
  port: number;
  broadcast(event: string, payload: unknown): void;
  close(): Promise<void>;
}

const HELLO_TIMEOUT_MS = 5000;
const NONCE_TTL_MS = 2 * 60_000;
/** The hello frame is tiny; anything bigger before it is refused (1009). */
const MAX_HELLO_BYTES = 1024;
/** After the hello: the contract's largest input (evidence.verify's 300 M base64 characters) and its envelope. */
export const MAX_FRAME_BYTES = 300_000_000 + 64 * 1024;
const MAX_SESSION_BODY_BYTES = 1024;

export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const nonceTtl = opts.nonceTtlMs ?? NONCE_TTL_MS;
  /** Launch nonces not yet used, with when they stop working. */
  const nonces = new Map<string, number>();
  /** Session secrets handed out as cookies (one per browser that traded a nonce). */
  const sessions = new Set<string>();
  let origin = '';
  let hostHeader = '';
  let cookieName = '';
  const clients = new Set<WebSocket>();

  const mintNonce = () => {
    const now = Date.now();
    for (const [n, exp] of nonces) if (exp <= now) nonces.delete(n);
    const nonce = randomBytes(24).toString('base64url');
    nonces.set(nonce, now + nonceTtl);
    return nonce;
  };
  /** Uses up a nonce: true once, within its lifetime; every later try (a replay) is false. */
  const takeNonce = (given: string): boolean => {
    const exp = nonces.get(given);
    if (exp === undefined) return false;
    nonces.delete(given);
    return exp > Date.now();
  };
  const sessionOf = (cookieHeader: string | undefined): string | null => {
    for (const part of (cookieHeader ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === cookieName) {
        const token = v.join('=');
        for (const s of sessions) {
          const a = Buffer.from(s);
          const b = Buffer.from(token);
          if (a.length === b.length && timingSafeEqual(a, b)) return s;
        }
      }
    }
    return null;
  };

  const securityHeaders = () => ({
    'Content-Security-Policy': contentSecurityPolicy({ connectSrc: [origin.replace('http:', 'ws:')] }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/session') void exchangeNonce(req, res);
    else void serveStatic(req, res);
  });

  /** POST /session {nonce}: the one trade of a launch nonce for the session cookie. */
  async function exchangeNonce(req: IncomingMessage, res: ServerResponse) {
    const refuse = (status: number, why: string) => {
      opts.logger.warn('refused a launch', { why, origin: req.headers.origin, host: req.headers.host });
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ error: why }));
    };
    if (req.method !== 'POST') return refuse(405, 'POST only');
    if (req.headers.host !== hostHeader || req.headers.origin !== origin) return refuse(403, 'foreign host or origin');
    let body = '';
    try {
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > MAX_SESSION_BODY_BYTES) return refuse(413, 'body too large');
      }
    } catch {
      return refuse(400, 'unreadable body');
    }
    let nonce: unknown;
    try {
      nonce = (JSON.parse(body) as { nonce?: unknown }).nonce;
    } catch {
      return refuse(400, 'not JSON');
    }
    if (typeof nonce !== 'string' || !takeNonce(nonce)) return refuse(403, 'launch link already used or expired');
    const token = randomBytes(32).toString('base64url');
    sessions.add(token);
    res.writeHead(204, { 'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store' }).end();
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse) {
    if (req.headers.host !== hostHeader) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden host');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const pathname = new URL(req.url ?? '/', origin).pathname;
    const rel = resolveServedPath(pathname);
    if (!rel) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad path');
      return;
    }
    try {
      const body = await readFile(join(opts.rendererDir, rel));
      res.writeHead(200, { 'Content-Type': mimeTypeOf(rel), ...securityHeaders() });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...securityHeaders() }).end('Not found');
    }
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
  });

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/bridge' || req.headers.host !== hostHeader || req.headers.origin !== origin || !sessionOf(req.headers.cookie)) {
      opts.logger.warn('refused a bridge connection', { path, host: req.headers.host, origin: req.headers.origin, session: sessionOf(req.headers.cookie) ? 'valid' : 'none' });
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket) {
    let authed = false;
    const timer = setTimeout(() => {
      if (!authed) ws.close(4401, 'no hello');
    }, HELLO_TIMEOUT_MS);
    ws.on('close', () => {
      clearTimeout(timer);
      clients.delete(ws);
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
      if (!authed && size > MAX_HELLO_BYTES) {
        opts.logger.warn('refused a bridge connection: oversized frame before the hello', { size });
        ws.close(1009, 'hello expected');
        return;
      }
      let msg: { type?: unknown; id?: unknown; channel?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        ws.close(4400, 'bad frame');
        return;
      }
      if (!authed) {
        if (msg.type !== 'hello') {
          opts.logger.warn('refused a bridge connection: no hello');
          ws.close(4401, 'hello expected');
          return;
        }
        authed = true;
        clearTimeout(timer);
        clients.add(ws);
        ws.send(JSON.stringify({ type: 'welcome' }));
        return;
      }
      if (msg.type !== 'invoke' || typeof msg.id !== 'number') {
        ws.close(4400, 'bad frame');
        return;
      }
      const id = msg.id;
      void opts.router.dispatch(msg.channel, msg.payload, { origin: 'browser-host' }).then((envelope) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id, envelope }));
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  origin = `http://127.0.0.1:${port}`;
  hostHeader = `127.0.0.1:${port}`;
  // Cookies ignore ports: one name per host so two hosts on one machine keep their own session.
  cookieName = `sd_session_${port}`;
  const launchUrl = () => `${origin}/#n=${mintNonce()}`;

  return {
    url: launchUrl(),
    launchUrl,
    origin,
    port,
    broadcast(event, payload) {
      const frame = JSON.stringify({ type: 'event', event, payload });
      for (const c of clients) if (c.readyState === c.OPEN) c.send(frame);
    },
    async close() {
      for (const c of clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
