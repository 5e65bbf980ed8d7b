/**
 * npm run bench:ldap — the LDAP scanner against `ldapsearch -E pr=1000/noprompt` (output to
 * /dev/null) on the same cached Samba DC, same filter, same attributes, same page size, in
 * alternating runs, at two sizes (OU=Staff = half the users, the whole domain = all of them).
 * Prints JSON: wall times, CPU time and peak RSS of each process, the ratio scanner / ldapsearch
 * of the medians and of the fastest runs.
 * Env: BENCH_LDAP_USERS (default 20000), BENCH_LDAP_RUNS (default 3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUserFilter } from '../../main/onprem/ldap';
import { USER_ATTRIBUTES } from '../../main/onprem/entry';
import { sambaUnavailableReason, startSambaDc } from '../support/samba';

const HERE = dirname(fileURLToPath(import.meta.url));
const USERS = Number(process.env.BENCH_LDAP_USERS ?? 20000);
const RUNS = Number(process.env.BENCH_LDAP_RUNS ?? 3);
const PAGE = 1000;

interface Run {
  ms: number;
  /** CPU time of the client process itself (user + system): its own cost, whatever the machine's load. */
  cpuMs: number;
  maxRssKiB: number;
  users?: number;
  rssBeforeKiB?: number;
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
  const reason = sambaUnavailableReason();
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
          if (which === 'scanner') {
            const arg = JSON.stringify({ url: dc.url, caFile: dc.caFile, bindDn: dc.adminUpn, baseDn: dc.baseDn, searchBase: size.base, pageSize: PAGE });
            const r = await runMeasured(node, ['--import', 'tsx', join(HERE, 'ldap-scan-worker.ts'), arg], { ...process.env, SYNCDRIFT_BENCH_LDAP_PASSWORD: dc.password }, true);
            const w = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; cpuMs: number; users: number; maxRssKiB: number; rssBeforeKiB: number };
            scanner.push({ ms: w.ms, cpuMs: w.cpuMs, maxRssKiB: w.maxRssKiB, users: w.users, rssBeforeKiB: w.rssBeforeKiB });
          } else {
            const r = await runMeasured('ldapsearch', ['-LLL', '-H', dc.url, '-x', '-D', dc.adminUpn, '-y', pwFile, '-b', size.base, '-E', `pr=${PAGE}/noprompt`, filter, ...attrs], { ...process.env, LDAPTLS_CACERT: dc.caFile }, false);
            ldapsearch.push({ ms: Math.round(r.ms), cpuMs: r.cpuMs, maxRssKiB: r.maxRssKiB });
          }
        }
      }
      const users = scanner[0]?.users ?? 0;
      const sMed = median(scanner.map((r) => r.ms));
      const lMed = median(ldapsearch.map((r) => r.ms));
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
        },
        ldapsearch: {
          runsMs: ldapsearch.map((r) => r.ms),
          medianMs: lMed,
          minMs: Math.min(...ldapsearch.map((r) => r.ms)),
          medianCpuMs: median(ldapsearch.map((r) => r.cpuMs)),
          peakRssMiB: Math.round(Math.max(...ldapsearch.map((r) => r.maxRssKiB)) / 1024),
        },
        ratio: Math.round((sMed / lMed) * 100) / 100,
        // On a shared machine the fastest run of each is the one least disturbed by others.
        ratioOfMins: Math.round((Math.min(...scanner.map((r) => r.ms)) / Math.min(...ldapsearch.map((r) => r.ms))) * 100) / 100,
      });
    }
    // Memory at 5x the directory: the domain streamed five times through one scanner process.
    const repeat = 5;
    const streamArg = JSON.stringify({ url: dc.url, caFile: dc.caFile, bindDn: dc.adminUpn, baseDn: dc.baseDn, searchBase: dc.baseDn, pageSize: PAGE, repeat });
    const streamed = await runMeasured(process.execPath, ['--import', 'tsx', join(HERE, 'ldap-scan-worker.ts'), streamArg], { ...process.env, SYNCDRIFT_BENCH_LDAP_PASSWORD: dc.password }, true);
    const sw = JSON.parse(streamed.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; users: number; maxRssKiB: number };
    const streamedThroughOneProcess = { repeat, users: sw.users, ms: sw.ms, peakRssMiB: Math.round(sw.maxRssKiB / 1024) };
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
