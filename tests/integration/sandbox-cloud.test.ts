/**
 * The sandbox tenant as the product sees it: real msal-node (client credentials with secret and with
 * certificate, device code, interactive auth code + PKCE) and the real Graph SDK over HTTPS, trusting
 * only the sandbox's own CA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, PublicClientApplication, type Configuration } from '@azure/msal-node';
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { fetch as undiciFetch, type Agent } from 'undici';
import { decodeJwt } from 'jose';
import { startSandboxTenant, type SandboxTenant } from '../../main/sandbox/server';
import { SOA_MESSAGE } from '../../main/sandbox/graph-users';
import { msalNetwork, sandboxAgent, sandboxGraphClient } from '../support/sandbox-clients';

let sb: SandboxTenant;
let agent: Agent;

function msalConfig(clientId: string, extra: Partial<Configuration['auth']> = {}): Configuration {
  return {
    auth: { clientId, authority: sb.authority, knownAuthorities: [sb.authorityHost], ...extra },
    system: { networkClient: msalNetwork(agent) },
  };
}

async function appToken(which: 'reader' | 'writer', credential: 'secret' | 'certificate' = 'secret'): Promise<string> {
  const app = sb.apps[which];
  const cca = new ConfidentialClientApplication(
    msalConfig(
      app.appId,
      credential === 'secret'
        ? { clientSecret: app.clientSecret! }
        : {
            clientCertificate: {
              thumbprintSha256: app.certificate!.thumbprintSha256,
              privateKey: app.certificate!.privateKeyPem,
            },
          },
    ),
  );
  const r = await cca.acquireTokenByClientCredential({ scopes: [sb.graphScope] });
  if (!r) throw new Error('no token');
  return r.accessToken;
}

/** Follows the sandbox sign-in page the way a person would: read the form, fill it, submit it. */
async function signInThroughPage(authorizeUrl: string, upn: string, password: string): Promise<void> {
  const page = await undiciFetch(authorizeUrl, { dispatcher: agent });
  const html = await page.text();
  expect(page.status).toBe(200);
  const rid = /name="rid" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(rid && action).toBeTruthy();
  const posted = await undiciFetch(new URL(action!, sb.origin), {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ rid: rid!, username: upn, password }).toString(),
    redirect: 'manual',
  });
  const formPost = await posted.text();
  expect(posted.status).toBe(200);
  // The form_post page: post its hidden fields to the redirect URI (msal-node's loopback listener).
  const target = /<form method="post" action="([^"]+)"/.exec(formPost)![1]!.replace(/&amp;/g, '&');
  const fields = new URLSearchParams();
  for (const m of formPost.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields.set(m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  const done = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  await done.text();
}

async function delegatedToken(
  who: 'globalAdmin' | 'userAdmin',
  scopes: string[],
  pca = new PublicClientApplication(msalConfig(sb.apps.workbench.appId)),
): Promise<{ accessToken: string; idToken: string }> {
  const user = sb.users[who];
  const r = await pca.acquireTokenInteractive({
    scopes: scopes.map((s) => `${sb.origin}/${s}`),
    openBrowser: (url) => signInThroughPage(url, user.userPrincipalName, user.password),
    successTemplate: 'signed in',
    errorTemplate: 'failed',
  });
  return { accessToken: r.accessToken, idToken: r.idToken };
}

function graph(token: string): Client {
  return sandboxGraphClient(sb, agent, () => Promise.resolve(token));
}

async function graphFails(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected the Graph call to fail');
}

beforeAll(async () => {
  sb = await startSandboxTenant({ seed: { count: 2500, seed: 7, unsyncedRate: 0.02 } });
  agent = sandboxAgent(sb.caPem);
});

afterAll(async () => {
  await sb?.close();
  await agent?.close();
});

describe('sign-in against the sandbox with msal-node', () => {
  it('issues app-only tokens for a client secret and for a certificate assertion', async () => {
    const bySecret = decodeJwt(await appToken('reader', 'secret'));
    const byCert = decodeJwt(await appToken('reader', 'certificate'));
    for (const claims of [bySecret, byCert]) {
      expect(claims.idtyp).toBe('app');
      expect(claims.roles).toEqual(['User.Read.All', 'AuditLog.Read.All', 'Organization.Read.All']);
      expect(claims.tid).toBe(sb.tenantId);
    }
  });

  it('also accepts the authority through cloudDiscoveryMetadata and authorityMetadata instead of knownAuthorities', async () => {
    const get = async (url: string) => (await undiciFetch(url, { dispatcher: agent })).text();
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: sb.apps.reader.appId,
        authority: sb.authority,
        clientSecret: sb.apps.reader.clientSecret!,
        cloudDiscoveryMetadata: await get(`${sb.origin}/common/discovery/instance`),
        authorityMetadata: await get(`${sb.authority}/v2.0/.well-known/openid-configuration`),
      },
      system: { networkClient: msalNetwork(agent) },
    });
    const r = await cca.acquireTokenByClientCredential({ scopes: [sb.graphScope] });
    expect(decodeJwt(r!.accessToken).appid).toBe(sb.apps.reader.appId);
  });

  it('refuses a wrong secret and a certificate the app does not have', async () => {
    const wrong = new ConfidentialClientApplication(msalConfig(sb.apps.reader.appId, { clientSecret: 'not-the-secret' }));
    await expect(wrong.acquireTokenByClientCredential({ scopes: [sb.graphScope] })).rejects.toThrow(/AADSTS7000215/);
    const foreign = new ConfidentialClientApplication(
      msalConfig(sb.apps.reader.appId, {
        clientCertificate: {
          thumbprintSha256: sb.apps.writer.certificate!.thumbprintSha256,
          privateKey: sb.apps.writer.certificate!.privateKeyPem,
        },
      }),
    );
    await expect(foreign.acquireTokenByClientCredential({ scopes: [sb.graphScope] })).rejects.toThrow(/AADSTS700027/);
  });

  it('completes the device code flow once the code is entered on the sandbox page', async () => {
    const pca = new PublicClientApplication(msalConfig(sb.apps.workbench.appId));
    const admin = sb.users.globalAdmin;
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [`${sb.origin}/User.Read.All`],
      deviceCodeCallback: (info) => {
        void (async () => {
          const res = await undiciFetch(info.verificationUri, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              user_code: info.userCode,
              username: admin.userPrincipalName,
              password: admin.password,
            }).toString(),
          });
          expect(await res.text()).toContain('You have signed in');
        })();
      },
    });
    expect(result?.account?.username).toBe(admin.userPrincipalName);
    expect(decodeJwt(result!.accessToken).scp).toBe('User.Read.All');
  });

  it('completes interactive auth code + PKCE through the sign-in page, with wids in the ID token', async () => {
    const pca = new PublicClientApplication(msalConfig(sb.apps.workbench.appId));
    const { accessToken, idToken } = await delegatedToken('globalAdmin', ['User.Read.All'], pca);
    expect(decodeJwt(idToken).wids).toEqual(['62e90394-69f5-4237-9190-012177145e10']);
    expect(decodeJwt(accessToken).idtyp).toBe('user');
    // A later silent call redeems the refresh token (offline_access, which msal asks for by default).
    const [account] = await pca.getAllAccounts();
    expect(account?.username).toBe(sb.users.globalAdmin.userPrincipalName);
    const silent = await pca.acquireTokenSilent({
      account: account!,
      scopes: [`${sb.origin}/User.Read.All`],
      forceRefresh: true,
    });
    expect(silent.accessToken).not.toBe(accessToken);
    expect(decodeJwt(silent.accessToken).scp).toBe('User.Read.All');
  });
});

