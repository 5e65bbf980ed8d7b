/**
 * A page that records every CSP violation and uncaught page error, so a suite can assert at its end
 * that the app ran under the strict CSP without a single refusal or crash.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface WatchedPage {
  page: Page;
  cspViolations: string[];
  pageErrors: string[];
}

export async function openWatchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  await page.exposeFunction('__reportCsp', (v: string) => cspViolations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __reportCsp: (v: string) => void }).__reportCsp(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { page, cspViolations, pageErrors };
}
