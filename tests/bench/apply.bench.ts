/**
 * bench:apply — N per-user mobilePhone writes to users Graph accepts (no longer synchronized), through
 * the remediation engine, the real CloudClient ($batch) and the HTTPS sandbox with its identity
 * throttle on. Prints JSON: HTTP requests of the write phase (goal: at most ceil(N/20) plus retries)
 * and write throughput against what the configured throttle allows (goal: at least 90%).
 *
 *   npm run bench:apply                   # N = 10000, 3000 RU per 10 s (a PATCH costs 3 RU)
 *   npm run bench:apply -- 2000 1500      # N, RU per 10 s
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudClient } from '../../main/cloud';
import { createNodeNetwork } from '../../main/cloud/network';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import { pagesOf, runScan } from '../../main/drift/pipeline';
import { buildPlan, cloudPortFromClient, decideBulk, RemediationEngine, type RemediationCloud } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { startSandboxTenant } from '../../main/sandbox/server';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import { cloudUserOf } from '../support/remediation-env';

const N = Number(process.argv[2] ?? 10_000);
const UNITS = Number(process.argv[3] ?? 3000);
const COST = 3; // RU of one PATCH in the sandbox (main/sandbox/graph.ts)
const BASE = 'OU=Staff,DC=contoso,DC=example';

async function main(): Promise<void> {
  const tenant = new TenantStore({ clock: systemClock });
  const dir = new SandboxDirectory({ baseDn: 'DC=contoso,DC=example', clock: systemClock });
  for (let i = 0; i < N; i++) dir.addUser({ dn: `CN=User ${i},${BASE}`, samAccountName: `user${i}`, upn: `user${i}@contoso.example`, displayName: `User ${i}`, mobile: `+1 425 555 ${String(i % 10_000).padStart(4, '0')}`, c: 'US' });
  await new SyncSimulator(dir, tenant).runCycle('initial');
  for (const u of [...tenant.listUsers()]) tenant.stopSync(u.id);
  for (let i = 0; i < N; i++) dir.modifyUser(`CN=User ${i},${BASE}`, { mobile: `+1 206 555 ${String(i % 10_000).padStart(4, '0')}` });
  const cloudUsers = [...tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled !== null).map((u) => cloudUserOf(tenant, u));
  const report = (await runScan({ onPrem: [dir], cloudUsers: pagesOf([cloudUsers]), profileName: 'bench', defaultRegion: 'US' })).report;
  const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' } });
  const plan = buildPlan(report, decisions, { selected });
  const patches = plan.steps.filter((s) => s.kind === 'graph-patch').length;
  if (patches !== N || plan.needsBypass) throw new Error(`expected ${N} per-user PATCHes and no bypass, got ${patches}`);

  const sb = await startSandboxTenant({ tenant, knobs: { throttle: { identityUnitsPer10s: UNITS, writesPer150s: 1_000_000 } } });
  const network = await createNodeNetwork({ extraCaPem: [sb.caPem], env: {} });
  const w = sb.apps.writer;
  const client = createCloudClient({
    profileCloud: { cloud: 'custom', tenant: sb.tenantId, clientId: w.appId, authorityHost: sb.origin, graphBaseUrl: sb.origin },
    network,
    logger: silentLogger,
    clock: systemClock,
    appRoles: w.appRoles,
    secrets: { getClientSecret: async () => w.clientSecret ?? '' },
  });
  await client.signIn({ flow: 'client-credentials' });
  const inner = cloudPortFromClient(client);
  const write = { ms: 0, calls: 0, requests: 0, transportRetries: 0, itemRetries: 0, ok: 0 };
  let started = 0;
  const cloud: RemediationCloud = {
    ...inner,
    async patchMobile(writes, o) {
      if (write.calls++ === 0) {
        sb.resetThrottling(); // the write phase starts with a full bucket, as the "allowed" figure assumes
        started = performance.now();
      }
      const r = await inner.patchMobile(writes, o);
      write.ms = Math.round(performance.now() - started);
      write.requests += r.requests;
      write.transportRetries += r.retries;
      write.itemRetries += r.results.reduce((n, x) => n + Math.max(0, (x.attempts ?? 1) - 1), 0);
      write.ok += r.results.filter((x) => x.ok).length;
      return r;
    },
  };
  const tmp = mkdtempSync(join(tmpdir(), 'sd-bench-apply-'));
  const journal = workspaceJournalAt(join(tmp, 'journal.db'));
  const engine = new RemediationEngine({ journal, onPrem: () => dir, cloud, timing: { pollMs: 500, verifyTimeoutMs: 120_000 } });
  const t0 = performance.now();
  const out = await engine.apply(plan);
  const totalMs = Math.round(performance.now() - t0);
  journal.close();
  rmSync(tmp, { recursive: true, force: true });
  await network.close();
  await sb.close();

  // The throttle allows a full bucket at once, then UNITS per 10 s.
  const allowedMs = Math.max(0, ((N * COST - UNITS) / UNITS) * 10_000);
  // The transport counts item-level 429 retries among its retries too: the larger of the two is the retry count.
  const maxRequests = Math.ceil(N / 20) + Math.max(write.transportRetries, write.itemRetries);
  const result = {
    bench: 'apply',
    n: N,
    throttle: { identityUnitsPer10s: UNITS, unitsPerPatch: COST, writesPerSecondAllowed: UNITS / COST / 10 },
    session: { state: out.state, rowsFixed: out.rows.filter((r) => r.state === 'fixed').length, totalMs },
    writePhase: { ...write, writesPerSecond: Math.round((N / write.ms) * 1000 * 10) / 10 },
    goals: {
      requestsAtMost: maxRequests,
      requestsOk: write.requests <= maxRequests,
      throughputShareOfAllowed: allowedMs === 0 ? 1 : Math.round((allowedMs / write.ms) * 1000) / 1000,
      throughputOk: allowedMs === 0 || allowedMs / write.ms >= 0.9,
      allFixed: out.state === 'completed' && write.ok === N,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:apply failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
