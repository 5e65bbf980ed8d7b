/** Starts the real browser host in-process over the built renderer (dist/renderer), in a temp workspace. */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrowserHost } from '../../../main/host/main';

/** `acceptWeakSecretStorage`: started as `npm start -- --accept-weak-secret-storage` (the browser host's consent). */
export async function startTestHost(opts: { acceptWeakSecretStorage?: boolean } = {}) {
  const rendererDir = join(process.cwd(), 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html')))
    throw new Error('dist/renderer is missing: run `npm run build` first (npm run test:e2e does).');
  const workspaceDir = mkdtempSync(join(tmpdir(), 'sd-e2e-'));
  const { host, stop, services } = await runBrowserHost({ rendererDir, workspaceDir, ...(opts.acceptWeakSecretStorage ? { acceptWeakSecretStorage: true } : {}) });
  return { host, stop, workspaceDir, services };
}
