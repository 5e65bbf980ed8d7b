import type { Download, Page } from 'playwright-core';
import { AppPage } from './app-page';

/** RFC 4180 CSV parser, enough to read back what the grid exported. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export class GridPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(): Promise<void> {
    await this.app.open('grid');
    await this.page.getByTestId('grid').waitFor();
    await this.page.getByTestId('grid-loading').waitFor({ state: 'detached', timeout: 60_000 });
  }

  /** Clicks a status tab ('cloud-override', 'all', 'attention', …). */
  async tab(status: string): Promise<void> {
    await this.page.getByTestId(`tab-${status}`).click();
    await this.page.locator(`[data-testid="tab-${status}"][aria-selected="true"]`).waitFor();
  }

  async tabCount(status: string): Promise<number> {
    const t = (await this.page.getByTestId(`tab-${status}`).locator('.tab-count').textContent()) ?? '';
    return Number(t.replace(/[^\d]/g, ''));
  }

  /** Types into the quick search and waits for the debounced view. */
  async search(text: string): Promise<void> {
    const box = this.page.getByTestId('grid-search');
    await box.fill(text);
    await box.press('Enter');
  }

  async visibleCount(): Promise<number> {
    const t = (await this.page.getByTestId('grid-count').textContent()) ?? '';
    return Number((/^([\d,]+) of/.exec(t)?.[1] ?? '0').replace(/,/g, ''));
  }

  rows() {
    return this.page.getByTestId('grid-row');
  }

  row(upnPrefix: string) {
    return this.page.locator(`[data-testid="grid-row"][data-upn^="${upnPrefix}"]`);
  }

  /** Statuses shown in the rendered rows (chips carry data-status). */
  async renderedStatuses(): Promise<string[]> {
    return this.page.locator('[data-testid="grid-row"] [data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? ''));
  }

  async openDetails(upnPrefix: string): Promise<void> {
    await this.row(upnPrefix).first().dblclick();
    await this.page.getByTestId('details').waitFor();
  }

  /** Exports the view and returns the download with its parsed rows (header first). */
  async exportCsv(): Promise<{ download: Download; fileName: string; rows: string[][] }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('export-csv').click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return { download, fileName: download.suggestedFilename(), rows: parseCsv(Buffer.concat(chunks).toString('utf8')) };
  }
}
