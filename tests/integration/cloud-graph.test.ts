/**
 * Graph readers and writers against the sandbox tenant over HTTPS: the permission check (read-only
 * app, non-GA admin, Global Administrator), paging with a 429 in the middle, delta rescans, the
 * audit index under the reporting limit, $batch writes with mixed 200/400/429, the typed SOA error,
 * the bypass feature and onPremisesSyncBehavior.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDirectoryAudits } from '../../main/drift/audit';
import type { CloudClient } from '../../main/cloud';
import { cloudPortFromClient, PER_USER_READ_LIMIT } from '../../main/remediation/ports';
import type { ProgressEvent } from '../../main/core/progress';
import type { CloudUser } from '../../main/core/model';
import { enterDeviceCode, scriptedBrowser, startCloudSandbox, type CloudSandbox } from '../support/cloud-sandbox';

const USERS = 2500; // + 4 sign-in accounts = 3 pages of 999

let env: CloudSandbox;
let ga: CloudClient;
let writer: CloudClient;
let reader: CloudClient;

beforeAll(async () => {
  env = await startCloudSandbox({ seed: { count: USERS, overrideRate: 0.02, unsyncedRate: 0.02 } });
  ga = env.client();
  await ga.signIn({ flow: 'interactive', openBrowser: scriptedBrowser(env.network, env.sb.users.globalAdmin) });
  const w = env.sb.apps.writer;
  writer = env.client({ clientId: w.appId, appRoles: w.appRoles, secrets: { getClientCertificate: async () => ({ thumbprintSha256: w.certificate!.thumbprintSha256, privateKeyPem: w.certificate!.privateKeyPem }) } });
  await writer.signIn({ flow: 'client-credentials' });
  const r = env.sb.apps.reader;
  reader = env.client({ clientId: r.appId, appRoles: r.appRoles, secrets: { getClientSecret: async () => r.clientSecret! } });
  await reader.signIn({ flow: 'client-credentials' });
});
afterAll(async () => {
  await env?.close();
});
beforeEach(() => {
  env.sb.setKnobs({ throttle: { disabled: false, identityUnitsPer10s: null, auditPer10s: 5, retryAfterForm: 'seconds' } });
  env.sb.resetThrottling();
});

/**
 * An app-only client (client secret) whose Graph calls are recorded as "METHOD /path" (sign-in
 * requests left out): what a test asserts about the wire, not about the result.
 */
