/**
 * Entry of the browser host (`npm run dev:web`, and `npm start` where Electron cannot run): composes
 * the services with plain-Node ports and serves the renderer on loopback.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync, createWriteStream } from 'node:fs';
import { createServices } from '../api/services';
import { createLogger } from '../core/logger';
import { systemClock } from '../core/ports';
import { createKeyFileEncryptor } from '../node/encryptor';
import { ACCEPT_WEAK_SECRET_STORAGE_FLAG } from '../core/secret-storage';
import type { WeakStorageQuestion } from '../api/secrets';
import { defaultWorkspaceDir } from '../node/workspace-dir';
import { startBrowserHost } from './server';

/**
 * The browser host's consent question: it has no UI outside the page, so the consent is the command
 * that started it (`npm start -- --accept-weak-secret-storage`), which no script in the page can give;
 * the page's button then records it for the workspace.
 */
export function launchConsent(acceptedAtLaunch: boolean): WeakStorageQuestion {
  return async () =>
    acceptedAtLaunch ||
    `refused: the browser host takes this consent only from the command that started it, never from the page alone; start the workbench with ${ACCEPT_WEAK_SECRET_STORAGE_FLAG} (npm start -- ${ACCEPT_WEAK_SECRET_STORAGE_FLAG}) and consent again`;
}

export async function runBrowserHost(opts: { rendererDir: string; workspaceDir?: string; port?: number; reason?: string; acceptWeakSecretStorage?: boolean }) {
  const workspaceDir = opts.workspaceDir ?? defaultWorkspaceDir();
  mkdirSync(join(workspaceDir, 'logs'), { recursive: true, mode: 0o700 });
  const logStream = createWriteStream(join(workspaceDir, 'logs', 'host.log'), { flags: 'a', mode: 0o600 });
  const logger = createLogger((l) => logStream.write(l + '\n'));
  let broadcast: (event: string, payload: unknown) => void = () => {};
  const services = await createServices({
    host: 'browser',
    workspaceDir,
    logger,
    clock: systemClock,
    encryptor: createKeyFileEncryptor(join(workspaceDir, 'secret.key')),
    network: { fetch: (i, init) => fetch(i, init), describe: () => 'Node fetch' },
    send: (e, p) => broadcast(e, p),
    confirmWeakSecretStorage: launchConsent(opts.acceptWeakSecretStorage === true),
  });
  const host = await startBrowserHost({ rendererDir: opts.rendererDir, router: services.router, logger, port: opts.port });
  broadcast = host.broadcast;
  const stop = async () => {
    await services.dispose();
    await host.close();
    logStream.end();
  };
  // services: for an in-process caller (the browser E2E tests prepare sandbox data through it).
  return { host, stop, services };
}

// Run directly (dist/host/host.mjs): print exactly one line with the URL and why the browser host runs.
const isEntry = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry) {
  const here = dirname(fileURLToPath(import.meta.url));
  const reason = process.env.SYNCDRIFT_HOST_REASON ?? 'browser host requested';
  runBrowserHost({
    rendererDir: join(here, '..', 'renderer'),
    port: process.env.SYNCDRIFT_PORT ? Number(process.env.SYNCDRIFT_PORT) : undefined,
    acceptWeakSecretStorage: process.argv.includes(ACCEPT_WEAK_SECRET_STORAGE_FLAG),
  })
    .then(({ host, stop }) => {
      // The link carries a single-use nonce, not the session secret: printing it (and the launcher
      // passing it to xdg-open, visible in the process list) gives nothing once the browser used it.
      process.stdout.write(`SyncDrift Workbench is running in your browser at ${host.url} (${reason}). The link works once, for 2 minutes; press Enter for a new one, Ctrl+C to stop.\n`);
      if (process.stdin.isTTY) {
        process.stdin.on('data', () => process.stdout.write(`New link (works once, for 2 minutes): ${host.launchUrl()}\n`));
        process.stdin.resume();
      }
      const shutdown = () => void stop().then(() => process.exit(0));
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    })
    .catch((e: unknown) => {
      process.stderr.write(`SyncDrift Workbench could not start: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
