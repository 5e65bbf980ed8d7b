import type { Page } from 'playwright-core';
import { AppPage } from './app-page';

async function downloadText(page: Page, click: () => Promise<void>): Promise<{ fileName: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks: Buffer[] = [];
  for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
  return { fileName: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

export class ProfilesPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(): Promise<void> {
    await this.app.open('profiles');
    await this.page.getByTestId('profile-sandbox').waitFor({ timeout: 30_000 });
  }

  /** Table row of the profile with this exact name. */
  row(name: string) {
    return this.page.locator('[data-testid^="profile-"]').filter({ has: this.page.locator(`td:first-child:text-is("${name}")`) });
  }

  async idOf(name: string): Promise<string> {
    const tid = (await this.row(name).first().getAttribute('data-testid')) ?? '';
    return tid.replace(/^profile-/, '');
  }

  /** What the Secret storage panel says protects stored secrets. */
  async secretStorage(): Promise<string> {
    return (await this.page.getByTestId('secret-storage-backend').textContent()) ?? '';
  }

  /** Agrees to a weak secret store the way an admin does: tick, then the button. */
  async consentToWeakStorage(): Promise<void> {
    await this.page.getByTestId('secret-storage-understood').check();
    await this.page.getByTestId('secret-storage-accept').click();
    await this.page.getByTestId('secret-storage-revoke').waitFor({ timeout: 15_000 });
  }

  /** Creates a profile through the editor: name plus the first on-prem source's password. */
  async create(name: string, password: string): Promise<void> {
    await this.page.getByTestId('profile-new').click();
    await this.page.getByTestId('profile-name').fill(name);
    await this.page.getByTestId('profile-editor').locator('input[type=password]').first().fill(password);
    await this.page.getByTestId('profile-save').click();
    await this.page.getByTestId('profile-editor').waitFor({ state: 'detached', timeout: 15_000 });
    await this.row(name).waitFor();
  }

  async exportFile(id: string) {
    return downloadText(this.page, () => this.page.getByTestId(`profile-export-${id}`).click());
  }

  async duplicate(id: string): Promise<void> {
    await this.page.getByTestId(`profile-duplicate-${id}`).click();
  }

  async remove(id: string): Promise<void> {
    await this.page.getByTestId(`profile-delete-${id}`).click();
    await this.page.getByTestId(`profile-delete-confirm-${id}`).click();
    await this.page.getByTestId(`profile-${id}`).waitFor({ state: 'detached' });
  }

  async importText(fileName: string, text: string): Promise<void> {
    await this.page.getByTestId('profile-import-file').setInputFiles({ name: fileName, mimeType: 'application/json', buffer: Buffer.from(text) });
  }

  /** Runs the connection test and returns the result panel's text. */
  async test(id: string): Promise<string> {
    await this.page.getByTestId(`profile-test-${id}`).click();
    const panel = this.page.getByTestId(`test-result-${id}`);
    await panel.locator('.test-sides, [role=alert]').first().waitFor({ timeout: 60_000 });
    return (await panel.textContent()) ?? '';
  }
}

export class HelpPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async saveDiagnostics(includeDirectoryData: boolean) {
    await this.app.open('help');
    const box = this.page.getByTestId('diag-include-data');
    if ((await box.isChecked()) !== includeDirectoryData) await box.click();
    return downloadText(this.page, () => this.page.getByTestId('save-diagnostics').click());
  }

  async logsPath(): Promise<string> {
    await this.app.open('help');
    await this.page.getByTestId('open-logs').click();
    const out = this.page.getByTestId('logs-path');
    await out.filter({ hasText: /\S/ }).waitFor();
    return (await out.textContent()) ?? '';
  }
}
