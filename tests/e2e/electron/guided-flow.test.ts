/**
 * The guided fix in the Electron app with the browser suite's page objects: testmobile keep-cloud
 * on the sandbox demo, verified, then undone. Runs wherever an Electron binary exists
 * (ELECTRON_OVERRIDE_DIST_PATH or node_modules/electron/dist); elsewhere it says once why not.
 * The evidence download is left to the browser suite: Electron turns a download into a save
 * dialog, which a test cannot answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain .mjs helper shared with scripts/start.mjs; no type declarations needed
import { findElectronBinary } from '../../../scripts/electron-binary.mjs';
import { AppPage } from '../pages/app-page';
import { DashboardPage } from '../pages/dashboard-page';
import { GridPage } from '../pages/grid-page';
import { FlowPage, SessionsPage } from '../pages/flow-page';

const binary = findElectronBinary() as { path: string | null; reason?: string };
if (!binary.path) {
  console.warn(
    `\n[electron e2e: guided flow] NOT RUN: ${binary.reason}. tests/e2e/browser/guided-flow.test.ts ran the same page objects instead.\n`,
  );
}

describe.skipIf(!binary.path)('the guided fix in the Electron app', () => {
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    app = await electron.launch({
      executablePath: binary.path!,
      args: [process.cwd()],
      env: { ...process.env, SYNCDRIFT_HOME: mkdtempSync(join(tmpdir(), 'sd-electron-flow-')) },
    });
    page = await app.firstWindow();
    await new AppPage(page).waitReady();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('keeps testmobile’s cloud value, verifies it, and undoes it', async () => {
    expect(await new DashboardPage(page).scan()).toBe('completed');
    const grid = new GridPage(page);
    await grid.open();
    await grid.tab('all');
    await grid.search('testmobile');
    await expect.poll(() => grid.row('testmobile@').count(), { timeout: 5000 }).toBe(1);
    await grid.row('testmobile@').click();
    const flow = new FlowPage(page);
    await flow.startFromGrid();
    await flow.decide('testmobile@', 'keep-cloud');
    await flow.next();
    expect((await flow.planSteps()).map((s) => s.kind)).toEqual(['ad-write', 'await-replication', 'verify']);
    await flow.next();
    expect((await flow.preflightChecks()).filter((c) => !c.ok)).toEqual([]);
    expect((await flow.apply()).title).toBe('Apply this plan to 1 user?');
    expect(await flow.waitOutcome()).toBe('completed');
    await flow.waitStep('report');
    expect(await flow.reportRow('testmobile@')).toEqual({ state: 'fixed', actual: '1234567890 / 1234567890' });
    const undo = await flow.undo();
    expect(undo.state).toBe('undone');
    expect(undo.report).toContain('0987654321');
    const sessions = new SessionsPage(page);
    await sessions.open();
    expect((await sessions.list()).map((s) => s.state)).toEqual(['undone']);
  });
});
