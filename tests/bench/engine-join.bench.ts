/**
 * bench:engine — what joining the Entra Connect exports adds to a scan (#18: under 20 % at 100k). The
 * same 100k-user scan runs without engine data (the baseline) and with the Connect exports of those
 * users read from disk and joined, in alternating child processes of one run (each child's peak RSS
 * is its own). The scan is bench:drift's: the on-prem side from the sandbox seed generator (the users
 * the sandbox tenant was provisioned from, as an adapter returns them), the cloud side through the
 * real cloud client over HTTPS from the sandbox tenant (throttling off). The exports are what the
 * sandbox's sync simulator emits (connectExports(): connector-space XML of the AAD and AD connectors,
 * i.e. two objects per user, Get-ADSyncRule JSON with a custom reformatting rule, run history),
 * read by the same code as `syncdrift import --connect-export` (main/syncengine/connect-files.ts:
 * the XML streamed from disk). Timed: from before the exports are read to the end of the scan.
 * Prints one JSON object.
 *
 *   npm run bench:engine [-- --users 100000 --runs 3] [--hologram full] [--modes engine,cli-kept]
 *
 * --hologram full writes the holograms a real export carries (every imported attribute, not only
 * those the join reads; main/sandbox/connect-rules.ts fullHologram). --modes runs the baseline and
 * the modes named.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSandboxTenant } from '../../main/sandbox/server';
import { seedPeople } from '../../main/sandbox/seed';
import { guidBytesToText } from '../../main/sandbox/ids';
import { connectJsonExports, connectorSpaceXmlParts, mobileAfterRules, type ConnectExportsInput, type SandboxSyncRule } from '../../main/sandbox/connect-rules';
import { createCloudClient } from '../../main/cloud';
import { createNodeNetwork } from '../../main/cloud/network';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import type { OnPremUser } from '../../main/core/model';
import { SnapshotDirectory } from '../../main/onprem/import/snapshot';
import { runScan } from '../../main/drift/pipeline';
import { readConnectExports } from '../../main/syncengine/connect-files';
import { connectWorkerEntry, readConnectExportsOffThread } from '../../main/cli/connect-off-thread';
import { build } from 'esbuild';
import type { EngineObject } from '../../main/core/engine-view';
import { openWorkspace } from '../../main/workspace';
import { startConnectExportRead } from '../../main/cli/connect-exports';

const SEED = 7;
const DOMAIN = 'contoso.example';
const AD_CONNECTOR = 'contoso.example';
/** A custom inbound rule that reformats mobile to E.164 for one OU (the seed spreads users over OUs). */
const RULES: SandboxSyncRule[] = [{ name: 'Custom - Mobile E.164 (Sales)', precedence: 50, connector: AD_CONNECTOR, dnSuffix: 'OU=Sales,OU=Staff,DC=contoso,DC=example', transform: { kind: 'e164', countryCode: '1' } }];

/**
 * baseline: the scan alone. engine: the CLI's one-shot `import --connect-export`: the files read and
 * joined on a worker thread (readConnectExportsOffThread) while the scan runs, which joins them when
 * they arrive. engine-inline: the same read on the scan's thread before the scan (what the CLI did
 * before; the app's `connectExport.import` still reads so). stored: the app's scan of a profile whose
 * import is stored and already read (the service keeps it per profile, ConnectImportService.objects):
 * the scan joins it. stored-cold: the app's first scan of that profile after a restart: the import
 * read back from the workspace (JSON and validation) first (stored by a worker's read, so the
 * child's heap has not read the XML, as a restarted process has not). cli-kept: the CLI's next run on the same
 * export files (`import`/`scan --connect-export`): the files stat'ed, the read the run before kept in
 * the workspace taken back (main/cli/connect-exports.ts, startConnectExportRead), then the scan.
 */
