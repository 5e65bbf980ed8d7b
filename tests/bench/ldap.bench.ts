/**
 * npm run bench:ldap — the LDAP scanner against `ldapsearch -E pr=1000/noprompt` (output to
 * /dev/null) on the same cached Samba DC, same filter, same attributes, same page size, in
 * alternating runs, at two sizes (OU=Staff = half the users, the whole domain = all of them).
 * Prints JSON: wall times, CPU time and peak RSS of each process, the DC's own CPU time during each
 * run, the ratio scanner / ldapsearch of the medians, of the fastest runs and the median of the
 * per-pair ratios (each scanner run against the ldapsearch run next to it, which saw the same
 * load), and each client's time beyond the DC's CPU (what the client itself adds to the wall).
 * Env: BENCH_LDAP_USERS (default 20000), BENCH_LDAP_RUNS (default 5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUserFilter } from '../../main/onprem/ldap';
import { USER_ATTRIBUTES } from '../../main/onprem/entry';
import { sambaSkipReason, startSambaDc } from '../support/samba';

const HERE = dirname(fileURLToPath(import.meta.url));
const USERS = Number(process.env.BENCH_LDAP_USERS ?? 20000);
const RUNS = Number(process.env.BENCH_LDAP_RUNS ?? 5);
const PAGE = 1000;

interface Run {
  ms: number;
  /** CPU time of the client process itself (user + system): its own cost, whatever the machine's load. */
  cpuMs: number;
  maxRssKiB: number;
  users?: number;
  rssBeforeKiB?: number;
  /** CPU time the DC's processes spent during the run: the work both clients ask of it. */
  dcCpuMs: number;
}

/**
 * CPU time (user + system, ms) of every process in the DC's process group: the harness starts
 * samba detached as a group leader, and its prefork workers stay in that group.
 */
function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields after the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12).
      if (Number(f[2]) === pgid) ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks * 10;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Peak RSS of a child we do not control: VmHWM polled from /proc until it exits. */
