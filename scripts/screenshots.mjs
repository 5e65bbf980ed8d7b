#!/usr/bin/env node
// `npm run screenshots`: the main screens of the workbench over the sandbox demo, at 1366x768 and
// 1920x1080 (plus the grid in dark mode), written to docs/screenshots/. Runs the built browser host
// (dist/host/host.mjs) in a throwaway workspace and Debian's Chromium through playwright-core.
// Not part of `npm test`: screenshots change only when someone means them to.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'docs', 'screenshots');
const chromiumPath = process.env.SYNCDRIFT_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(join(root, 'dist/host/host.mjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm run screenshots does).');
if (!existsSync(chromiumPath)) throw new Error(`Chromium is not installed at ${chromiumPath}: apt-get install chromium`);
mkdirSync(outDir, { recursive: true });

const home = mkdtempSync(join(tmpdir(), 'sd-shots-'));
const host = spawn(process.execPath, [join(root, 'dist/host/host.mjs')], {
  env: { ...process.env, SYNCDRIFT_HOME: home, SYNCDRIFT_HOST_REASON: 'screenshots' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error('the browser host did not print its URL within 60 s')), 60_000);
  host.stdout.on('data', (d) => {
    buf += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/#n=\S+?)[\s)]/.exec(buf);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  host.on('exit', (code) => reject(new Error(`the browser host exited (${code}) before printing its URL`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const written = [];
let sessionCookies = null;
try {
  let scanned = false;
  const shots = [
    { width: 1366, height: 768, scheme: 'light', suffix: '1366x768' },
    { width: 1920, height: 1080, scheme: 'light', suffix: '1920x1080' },
    { width: 1366, height: 768, scheme: 'dark', suffix: '1366x768-dark', only: ['grid', 'details'] },
  ];
  for (const v of shots) {
    const context = await browser.newContext({ viewport: { width: v.width, height: v.height }, colorScheme: v.scheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    // The printed link works once: the first context trades it for the session cookie, the others reuse that cookie.
    if (sessionCookies) await context.addCookies(sessionCookies);
    await page.goto(sessionCookies ? new URL(url).origin + '/' : url);
    await page.getByTestId('app-ready').waitFor({ timeout: 60_000 });
    sessionCookies ??= await context.cookies();
    const nav = async (screen) => {
      await page.getByTestId(`nav-${screen}`).click();
      await page.locator(`[data-testid="nav-${screen}"][aria-current="page"]`).waitFor();
    };
    const shot = async (name) => {
      if (v.only && !v.only.includes(name)) return;
      await page.waitForTimeout(300);
      const file = join(outDir, `${name}-${v.suffix}.png`);
      await page.screenshot({ path: file });
      written.push(file);
    };
    await nav('dashboard');
    if (!scanned) {
      await page.getByTestId('scan-start').click();
      await page.getByTestId('scan-result').waitFor({ timeout: 120_000 });
      scanned = true;
    }
    await page.getByTestId('status-chart').waitFor({ timeout: 30_000 });
    await shot('dashboard');
    await nav('grid');
    await page.getByTestId('grid-loading').waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByTestId('tab-attention').click();
    await page.getByTestId('grid').focus();
    await page.keyboard.press('ArrowDown');
    await shot('grid');
    await page.getByTestId('grid-search').fill('testmobile');
    await page.getByTestId('grid-search').press('Enter');
    await page.locator('[data-testid="grid-row"][data-upn^="testmobile@"]').first().dblclick();
    await page.getByTestId('timeline').waitFor({ timeout: 30_000 });
    await shot('details');
    await page.keyboard.press('Escape');
    await page.getByTestId('grid-search').fill('');
    await page.getByTestId('grid-search').press('Enter');
    await nav('profiles');
    await page.getByTestId('profile-sandbox').waitFor({ timeout: 30_000 });
    await page.getByTestId('profile-test-sandbox').click();
    await page.getByTestId('test-result-sandbox').locator('.test-sides').waitFor({ timeout: 60_000 }).catch(() => {});
    await shot('profiles');
    await nav('help');
    await shot('help');
    if (v.suffix === '1366x768') {
      // The guided fix on testmobile (keep-onprem through the bypass), once: applying changes the demo.
      await nav('grid');
      await page.getByTestId('tab-all').click();
      await page.getByTestId('grid-search').fill('testmobile');
      await page.getByTestId('grid-search').press('Enter');
      await page.locator('[data-testid="grid-row"][data-upn^="testmobile@"]').first().click();
      await page.getByTestId('fix-selected').click();
      await page.getByTestId('decide-row').first().waitFor();
      await page.getByLabel('Decision for testmobile@contoso.com').selectOption('keep-onprem');
      await shot('flow-decide');
      await page.getByTestId('flow-next').click();
      await page.getByTestId('blast-radius').waitFor();
      await page.getByTestId('blast-bulk-onprem-missing').selectOption('keep-cloud');
      await page.getByTestId('blast-suggested').click();
      await page.locator('[data-testid="blast-undecided"].ok').waitFor();
      await page.getByTestId('blast-radius').scrollIntoViewIfNeeded();
      await shot('flow-plan');
      await page.getByTestId('flow-next').click();
      await page.getByTestId('preflight-checks').waitFor({ timeout: 60_000 });
      await shot('flow-preflight');
      await page.getByTestId('flow-apply').click();
      await page.getByTestId('confirm-apply').waitFor();
      await shot('flow-confirm');
      await page.getByTestId('confirm-ok').click();
      await page.locator('[data-testid="flow"][data-step="report"], [data-testid="flow"][data-step="verify"] [data-testid="outcome"]').first().waitFor({ timeout: 180_000 });
      await shot('flow-report');
      await nav('sessions');
      await page.getByTestId('session-row').first().waitFor();
      await shot('sessions');
    }
    await context.close();
  }
} finally {
  await browser.close();
  host.kill('SIGTERM');
  await new Promise((r) => host.once('exit', r));
  rmSync(home, { recursive: true, force: true });
}
console.log(`screenshots: wrote ${written.length} files to docs/screenshots/\n${written.map((f) => '  ' + f.slice(root.length + 1)).join('\n')}`);