type Mode = 'baseline' | 'engine' | 'engine-inline' | 'stored' | 'stored-cold' | 'cli-kept';
const ALL_MODES: Mode[] = ['baseline', 'engine', 'engine-inline', 'stored', 'stored-cold', 'cli-kept'];
function chosenModes(): Mode[] {
  const i = process.argv.indexOf('--modes');
  if (i < 0) return ALL_MODES;
  const named = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  const bad = named.filter((m) => !ALL_MODES.includes(m as Mode));
  if (named.length === 0 || bad.length > 0) throw new Error(`--modes takes a comma-separated list of ${ALL_MODES.join(', ')}${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
  return ALL_MODES.filter((m) => m === 'baseline' || named.includes(m));
}
const MODES: Mode[] = chosenModes();
const ENGINE_MODES = MODES.filter((m): m is Exclude<Mode, 'baseline'> => m !== 'baseline');
function hologramArg(): 'lean' | 'full' {
  const i = process.argv.indexOf('--hologram');
  if (i < 0) return 'lean';
  const v = process.argv[i + 1];
  if (v !== 'lean' && v !== 'full') throw new Error('--hologram takes lean or full');
  return v;
}

interface ChildInput {
  mode: Mode;
  /** The worker bundled as the build bundles it (scripts/build.mjs), as the shipped CLI runs it. */
  workerBundle: string;
  users: number;
  files: string[];
  origin: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caPem: string;
  workDir: string;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive integer`);
  return v;
}

/** On-prem users for the seeded people: same anchors, SIDs, DNs and numbers as the tenant's (bench:drift's). */
function onPremFromSeed(count: number): OnPremUser[] {
  const out: OnPremUser[] = [];
  const changedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
  for (const p of seedPeople({ count, seed: SEED, domain: DOMAIN })) {
    out.push({
      sourceId: 'bench-dc01', dn: p.dn, objectGuid: guidBytesToText(Buffer.from(p.immutableId, 'base64')), consistencyGuid: p.immutableId,
      sourceAnchor: p.immutableId, objectSid: p.sid, upn: p.userPrincipalName, samAccountName: p.samAccountName, displayName: p.displayName,
      mobile: p.mobile, otherMobile: p.otherMobile, telephoneNumber: p.telephoneNumber, country: 'US', whenChanged: changedAt,
      usnChanged: 10_000 + p.index, isDeleted: false, changes: { mobile: { changedAt, version: 1, source: 'replPropertyMetaData' } }, inScope: true, scopeReason: null,
    });
  }
  return out;
}

/** The Connect exports of the seeded users, as files: what the engine exported is AD's value after the rules. */
function writeExports(users: number, dir: string, hologram: 'lean' | 'full'): { files: string[]; bytes: Record<string, number> } {
  const people = [...seedPeople({ count: users, seed: SEED, domain: DOMAIN })];
  const onPrem = onPremFromSeed(users);
  const input: ConnectExportsInput = {
    entries: onPrem.map((u, i) => ({ anchor: u.sourceAnchor!, dn: u.dn, mobile: mobileAfterRules(RULES, u), otherMobile: u.otherMobile, cloudId: people[i]!.id })),
    rules: RULES,
    adConnector: AD_CONNECTOR,
    lastExportAt: new Date(Date.now() - 1_800_000).toISOString(),
    hologram,
  };
  const json = connectJsonExports(input);
  // The XML in parts: a full hologram's file at 100k users is longer than V8's longest string.
  const fd = openSync(join(dir, 'connector-space.xml'), 'w');
  try {
    for (const part of connectorSpaceXmlParts(input)) writeSync(fd, part);
  } finally {
    closeSync(fd);
  }
  const files = { 'connector-space.xml': null, 'sync-rules.json': json.rulesJson, 'run-history.json': json.runHistoryJson };
  const bytes: Record<string, number> = {};
  for (const [name, text] of Object.entries(files)) {
    if (text !== null) writeFileSync(join(dir, name), text);
    bytes[name] = statSync(join(dir, name)).size;
  }
  return { files: Object.keys(files).map((n) => join(dir, n)), bytes };
}

