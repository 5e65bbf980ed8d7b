/**
 * The loopback browser host: serves the built renderer on 127.0.0.1 (random port) and carries the
 * contract over a WebSocket. Used by the tests and by `npm start` where no Electron binary or display
 * exists. Guards: a per-launch secret that travels in the URL fragment (so it is never in a request
 * line or a log) and arrives as the first WebSocket frame; foreign Origin and Host headers are refused
 * (DNS rebinding, other local pages).
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
  secret?: string;
}

export interface BrowserHost {
  /** The URL to open, with the secret in the fragment. Print it for the user; never log it. */
  url: string;
  origin: string;
  port: number;
  broadcast(event: string, payload: unknown): void;
  close(): Promise<void>;
}

const HELLO_TIMEOUT_MS = 5000;

export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const secret = opts.secret ?? randomBytes(32).toString('base64url');
  const secretBuf = Buffer.from(secret);
  let origin = '';
  let hostHeader = '';
  const clients = new Set<WebSocket>();

  const securityHeaders = () => ({
    'Content-Security-Policy': contentSecurityPolicy({ connectSrc: [origin.replace('http:', 'ws:')] }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void serveStatic(req, res);
  });

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
    maxPayload: 64 * 1024 * 1024,
  });

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/bridge' || req.headers.host !== hostHeader || req.headers.origin !== origin) {
      opts.logger.warn('refused a bridge connection', { path, host: req.headers.host, origin: req.headers.origin });
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
    ws.on('message', (data) => {
      let msg: { type?: unknown; secret?: unknown; id?: unknown; channel?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        ws.close(4400, 'bad frame');
        return;
      }
      if (!authed) {
        const given = Buffer.from(typeof msg.secret === 'string' ? msg.secret : '');
        if (msg.type !== 'hello' || given.length !== secretBuf.length || !timingSafeEqual(given, secretBuf)) {
          opts.logger.warn('refused a bridge connection: wrong launch secret');
          ws.close(4401, 'unauthorized');
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

  return {
    url: `${origin}/#k=${secret}`,
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
