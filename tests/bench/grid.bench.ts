/**
 * bench:grid: the mismatch grid in headless Chromium at 10k and 100k rows.
 *
 * How: tests/bench/grid-page/main.tsx (the real MismatchGrid, grid store and CSS; no service) is
 * bundled with esbuild into .cache/bench-grid/, synthetic rows shaped like the demo's are written
 * there as JSON, and a tiny static server on loopback serves both with the production CSP. The
 * production bundle (dist/renderer) holds no bench code.
 *
 * Measures per size: first paint (rows in memory -> first rows painted), how long the idle search
 * keys take to finish after that, filter by status (tab -> painted, median of 5, and the store's own
 * view time), p95 frame time while scrolling 240 frames at 90 px each (and, as this machine's
 * floor, the same scroll over a static 3,000-row list without React), the renderer main thread's
 * CPU time per scrolled frame for both from a trace, the JS heap after loading (after a GC); then
 * the 100k/10k ratios. Prints JSON. Load average is printed too: on a shared
 * 2-core machine frame times mostly measure the neighbours.
 */
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../e2e/support/chromium';
import { makeRow } from '../support/fake-api';
import type { DriftStatus } from '../../preload/contract';

const SIZES = (process.env.BENCH_GRID_SIZES ?? '10000,100000').split(',').map(Number);
const OUT = join(process.cwd(), '.cache', 'bench-grid');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";
const STATUSES: DriftStatus[] = ['cloud-override', 'format-only', 'cloud-missing', 'onprem-missing', 'pending-sync', 'unmatched-onprem', 'unmatched-cloud'];