async function child(input: ChildInput): Promise<void> {
  const loadAvg1 = +loadavg()[0]!.toFixed(2);
  const users = onPremFromSeed(input.users);
  const network = await createNodeNetwork({ extraCaPem: [input.caPem], env: {} });
  const client = createCloudClient({
    profileCloud: { cloud: 'custom', tenant: input.tenantId, clientId: input.clientId, authorityHost: input.origin, graphBaseUrl: input.origin },
    network,
    logger: silentLogger,
    clock: systemClock,
    secrets: { getClientSecret: async () => input.clientSecret },
  });
  await client.signIn({ flow: 'client-credentials' });
  // The app's paths: the import was read (and for stored-cold, stored in a workspace) before the scan.
  let stored: Awaited<ReturnType<typeof readConnectExports>>['objects'] | undefined;
  let ws: ReturnType<typeof openWorkspace> | undefined;
  if (input.mode === 'stored') stored = (await readConnectExports(input.files)).objects;
  else if (input.mode === 'stored-cold') {
    // After a restart the service process has not read the XML: the import is made on a worker, so
    // this heap holds no more than the objects (as cli-kept's), not the garbage of a 146 MB read.
    const r = await readConnectExportsOffThread(input.files, {}, connectWorkerEntry(pathToFileURL(join(dirname(input.workerBundle), 'syncdrift.mjs')).href));
    ws = openWorkspace(join(input.workDir, 'bench.db'));
    ws.engineImports.put('bench', { importedAt: new Date().toISOString(), objects: r.objects.length, files: r.files, stats: r.stats }, r.objects);
  }
  let engineStats: Awaited<ReturnType<typeof readConnectExports>>['stats'] | undefined;
  // cli-kept: the run before read the files on the worker and kept the result in the workspace.
  const cliRead = (ws2: ReturnType<typeof openWorkspace>, onProgress: (e: { phase: string }) => void = () => {}) =>
    startConnectExportRead(input.files, {
      workspace: ws2,
      reader: 'bench',
      clock: systemClock,
      signal: new AbortController().signal,
      onProgress,
      say: () => {},
      read: (paths, o) =>
        readConnectExportsOffThread(paths, o, connectWorkerEntry(pathToFileURL(join(dirname(input.workerBundle), 'syncdrift.mjs')).href)).then((r) => {
          engineStats = r.stats;
          return r;
        }),
    });
  if (input.mode === 'cli-kept') {
    ws = openWorkspace(join(input.workDir, 'bench.db'));
    const first = cliRead(ws);
    await first.objects;
    await first.kept;
    if (ws.blobs.keys('connect-export-cache:').length !== 2) throw new Error('the CLI kept no read');
  }
  // engine: the CLI's one-shot opens its workspace (empty: the files were never read) before it starts.
  if (input.mode === 'engine') ws = openWorkspace(join(input.workDir, 'bench.db'));
  // Every mode starts its timed part from a collected heap: what was read before it (the stored
  // import's parse) leaves no garbage for the scan's collector to pay for.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the bench child runs with --expose-gc');
  gc();
  const dir = new SnapshotDirectory({ id: 'bench-dc01', kind: 'snapshot', label: 'seed', baseDn: 'DC=contoso,DC=example', searchBases: ['DC=contoso,DC=example'], writable: false }, users);
  // Peak heap, sampled: the reader yields between chunks and the scan between pages, so the sampler runs.
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const cpu0 = process.cpuUsage();
  const mainCpu0 = process.threadCpuUsage();
  const t0 = performance.now();
  let engineReadMs = 0;
  let engineObjects: Awaited<ReturnType<typeof readConnectExports>>['objects'] | Promise<readonly EngineObject[]> | undefined;
  let engineCount = 0;
  let keptMs = 0;
  let kept: Promise<void> | undefined;
  if (input.mode === 'engine' && ws) {
    // As the CLI's one-shot runs it (startConnectExportRead): the worker reads and joins, hands the
    // objects over, then keeps the read in the workspace itself while the scan joins them.
    let joined = false;
    const read = cliRead(ws, (e) => {
      if (e.phase === 'engine-join') joined = true;
    });
    engineObjects = read.objects.then((objects) => {
      engineReadMs = Math.round(performance.now() - t0);
      engineCount = objects.length;
      if (!joined) throw new Error('the worker reported no join');
      return objects;
    });
    kept = read.kept.then(() => {
      keptMs = Math.round(performance.now() - t0);
    });
  } else if (input.mode === 'engine-inline') {
    const r = await readConnectExports(input.files);
    engineObjects = r.objects;
    engineStats = r.stats;
    engineReadMs = Math.round(performance.now() - t0);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  } else if (stored) engineObjects = stored;
  else if (ws && input.mode === 'cli-kept') {
    // As the CLI hands it to the scan: the promise (taken back synchronously on a hit).
    engineObjects = cliRead(ws).objects.then((objects) => {
      engineReadMs = Math.round(performance.now() - t0);
      engineCount = objects.length;
      return objects;
    });
  } else if (ws) {
    engineObjects = ws.engineImports.get('bench')?.objects;
    if (!engineObjects) throw new Error('the stored import did not read back');
    engineReadMs = Math.round(performance.now() - t0);
    ws.close();
  }
  const out = await runScan({ onPrem: [dir], cloudUsers: client.listUsers(), profileName: 'bench', defaultRegion: 'US', ...(engineObjects ? { engineObjects } : {}) });
  // The command ends when the read is kept for the next run (the CLI awaits it before it exits).
  if (kept) await kept;
  const totalMs = Math.round(performance.now() - t0);
  if (input.mode === 'engine' && ws && ws.blobs.keys('connect-export-cache:').length !== 2) throw new Error('the one-shot kept no read');
  if (input.mode === 'cli-kept' || input.mode === 'engine') ws?.close();
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = process.threadCpuUsage(mainCpu0);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  clearInterval(sampler);
  await network.close();
  process.stdout.write(
    JSON.stringify({
      mode: input.mode,
      users: input.users,
      loadAvg1,
      totalMs,
      engineReadMs,
      scanMs: out.report.summary.phases.total ?? null,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      /** The scan's own thread; cpuMs less this is the worker's and the collector's helper threads. */
      mainThreadCpuMs: Math.round((mainCpu.user + mainCpu.system) / 1000),
      engineObjects: Array.isArray(engineObjects) ? engineObjects.length : engineCount,
      /** engine: when the worker's objects were there, from the start (the scan ran meanwhile). */
      engineArrivedMs: out.report.summary.phases['engine'] ?? null,
      engineStats: engineStats ?? null,
      keptMs,
      rows: out.report.rows.length,
      rowsWithEngine: out.report.rows.filter((r) => r.engine).length,
      byStatus: out.report.summary.byStatus,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      peakHeapMiB: Math.round(peakHeap / 1024 ** 2),
    }) + '\n',
  );
}

