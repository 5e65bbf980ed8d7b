/**
 * bench:drift — scans end to end at 10k and 100k users: the on-prem side from the seed generator
 * (the users the sandbox tenant was provisioned from, as an adapter would return them), the cloud
 * side through the real cloud client over HTTPS from the sandbox tenant (throttling off, so the
 * number measures our code and the wire). The sandbox runs in this process; each scan runs in a
 * child process so its peak RSS is its own. Prints one JSON object.
 *
 *   npm run bench:drift [-- --sizes 10000,100000]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startSandboxTenant } from '../../main/sandbox/server';
import { seedPeople } from '../../main/sandbox/seed';
import { guidBytesToText } from '../../main/sandbox/ids';
import { createCloudClient } from '../../main/cloud';
import { createNodeNetwork } from '../../main/cloud/network';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import type { OnPremUser } from '../../main/core/model';
import { SnapshotDirectory } from '../../main/onprem/import/snapshot';
import { runScan } from '../../main/drift/pipeline';

const SEED = 7;
const DOMAIN = 'contoso.example';

interface ChildInput {
  users: number;
  origin: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caPem: string;
}

/** On-prem users for the seeded people: same anchors, SIDs, DNs and numbers as Connect provisioned. */
function onPremFromSeed(count: number): OnPremUser[] {
  const out: OnPremUser[] = [];
  const changedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
  for (const p of seedPeople({ count, seed: SEED, domain: DOMAIN })) {
    out.push({
      sourceId: 'bench-dc01',
      dn: p.dn,
      objectGuid: guidBytesToText(Buffer.from(p.immutableId, 'base64')),
      consistencyGuid: p.immutableId,
      sourceAnchor: p.immutableId,
      objectSid: p.sid,
      upn: p.userPrincipalName,
      samAccountName: p.samAccountName,
      displayName: p.displayName,
      mobile: p.mobile,
      otherMobile: p.otherMobile,
      telephoneNumber: p.telephoneNumber,
      country: 'US',
      whenChanged: changedAt,
      usnChanged: 10_000 + p.index,
      isDeleted: false,
      changes: { mobile: { changedAt, version: 1, source: 'replPropertyMetaData' } },
      inScope: true,
      scopeReason: null,
    });
  }
  return out;
}

async function child(input: ChildInput): Promise<void> {
  // The machine is shared: a scan's wall time says little without the load it ran under.
  const loadAvg1 = +loadavg()[0]!.toFixed(2);
  const t0 = performance.now();
  const users = onPremFromSeed(input.users);
  const onPremBuildMs = Math.round(performance.now() - t0);
  const network = await createNodeNetwork({ extraCaPem: [input.caPem], env: {} });
  const client = createCloudClient({
    profileCloud: { cloud: 'custom', tenant: input.tenantId, clientId: input.clientId, authorityHost: input.origin, graphBaseUrl: input.origin },
    network,
    logger: silentLogger,
    clock: systemClock,
    secrets: { getClientSecret: async () => input.clientSecret },
  });
  await client.signIn({ flow: 'client-credentials' });
  const dir = new SnapshotDirectory({ id: 'bench-dc01', kind: 'snapshot', label: 'seed', baseDn: 'DC=contoso,DC=example', searchBases: ['DC=contoso,DC=example'], writable: false }, users);
  const cpu0 = process.cpuUsage();
  const out = await runScan({ onPrem: [dir], cloudUsers: client.listUsers(), profileName: 'bench', defaultRegion: 'US' });
  const cpu = process.cpuUsage(cpu0);
  await network.close();
  const phases = out.report.summary.phases;
  process.stdout.write(
    JSON.stringify({
      users: input.users,
      loadAvg1,
      onPremBuildMs,
      phases,
      scanCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      driftShareOfScan: +((phases.drift ?? 0) / (phases.total ?? 1)).toFixed(4),
      rows: out.report.rows.length,
      byStatus: out.report.summary.byStatus,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
}

async function parent(): Promise<void> {
  const i = process.argv.indexOf('--sizes');
  const sizes = (i >= 0 ? process.argv[i + 1]! : '10000,100000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes takes positive integers, e.g. 10000,100000');
  const results: unknown[] = [];
  for (const n of sizes) {
    const sb = await startSandboxTenant({ seed: { count: n, seed: SEED, domain: DOMAIN, overrideRate: 0.05 }, knobs: { throttle: { disabled: true } } });
    try {
      const input: ChildInput = { users: n, origin: sb.origin, tenantId: sb.tenantId, clientId: sb.apps.reader.appId, clientSecret: sb.apps.reader.clientSecret!, caPem: sb.caPem };
      const text = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scan child for ${n} users exited ${code}`))));
        p.stdin.end(JSON.stringify(input));
      });
      results.push(JSON.parse(text));
    } finally {
      await sb.close();
    }
  }
  const rss = results as Array<{ users: number; peakRssMiB: number }>;
  const growth = rss.length > 1 ? +((rss[rss.length - 1]!.peakRssMiB - rss[0]!.peakRssMiB) / (rss[rss.length - 1]!.users - rss[0]!.users) * 1024).toFixed(2) : null;
  console.log(JSON.stringify({ bench: 'drift', node: process.version, results, rssKiBPerExtraUser: growth }, null, 2));
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
} else {
  await parent();
}
