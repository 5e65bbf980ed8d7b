import type { Page } from 'playwright-core';

export class DetailsPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('details');
  }

  async waitLoaded(): Promise<void> {
    await this.page.getByTestId('timeline').waitFor({ timeout: 20_000 });
  }

  /** Timeline entries as text, in the order shown. */
  async timeline(): Promise<string[]> {
    return this.page.getByTestId('timeline').locator('li').allTextContents();
  }

  async sides(): Promise<string> {
    return (await this.page.getByTestId('details-sides').textContent()) ?? '';
  }

  async cause(): Promise<string> {
    return (await this.page.getByTestId('details-cause').textContent()) ?? '';
  }

  async views(): Promise<string[]> {
    return this.page.locator('.ps-view pre').allTextContents();
  }

  async close(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.root().waitFor({ state: 'detached' });
  }
}