async function recordingClient(app: 'reader' | 'writer', extra: Partial<Parameters<CloudSandbox['client']>[0]> = {}): Promise<{ c: CloudClient; graphCalls: () => string[]; clear: () => void }> {
  const sent: string[] = [];
  const network = { ...env.network, fetch: ((input, init) => {
    sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    return env.network.fetch(input, init);
  }) as typeof env.network.fetch };
  const a = env.sb.apps[app];
  const c = env.client({ network, clientId: a.appId, appRoles: a.appRoles, secrets: { getClientSecret: async () => a.clientSecret! }, ...extra });
  await c.signIn({ flow: 'client-credentials' });
  return { c, graphCalls: () => sent.filter((x) => !/\/oauth2\//.test(x)), clear: () => void (sent.length = 0) };
}

const byCap = async (c: CloudClient) => Object.fromEntries((await c.checkPermissions({ probe: true })).map((x) => [x.capability, x]));

describe('permission check', () => {
  it('with a read-only app: reads are granted, writes and the bypass are missing with what to grant', async () => {
    const p = await byCap(reader);
    expect(p.scanUsers!.state).toBe('granted');
    expect(p.readAuditLog).toMatchObject({ state: 'granted', source: 'probe' });
    expect(p.writeMobilePhone).toMatchObject({ state: 'missing' });
    expect(p.writeMobilePhone!.grant).toMatch(/^User-Phone\.ReadWrite\.All\b.*\(application permission\)/);
    expect(p.flipBypass).toMatchObject({ state: 'missing', source: 'rule' });
    const f = await reader.getSyncFeatures();
    expect(f.state).toBe('unknown');
    expect(f.state === 'unknown' && f.reason).toMatch(/app-only/);
  });

  it('with a User Administrator (not Global Administrator): the bypass is refused and the role is named', async () => {
    const ua = env.client();
    await ua.signIn({ flow: 'device-code', onDeviceCode: (d) => void enterDeviceCode(env.network, d.verificationUri, d.userCode, env.sb.users.userAdmin) });
    const p = await byCap(ua);
    expect(p.writeMobilePhone!.state).toBe('granted');
    expect(p.flipBypass).toMatchObject({ state: 'missing', source: 'wids' });
    expect(p.flipBypass!.grant).toMatch(/Global Administrator/);
    expect(p.readBypass).toMatchObject({ state: 'missing', source: 'probe' });
    expect(p.readAuditLog!.state).toBe('missing');
    const f = await ua.getSyncFeatures();
    expect(f).toMatchObject({ state: 'unknown', code: 'GRAPH_FORBIDDEN' });
    await expect(ua.setBypass(true)).rejects.toMatchObject({ kind: 'permission' });
  });

  it('with a Global Administrator: everything granted, and the bypass can be read and flipped', async () => {
    const p = await byCap(ga);
    for (const c of Object.values(p)) expect(c.state, c.capability).toBe('granted');
    const before = await ga.getSyncFeatures();
    expect(before).toMatchObject({ state: 'known', bypassDirSyncOverridesEnabled: false });
    expect(await ga.setBypass(true)).toMatchObject({ state: 'known', bypassDirSyncOverridesEnabled: true });
    expect(env.sb.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    await ga.setBypass(false);
    expect(env.sb.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
  });
});

describe('reading users', () => {
  it('reads users by id in $batch (20 per request): fresh values, null for an id Graph does not have, throttled items retried on their own, never a tenant-wide list', async () => {
    // Count what goes over the wire: the point of a per-user read is that a verify poll costs
    // ceil(n/20) requests, not a pass over every user in the tenant.
    const { c, graphCalls: wire, clear } = await recordingClient('writer');
    const users = [...env.sb.tenant.listUsers()].slice(10, 55);
    const changed = users[7]!;
    env.sb.tenant.getUser(changed.id)!.mobilePhone = '+1 425 555 0199';
    const unknown = '00000000-0000-4000-8000-0000000000aa';
    // 45 ids + 1 unknown + 1 repeated = 46 distinct reads at 1 unit each; 40 units per 10 s, so
    // the last items of the third batch answer 429 and are asked again after their Retry-After.
    env.sb.setKnobs({ throttle: { identityUnitsPer10s: 40 } });
    clear();
    const got = await c.getUsers([...users.map((u) => u.id), unknown, users[0]!.id]);
    expect(got.size).toBe(46);
    expect(got.get(unknown)).toBeNull();
    for (const u of users) {
      const r = got.get(u.id)!;
      expect(r).toMatchObject({ id: u.id, userPrincipalName: u.userPrincipalName, mobilePhone: u.mobilePhone ?? null });
    }
    expect(got.get(changed.id)!.mobilePhone).toBe('+1 425 555 0199');
    const graphCalls = wire();
    expect(graphCalls.every((x) => x === 'POST /v1.0/$batch'), graphCalls.join(', ')).toBe(true);
    // 3 batches of 20/20/6, plus at least one more for the throttled items.
    expect(graphCalls.length).toBeGreaterThanOrEqual(4);
    expect(graphCalls.length).toBeLessThanOrEqual(8);
    await expect(c.getUsers(['../organization'])).rejects.toMatchObject({ code: 'BAD_USER_ID' });
  }, 60_000);

  it("the remediation's fresh reads: per-user $batch GETs for a few users, one paged pass for many", async () => {
    const { c, graphCalls: graph, clear } = await recordingClient('reader');
    const port = cloudPortFromClient(c);
    const users = [...env.sb.tenant.listUsers()];

    clear();
    const few = await port.readUsers(users.slice(0, 3).map((u) => u.id));
    expect([...few.values()].map((u) => u?.id)).toEqual(users.slice(0, 3).map((u) => u.id));
    expect(graph()).toEqual(['POST /v1.0/$batch']);

    clear();
    const manyIds = users.slice(0, PER_USER_READ_LIMIT + 1).map((u) => u.id);
    const many = await port.readUsers(manyIds);
    expect([...many.values()].every((u) => u !== null)).toBe(true);
    expect(graph().every((x) => x === 'GET /v1.0/users')).toBe(true);
    expect(graph()).toHaveLength(Math.ceil((USERS + 4) / 999));
  }, 60_000);

  it('a failed read is an error naming the user, never taken for a deleted one', async () => {
    const [u1, u2] = [...env.sb.tenant.listUsers()].slice(3, 5);
    // One read per 10 s and no retries allowed: the second item's final answer is a 429.
    env.sb.setKnobs({ throttle: { identityUnitsPer10s: 1 } });
    const noRetry = env.client({ clientId: env.sb.apps.reader.appId, appRoles: env.sb.apps.reader.appRoles, secrets: { getClientSecret: async () => env.sb.apps.reader.clientSecret! }, retryPolicy: { maxRetriesPerRequest: 0, maxRetriesPerOperation: 0 } });
    await noRetry.signIn({ flow: 'client-credentials' });
    await expect(noRetry.getUsers([u1!.id, u2!.id])).rejects.toMatchObject({ code: 'GRAPH_THROTTLED' });
  });

  it('streams three pages of 999 with a 429 in the middle, counting the retry in progress', async () => {
    env.sb.setKnobs({ throttle: { identityUnitsPer10s: 2, retryAfterForm: 'http-date' } });
    const events: ProgressEvent[] = [];
    const pages: number[] = [];
    const gen = reader.listUsers({ onProgress: (e) => events.push(e) });
    let n = await gen.next();
    while (!n.done) {
      pages.push(n.value.length);
      n = await gen.next();
    }
    const summary = n.value;
    expect(pages).toHaveLength(3);
    expect(pages[0]).toBe(999);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(env.sb.tenant.userCount);
    expect(summary.retries).toBeGreaterThanOrEqual(1);
    expect(summary.requests).toBe(3 + summary.retries);
    expect(summary.invalid).toEqual([]);
    expect(events.some((e) => (e.retries ?? 0) > 0 && /429/.test(e.message ?? ''))).toBe(true);
  });

  it('rides out 5xx answers and reset connections with backoff, every retry counted', async () => {
    env.sb.setKnobs({ throttle: { disabled: true }, faults: { errorRate: 0.3, errorStatus: 502, resetRate: 0.15, seed: 7 } });
    try {
      let users = 0;
      const gen = reader.listUsers();
      let n = await gen.next();
      while (!n.done) {
        users += n.value.length;
        n = await gen.next();
      }
      expect(users).toBe(env.sb.tenant.userCount);
      expect(n.value.retries).toBeGreaterThan(0);
      expect(n.value.requests).toBe(3 + n.value.retries);
    } finally {
      env.sb.setKnobs({ faults: { errorRate: 0, resetRate: 0 } });
    }
  }, 60_000);

  it('gives up within the per-request cap when the service stays unavailable', async () => {
    const impatient = env.client({ clientId: env.sb.apps.reader.appId, secrets: { getClientSecret: async () => env.sb.apps.reader.clientSecret! }, retryPolicy: { maxRetriesPerRequest: 1 } });
    await impatient.signIn({ flow: 'client-credentials' });
    env.sb.setKnobs({ faults: { unavailable: true } });
    try {
      const t0 = Date.now();
      await expect(impatient.getOrganization()).rejects.toMatchObject({ kind: 'throttled', code: 'GRAPH_THROTTLED' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900); // one Retry-After: 2 honoured, then stop
    } finally {
      env.sb.setKnobs({ faults: { unavailable: false } });
    }
  });

  it('rescans with /users/delta: the second round carries only what changed', async () => {
    const all: CloudUser[] = [];
    const first = writer.delta();
    let n = await first.next();
    while (!n.done) {
      all.push(...n.value.users);
      n = await first.next();
    }
    expect(n.value.full).toBe(true);
    expect(all.length).toBe(env.sb.tenant.userCount);

    const [a, b] = [...env.sb.tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled === true).slice(5, 7);
    env.sb.tenant.legacyCloudEdit(a!.id, '+1 206 555 9999', { kind: 'user', id: 'x', userPrincipalName: 'helpdesk@contoso.example' });
    env.sb.tenant.deleteUser(b!.id);

    const second = writer.delta();
    const changed: string[] = [];
    const removed: string[] = [];
    n = await second.next();
    while (!n.done) {
      changed.push(...n.value.users.map((u) => u.id), ...n.value.changes.map((c) => c.id));
      removed.push(...n.value.removed);
      n = await second.next();
    }
    expect(n.value.full).toBe(false);
    expect(n.value.requests).toBe(1);
    expect(changed).toEqual([a!.id]);
    expect(removed).toEqual([b!.id]);
  });
});

describe('audit index', () => {
  it('fills under the reporting limit without a 429, then grows incrementally', async () => {
    const t0 = Date.now();
    const ids = new Set<string>();
    const gen = reader.auditIndex.fetchAuditRecords({ top: 10 });
    let n = await gen.next();
    while (!n.done) {
      for (const r of n.value) ids.add(r.id);
      n = await gen.next();
    }
    const first = n.value;
    const expected = ['Update user', 'Change Source of Authority from AD to cloud'].reduce((n, a) => n + env.sb.tenant.queryAudits({ activityDisplayName: a, top: 100_000 }).records.length, 0);
    expect(ids.size).toBe(expected);
    expect(first.requests).toBeGreaterThan(5);
    expect(first.retries).toBe(0); // the client kept under 5 per 10 s
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9_000);
    expect(first.outsideRetention).toBe(true); // a first fill starts at the retention limit

    const victim = [...env.sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === true)!;
    env.sb.tenant.legacyCloudEdit(victim.id, '+1 206 555 4242', { kind: 'user', id: 'x', userPrincipalName: 'helpdesk@contoso.example' });
    const switched = [...env.sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === true && u.id !== victim.id)!;
    env.sb.tenant.setCloudManaged(switched.id, true, { kind: 'user', id: 'y', userPrincipalName: 'hybrid.admin@contoso.example' });
    const again = reader.auditIndex.fetchAuditRecords({ since: first.newest });
    const fresh: string[] = [];
    const freshRecords: unknown[] = [];
    n = await again.next();
    while (!n.done) {
      fresh.push(...n.value.map((r) => r.id).filter((id) => !ids.has(id)));
      freshRecords.push(...n.value.filter((r) => !ids.has(r.id)));
      n = await again.next();
    }
    expect(fresh).toHaveLength(2);
    // The switch arrives through the real client and is read as such (#17 point 8).
    expect(parseDirectoryAudits(freshRecords).authorityChanges).toMatchObject([{ targetId: switched.id, to: 'cloud', actor: 'hybrid.admin@contoso.example' }]);
    expect(n.value.requests).toBe(2); // one per activity: "Update user", then the source-of-authority switches (#17 point 8)
    expect(n.value.outsideRetention).toBe(false);

    const one = await reader.auditIndex.lookupUserAudit(victim.id);
    expect(one.changes.at(-1) ?? one.changes[0]).toBeDefined();
    expect(one.changes.map((c) => c.newValue)).toContain('+1 206 555 4242');
  }, 60_000);

  it('says honestly when the wanted window is beyond retention', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const gen = reader.auditIndex.fetchAuditRecords({ since: old, top: 999 });
    let n = await gen.next();
    while (!n.done) n = await gen.next();
    expect(n.value.outsideRetention).toBe(true);
    expect(n.value.retentionStart > old).toBe(true);
  });
});

describe('writing', () => {
  it('batches mobilePhone writes: 200 for cloud-writable users, the typed SOA error for synced ones, 429 items retried on their own', async () => {
    const users = [...env.sb.tenant.listUsers()];
    const unsynced = users.filter((u) => u.onPremisesSyncEnabled === false).slice(0, 3);
    const synced = users.filter((u) => u.onPremisesSyncEnabled === true && !u.cloudManaged).slice(100, 103);
    expect(unsynced).toHaveLength(3);
    const writes = [unsynced[0], synced[0], unsynced[1], synced[1], unsynced[2], synced[2]].map((u, i) => ({ userId: u!.id, mobilePhone: `+1 425 555 01${String(i).padStart(2, '0')}` }));
    // 12 resource units per 10 s and 3 per write: the 5th and 6th items of the batch answer 429.
    env.sb.setKnobs({ throttle: { identityUnitsPer10s: 12 } });
    const events: ProgressEvent[] = [];
    const out = await writer.patchMobile(writes, { onProgress: (e) => events.push(e) });
    const by = Object.fromEntries(out.results.map((r) => [r.userId, r]));
    for (const u of unsynced) {
      expect(by[u.id]).toMatchObject({ ok: true });
      expect(env.sb.tenant.getUser(u.id)!.mobilePhone).toBe(writes.find((w) => w.userId === u.id)!.mobilePhone);
    }
    for (const u of synced) expect(by[u.id]).toMatchObject({ ok: false, status: 400, error: { code: 'GRAPH_SOA_READONLY', kind: 'conflict' } });
    expect(out.results.some((r) => r.attempts > 1)).toBe(true);
    expect(out.retries).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)).toMatchObject({ phase: 'write', done: 6, total: 6 });
  }, 60_000);

  it('a mail-enabled synced user answers the write with its own refusal, typed GRAPH_MAIL_ENABLED_READONLY (#17 point 10)', async () => {
    const synced = [...env.sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === true && !u.cloudManaged)!;
    const mailUser = env.sb.tenant.createUser({
      userPrincipalName: 'mail.enabled@sandbox.example',
      displayName: 'Mail Enabled',
      mail: 'mail.enabled@sandbox.example',
      mobilePhone: '+1 425 555 0177',
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: 'bWFpbC1lbmFibGVkLWFuY2g=',
      onPremisesLastSyncAt: Date.now(),
    });
    const out = await writer.patchMobile([
      { userId: mailUser.id, mobilePhone: '+1 425 555 0178' },
      { userId: synced.id, mobilePhone: '+1 425 555 0179' },
    ]);
    const by = Object.fromEntries(out.results.map((r) => [r.userId, r]));
    expect(by[mailUser.id]).toMatchObject({ ok: false, status: 400, error: { code: 'GRAPH_MAIL_ENABLED_READONLY', kind: 'conflict' } });
    expect(by[synced.id]).toMatchObject({ ok: false, status: 400, error: { code: 'GRAPH_SOA_READONLY' } });
    expect(env.sb.tenant.getUser(mailUser.id)!.mobilePhone).toBe('+1 425 555 0177');
  }, 60_000);

  it('stops sending once the retry budget is spent: the rest end unsent as throttled, for a later round', async () => {
    const { c, graphCalls, clear } = await recordingClient('writer', { retryPolicy: { maxRetriesPerOperation: 0 } });
    const unsynced = [...env.sb.tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled === false).slice(0, 30);
    expect(unsynced.length).toBeGreaterThan(20);
    // 3 units per write and 3 per 10 s: the first item lands, the next answers 429 and may not retry.
    env.sb.setKnobs({ throttle: { identityUnitsPer10s: 3 } });
    clear();
    const out = await c.patchMobile(unsynced.map((u, i) => ({ userId: u.id, mobilePhone: `+1 425 555 02${String(i).padStart(2, '0')}` })));
    expect(graphCalls()).toEqual(['POST /v1.0/$batch']);
    expect(out.results.filter((r) => r.ok)).toHaveLength(1);
    expect(out.results.filter((r) => !r.ok).every((r) => r.status === 429 && r.error?.code === 'GRAPH_THROTTLED')).toBe(true);
    expect(out.results.map((r) => r.userId)).toEqual(unsynced.map((u) => u.id));
  });

  it('switches a user to cloud management (/beta) after which Graph accepts the write', async () => {
    const u = [...env.sb.tenant.listUsers()].filter((x) => x.onPremisesSyncEnabled === true && !x.cloudManaged)[200]!;
    expect(await writer.getOnPremisesSyncBehavior(u.id)).toEqual({ isCloudManaged: false });
    expect(await writer.setCloudManaged(u.id, true)).toEqual({ isCloudManaged: true });
    const out = await writer.patchMobile([{ userId: u.id, mobilePhone: '+1 425 555 0777' }]);
    expect(out.results[0]).toMatchObject({ ok: true });
    expect(env.sb.tenant.getUser(u.id)!.mobilePhone).toBe('+1 425 555 0777');
  });

  it('names the missing permission when a read-only app tries to write', async () => {
    const u = [...env.sb.tenant.listUsers()].find((x) => x.onPremisesSyncEnabled === false)!;
    const out = await reader.patchMobile([{ userId: u.id, mobilePhone: '+1 425 555 0888' }]);
    expect(out.results[0]).toMatchObject({ ok: false, status: 403, error: { code: 'GRAPH_FORBIDDEN', kind: 'permission' } });
    expect(out.results[0]!.error!.message).toMatch(/User-Phone\.ReadWrite\.All/);
  });
});
