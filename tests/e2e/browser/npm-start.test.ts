/**
 * `npm start` on a machine without an Electron binary or display (like this one): the launcher
 * serves the app on loopback, says so in exactly one line, and the app opens on the sandbox demo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { AppPage } from '../pages/app-page';
import { DashboardPage } from '../pages/dashboard-page';

let child: ChildProcess;
let lines: string[] = [];
let browser: Browser;

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNCDRIFT_HOME: mkdtempSync(join(tmpdir(), 'sd-start-')), CI: 'true' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  // No Electron binary here: an override that points nowhere makes that explicit even on machines that have one.
  env.ELECTRON_OVERRIDE_DIST_PATH = join(tmpdir(), 'no-electron-here');
  // dist/ is built by the e2e project's script (npm run test:e2e / npm test); start.mjs itself is what `npm start` runs after the build.
  child = spawn(process.execPath, ['scripts/start.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    lines = out.split('\n').filter(Boolean);
  });
  const deadline = Date.now() + 30_000;
  while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  child?.kill('SIGTERM');
});

describe('npm start without an Electron binary', () => {
  it('serves the app and says so in one line, with the reason', async () => {
    await new Promise((r) => setTimeout(r, 500)); // anything else it would print arrives by now
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SyncDrift Workbench is running in your browser at http:\/\/127\.0\.0\.1:\d+\/#n=[\w-]+ \(ELECTRON_OVERRIDE_DIST_PATH=.* holds no Electron executable\)\. The link works once, for 2 minutes; press Enter for a new one, Ctrl\+C to stop\.$/);
  });

  it('opens on the sandbox demo with the sandbox banner', async () => {
    const url = /(http:\/\/127\.0\.0\.1:\d+\/#n=[\w-]+)/.exec(lines[0] ?? '')![1]!;
    const page = await browser.newPage();
    await page.goto(url);
    const app = new AppPage(page);
    await app.waitReady();
    await expect(app.sandboxBanner().textContent()).resolves.toMatch(/sandbox/i);
    // The demo tenant answers: the dashboard reads its sync state as the sandbox Global Administrator.
    await expect.poll(() => new DashboardPage(page).bypass(), { timeout: 30_000 }).toMatch(/off/i);
    // What the launcher printed (and handed to xdg-open, readable in /proc/<pid>/cmdline) is spent now.
    const origin = new URL(url).origin;
    const replay = await fetch(`${origin}/session`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ nonce: new URL(url).hash.slice(3) }) });
    expect(replay.status).toBe(403);
    await page.close();
  });
});
