/**
 * The same page objects through Playwright's _electron, wherever an Electron binary exists
 * (ELECTRON_OVERRIDE_DIST_PATH or node_modules/electron/dist). Elsewhere this suite does not run and
 * says so once, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain .mjs helper shared with scripts/start.mjs; no type declarations needed
import { findElectronBinary } from '../../../scripts/electron-binary.mjs';
import { AppPage } from '../pages/app-page';

const binary = findElectronBinary() as { path: string | null; reason?: string };
if (!binary.path) {
  console.warn(`\n[electron e2e] NOT RUN: ${binary.reason}. The same page objects ran against the browser host instead.\n`);
}

describe.skipIf(!binary.path)('the Electron app', () => {
  let app: ElectronApplication;
  let page: AppPage;

  beforeAll(async () => {
    app = await electron.launch({
      executablePath: binary.path!,
      args: [process.cwd()],
      env: { ...process.env, SYNCDRIFT_HOME: mkdtempSync(join(tmpdir(), 'sd-electron-')) },
    });
    page = new AppPage(await app.firstWindow());
    await page.waitReady();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('loads from app:// with the sandbox banner', async () => {
    expect(page.page.url()).toMatch(/^app:\/\/syncdrift\//);
  });

  it('completes a round trip through the contract over IPC and the utility process', async () => {
    expect(await page.checkServiceConnection()).toMatch(/Service answered "ping"/);
  });

  it('does not expose Node or ipcRenderer to the page', async () => {
    const leaks = await page.page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      bridgeKeys: Object.keys((window as unknown as { syncdrift: object }).syncdrift).sort(),
    }));
    expect(leaks).toEqual({ require: 'undefined', process: 'undefined', bridgeKeys: ['invoke', 'on'] });
  });

  it('holds the CSP: an injected inline script does not run', async () => {
    const ran = await page.page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = true;';
      document.body.appendChild(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __pwned?: boolean }).__pwned === true;
    });
    expect(ran).toBe(false);
  });
});
