/** Starts the real browser host in-process over the built renderer (dist/renderer), in a temp workspace. */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrowserHost } from '../../../main/host/main';

export async function startTestHost() {
  const rendererDir = join(process.cwd(), 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html')))
    throw new Error('dist/renderer is missing: run `npm run build` first (npm run test:e2e does).');
  const workspaceDir = mkdtempSync(join(tmpdir(), 'sd-e2e-'));
  const { host, stop, services } = await runBrowserHost({ rendererDir, workspaceDir });
  return { host, stop, workspaceDir, services };
}
