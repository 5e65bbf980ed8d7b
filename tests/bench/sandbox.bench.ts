/**
 * Baseline for client benchmarks: the sandbox serves 100k synced users and a plain fetch loop walks
 * /users?$top=999 through @odata.nextLink. Prints one JSON object. Throttling is off so the number
 * measures the server and the wire, not the modelled limits.
 *
 *   npm run bench:sandbox [-- --users 100000 --rounds 2]
 */
import { Agent, fetch } from 'undici';
import { startSandboxTenant } from '../../main/sandbox/server';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const users = arg('users', 100_000);
const rounds = arg('rounds', 2);

const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const sb = await startSandboxTenant({ seed: { count: users, seed: 1 }, knobs: { throttle: { disabled: true } } });
const startMs = performance.now() - t0;
global.gc?.();
const heapPerUser = Math.round((process.memoryUsage().heapUsed - heap0) / users);
const agent = new Agent({ connect: { ca: sb.caPem } });

try {
  const tokenRes = await fetch(`${sb.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sb.apps.reader.appId,
      client_secret: sb.apps.reader.clientSecret!,
      scope: sb.graphScope,
    }).toString(),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const results: { ms: number; pages: number; users: number; pagesPerSec: number; usersPerSec: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    let next: string | undefined =
      `${sb.graphBaseUrl}/users?$top=999&$select=id,userPrincipalName,mobilePhone,businessPhones,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesLastSyncDateTime`;
    let pages = 0;
    let seen = 0;
    const s = performance.now();
    while (next) {
      const res = await fetch(next, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`page ${pages + 1}: HTTP ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      pages++;
      seen += body.value.length;
      next = body['@odata.nextLink'];
    }
    const ms = performance.now() - s;
    if (seen !== users + 4) throw new Error(`walked ${seen} users, expected ${users + 4} (seeded + 4 sign-in accounts)`);
    results.push({
      ms: Math.round(ms),
      pages,
      users: seen,
      pagesPerSec: +((pages * 1000) / ms).toFixed(1),
      usersPerSec: Math.round((seen * 1000) / ms),
    });
  }
  const best = results.reduce((a, b) => (b.pagesPerSec > a.pagesPerSec ? b : a));
  console.log(
    JSON.stringify(
      {
        bench: 'sandbox',
        node: process.version,
        users,
        startMs: Math.round(startMs),
        seedMs: sb.seeded?.ms ?? null,
        heapBytesPerUser: heapPerUser,
        pageSize: 999,
        rounds: results,
        pagesPerSec: best.pagesPerSec,
        usersPerSec: best.usersPerSec,
      },
      null,
      2,
    ),
  );
} finally {
  await agent.close();
  await sb.close();
}
