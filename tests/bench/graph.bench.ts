/**
 * bench:graph — reads N sandbox users through the CloudClient (Graph SDK + our middleware, msal,
 * throttling logic, zod validation per item) and through a plain fetch loop over the same pages,
 * alternating runs in one client process per N, with the sandbox in a process of its own (so the
 * peak RSS is the reader's alone). Prints JSON:
 * requests (must equal ceil(N/999) plus retries), wall times, the ratio (goal <= 1.3), peak RSS.
 *
 *   npm run bench:graph                 # N = 10k and 100k
 *   npm run bench:graph -- 5000 20000   # other sizes
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import { createCloudClient } from '../../main/cloud';
import { createNodeNetwork } from '../../main/cloud/network';
import { USER_SELECT } from '../../main/cloud/readers';
import { silentLogger } from '../../main/core/logger';
import { systemClock } from '../../main/core/ports';
import { startSandboxTenant } from '../../main/sandbox/server';

const RUNS = 5;

/** What the client process needs from the sandbox process (bench only: test credentials). */
interface SandboxInfo {
  origin: string;
  authority: string;
  tenantId: string;
  graphBaseUrl: string;
  graphScope: string;
  caPem: string;
  liveUsers: number;
  writer: { appId: string; thumbprintSha256: string; privateKeyPem: string };
  reader: { appId: string; clientSecret: string };
}

/** Runs the sandbox in its own process so the client's peak RSS is the client's alone. */
async function sandboxProcess(n: number): Promise<void> {
  const sb = await startSandboxTenant({ seed: { count: n }, knobs: { throttle: { disabled: true } } });
  const w = sb.apps.writer;
  const info: SandboxInfo = {
    origin: sb.origin,
    authority: sb.authority,
    tenantId: sb.tenantId,
    graphBaseUrl: sb.graphBaseUrl,
    graphScope: sb.graphScope,
    caPem: sb.caPem,
    liveUsers: sb.tenant.userCount,
    writer: { appId: w.appId, thumbprintSha256: w.certificate!.thumbprintSha256, privateKeyPem: w.certificate!.privateKeyPem },
    reader: { appId: sb.apps.reader.appId, clientSecret: sb.apps.reader.clientSecret! },
  };
  process.stdout.write(JSON.stringify(info) + '\n');
  // Stay up until the parent closes stdin.
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.on('end', () => resolve()));
  await sb.close();
}

async function clientProcess(info: SandboxInfo): Promise<void> {
  const network = await createNodeNetwork({ extraCaPem: [info.caPem], env: {}, timeoutMs: 120_000 });
  const client = createCloudClient({
    profileCloud: { cloud: 'custom', tenant: info.tenantId, clientId: info.writer.appId, authorityHost: info.origin, graphBaseUrl: info.origin },
    network,
    logger: silentLogger,
    clock: systemClock,
    secrets: { getClientCertificate: async () => ({ thumbprintSha256: info.writer.thumbprintSha256, privateKeyPem: info.writer.privateKeyPem }) },
  });
  await client.signIn({ flow: 'client-credentials' });
  const agent = new Agent({ connect: { ca: info.caPem } });
  // The plain loop gets a token the same way, once, outside the timing.
  const tokenRes = await undiciFetch(`${info.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: info.reader.appId, client_secret: info.reader.clientSecret, scope: info.graphScope }).toString(),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const plain = async () => {
    let url: string | undefined = `${info.graphBaseUrl}/users?$select=${USER_SELECT.join(',')}&$top=999`;
    let users = 0;
    let requests = 0;
    while (url) {
      const r = await undiciFetch(url, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
      requests++;
      const body = (await r.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      users += body.value.length;
      url = body['@odata.nextLink'];
    }
    return { users, requests, retries: 0 };
  };
  const viaClient = async () => {
    const gen = client.listUsers();
    let users = 0;
    for (;;) {
      const r = await gen.next();
      if (r.done) return { users, requests: r.value.requests, retries: r.value.retries };
      users += r.value.length;
    }
  };
  const times = { plain: [] as number[], client: [] as number[] };
  let last = { users: 0, requests: 0, retries: 0 };
  await plain(); // warm both paths (JIT, TLS sessions, sandbox caches)
  await viaClient();
  for (let i = 0; i < RUNS; i++) {
    for (const kind of i % 2 === 0 ? (['plain', 'client'] as const) : (['client', 'plain'] as const)) {
      const t0 = performance.now();
      const r = kind === 'plain' ? await plain() : await viaClient();
      times[kind].push(performance.now() - t0);
      if (kind === 'client') last = r;
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    JSON.stringify({
      liveUsers: info.liveUsers,
      usersRead: last.users,
      requests: last.requests,
      retries: last.retries,
      expectedRequests: Math.ceil(info.liveUsers / 999) + last.retries,
      plainMs: Math.round(median(times.plain)),
      clientMs: Math.round(median(times.client)),
      ratio: Number((median(times.client) / median(times.plain)).toFixed(3)),
      clientPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
  await network.close();
  await agent.close();
}

async function runFor(n: number): Promise<Record<string, number>> {
  const self = fileURLToPath(import.meta.url);
  const sandbox = spawn(process.execPath, ['--import', 'tsx', self, '--sandbox', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      sandbox.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const i = buf.indexOf('\n');
        if (i >= 0) resolve(buf.slice(0, i));
      });
      sandbox.once('exit', (code) => reject(new Error(`sandbox process exited early (${code})`)));
    });
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--client'], { input: line, encoding: 'utf8', maxBuffer: 1 << 20 });
    return { n, ...(JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>) };
  } finally {
    sandbox.stdin.end();
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === '--sandbox') return sandboxProcess(Number(process.argv[3]));
  if (mode === '--client') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return clientProcess(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SandboxInfo);
  }
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const ns = sizes.length > 0 ? sizes : [10_000, 100_000];
  const results: Array<Record<string, number>> = [];
  for (const n of ns) results.push(await runFor(n));
  const big = results[results.length - 1]!;
  const small = results[0]!;
  process.stdout.write(
    JSON.stringify(
      {
        bench: 'graph',
        note: 'the sandbox runs in its own process; clientPeakRssMiB is the process that reads (client and plain loop, alternating)',
        results,
        checks: {
          requestsExact: results.every((r) => r.requests === r.expectedRequests && r.usersRead === r.liveUsers),
          ratioWithin1_3: results.every((r) => r.ratio! <= 1.3),
          rssUnder512MiBAtLargest: big.clientPeakRssMiB! < 512,
          rssGrowthKiBPerUser: results.length > 1 ? Number((((big.clientPeakRssMiB! - small.clientPeakRssMiB!) * 1024) / (big.n! - small.n!)).toFixed(4)) : null,
        },
      },
      null,
      2,
    ) + '\n',
  );
}

await main();
