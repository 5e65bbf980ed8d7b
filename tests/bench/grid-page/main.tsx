/**
 * Bench-only page (never part of the production bundle): the real MismatchGrid and grid store over
 * synthetic rows fetched as JSON. It exposes window.__bench for tests/bench/grid.bench.ts to drive.
 */
import '../../../renderer/src/zod-config';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { MismatchGrid } from '../../../renderer/src/components/MismatchGrid';
import { useAppStore } from '../../../renderer/src/stores/app-store';
import { useGridStore } from '../../../renderer/src/stores/grid-store';
import type { DriftRow, SyncDriftApi } from '../../../preload/contract';
import '../../../renderer/src/styles/app.css';

const noopApi = {
  invoke: async (channel: string) => {
    if (channel === 'prefs.set') return { saved: true };
    if (channel === 'prefs.get') return { value: null };
    throw new Error(`bench page: ${channel} is not served`);
  },
  on: () => () => {},
} as unknown as SyncDriftApi;

useAppStore.setState({ api: noopApi, status: 'ready', profileId: 'bench' });
const root = createRoot(document.getElementById('root')!);
root.render(
  <div className="shell">
    <main className="content screen-grid">
      <MismatchGrid />
    </main>
  </div>,
);

const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now()), 0)));

async function load(url: string): Promise<{ rows: number; firstPaintMs: number }> {
  const rows = (await (await fetch(url)).json()) as DriftRow[];
  // "Data ready": the rows are in memory, as after the last rows.page answer.
  const t0 = performance.now();
  flushSync(() => useGridStore.getState().setRows(rows, 'bench'));
  const t1 = await nextPaint();
  if (!document.querySelector('[data-testid="grid-row"]')) throw new Error('no rows painted');
  return { rows: rows.length, firstPaintMs: t1 - t0 };
}

async function filter(tab: 'cloud-override' | 'attention' | 'all'): Promise<{ ms: number; storeMs: number; shown: number }> {
  const t0 = performance.now();
  flushSync(() => useGridStore.getState().setTab(tab));
  const t1 = await nextPaint();
  return { ms: t1 - t0, storeMs: useGridStore.getState().viewMs, shown: useGridStore.getState().view.indices.length };
}

/** Scrolls the grid by `step` px each frame for `frames` frames; returns each frame's duration. */
function scroll(frames: number, step: number, el = document.querySelector<HTMLElement>('[data-testid="grid"]')!): Promise<number[]> {
  return new Promise((resolve) => {
    const deltas: number[] = [];
    // Marks bound the scroll in a trace (bench:grid counts the main thread's CPU between them).
    performance.mark('bench-scroll-start');
    let last = performance.now();
    let n = 0;
    const tick = (now: number) => {
      deltas.push(now - last);
      last = now;
      el.scrollTop += step;
      if (++n < frames) requestAnimationFrame(tick);
      else {
        performance.mark('bench-scroll-end');
        resolve(deltas.slice(2));
      }
    };
    requestAnimationFrame(tick);
  });
}

/** Resolves when the idle slices have built every search key (the state a filter normally meets). */
async function settled(): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const idx = useGridStore.getState().index;
    if (idx.search && idx.search.length === idx.rows.length) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The same scroll over a static list (no React, no virtualization, 3,000 plain rows): what this
 * machine's Chromium does for free, to read the grid's frame times against.
 */
async function scrollBaseline(frames: number, step: number): Promise<number[]> {
  const box = document.createElement('div');
  box.className = 'grid';
  box.style.position = 'fixed';
  box.style.inset = '120px 16px 30px 16px';
  box.style.zIndex = '50';
  const body = document.createElement('div');
  for (let i = 0; i < 3000; i++) {
    const r = document.createElement('div');
    r.className = 'grid-row';
    r.textContent = `User ${i}    user${i}@contoso.com    +1 425 555 ${1000 + i}    +1 206 555 ${1000 + i}`;
    body.appendChild(r);
  }
  box.appendChild(body);
  document.body.appendChild(box);
  await nextPaint();
  const out = await scroll(frames, step, box);
  box.remove();
  return out;
}

/**
 * Body cells clip only when grid/text-fit.ts says their text may overflow: this lists the mounted
 * cells it let through unclipped whose text is wider than the cell (must be 0).
 */
function unclippedOverflow(): { bad: string[]; cells: number; clipped: number } {
  const range = document.createRange();
  const bad: string[] = [];
  let cells = 0;
  let clipped = 0;
  for (const cell of document.querySelectorAll<HTMLElement>('.grid-body .grid-cell')) {
    const cs = getComputedStyle(cell);
    cells++;
    if (cs.overflowX !== 'visible') {
      clipped++;
      continue;
    }
    range.selectNodeContents(cell);
    const content = cell.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (range.getBoundingClientRect().width > content) bad.push(`${cell.className}: ${cell.textContent ?? ''}`);
  }
  return { bad, cells, clipped };
}

(window as unknown as { __bench: unknown }).__bench = { load, filter, scroll, settled, scrollBaseline, unclippedOverflow };
document.body.dataset['benchReady'] = '1';
