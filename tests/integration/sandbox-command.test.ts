/**
 * `syncdrift sandbox` standalone: both sides start on loopback from the demo, the printed endpoints
 * work with real msal-node (client credentials) and real HTTP, a sync cycle run through the on-prem
 * control API shows up in Graph, and --state keeps the sandbox across runs.
 */
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { fetch as undiciFetch, type Agent } from 'undici';
import { parseSandboxArgs, runSandboxCommand } from '../../main/cli/sandbox-command';
import { msalNetwork, sandboxAgent } from '../support/sandbox-clients';
import { readFileSync } from 'node:fs';

interface Printed {
  cloud: { tenantId: string; authority: string; authorityHost: string; graph: string; appOnlyScope: string; caFile: string };
  onPrem: { controlApi: string; adminKey: string; users: number };
  apps: { displayName: string; appId: string; clientSecret: string | null; applicationPermissions: string[] }[];
  accounts: { userPrincipalName: string; password: string | null }[];
}

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

/** Waits until the command has printed its JSON (it keeps running until the signal fires). */
async function printedJson(read: () => string): Promise<Printed> {
  for (let i = 0; i < 600; i++) {
    const text = read().trim();
    if (text.endsWith('}')) {
      try {
        return JSON.parse(text) as Printed;
      } catch {
        /* not complete yet */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the sandbox command printed no JSON: ${read()}`);
}

describe('syncdrift sandbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncdrift-sandbox-cmd-'));
  const state = join(dir, 'state.json');
  const stop = new AbortController();
  const cap = capture();
  let done: Promise<number>;
  let printed: Printed;
  let agent: Agent;

  beforeAll(async () => {
    done = runSandboxCommand(['--json', '--show-secrets', '--ca-dir', dir, '--state', state], {
      ...cap.io,
      env: {},
      cwd: dir,
      signal: stop.signal,
    });
    printed = await printedJson(cap.out);
    agent = sandboxAgent(readFileSync(printed.cloud.caFile, 'utf8'));
  });

  afterAll(async () => {
    stop.abort();
    await done;
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const control = (path: string, init: { method?: string; body?: unknown; key?: string | null; origin?: string } = {}) =>
    undiciFetch(`${printed.onPrem.controlApi}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? printed.onPrem.adminKey}` }),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.origin ? { origin: init.origin } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  async function graphGet(path: string): Promise<Record<string, unknown>> {
    const writer = printed.apps.find((a) => a.displayName.includes('Writer'));
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: writer?.appId ?? '',
        authority: printed.cloud.authority,
        knownAuthorities: [printed.cloud.authorityHost],
        clientSecret: writer?.clientSecret ?? '',
      },
      system: { networkClient: msalNetwork(agent) },
    });
    const token = await cca.acquireTokenByClientCredential({ scopes: [printed.cloud.appOnlyScope] });
    const res = await undiciFetch(`${printed.cloud.graph}${path}`, {
      headers: { authorization: `Bearer ${token?.accessToken ?? ''}` },
      dispatcher: agent,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  }

  const mobileInGraph = async (upn: string) => {
    const body = await graphGet(
      `/users?$filter=${encodeURIComponent(`userPrincipalName eq '${upn}'`)}&$select=mobilePhone,onPremisesSyncEnabled`,
    );
    return (body.value as { mobilePhone: string | null }[])[0]?.mobilePhone;
  };

  it('prints the endpoints, the CA file, app registrations and accounts of the demo', () => {
    expect(existsSync(printed.cloud.caFile)).toBe(true);
    expect(printed.cloud.authority).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(printed.onPrem.controlApi).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(printed.onPrem.users).toBeGreaterThan(300);
    expect(printed.apps.length).toBeGreaterThanOrEqual(3);
    expect(printed.accounts.every((a) => a.password && a.password !== '(hidden: --show-secrets)')).toBe(true);
  });

  it('serves the field report through Graph: the cloud keeps 1234567890 while AD has 0987654321', async () => {
    expect(await mobileInGraph('testmobile@contoso.com')).toBe('1234567890');
    const res = await control('/onprem/users/testmobile');
    expect(await res.json()).toMatchObject({ mobile: '0987654321', inScope: true });
  });

  it('refuses the control API without the key or from a web page', async () => {
    expect((await control('/onprem/users/testmobile', { key: null })).status).toBe(401);
    expect((await control('/onprem/users/testmobile', { key: 'wrong' })).status).toBe(401);
    expect((await control('/onprem/users/testmobile', { origin: 'https://evil.example' })).status).toBe(403);
    const bad = await control('/sync/cycle', { method: 'POST', body: { type: 'full' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('body.type');
  });

  it('runs a sync cycle on request: an on-prem change reaches Graph; a stale compare-and-set write is refused', async () => {
    const stale = await control('/onprem/users/elefevre/mobile', {
      method: 'POST',
      body: { expected: '+33 6 12 34 56 78', next: '+33 6 00 00 00 00' },
    });
    expect(stale.status).toBe(409);
    expect(await mobileInGraph('elodie.lefevre@contoso.com')).toBe('+33 6 12 34 56 78');
    const cycle = await control('/sync/cycle', { method: 'POST', body: { type: 'delta' } });
    expect(cycle.status).toBe(200);
    expect(await cycle.json()).toMatchObject({ cycle: 'delta', incrementalImport: true, added: 2, deleted: 2 });
    expect(await mobileInGraph('elodie.lefevre@contoso.com')).toBe('+33 6 98 76 54 32');
  });

  it('saves its state on exit and starts from it next time', async () => {
    stop.abort();
    expect(await done).toBe(0);
    expect(existsSync(state)).toBe(true);
    const again = capture();
    const code = await runSandboxCommand(['--json', '--once', '--state', state, '--ca-dir', dir], {
      ...again.io,
      env: {},
      cwd: dir,
    });
    expect(code).toBe(0);
    const second = JSON.parse(again.out()) as Printed & { source: string; onPrem: { sync: { lastCycle: { type: string } } } };
    expect(second.source).toContain('state');
    expect(second.onPrem.sync.lastCycle.type).toBe('delta');
    expect(second.accounts[0]?.password).toBe('(hidden: --show-secrets)');
    expect(second.apps.every((a) => a.clientSecret === null || a.clientSecret === '(hidden: --show-secrets)')).toBe(true);
  });
});

describe('syncdrift sandbox arguments', () => {
  it('names the offending argument', () => {
    expect(() => parseSandboxArgs(['--port', 'x'], '/')).toThrow(/--port: must be a whole number/);
    expect(() => parseSandboxArgs(['--engine', 'dirsync'], '/')).toThrow(/--engine/);
    expect(() => parseSandboxArgs(['--frobnicate'], '/')).toThrow(/--frobnicate: unknown option/);
    expect(() => parseSandboxArgs(['--ldif'], '/')).toThrow(/--ldif: needs a value/);
    expect(parseSandboxArgs(['--port=8443', '--replication-lag', '30'], '/')).toMatchObject({
      port: 8443,
      replicationLagSeconds: 30,
    });
  });
  it('exits 2 with usage on a bad argument', async () => {
    const cap = capture();
    expect(await runSandboxCommand(['--nope'], { ...cap.io, env: {}, cwd: '/' })).toBe(2);
    expect(cap.err()).toContain('Usage: syncdrift sandbox');
  });
});