function runMeasured(cmd: string, args: string[], env: NodeJS.ProcessEnv, captureStdout: boolean): Promise<{ ms: number; maxRssKiB: number; cpuMs: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    let ticks = 0;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
        // utime + stime (fields 14 and 15, clock ticks of 10 ms), last value seen before exit.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Math.max(ticks, Number(f[11] ?? 0) + Number(f[12] ?? 0));
      } catch {
        /* exited */
      }
    }, 5);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${stderr.slice(0, 500)}`));
      else resolve({ ms, maxRssKiB: hwm, cpuMs: ticks * 10, stdout });
    });
  });
}

async function main(): Promise<void> {
  const reason = sambaSkipReason();
  if (reason) {
    process.stdout.write(JSON.stringify({ bench: 'ldap', skipped: reason }) + '\n');
    return;
  }
  // The default size keeps the plain name so a directory loaded once (minutes) is reused.
  const dc = await startSambaDc({ name: USERS === 20000 ? 'bench' : `bench-${USERS}`, users: USERS, reset: false });
  try {
    const filter = buildUserFilter({});
    // ldapsearch reads the password from a file (-y), so it never shows in a process listing.
    const pwFile = join(dirname(dc.dcDir), 'bench-password');
    writeFileSync(pwFile, dc.password, { mode: 0o600 });
    const attrs = [...USER_ATTRIBUTES];
    const sizes = [
      { label: 'OU=Staff', base: `OU=Staff,${dc.baseDn}` },
      { label: 'domain', base: dc.baseDn },
    ];
    const out: Record<string, unknown>[] = [];
    const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
    for (const size of sizes) {
      const scanner: Run[] = [];
      const ldapsearch: Run[] = [];
      const node = process.execPath;
      for (let i = 0; i < RUNS; i++) {
        // Alternate which goes first so cache warmth does not favour one side.
        const order = i % 2 === 0 ? ['scanner', 'ldapsearch'] : ['ldapsearch', 'scanner'];
        for (const which of order) {
          const dc0 = groupCpuMs(dc.pid);
          if (which === 'scanner') {
            const arg = JSON.stringify({ url: dc.url, caFile: dc.caFile, bindDn: dc.adminUpn, baseDn: dc.baseDn, searchBase: size.base, pageSize: PAGE });
            const r = await runMeasured(node, ['--import', 'tsx', join(HERE, 'ldap-scan-worker.ts'), arg], { ...process.env, SYNCDRIFT_BENCH_LDAP_PASSWORD: dc.password }, true);
            const w = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; cpuMs: number; users: number; maxRssKiB: number; rssBeforeKiB: number };
            scanner.push({ ms: w.ms, cpuMs: w.cpuMs, maxRssKiB: w.maxRssKiB, users: w.users, rssBeforeKiB: w.rssBeforeKiB, dcCpuMs: groupCpuMs(dc.pid) - dc0 });
          } else {
            const r = await runMeasured('ldapsearch', ['-LLL', '-H', dc.url, '-x', '-D', dc.adminUpn, '-y', pwFile, '-b', size.base, '-E', `pr=${PAGE}/noprompt`, filter, ...attrs], { ...process.env, LDAPTLS_CACERT: dc.caFile }, false);
            ldapsearch.push({ ms: Math.round(r.ms), cpuMs: r.cpuMs, maxRssKiB: r.maxRssKiB, dcCpuMs: groupCpuMs(dc.pid) - dc0 });
          }
        }
      }
      const users = scanner[0]?.users ?? 0;
      const sMed = median(scanner.map((r) => r.ms));
      const lMed = median(ldapsearch.map((r) => r.ms));
      const r2 = (x: number) => Math.round(x * 100) / 100;
      // Run i of each tool ran back to back under the same load: their ratio cancels most of it.
      const pairRatios = scanner.map((r, i) => r2(r.ms / (ldapsearch[i]?.ms ?? Number.NaN)));
      const dcMeasured = [...scanner, ...ldapsearch].some((r) => r.dcCpuMs > 0);
      const side = (runs: Run[]) => ({
        // The DC's CPU for the same search varies run to run with the machine; the rest of the wall
        // is the client (its parsing, the round trips it waits for, its start-up for ldapsearch).
        dcCpuMs: dcMeasured ? runs.map((r) => r.dcCpuMs) : null,
        medianBeyondDcCpuMs: dcMeasured ? median(runs.map((r) => r.ms - r.dcCpuMs)) : null,
      });
      out.push({
        scope: size.label,
        users,
        scanner: {
          runsMs: scanner.map((r) => r.ms),
          medianMs: sMed,
          minMs: Math.min(...scanner.map((r) => r.ms)),
          medianCpuMs: median(scanner.map((r) => r.cpuMs)),
          peakRssMiB: Math.round(Math.max(...scanner.map((r) => r.maxRssKiB)) / 1024),
          // RSS of the worker before it connected (node, tsx, modules): the scan's share is the difference.
          rssBeforeScanMiB: Math.round(median(scanner.map((r) => r.rssBeforeKiB ?? 0)) / 1024),
          ...side(scanner),
        },
        ldapsearch: {
          runsMs: ldapsearch.map((r) => r.ms),
          medianMs: lMed,
          minMs: Math.min(...ldapsearch.map((r) => r.ms)),
          medianCpuMs: median(ldapsearch.map((r) => r.cpuMs)),
          peakRssMiB: Math.round(Math.max(...ldapsearch.map((r) => r.maxRssKiB)) / 1024),
          ...side(ldapsearch),
        },
        ratio: r2(sMed / lMed),
        pairRatios,
        medianPairRatio: median(pairRatios),
        // On a shared machine the fastest run of each is the one least disturbed by others.
        ratioOfMins: r2(Math.min(...scanner.map((r) => r.ms)) / Math.min(...ldapsearch.map((r) => r.ms))),
      });
    }
    // Memory at 5x the directory: the domain streamed five times through one scanner process
    // (BENCH_LDAP_REPEAT=0 skips it, e.g. on a 100k DC where the real size is measured).
    const repeat = Number(process.env.BENCH_LDAP_REPEAT ?? 5);
    const streamArg = JSON.stringify({ url: dc.url, caFile: dc.caFile, bindDn: dc.adminUpn, baseDn: dc.baseDn, searchBase: dc.baseDn, pageSize: PAGE, repeat });
    let streamedThroughOneProcess: { repeat: number; users: number; ms: number; peakRssMiB: number } | null = null;
    if (repeat > 1) {
      const streamed = await runMeasured(process.execPath, ['--import', 'tsx', join(HERE, 'ldap-scan-worker.ts'), streamArg], { ...process.env, SYNCDRIFT_BENCH_LDAP_PASSWORD: dc.password }, true);
      const sw = JSON.parse(streamed.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; users: number; maxRssKiB: number };
      streamedThroughOneProcess = { repeat, users: sw.users, ms: sw.ms, peakRssMiB: Math.round(sw.maxRssKiB / 1024) };
    }
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      samba: spawnSync('/usr/sbin/samba', ['--version'], { encoding: 'utf8' }).stdout.trim(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100),
    };
    process.stdout.write(JSON.stringify({ bench: 'ldap', dcUsers: USERS, pageSize: PAGE, runs: RUNS, machine, results: out, streamedThroughOneProcess }, null, 2) + '\n');
  } finally {
    await dc.stop();
  }
}

await main();
