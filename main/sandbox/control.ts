/**
 * The on-prem side of a standalone sandbox, for other tools and scripted training: a small JSON API
 * on 127.0.0.1 over the sandbox directory (read users, on-prem edits like Set-ADUser, the
 * compare-and-set mobile write, replica states) and the sync simulator (run a cycle, knobs).
 *
 * Plain HTTP on loopback, like the browser host: every request needs the per-run admin key
 * (`Authorization: Bearer <key>`), and requests with a foreign Host or any Origin header (a web page
 * trying its luck) are refused.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatIssues, isSyncDriftError, toErrorInfo } from '../core/errors';
import type { OnPremUser } from '../core/model';
import type { SandboxDirectory } from './directory';
import type { SyncSimulator } from './sync';

export interface SandboxControlTarget {
  directory: SandboxDirectory;
  sync: SyncSimulator;
}

export interface SandboxControlServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Bearer key for every request; lives only in memory and in what the caller prints. */
  adminKey: string;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;
const phone = z.string().max(64, 'must be at most 64 characters');

const UserPatch = z
  .object({
    mobile: phone.nullable(),
    otherMobile: z.array(phone).max(50),
    telephoneNumber: phone.nullable(),
    displayName: z.string().max(256).nullable(),
  })
  .partial()
  .strict();
const MobileWriteBody = z.object({ expected: phone.nullable(), next: phone.nullable() }).strict();
const CycleBody = z.object({ type: z.enum(['delta', 'initial']) }).strict();
const KnobsBody = z
  .object({
    advanceLastSyncOnExport: z.boolean(),
    deletionThreshold: z.number().int().nonnegative().nullable(),
    engine: z.enum(['connect', 'cloud-sync']),
  })
  .partial()
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, raw: string): T {
  let v: unknown;
  try {
    v = raw ? JSON.parse(raw) : {};
  } catch {
    throw new HttpError(400, 'BadRequest', 'The body is not JSON.');
  }
  const r = schema.safeParse(v);
  if (!r.success) throw new HttpError(400, 'BadRequest', formatIssues(r.error.issues, 'body'));
  return r.data;
}

function keyEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new HttpError(413, 'TooLarge', `The body exceeds ${MAX_BODY} bytes.`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the control API for a sandbox directory and simulator; `port` 0 picks a free one. */
export async function startSandboxControl(
  target: SandboxControlTarget,
  opts: { port?: number } = {},
): Promise<SandboxControlServer> {
  const adminKey = randomBytes(24).toString('base64url');
  let hostOk = '';

  const user = (key: string): OnPremUser => {
    const u = target.directory.find(key) ?? target.directory.allUsers().find((x) => x.dn.toLowerCase() === key.toLowerCase());
    if (!u) throw new HttpError(404, 'NotFound', `No on-prem user "${key}" (sAMAccountName, UPN or DN).`);
    return u;
  };

  const route = async (method: string, path: string, query: URLSearchParams, body: string): Promise<[number, unknown]> => {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'onprem' && parts[1] === 'users') {
      if (parts.length === 2 && method === 'GET') {
        const usn = query.get('sinceUsn');
        const inv = query.get('sinceInvocationId');
        if ((usn === null) !== (inv === null))
          throw new HttpError(400, 'BadRequest', 'sinceUsn and sinceInvocationId go together.');
        if (usn !== null && !/^\d+$/.test(usn)) throw new HttpError(400, 'BadRequest', 'sinceUsn must be a whole number.');
        const it = target.directory.scan({
          includeOutOfScope: query.get('includeOutOfScope') === 'true',
          since: usn !== null && inv !== null ? { invocationId: inv, highestUsn: Number(usn) } : undefined,
        });
        const users: OnPremUser[] = [];
        for (let r = await it.next(); ; r = await it.next()) {
          if (r.done) return [200, { users, watermark: r.value.watermark, incremental: r.value.incremental }];
          users.push(...r.value);
        }
      }
      const u = user(parts[2] ?? '');
      if (parts.length === 3 && method === 'GET') return [200, u];
      if (parts.length === 3 && method === 'PATCH') return [200, target.directory.modifyUser(u.dn, parse(UserPatch, body))];
      if (parts.length === 4 && parts[3] === 'mobile' && method === 'POST') {
        const w = parse(MobileWriteBody, body);
        return [200, await target.directory.writeMobile({ dn: u.dn, expected: w.expected, next: w.next })];
      }
      if (parts.length === 4 && parts[3] === 'replicas' && method === 'GET') {
        const dcs = query.getAll('dc');
        return [200, await target.directory.replicaStates(u.dn, dcs.length ? dcs : undefined)];
      }
    }
    if (parts[0] === 'sync') {
      if (parts.length === 1 && method === 'GET') {
        return [
          200,
          { engine: target.sync.engine, server: target.sync.server, knobs: target.sync.knobs, lastCycle: target.sync.lastCycle },
        ];
      }
      if (parts[1] === 'cycle' && method === 'POST') return [200, await target.sync.runCycle(parse(CycleBody, body).type)];
      if (parts[1] === 'knobs' && method === 'PATCH') {
        const k = parse(KnobsBody, body);
        if (k.engine) target.sync.setEngine(k.engine);
        const { engine: _engine, ...knobs } = k;
        target.sync.setKnobs(knobs);
        return [200, { engine: target.sync.engine, knobs: target.sync.knobs }];
      }
    }
    throw new HttpError(404, 'NotFound', `No route ${method} ${path}.`);
  };

  const respond = (res: ServerResponse, status: number, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.headers.host !== hostOk || req.headers.origin !== undefined)
          throw new HttpError(403, 'Forbidden', 'Foreign Host or Origin.');
        const auth = req.headers.authorization ?? '';
        if (!keyEquals(auth, `Bearer ${adminKey}`))
          throw new HttpError(401, 'Unauthorized', 'The admin key is missing or wrong.');
        const url = new URL(req.url ?? '/', `http://${hostOk}`);
        const body = await readBody(req);
        const [status, value] = await route(req.method ?? 'GET', url.pathname, url.searchParams, body);
        respond(res, status, value);
      } catch (e) {
        if (e instanceof HttpError) return respond(res, e.status, { error: { code: e.code, message: e.message } });
        const info = toErrorInfo(e);
        const status = isSyncDriftError(e)
          ? (({ validation: 400, conflict: 409, 'not-found': 404 } as Record<string, number>)[e.kind] ?? 500)
          : 500;
        respond(res, status, { error: { code: info.code, message: info.message, kind: info.kind } });
      }
    })();
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hostOk = `127.0.0.1:${port}`;
  return {
    url: `http://${hostOk}`,
    adminKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
