/**
 * summary.html as a support engineer opens it: rendered by Chromium from a file, styled by its own
 * inline style (allowed by the CSP hash), printable, and fetching nothing from any host.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildEvidenceFiles } from '../../../main/evidence';
import { launchChromium } from '../support/chromium';
import { fieldReportScan } from '../../support/evidence-replay';

let browser: Browser;
let dir: string;
let htmlPath: string;

beforeAll(async () => {
  const scan = await fieldReportScan();
  const built = buildEvidenceFiles(scan.input, { packagedAt: '2025-02-04T09:30:00Z' });
  dir = await mkdtemp(join(tmpdir(), 'syncdrift-evidence-html-'));
  htmlPath = join(dir, 'summary.html');
  await writeFile(htmlPath, built.files.get('summary.html')!);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('summary.html in Chromium', () => {
  it('renders styled and printable, requests nothing but itself, and produces a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const routed: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**', async (route) => {
      routed.push(route.request().url());
      if (route.request().url().startsWith('file:')) await route.continue();
      else await route.abort();
    });
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: 'load' });

    await expect.poll(() => page.locator('h1').textContent(), { timeout: 15_000 }).toContain('evidence for Fort Mill EMS');
    expect(await page.locator('h2').allTextContents()).toEqual([
      'What was observed',
      'Documented behaviour',
      'The tenant\u2019s sync state and features',
      'Counts by status (whole scan)',
      'Users in this package',
      'What we ask of support',
      'In this package',
    ]);
    expect(await page.locator('.ask').textContent()).toMatch(/Please confirm that a DirSyncOverrides flag/);
    // The inline style applied under the page's own CSP (h1 is 1.5rem there, 2em by default).
    expect(await page.locator('h1').evaluate((e) => getComputedStyle(e).fontSize)).toBe('24px');
    expect(cspViolations).toEqual([]);

    const shot = join(dir, 'summary.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    await page.emulateMedia({ media: 'print' });
    const printed = await page.screenshot({ path: join(dir, 'summary-print.png'), fullPage: true });
    expect(printed.length).toBeGreaterThan(1000);

    const external = [...requests, ...routed].filter((u) => !u.startsWith('file:'));
    expect(external).toEqual([]);
    expect(new Set(requests)).toEqual(new Set([url]));
    await page.close();
  });
});
