/**
 * Page objects shared by the browser suite (Chromium + loopback host) and the Electron suite
 * (Playwright's _electron). They speak only of what an admin sees.
 */
import type { Page } from 'playwright-core';

export class AppPage {
  constructor(readonly page: Page) {}

  async waitReady(): Promise<void> {
    await this.page.getByTestId('app-ready').waitFor({ state: 'visible', timeout: 30_000 });
  }

  sandboxBanner() {
    return this.page.getByTestId('sandbox-banner');
  }

  async version(): Promise<string> {
    return (await this.page.getByTestId('app-version').textContent()) ?? '';
  }

  /** Diagnostics' round trip through the contract; returns the status line. */
  async checkServiceConnection(): Promise<string> {
    await this.page.getByTestId('check-service').click();
    const status = this.page.getByTestId('check-result');
    await status.filter({ hasText: /answered|failed/ }).waitFor({ timeout: 10_000 });
    return (await status.textContent()) ?? '';
  }

  connectError() {
    return this.page.getByTestId('connect-error');
  }
}
