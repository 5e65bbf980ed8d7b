/**
 * The service process's end of the relay (service-port.ts is main's end), as a function of the port
 * to main and of the service factory, so tests/unit/electron-service-host.test.ts runs it under plain
 * Node with fakes. service-entry.ts is the thin caller that passes Electron's parentPort and net.fetch.
 *
 * Main is the more trusted side, yet its messages are still schema-checked here: a malformed one is
 * logged and dropped, never half-acted on. Every call gets an answer: a call before the services are
 * up, after they failed to start, or whose handler threw ends with a typed error envelope, never a
 * hang. If the services cannot start, the process logs why and exits non-zero, which main reports
 * as "the service process exited during start-up".
 */
import { z } from 'zod';
import type { ServicePorts, Services } from '../api/services';
import { createNetworkFromFetch } from '../cloud/network';
import { toCallerErrorInfo } from '../core/errors';
import { createLogger } from '../core/logger';
import { systemClock, type Encryptor, type Fetch, type Logger } from '../core/ports';
import { safeStorageBackend } from '../core/secret-storage';
import { MAX_CIPHER_CHARS, MAX_PATH_CHARS } from './service-port';

export interface MainPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface ServiceHostDeps {
  createServices(ports: ServicePorts): Promise<Services>;
  /** Electron's net.fetch in the utilityProcess (system proxy, PAC, OS certificate store). */
  fetch: Fetch;
  networkDescription: string;
  /** Opens the service log in the workspace; returns the line writer. */
  openLog(workspaceDir: string): (line: string) => void;
  exit(code: number): void;
  /** The platform the secret store is named for (process.platform; the tests pass main's). */
  platform?: NodeJS.Platform;
}

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const FromMain = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('init'),
      workspaceDir: z.string().min(1).max(MAX_PATH_CHARS),
      versions: z.record(z.string().max(100), z.string().max(200)).optional(),
      storageBackend: z.string().min(1).max(64),
    })
    .strict(),
  z.object({ type: z.literal('invoke'), id: Id, channel: z.string().max(200), payload: z.unknown() }).strict(),
  // main's answer to encrypt/decrypt/openPath/confirmWeakStorage: a value when ok, an error otherwise.
  z.object({ type: z.literal('crypto'), id: Id, ok: z.boolean(), value: z.string().max(MAX_CIPHER_CHARS).optional(), error: z.string().max(4096).optional() }).strict(),
]);

/** safeStorage backends that protect nothing: Linux's basic_text (a hard-coded key), unknown and any name we do not know. */
export function isStrongBackend(backend: string, platform: string = process.platform): boolean {
  return safeStorageBackend(platform, backend).strong;
}

type Ask = (type: 'encrypt' | 'decrypt' | 'openPath' | 'confirmWeakStorage', field: 'plain' | 'cipher' | 'path' | 'backend', value: string) => Promise<string>;

/** Answers main's messages on `port`; returns a handle the tests use to wait for start-up. */
export function serveMainPort(port: MainPortLike, deps: ServiceHostDeps): { started(): Promise<Services | null> } {
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let services: Promise<Services | null> | null = null;
  let logger: Logger = createLogger(() => undefined);

  const ask: Ask = (type, field, value) => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      port.postMessage({ type, id, [field]: value });
    });
  };
  const answer = (id: number, envelope: unknown) => port.postMessage({ type: 'result', id, envelope });
  const refuse = (id: number, code: string, message: string) => answer(id, { ok: false, error: { kind: 'internal', code, message } });

  function start(workspaceDir: string, storageBackend: string, versions: Record<string, string> | undefined): Promise<Services | null> {
    try {
      logger = createLogger(deps.openLog(workspaceDir));
    } catch (e) {
      process.stderr.write(`[service] cannot open the service log in ${workspaceDir}: ${e instanceof Error ? e.message : String(e)}\n`);
      deps.exit(1);
      return Promise.resolve(null);
    }
    // Named from the platform and, on Linux, safeStorage's selected backend (issue 16 finding 7).
    // A backend name this platform does not have (say 'os' on Linux) is unrecognised, so weak.
    const store = safeStorageBackend(deps.platform ?? process.platform, storageBackend);
    const encryptor: Encryptor = {
      backend: store.backend,
      isStrong: store.strong,
      description: store.description,
      encrypt: async (plain) => Buffer.from(await ask('encrypt', 'plain', plain), 'base64'),
      decrypt: (cipher) => ask('decrypt', 'cipher', cipher.toString('base64')),
    };
    return deps
      .createServices({
        host: 'electron',
        workspaceDir,
        logger,
        clock: systemClock,
        encryptor,
        network: createNetworkFromFetch(deps.fetch, deps.networkDescription),
        send: (event, payload) => port.postMessage({ type: 'event', event, payload }),
        ...(versions ? { versions } : {}),
        openPath: async (path) => (await ask('openPath', 'path', path)) === 'opened',
        // Main shows its own dialog (connectServiceProcess's confirmWeakStorage): only 'accepted' is a yes.
        confirmWeakSecretStorage: async (backend) => ((await ask('confirmWeakStorage', 'backend', backend)) === 'accepted' ? true : 'declined in the confirmation dialog'),
        shareNetwork: true,
      })
      .then((s) => {
        port.postMessage({ type: 'ready' });
        return s;
      })
      .catch((e: unknown) => {
        logger.error('the services could not start', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        deps.exit(1);
        return null;
      });
  }

  port.on('message', ({ data }) => {
    const parsed = FromMain.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      logger.warn('dropped a malformed message from main', { field: issue?.path.join('.') || 'message', problem: issue?.message });
      const id = Id.safeParse((data as { id?: unknown } | null)?.id);
      if ((data as { type?: unknown } | null)?.type === 'invoke' && id.success) refuse(id.data, 'BAD_MAIN_MESSAGE', 'The call reached the service malformed.');
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'init':
        if (services) logger.warn('ignored a second init from main');
        else services = start(msg.workspaceDir, msg.storageBackend, msg.versions);
        break;
      case 'invoke': {
        if (!services) {
          refuse(msg.id, 'SERVICE_NOT_READY', 'The service has not started yet.');
          break;
        }
        void services
          .then(async (s) => {
            if (!s) return refuse(msg.id, 'SERVICE_START_FAILED', 'The service could not start; the reason is in the service log (Help → Logs).');
            return answer(msg.id, await s.router.dispatch(msg.channel, msg.payload, { origin: 'electron-renderer' }));
          })
          .catch((e: unknown) => answer(msg.id, { ok: false, error: toCallerErrorInfo(e, logger, { channel: msg.channel }) }));
        break;
      }
      case 'crypto': {
        const p = pending.get(msg.id);
        if (!p) {
          logger.warn('dropped an answer from main to no open request', { id: msg.id });
          break;
        }
        pending.delete(msg.id);
        if (msg.ok && msg.value !== undefined) p.resolve(msg.value);
        else p.reject(new Error(`The OS secret store refused: ${msg.error ?? 'no value in the answer'}`));
        break;
      }
    }
  });

  return { started: () => services ?? Promise.resolve(null) };
}
