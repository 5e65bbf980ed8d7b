/**
 * The guided fix and the sessions screen, in an admin's words: start from the grid, decide, read the
 * blast radius, apply after the confirmation, follow progress, save evidence, undo. Shared by the
 * browser suite and the Electron suite.
 */
import type { Page } from 'playwright-core';
import { AppPage } from './app-page';

export type Action = 'keep-onprem' | 'keep-cloud' | 'support-case' | 'skip';

export class FlowPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  root() {
    return this.page.getByTestId('flow');
  }

  /** Fix… in the grid's toolbar: the selection, or every row of the view. */
  async startFromGrid(): Promise<void> {
    await this.page.getByTestId('fix-selected').click();
    await this.waitStep('decide');
    await this.page.getByTestId('decide-row').first().waitFor();
  }

  async step(): Promise<string> {
    return (await this.root().getAttribute('data-step')) ?? '';
  }

  async waitStep(step: string, timeout = 30_000): Promise<void> {
    await this.page.locator(`[data-testid="flow"][data-step="${step}"]`).waitFor({ timeout });
  }

  decideRow(upnPrefix: string) {
    return this.page.locator(`[data-testid="decide-row"][data-upn^="${upnPrefix}"]`);
  }

  /** The suggestion's text (action and reason) of a selected row. */
  async suggestion(upnPrefix: string): Promise<string> {
    return (await this.decideRow(upnPrefix).locator('td.reason').textContent()) ?? '';
  }

  async decide(upnPrefix: string, action: Action): Promise<void> {
    await this.decideRow(upnPrefix).getByTestId('decision').selectOption(action);
  }

  async next(): Promise<void> {
    const before = await this.step();
    await this.page.getByTestId('flow-next').click();
    await this.page.locator(`[data-testid="flow"]:not([data-step="${before}"])`).waitFor();
  }

  /** The plan's "Not scanned" count and, when asked, ticks its acceptance (#17 point 4). */
  async acceptUnscanned(): Promise<string> {
    const n = (await this.page.getByTestId('plan-not-scanned').textContent()) ?? '';
    await this.page.getByTestId('plan-accept-unscanned').check();
    return n;
  }

  nextButton() {
    return this.page.getByTestId('flow-next');
  }

  blastRadius() {
    return this.page.getByTestId('blast-radius');
  }

  /** Users per kind (status) in the blast radius, as the counts table shows them. */
  async blastCounts(): Promise<Record<string, number>> {
    const rows = this.page.locator('[data-testid^="blast-kind-"]:not([data-testid="blast-kind-count"])');
    const out: Record<string, number> = {};
    for (const r of await rows.all()) {
      const kind = ((await r.getAttribute('data-testid')) ?? '').replace('blast-kind-', '');
      out[kind] = Number((await r.getByTestId('blast-kind-count').textContent()) ?? '0');
    }
    return out;
  }

  async blastRows(): Promise<{ upn: string; status: string; effect: string; decided: boolean }[]> {
    return this.page.getByTestId('blast-row').evaluateAll((els) =>
      els.map((e) => ({
        upn: e.getAttribute('data-upn') ?? '',
        status: e.querySelector('[data-status]')?.getAttribute('data-status') ?? '',
        effect: e.querySelectorAll('td')[4]?.textContent ?? '',
        decided: e.getAttribute('data-decided') === 'yes',
      })),
    );
  }

  async decideBlastKind(status: string, action: Action | 'suggested'): Promise<void> {
    await this.page.getByTestId(`blast-bulk-${status}`).selectOption(action);
  }

  async decideBlastRow(upn: string, action: Action): Promise<void> {
    const select = this.page.locator(`[data-testid="blast-decision"][data-upn="${upn}"]`);
    await select.selectOption(action);
    await this.page.locator(`[data-testid="blast-row"][data-upn="${upn}"][data-decided="yes"]`).waitFor();
  }

  async undecidedText(): Promise<string> {
    return (await this.page.getByTestId('blast-undecided').textContent()) ?? '';
  }

  async planSteps(): Promise<{ kind: string; text: string }[]> {
    return this.page
      .locator('[data-testid="plan-steps"] li')
      .evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind') ?? '', text: e.textContent ?? '' })));
  }

  async cannotUndo(): Promise<string[]> {
    return this.page.locator('[data-testid="plan-cannot-undo"] li').allTextContents();
  }

  /** Preflight checks as shown (after they arrive). */
  async preflightChecks(): Promise<{ name: string; ok: boolean; text: string }[]> {
    await this.page.getByTestId('preflight-checks').waitFor({ timeout: 60_000 });
    return this.page
      .locator('[data-testid="preflight-checks"] li')
      .evaluateAll((els) =>
        els.map((e) => ({
          name: e.getAttribute('data-check') ?? '',
          ok: e.getAttribute('data-ok') === 'yes',
          text: e.textContent ?? '',
        })),
      );
  }

  /** Apply… then the confirmation; returns its title and count line before confirming. */
  async apply(): Promise<{ title: string; count: string; notScanned: string | null }> {
    await this.page.getByTestId('flow-apply').click();
    const dialog = this.page.getByTestId('confirm-apply');
    await dialog.waitFor();
    const title = (await dialog.locator('h2').textContent()) ?? '';
    const count = (await this.page.getByTestId('confirm-count').textContent()) ?? '';
    const ns = dialog.getByTestId('confirm-not-scanned');
    const notScanned = (await ns.count()) > 0 ? await ns.textContent() : null;
    await dialog.getByTestId('confirm-ok').click();
    await dialog.waitFor({ state: 'detached' });
    return { title, count, notScanned };
  }

  phase(phase: string) {
    return this.page.locator(`[data-testid="apply-phases"] [data-phase="${phase}"]`);
  }

  /** Waits for the session's outcome and returns its state. */
  async waitOutcome(timeout = 120_000): Promise<string> {
    const o = this.page.locator(
      '[data-testid="flow-report"] [data-testid="outcome"], [data-testid="flow-verify"] [data-testid="outcome"], [data-testid="flow-apply"] [data-testid="outcome"]',
    );
    await o.first().waitFor({ timeout });
    return (await o.first().getAttribute('data-state')) ?? '';
  }

  /** A row of the report: its state and what both sides hold now ("AD / cloud"). */
  async reportRow(upnPrefix: string): Promise<{ state: string; actual: string }> {
    const row = this.page.locator(`[data-testid="report-rows"] [data-testid="outcome-row"][data-upn^="${upnPrefix}"]`);
    return {
      state: (await row.getAttribute('data-state')) ?? '',
      actual: ((await row.getByTestId('outcome-actual').textContent()) ?? '').replace(/\s+/g, ' ').trim(),
    };
  }

  /** Saves the evidence package; returns the download (read it with createReadStream or saveAs). */
  async saveEvidence() {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('evidence-save').click()]);
    return download;
  }

  async checkEvidence(): Promise<string> {
    await this.page.getByTestId('evidence-verify').click();
    const out = this.page.getByTestId('evidence-check');
    await out.waitFor({ timeout: 30_000 });
    return (await out.textContent()) ?? '';
  }

  /** Undo… with its confirmation; waits for the undo report and returns its text. */
  async undo(): Promise<{ title: string; report: string; state: string }> {
    await this.page.getByTestId('flow-undo').click();
    const dialog = this.page.getByTestId('confirm-undo');
    const title = (await dialog.locator('h2').textContent()) ?? '';
    await dialog.getByTestId('confirm-ok').click();
    const report = this.page.getByTestId('undo-report');
    await report.waitFor({ timeout: 60_000 });
    return { title, report: (await report.textContent()) ?? '', state: (await report.getAttribute('data-state')) ?? '' };
  }
}

export class SessionsPage {
  readonly app: AppPage;
  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(): Promise<void> {
    await this.app.open('sessions');
    await this.page.getByTestId('sessions-table').waitFor();
  }

  /** Every session row: id and state (newest first). */
  async list(): Promise<{ id: string; state: string }[]> {
    return this.page
      .getByTestId('session-row')
      .evaluateAll((els) =>
        els.map((e) => ({ id: e.getAttribute('data-session') ?? '', state: e.getAttribute('data-state') ?? '' })),
      );
  }

  /** The offer made when the app starts (a session interrupted, waiting or still running). */
  offer() {
    return this.page.getByTestId('session-offer');
  }

  async offerState(timeout = 30_000): Promise<string> {
    await this.offer().waitFor({ timeout });
    return (await this.offer().getAttribute('data-state')) ?? '';
  }

  /** Follows (running) or resumes (interrupted) the offered session in the guided flow. */
  async takeOffer(): Promise<void> {
    const follow = this.page.getByTestId('offer-follow');
    if (await follow.count()) await follow.click();
    else await this.page.getByTestId('offer-resume').click();
    await this.page.getByTestId('flow').waitFor();
  }
}
