/**
 * Importing Entra Connect exports from the dashboard (#18), in Chromium over the loopback browser
 * host and the sandbox demo: the files are the sandbox simulator's own exports under the names an
 * admin's kit gives them. A broken rules file is refused naming its file and line and stores nothing;
 * a cancelled import stores nothing; a good one shows "Connect export: N objects,
 * imported <time>", the next scan joins it (testmobile's engine line cites the imported file), and
 * Remove takes it away again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestHost } from '../support/browser-host';
import { openApp, type AppSession } from '../support/app-session';
import { AppPage } from '../pages/app-page';
import { DashboardPage } from '../pages/dashboard-page';
import { GridPage } from '../pages/grid-page';

let app: AppSession | undefined;
let page: Page;
let host: Awaited<ReturnType<typeof startTestHost>>;
let files: string;
let cspViolations: string[] = [];
let pageErrors: string[] = [];
const path = (name: string) => join(files, name);

beforeAll(async () => {
  host = await startTestHost();
  files = mkdtempSync(join(tmpdir(), 'sd-e2e-connect-'));
  const ex = (await host.services.sandbox.get()).demo.sync.connectExports();
  writeFileSync(path('cs-export.xml'), ex.connectorSpaceXml);
  writeFileSync(path('sync-rules.json'), ex.rulesJson);
  writeFileSync(path('run-history.json'), ex.runHistoryJson);
  // The rules export with one quote lost on its third line: not JSON any more.
  const lines = ex.rulesJson.split('\n');
  const bad = lines.findIndex((l, i) => i > 0 && l.includes('"'));
  lines[bad] = lines[bad]!.replace(/"([^"]*)$/, '$1');
  writeFileSync(path('broken-rules.json'), lines.join('\n'));
  // A bigger connector space (the same objects four times over), still a valid export.
  const body = ex.connectorSpaceXml.slice(ex.connectorSpaceXml.indexOf('<cs-object '), ex.connectorSpaceXml.lastIndexOf('</cs-objects>'));
  writeFileSync(path('big-cs.xml'), ex.connectorSpaceXml.replace(body, body.repeat(4)));
  app = await openApp(host.host.url, { viewport: { width: 1366, height: 900 } });
  ({ page, cspViolations, pageErrors } = app);
});
afterAll(async () => {
  await app?.close();
  await host?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

const state = () => page.getByTestId('connect-import-state');

describe('the Connect export import on the dashboard', () => {
  it('refuses a broken file naming its file and line, and stores nothing', async () => {
    await new AppPage(page).open('dashboard');
    await expect.poll(() => state().textContent()).toBe('No Connect export imported for this profile.');
    await page.getByTestId('connect-import-file').setInputFiles([path('cs-export.xml'), path('broken-rules.json')]);
    const error = page.getByTestId('connect-import-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/^broken-rules\.json:\d+: record 1 is not valid JSON .*Nothing was stored\.$/);
    expect(await state().textContent()).toBe('No Connect export imported for this profile.');
  });

  it('cancels an import clicked away at once: nothing stored', async () => {
    // The admin clicks Cancel the moment it shows, before the service has even answered with the
    // operation's id: the store passes the cancel on once it has the id (a Playwright click would
    // come too late for an export this small to still be running).
    await page.evaluate(() => {
      const seen = new MutationObserver(() => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid="connect-import-cancel"]');
        if (!b) return;
        seen.disconnect();
        b.click();
      });
      seen.observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('connect-import-file').setInputFiles([path('big-cs.xml')]);
    await expect.poll(() => page.getByTestId('connect-import-error').textContent().catch(() => ''), { timeout: 60_000 }).toBe('The import was cancelled; nothing was stored.');
    expect(await state().textContent()).toBe('No Connect export imported for this profile.');
  });

  it('imports good exports, the next scan joins them, and Remove takes them away', async () => {
    await page.getByTestId('connect-import-file').setInputFiles([path('cs-export.xml'), path('sync-rules.json'), path('run-history.json')]);
    await expect.poll(() => state().textContent(), { timeout: 60_000 }).toMatch(/^Connect export: [\d,]+ objects, imported .+Remove/);
    expect(await state().textContent()).toMatch(/cs-export\.xml: connector space \(XML\).*sync-rules\.json: sync rules.*run-history\.json: run history/);
    await expect(page.getByTestId('connect-import-error').count()).resolves.toBe(0);

    expect(await new DashboardPage(page).scan()).toBe('completed');
    const grid = new GridPage(page);
    await grid.open();
    expect(await grid.tabCount('rule-formatted')).toBeGreaterThan(2);
    await grid.tab('all');
    await grid.search('testmobile');
    await expect.poll(() => grid.row('testmobile@').count(), { timeout: 5000 }).toBe(1);
    await grid.openDetails('testmobile@');
    await expect.poll(() => page.getByTestId('details-engine').textContent(), { timeout: 20_000 }).toMatch(/evidence: Export-ADSyncToolsObjects cs-export\.xml:\d+/);
    await page.keyboard.press('Escape');

    await new AppPage(page).open('dashboard');
    await page.getByTestId('connect-import-remove').click();
    await expect.poll(() => state().textContent()).toBe('No Connect export imported for this profile.');
    expect(await host.services.router.dispatch('connectExport.get', { profileId: 'sandbox' }, { origin: 'test' })).toEqual({ ok: true, value: { import: null } });
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
