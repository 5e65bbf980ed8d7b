/**
 * Page objects shared by the browser suite (Chromium + loopback host) and the Electron suite
 * (Playwright's _electron). They speak only of what an admin sees.
 */
import type { Page } from 'playwright-core';

export type ScreenName = 'dashboard' | 'grid' | 'profiles' | 'help' | 'flow' | 'sessions';

export class AppPage {
  constructor(readonly page: Page) {}

  async waitReady(): Promise<void> {
    await this.page.getByTestId('app-ready').waitFor({ state: 'visible', timeout: 30_000 });
  }

  sandboxBanner() {
    return this.page.getByTestId('sandbox-banner');
  }

  async open(screen: ScreenName): Promise<void> {
    await this.page.getByTestId(`nav-${screen}`).click();
    await this.page.locator(`[data-testid="nav-${screen}"][aria-current="page"]`).waitFor();
  }

  /** The version shown in Help > About (from app.info). */
  async version(): Promise<string> {
    await this.open('help');
    return (await this.page.getByTestId('app-version').textContent()) ?? '';
  }

  /** Diagnostics' round trip through the contract; returns the status line. */
  async checkServiceConnection(): Promise<string> {
    await this.open('help');
    await this.page.getByTestId('check-service').click();
    const status = this.page.getByTestId('check-result');
    await status.filter({ hasText: /answered|failed/ }).waitFor({ timeout: 10_000 });
    return (await status.textContent()) ?? '';
  }

  connectError() {
    return this.page.getByTestId('connect-error');
  }

  /** Latest notice text in the status bar. */
  async lastNotice(): Promise<string> {
    return (await this.page.getByTestId('notices').locator('li').last().textContent()) ?? '';
  }
}