describe('Graph subset over HTTPS with the Graph SDK', () => {
  it('pages past 999 users with opaque skip tokens and counts with ConsistencyLevel eventual', async () => {
    const client = graph(await appToken('reader'));
    const first = (await client
      .api('/users')
      .header('ConsistencyLevel', 'eventual')
      .query({ $count: 'true' })
      .select('id,userPrincipalName,mobilePhone,onPremisesImmutableId')
      .top(999)
      .get()) as {
      value: { id: string; onPremisesImmutableId: string | null }[];
      '@odata.nextLink'?: string;
      '@odata.count'?: number;
    };
    expect(first.value).toHaveLength(999);
    expect(first['@odata.count']).toBe(sb.tenant.userCount);
    const ids = new Set(first.value.map((u) => u.id));
    let next = first['@odata.nextLink'];
    expect(next).toMatch(/\$skiptoken=/);
    while (next) {
      const page = (await client.api(next).get()) as { value: { id: string }[]; '@odata.nextLink'?: string };
      for (const u of page.value) ids.add(u.id);
      next = page['@odata.nextLink'];
    }
    expect(ids.size).toBe(sb.tenant.userCount);
    await expect(client.api('/users').top(1000).get()).rejects.toMatchObject({ statusCode: 400, code: 'Request_BadRequest' });
  });

  it('filters synced users only in advanced query mode, and by id in (...)', async () => {
    const client = graph(await appToken('reader'));
    const err = await graphFails(client.api('/users').filter('onPremisesSyncEnabled eq true').get());
    expect(err.code).toBe('Request_UnsupportedQuery');
    const synced = (await client
      .api('/users')
      .header('ConsistencyLevel', 'eventual')
      .query({ $count: 'true' })
      .filter('onPremisesSyncEnabled eq true')
      .top(1)
      .get()) as { '@odata.count': number };
    const expected = [...sb.tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled === true).length;
    expect(synced['@odata.count']).toBe(expected);
    const some = [...sb.tenant.listUsers()].slice(10, 13);
    const byIds = (await client
      .api('/users')
      .filter(`id in (${some.map((u) => `'${u.id}'`).join(',')})`)
      .get()) as { value: { id: string }[] };
    expect(byIds.value.map((u) => u.id)).toEqual(some.map((u) => u.id));
  });

  it('round-trips /users/delta: the delta link returns only what changed since', async () => {
    const client = graph(await appToken('reader'));
    let link: string | undefined = '/users/delta?$select=id,mobilePhone&$top=999';
    let deltaLink: string | undefined;
    let seen = 0;
    let pages = 0;
    while (link) {
      pages++;
      const page = (await client.api(link).get()) as {
        value: unknown[];
        '@odata.nextLink'?: string;
        '@odata.deltaLink'?: string;
      };
      seen += page.value.length;
      link = page['@odata.nextLink'];
      deltaLink = page['@odata.deltaLink'];
    }
    expect(seen).toBe(sb.tenant.userCount);
    // The first call's $top holds for the whole round (the links carry it).
    expect(pages).toBe(Math.ceil(sb.tenant.userCount / 999));
    const target = [...sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === true)!;
    sb.tenant.syncWrite({
      kind: 'update',
      immutableId: target.onPremisesImmutableId!,
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 425 555 0000' },
    });
    const changed = (await client.api(deltaLink!).get()) as {
      value: { id: string; mobilePhone: string }[];
      '@odata.deltaLink': string;
    };
    expect(changed.value).toEqual([{ id: target.id, mobilePhone: '+1 425 555 0000' }]);
    const quiet = (await client.api(changed['@odata.deltaLink']).get()) as { value: unknown[] };
    expect(quiet.value).toEqual([]);
  });

  it("answers 400 Request_BadRequest for a synced user's mobilePhone and accepts it for an unsynced user", async () => {
    const client = graph(await appToken('writer'));
    const synced = [...sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === true && !u.cloudManaged)!;
    const err = await graphFails(client.api(`/users/${synced.id}`).patch({ mobilePhone: '+1 206 555 0100' }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('Request_BadRequest');
    expect(err.message).toBe(SOA_MESSAGE);
    const unsynced = [...sb.tenant.listUsers()].find((u) => u.onPremisesSyncEnabled === false)!;
    await client.api(`/users/${unsynced.id}`).patch({ mobilePhone: '+1 206 555 0101' });
    const back = (await client.api(`/users/${unsynced.id}`).select('mobilePhone').get()) as { mobilePhone: string };
    expect(back.mobilePhone).toBe('+1 206 555 0101');
  });

  it('accepts the write once the user is cloud managed through /beta onPremisesSyncBehavior', async () => {
    const client = graph(await appToken('writer'));
    const u = [...sb.tenant.listUsers()].find((x) => x.onPremisesSyncEnabled === true && !x.cloudManaged)!;
    await client.api(`/users/${u.id}/onPremisesSyncBehavior`).version('beta').patch({ isCloudManaged: true });
    const state = (await client.api(`/users/${u.id}/onPremisesSyncBehavior`).version('beta').get()) as {
      isCloudManaged: boolean;
    };
    expect(state.isCloudManaged).toBe(true);
    await client.api(`/users/${u.id}`).patch({ mobilePhone: '+1 206 555 0102' });
    expect(sb.tenant.getUser(u.id)!.mobilePhone).toBe('+1 206 555 0102');
  });

  it('refuses the bypass feature to app-only tokens and to a non-Global Administrator, and lets a Global Administrator flip it', async () => {
    const app = graph(await appToken('writer'));
    expect((await graphFails(app.api('/directory/onPremisesSynchronization').get())).statusCode).toBe(403);
    const userAdmin = graph((await delegatedToken('userAdmin', ['OnPremDirectorySynchronization.ReadWrite.All'])).accessToken);
    expect((await graphFails(userAdmin.api('/directory/onPremisesSynchronization').get())).code).toBe(
      'Authorization_RequestDenied',
    );
    const ga = graph((await delegatedToken('globalAdmin', ['OnPremDirectorySynchronization.ReadWrite.All'])).accessToken);
    const list = (await ga.api('/directory/onPremisesSynchronization').get()) as {
      value: { id: string; features: { bypassDirSyncOverridesEnabled: boolean } }[];
    };
    expect(list.value[0]!.features.bypassDirSyncOverridesEnabled).toBe(false);
    const id = list.value[0]!.id;
    await ga.api(`/directory/onPremisesSynchronization/${id}`).patch({ features: { bypassDirSyncOverridesEnabled: true } });
    const after = (await ga.api(`/directory/onPremisesSynchronization/${id}`).get()) as {
      features: { bypassDirSyncOverridesEnabled: boolean };
    };
    expect(after.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(sb.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    sb.tenant.setFeatures(
      { bypassDirSyncOverridesEnabled: false },
      { kind: 'user', id: sb.users.globalAdmin.id, userPrincipalName: sb.users.globalAdmin.userPrincipalName },
    );
  });

  it('shows a legacy cloud edit in directoryAudits as documented', async () => {
    sb.resetThrottling();
    const u = [...sb.tenant.listUsers()].find((x) => x.onPremisesSyncEnabled === true && !x.cloudManaged && !x.dirSyncOverride)!;
    const before = u.mobilePhone;
    const res = await undiciFetch(`${sb.origin}/_sandbox/users/${u.id}/legacyCloudEdit`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'x-sandbox-admin-key': sb.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ value: '+1 206 555 0199', actorUserPrincipalName: sb.users.userAdmin.userPrincipalName }),
    });
    expect(res.status).toBe(204);
    const client = graph(await appToken('reader'));
    const page = (await client
      .api('/auditLogs/directoryAudits')
      .filter(`activityDisplayName eq 'Update user' and targetResources/any(t: t/id eq '${u.id}')`)
      .top(5)
      .get()) as { value: Record<string, unknown>[] };
    expect(page.value).toHaveLength(1);
    const rec = page.value[0] as {
      activityDisplayName: string;
      category: string;
      activityDateTime: string;
      initiatedBy: { user: { userPrincipalName: string } | null; app: unknown };
      targetResources: {
        id: string;
        type: string;
        modifiedProperties: { displayName: string; oldValue: string; newValue: string }[];
      }[];
    };
    expect(rec.category).toBe('UserManagement');
    expect(rec.initiatedBy.user?.userPrincipalName).toBe(sb.users.userAdmin.userPrincipalName);
    expect(rec.initiatedBy.app).toBeNull();
    const prop = rec.targetResources[0]!.modifiedProperties[0]!;
    expect(['Mobile', 'MobilePhone']).toContain(prop.displayName);
    expect(JSON.parse(prop.oldValue)).toEqual(before === null ? [] : [before]);
    expect(JSON.parse(prop.newValue)).toEqual(['+1 206 555 0199']);
    // The override now holds the cloud value against the next sync.
    const r = sb.tenant.syncWrite({
      kind: 'update',
      immutableId: u.onPremisesImmutableId!,
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 425 555 4242' },
    });
    expect(r.suppressedByOverride).toEqual(['mobilePhone']);
  });

  it('pages the audit log newest first and filters by time window and initiator', async () => {
    sb.resetThrottling();
    const actor = {
      kind: 'user' as const,
      id: sb.users.hybridAdmin.id,
      userPrincipalName: sb.users.hybridAdmin.userPrincipalName,
    };
    const targets = [...sb.tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled === false).slice(0, 3);
    const from = new Date(Date.now() - 1000).toISOString();
    for (const t of targets) sb.tenant.legacyCloudEdit(t.id, '+1 206 555 0300', actor);
    const client = graph(await appToken('reader'));
    const seen: string[] = [];
    const first = (await client
      .api('/auditLogs/directoryAudits')
      .filter(`activityDateTime ge ${from} and initiatedBy/user/userPrincipalName eq '${actor.userPrincipalName}'`)
      .top(2)
      .get()) as { value: { targetResources: { id: string }[]; activityDateTime: string }[]; '@odata.nextLink'?: string };
    seen.push(...first.value.map((r) => r.targetResources[0]!.id));
    let next = first['@odata.nextLink'];
    expect(next).toMatch(/\$skiptoken=/);
    while (next) {
      const page = (await client.api(next).get()) as {
        value: { targetResources: { id: string }[] }[];
        '@odata.nextLink'?: string;
      };
      seen.push(...page.value.map((r) => r.targetResources[0]!.id));
      next = page['@odata.nextLink'];
    }
    expect(seen).toEqual(targets.map((t) => t.id).reverse());
    const bad = await graphFails(client.api('/auditLogs/directoryAudits').filter("startswith(activityDisplayName,'Upd')").get());
    expect(bad.statusCode).toBe(400);
  });

  it('restores a serialized tenant into a new sandbox with fresh credentials', async () => {
    const snapshot = JSON.parse(JSON.stringify(sb.tenant.serialize())) as unknown;
    expect(JSON.stringify(snapshot)).not.toContain(sb.apps.reader.clientSecret!);
    const { TenantStore } = await import('../../main/sandbox/tenant');
    const second = await startSandboxTenant({ tenant: TenantStore.restore(snapshot) });
    const agent2 = sandboxAgent(second.caPem);
    try {
      expect(second.apps.reader.appId).toBe(sb.apps.reader.appId);
      expect(second.tenant.userCount).toBe(sb.tenant.userCount);
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: second.apps.reader.appId,
          authority: second.authority,
          knownAuthorities: [second.authorityHost],
          clientSecret: second.apps.reader.clientSecret!,
        },
        system: { networkClient: msalNetwork(agent2) },
      });
      const r = await cca.acquireTokenByClientCredential({ scopes: [second.graphScope] });
      const res = await undiciFetch(`${second.graphBaseUrl}/users?$top=1&$select=id`, {
        dispatcher: agent2,
        headers: { authorization: `Bearer ${r!.accessToken}` },
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      // The old sandbox's secret no longer works against the new one.
      const old = new ConfidentialClientApplication({
        auth: {
          clientId: second.apps.reader.appId,
          authority: second.authority,
          knownAuthorities: [second.authorityHost],
          clientSecret: sb.apps.reader.clientSecret!,
        },
        system: { networkClient: msalNetwork(agent2) },
      });
      await expect(old.acquireTokenByClientCredential({ scopes: [second.graphScope] })).rejects.toThrow(/AADSTS7000215/);
    } finally {
      await second.close();
      await agent2.close();
    }
  });

  it('throttles the audit log at 5 requests per 10 s per app with Retry-After in seconds and HTTP-date form', async () => {
    sb.resetThrottling();
    const token = await appToken('reader');
    const statuses: number[] = [];
    const retryAfter: string[] = [];
    sb.setKnobs({ throttle: { retryAfterForm: 'alternate' } });
    try {
      for (let i = 0; i < 8; i++) {
        const res = await undiciFetch(`${sb.graphBaseUrl}/auditLogs/directoryAudits?$top=1`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter.push(res.headers.get('retry-after')!);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
        } else await res.arrayBuffer();
      }
    } finally {
      sb.setKnobs({ throttle: { retryAfterForm: 'seconds' } });
    }
    // 5 per 10 s refills one request every 2 s: on a slow machine one late request may fit again.
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(retryAfter.some((v) => /^\d+$/.test(v) && Number(v) >= 1)).toBe(true);
    expect(retryAfter.some((v) => !Number.isNaN(Date.parse(v)) && /GMT$/.test(v))).toBe(true);
  });

  it('throttles identity requests under load once the resource-unit bucket is spent', async () => {
    sb.resetThrottling();
    sb.setKnobs({ throttle: { identityUnitsPer10s: 40 } });
    try {
      const token = await appToken('reader');
      const results = await Promise.all(
        Array.from({ length: 30 }, () =>
          undiciFetch(`${sb.graphBaseUrl}/users?$top=5`, {
            dispatcher: agent,
            headers: { authorization: `Bearer ${token}` },
          }).then(async (r) => ({
            status: r.status,
            ra: r.headers.get('retry-after'),
            pct: r.headers.get('x-ms-throttle-limit-percentage'),
            body: await r.text(),
          })),
        ),
      );
      const throttled = results.filter((r) => r.status === 429);
      // 40 units at 2 per request: 20 fit; the bucket refills 4 units/s, so a slow run may fit one or two more.
      const ok = results.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(20);
      expect(ok).toBeLessThanOrEqual(23);
      expect(throttled.length).toBe(30 - ok);
      expect(throttled.every((r) => r.ra !== null && Number(r.ra) >= 1)).toBe(true);
      expect(results.some((r) => r.status === 200 && r.pct !== null)).toBe(true);
    } finally {
      sb.setKnobs({ throttle: { identityUnitsPer10s: null } });
      sb.resetThrottling();
    }
  });

  it('answers $batch items independently, with 424 for a failed dependency and per-item 429', async () => {
    sb.resetThrottling();
    const client = graph(await appToken('writer'));
    const users = [...sb.tenant.listUsers()];
    const synced = users.find((u) => u.onPremisesSyncEnabled === true && !u.cloudManaged)!;
    const unsynced = users.filter((u) => u.onPremisesSyncEnabled === false)[1]!;
    const body = {
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: `/users/${synced.id}`,
          headers: { 'Content-Type': 'application/json' },
          body: { mobilePhone: '+1 1' },
        },
        {
          id: '2',
          method: 'PATCH',
          url: `/users/${unsynced.id}`,
          headers: { 'Content-Type': 'application/json' },
          body: { mobilePhone: '+1 206 555 0103' },
        },
        { id: '3', method: 'GET', url: `/users/${synced.id}?$select=id`, dependsOn: ['1'] },
        { id: '4', method: 'GET', url: `/users/${unsynced.id}?$select=mobilePhone`, dependsOn: ['2'] },
        { id: '5', method: 'GET', url: '/users/00000000-0000-0000-0000-000000000000' },
      ],
    };
    const res = (await client.api('/$batch').post(body)) as {
      responses: { id: string; status: number; body?: { error?: { code: string }; mobilePhone?: string } }[];
    };
    const byId = Object.fromEntries(res.responses.map((r) => [r.id, r]));
    expect(byId['1']!.status).toBe(400);
    expect(byId['2']!.status).toBe(204);
    expect(byId['3']!.status).toBe(424);
    expect(byId['4']!.status).toBe(200);
    expect(byId['4']!.body?.mobilePhone).toBe('+1 206 555 0103');
    expect(byId['5']!.body?.error?.code).toBe('Request_ResourceNotFound');

    sb.setKnobs({ throttle: { writesPer150s: 2 } });
    try {
      const writes = {
        requests: [0, 1, 2, 3].map((i) => ({
          id: `w${i}`,
          method: 'PATCH',
          url: `/users/${unsynced.id}`,
          headers: { 'Content-Type': 'application/json' },
          body: { mobilePhone: `+1 206 555 020${i}` },
        })),
      };
      const r2 = (await client.api('/$batch').post(writes)) as {
        responses: { id: string; status: number; headers: Record<string, string> }[];
      };
      expect(r2.responses.map((r) => r.status)).toEqual([204, 204, 429, 429]);
      expect(Number(r2.responses[2]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      sb.setKnobs({ throttle: { writesPer150s: 3000 } });
      sb.resetThrottling();
    }
    const tooMany = { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/organization' })) };
    expect((await graphFails(client.api('/$batch').post(tooMany))).statusCode).toBe(400);
  });

  it('injects faults through the knobs: 503 with Retry-After and connection resets', async () => {
    const token = await appToken('reader');
    sb.setKnobs({ faults: { unavailable: true } });
    try {
      const res = await undiciFetch(`${sb.graphBaseUrl}/organization`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      await res.arrayBuffer();
    } finally {
      sb.setKnobs({ faults: { unavailable: false } });
    }
    sb.setKnobs({ faults: { resetRate: 1 } });
    try {
      await expect(
        undiciFetch(`${sb.graphBaseUrl}/organization`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } }),
      ).rejects.toThrow();
    } finally {
      sb.setKnobs({ faults: { resetRate: 0 } });
    }
  });

  it('guards the sandbox admin endpoint with its key', async () => {
    const res = await undiciFetch(`${sb.origin}/_sandbox/knobs`, {
      dispatcher: agent,
      headers: { 'x-sandbox-admin-key': 'guess' },
    });
    expect(res.status).toBe(401);
    await res.arrayBuffer();
    const ok = await undiciFetch(`${sb.origin}/_sandbox/knobs`, {
      method: 'PATCH',
      dispatcher: agent,
      headers: { 'x-sandbox-admin-key': sb.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { latencyMs: 0, errorRate: 2 } }),
    });
    expect(ok.status).toBe(400);
    expect(await ok.text()).toMatch(/faults\.errorRate/);
  });

  it('rejects a client that does not trust the sandbox CA', async () => {
    await expect(fetch(`${sb.origin}/${sb.tenantId}/v2.0/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
