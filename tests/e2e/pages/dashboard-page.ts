import type { Page } from 'playwright-core';
import { AppPage } from './app-page';

export class DashboardPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  /** Starts a scan from the dashboard and waits for its end; returns the final state (completed, partial, …). */
  async scan(timeoutMs = 90_000): Promise<string> {
    await this.app.open('dashboard');
    await this.page.getByTestId('scan-start').click();
    const result = this.page.getByTestId('scan-result');
    await result.waitFor({ timeout: timeoutMs });
    return (await result.getAttribute('data-state')) ?? '';
  }

  phase(phase: string) {
    return this.page.locator(`[data-phase="${phase}"]`);
  }

  async bypass(): Promise<string> {
    return (await this.page.getByTestId('bypass').textContent()) ?? '';
  }
}
