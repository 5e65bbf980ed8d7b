/**
 * The app open in Debian's Chromium, as the browser E2E suites start it: a fresh context, a page that
 * records CSP violations and page errors (watched-page.ts), the app loaded and ready. `close` ends it.
 */
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { AppPage } from '../pages/app-page';
import { launchChromium } from './chromium';
import { openWatchedPage, type WatchedPage } from './watched-page';

export interface AppSession extends WatchedPage {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openApp(url: string, contextOptions: BrowserContextOptions): Promise<AppSession> {
  const browser = await launchChromium();
  const context = await browser.newContext(contextOptions);
  const watched = await openWatchedPage(context);
  await watched.page.goto(url);
  await new AppPage(watched.page).waitReady();
  return {
    ...watched,
    browser,
    context,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}