function rowsJson(n: number): string {
  const file = join(OUT, `rows-${n}.json`);
  if (!existsSync(file)) {
    const rows = Array.from({ length: n }, (_, i) => {
      // About 8% need attention, spread over every status, the rest in sync: a realistic large tenant.
      const status: DriftStatus = i % 12 === 0 ? STATUSES[(i / 12) % STATUSES.length]! : 'in-sync';
      return makeRow(i, { status });
    });
    writeFileSync(file, JSON.stringify(rows));
  }
  return `rows-${n}.json`;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: { main: 'tests/bench/grid-page/main.tsx' },
    bundle: true,
    outdir: OUT,
    format: 'esm',
    target: 'chrome128',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  writeFileSync(
    join(OUT, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><link rel="stylesheet" href="main.css"></head><body><div id="root"></div><script type="module" src="main.js"></script></body></html>`,
  );
  const files = Object.fromEntries(SIZES.map((n) => [n, rowsJson(n)]));

  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '') || 'index.html';
    if (name === 'favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!/^[\w.-]+$/.test(name) || !existsSync(join(OUT, name))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(name)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(readFileSync(join(OUT, name)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser = await launchChromium();
  const results: Record<string, Record<string, number>> = {};
  try {
    for (const n of SIZES) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${origin}/index.html`);
      await page.waitForSelector('body[data-bench-ready="1"]');
      type Bench = {
        load(u: string): Promise<{ rows: number; firstPaintMs: number }>;
        filter(t: string): Promise<{ ms: number; storeMs: number; shown: number }>;
        scroll(f: number, s: number): Promise<number[]>;
        scrollBaseline(f: number, s: number): Promise<number[]>;
        settled(): Promise<number>;
        unclippedOverflow(): { bad: string[]; cells: number; clipped: number };
      };
      const bench = <T,>(fn: (b: Bench) => Promise<T>) => page.evaluate(`(${fn.toString()})(window.__bench)`) as Promise<T>;
      const loaded = await page.evaluate((u) => (window as unknown as { __bench: Bench }).__bench.load(u), files[n]!);
      const cdp = await context.newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      const searchKeysMs = await bench((b) => b.settled());
      // Five rounds of status tab -> all; the median damps a shared machine's noise.
      const filters: { ms: number; storeMs: number; shown: number }[] = [];
      const backs: number[] = [];
      for (let k = 0; k < 5; k++) {
        filters.push(await bench((b) => b.filter('cloud-override')));
        backs.push((await bench((b) => b.filter('all'))).ms);
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const filter = { ms: med(filters.map((f) => f.ms)), storeMs: med(filters.map((f) => f.storeMs)), shown: filters[0]!.shown };
      const back = { ms: med(backs) };
      const sorted = [...(await bench((b) => b.scroll(240, 90)))].sort((a, b) => a - b);
      const overflow = await bench((b) => Promise.resolve(b.unclippedOverflow()));
      if (overflow.bad.length) errors.push(`cells overflow unclipped: ${overflow.bad.slice(0, 5).join('; ')}`);
      const base = [...(await bench((b) => b.scrollBaseline(240, 90)))].sort((a, b) => a - b);
      // The same scrolls again under a trace: the renderer main thread's CPU time per frame barely
      // depends on the neighbours, where frame times mostly measure them.
      await page.evaluate(() => {
        document.querySelector('[data-testid="grid"]')!.scrollTop = 0;
      });
      const cpu = await mainThreadCpuPerFrame(browser, page, 240, () => bench((b) => b.scroll(240, 90)));
      const baseCpu = await mainThreadCpuPerFrame(browser, page, 240, () => bench((b) => b.scrollBaseline(240, 90)));
      const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
      if (errors.length) throw new Error(`page errors at ${n} rows: ${errors.join('; ')}`);
      results[String(n)] = {
        rows: loaded.rows,
        firstPaintMs: round(loaded.firstPaintMs),
        searchKeysIdleMs: round(searchKeysMs),
        filterByStatusMs: round(filter.ms),
        filterStoreMs: round(filter.storeMs),
        filterShown: filter.shown,
        unfilterMs: round(back.ms),
        scrollFrameP95Ms: round(p95),
        scrollFrameMedianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        staticListScrollFrameP95Ms: round(base[Math.floor(base.length * 0.95)] ?? 0),
        // Share of mounted body cells with a clip (each one a paint chunk); 1 means text-fit is not working.
        clippedCellShare: Math.round((overflow.clipped / Math.max(1, overflow.cells)) * 100) / 100,
        scrollMainThreadCpuPerFrameMs: Math.round(cpu * 100) / 100,
        staticListMainThreadCpuPerFrameMs: Math.round(baseCpu * 100) / 100,
        heapUsedMB: round(heap.usedSize / 1024 / 1024),
      };
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  const [small, large] = [results[String(SIZES[0])], results[String(SIZES[SIZES.length - 1])]];
  const ratio = (k: string) => (small && large && small[k] ? round(large[k]! / small[k]!) : null);
  const out = {
    bench: 'grid',
    machine: { cpus: (await import('node:os')).cpus().length, loadAverage1m: round((await import('node:os')).loadavg()[0]!), chromium: browser.version() },
    viewport: '1366x768',
    results,
    ratios: {
      firstPaint: ratio('firstPaintMs'),
      filterByStatus: ratio('filterByStatusMs'),
      scrollFrameP95: ratio('scrollFrameP95Ms'),
      scrollMainThreadCpu: ratio('scrollMainThreadCpuPerFrameMs'),
      heap: ratio('heapUsedMB'),
    },
    goalsAtLargest: large
      ? {
          firstPaintUnder1s: large['firstPaintMs']! < 1000,
          filterUnder150ms: large['filterByStatusMs']! < 150,
          p95FrameUnder20ms: large['scrollFrameP95Ms']! < 20,
          heapUnder400MB: large['heapUsedMB']! < 400,
        }
      : null,
  };
  console.log(JSON.stringify(out, null, 2));
}

type TraceEvent = { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string } };

/**
 * Runs `scroll` under a Chromium trace and returns the renderer main thread's CPU time (thread
 * time of its top-level trace events) per frame. Tracing costs a little itself, the same for the
 * grid and the static list.
 */
async function mainThreadCpuPerFrame(browser: Browser, page: Page, frames: number, scroll: () => Promise<unknown>): Promise<number> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
  await scroll();
  const { traceEvents } = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  const names = new Map<string, string>();
  for (const e of traceEvents) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  const counts = new Map<string, number>();
  for (const e of traceEvents) {
    const k = `${e.pid}:${e.tid}`;
    if (names.get(k) === 'CrRendererMain') counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  // The busiest renderer main thread is the page's.
  const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  // Only between the page's marks: not the static list's construction and first layout.
  const mark = (name: string) => traceEvents.find((e) => e.name === name)?.ts;
  const from = mark('bench-scroll-start') ?? -Infinity;
  const to = mark('bench-scroll-end') ?? Infinity;
  let end = -1;
  let cpuUs = 0;
  for (const e of traceEvents.filter((x) => `${x.pid}:${x.tid}` === main && x.ph === 'X').sort((a, b) => a.ts - b.ts)) {
    if (e.ts < end || e.ts < from || e.ts > to) continue;
    end = e.ts + (e.dur ?? 0);
    cpuUs += e.tdur ?? 0;
  }
  return cpuUs / 1000 / frames;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