function runChild(input: ChildInput): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(process.env.BENCH_ENGINE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ENGINE_PROF}`] : []), '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`${input.mode} child exited ${code}`))));
    p.stdin.end(JSON.stringify(input));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function parent(): Promise<void> {
  const users = arg('users', 100_000);
  const runs = arg('runs', 3);
  const hologram = hologramArg();
  const dir = mkdtempSync(join(tmpdir(), 'syncdrift-bench-engine-'));
  const t0 = performance.now();
  const { files, bytes } = writeExports(users, dir, hologram);
  const exportsMs = Math.round(performance.now() - t0);
  // The CLI's worker as the build makes it (bundled; the bench's own modules run under tsx, whose
  // start-up in a fresh worker thread would be counted against the read otherwise).
  // Inside the checkout (node_modules/.cache), so the bundle finds better-sqlite3 as the built CLI does.
  const bundleDir = mkdtempSync(join(fileURLToPath(new URL('../../node_modules/', import.meta.url)), '.cache-syncdrift-bench-'));
  const workerBundle = join(bundleDir, 'cli', 'connect-worker.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('../../main/cli/connect-worker.ts', import.meta.url))], outfile: workerBundle, bundle: true, platform: 'node', format: 'esm', target: 'node22', logLevel: 'warning', external: ['better-sqlite3'] });
  const sb = await startSandboxTenant({ seed: { count: users, seed: SEED, domain: DOMAIN, overrideRate: 0.05 }, knobs: { throttle: { disabled: true } } });
  const results = Object.fromEntries(MODES.map((m) => [m, []])) as unknown as Record<Mode, Array<Record<string, unknown>>>;
  const pairs = Object.fromEntries(ENGINE_MODES.map((m) => [m, []])) as unknown as Record<Exclude<Mode, 'baseline'>, number[]>;
  try {
    const base = { users, files, workerBundle, origin: sb.origin, tenantId: sb.tenantId, clientId: sb.apps.reader.appId, clientSecret: sb.apps.reader.clientSecret!, caPem: sb.caPem };
    for (let r = 0; r < runs; r++) {
      // The order rotates, so a load change during the run hits every mode alike.
      const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
      const round: Partial<Record<Mode, number>> = {};
      for (const mode of order) {
        const workDir = mkdtempSync(join(dir, `${mode}-`));
        const res = await runChild({ ...base, mode, workDir });
        rmSync(workDir, { recursive: true, force: true });
        results[mode].push(res);
        round[mode] = Number(res['totalMs']);
      }
      for (const m of ENGINE_MODES) pairs[m].push((round[m]! - round.baseline!) / round.baseline!);
    }
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  }
  const med = (mode: Mode, k: string) => median(results[mode].map((x) => Number(x[k])));
  const baselineMs = med('baseline', 'totalMs');
  const added = (m: Mode) => +((med(m, 'totalMs') - baselineMs) / baselineMs).toFixed(3);
  const by = <T>(f: (m: Mode) => T) => Object.fromEntries(MODES.map((m) => [m, f(m)])) as Record<Mode, T>;
  console.log(
    JSON.stringify(
      {
        bench: 'engine-join',
        node: process.version,
        users,
        runs,
        hologram,
        exportBytes: bytes,
        exportsWriteMs: exportsMs,
        totalMs: by((m) => med(m, 'totalMs')),
        /** engine: until the worker's objects arrived (the scan ran meanwhile); engine-inline: reading the files; stored-cold and cli-kept: reading the import back. */
        readMs: by((m) => med(m, 'engineReadMs')),
        addedRatio: Object.fromEntries(ENGINE_MODES.map((m) => [m, added(m)])),
        medianPairRatio: Object.fromEntries(ENGINE_MODES.map((m) => [m, +median(pairs[m]).toFixed(3)])),
        budgetRatio: 0.2,
        withinBudget: Object.fromEntries(ENGINE_MODES.map((m) => [m, added(m) < 0.2])),
        cpuMs: by((m) => med(m, 'cpuMs')),
        peakRssMiB: by((m) => med(m, 'peakRssMiB')),
        peakHeapMiB: by((m) => med(m, 'peakHeapMiB')),
        results,
      },
      null,
      2,
    ),
  );
}

if (process.argv.includes('--child')) {
  let raw = '';
  process.stdin.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  process.stdin.on('end', () => {
    child(JSON.parse(raw) as ChildInput).catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
  });
} else if (process.argv.includes('--write-exports')) {
  // For profiling the reader on its own: the exports the bench reads, written to DIR, nothing run.
  const out = process.argv[process.argv.indexOf('--write-exports') + 1];
  if (!out || out.startsWith('--')) throw new Error('--write-exports takes a directory');
  mkdirSync(out, { recursive: true });
  const { files, bytes } = writeExports(arg('users', 100_000), out, hologramArg());
  process.stdout.write(JSON.stringify({ files, bytes }, null, 2) + '\n');
} else {
  await parent();
}
