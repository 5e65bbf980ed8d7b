/**
 * The service side as every host composes it (main/api/services.ts), against the real sandbox tenant
 * over HTTPS with msal's real device-code flow, the real workspace (SQLite) and the real drift engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DriftRow } from '../../main/core/model';
import { servicesHarness, type ServicesHarness } from '../support/services-harness';

async function scanSandbox(h: ServicesHarness): Promise<{ scanId: string; rows: DriftRow[] }> {
  const { scanId, rows, scan } = await h.scan();
  expect(scan.state, scan.problems.join('; ')).toBe('completed');
  return { scanId, rows };
}

const h = servicesHarness('sd-api-');
const dir = h.dir;

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close();
});

describe('the sandbox profile through the service side', () => {
  it('is always listed, and its dashboard reads the bypass state as the sandbox Global Administrator', async () => {
    const { profiles } = await h.call<{ profiles: Array<{ id: string; kind: string }> }>('profiles.list', {});
    expect(profiles[0]).toMatchObject({ id: 'sandbox', kind: 'sandbox' });
    const dash = await h.call<{ tenant: { bypass: string; lastSyncAt: string | null } }>('dashboard.get', { profileId: 'sandbox' });
    expect(dash.tenant.bypass).toBe('off');
    expect(dash.tenant.lastSyncAt).not.toBeNull();
  });

  it('scans the demo and classifies the field report user as a cloud override', async () => {
    const { scanId, rows } = await scanSandbox(h);
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile');
    expect(testmobile).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890' } });
    // A user whose source of authority was switched to the cloud looks synced in /users; the scan
    // asks onPremisesSyncBehavior for the rows needing attention and routes her to per-user writes.
    expect(rows.find((r) => r.cloud?.upn.startsWith('layla.mansour@'))?.cloud?.managed).toBe(true);
    expect(rows.filter((r) => r.cloud?.managed && r.status !== 'in-sync').length).toBeGreaterThan(0);
    // Every status the product classifies is present in the demo.
    const statuses = new Set(rows.map((r) => r.status));
    for (const s of ['in-sync', 'pending-sync', 'format-only', 'cloud-missing', 'onprem-missing', 'cloud-override', 'unmatched-onprem', 'unmatched-cloud']) expect(statuses).toContain(s);
    // Progress was reported for both sides.
    const phases = new Set(h.events.filter((e) => e.event === 'op.progress').map((e) => (e.payload as { phase: string }).phase));
    expect([...phases].some((p) => p.startsWith('onprem:'))).toBe(true);
    expect(phases).toContain('cloud');

    // The audit index fills in the background; the details then name who edited the cloud value.
    await h.waitFor('audit.progress', (p) => (p as { state: string }).state === 'complete');
    const details = await h.call<{ audit: { state: string; records: Array<{ actor: string; newValue: string | null; syncWrite: boolean }> }; timeline: Array<{ kind: string }>; views: Array<{ title: string; text: string }> }>(
      'rows.details',
      { scanId, rowKey: testmobile!.key },
    );
    expect(details.audit.state).toBe('known');
    // The cause was written while the audit index was still filling; it now names the editor instead.
    expect((details as unknown as { row: DriftRow }).row.cause).not.toContain('still loading');
    expect((details as unknown as { row: DriftRow }).row.cause).toMatch(/Last cloud change: .* by .*@/);
    expect(details.audit.records.find((r) => r.newValue === '1234567890' && !r.syncWrite)?.actor).toMatch(/@/);
    expect(details.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['onprem-change', 'sync', 'cloud-change']));
    expect(details.views).toHaveLength(3);
    expect(details.views.every((v) => /RENDERED/.test(v.title))).toBe(true);
    expect(details.views.map((v) => v.text).join('\n')).toContain('1234567890');

    // The evidence package of this scan carries the legacy edit's audit record as Graph returned it.
    const pkg = await h.call<{ fileName: string; zipBase64: string; files: number; masked: boolean }>('evidence.build', { scanId, rowKeys: [testmobile!.key], mask: false });
    expect(pkg.fileName).toMatch(/^syncdrift-evidence-.*\.zip$/);
    const zip = Buffer.from(pkg.zipBase64, 'base64');
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const verify = async (zipBase64: string) => {
      const { operationId } = await h.call<{ operationId: string }>('evidence.verify', { zipBase64 });
      return (await h.waitFor('evidence.verified', (p) => (p as { operationId: string }).operationId === operationId)) as { state: string; ok: boolean; problems: Array<{ file: string }> };
    };
    expect(await verify(pkg.zipBase64)).toMatchObject({ state: 'done', ok: true, problems: [] });
    // Flip one byte of the first entry's data (local header: 30 bytes + name + extra field).
    const tampered = Buffer.from(zip);
    const dataStart = 30 + tampered.readUInt16LE(26) + tampered.readUInt16LE(28);
    tampered[dataStart + 1] = tampered[dataStart + 1]! ^ 0xff;
    const bad = await verify(tampered.toString('base64'));
    expect(bad.ok).toBe(false);
  });

  it('applies a plan in the background, and its progress names the session once journaled', async () => {
    const { scanId, rows } = await scanSandbox(h);
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    const { plan, readiness } = await h.call<{ plan: { id: string }; readiness: { ready: boolean; why: string[] } }>('remediation.plan', {
      scanId,
      selected: [testmobile.key],
      decisions: [{ rowKey: testmobile.key, action: 'keep-cloud' }],
    });
    expect(readiness.ready, readiness.why.join(' ')).toBe(true);
    const from = h.events.length;
    const { operationId } = await h.call<{ operationId: string }>('remediation.apply', { plan, confirmUsers: 1 });
    const live = await h.waitFor('op.progress', (p) => (p as { operationId: string; sessionId?: string }).operationId === operationId && !!(p as { sessionId?: string }).sessionId);
    const sessionId = (live as { sessionId: string }).sessionId;
    const done = (await h.waitFor('remediation.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { outcome: { sessionId: string; state: string } };
    expect(done.outcome).toMatchObject({ sessionId, state: 'completed' });
    // Every progress event of this operation after the session was journaled carries its id.
    const mine = h.events.slice(from).filter((e) => e.event === 'op.progress' && (e.payload as { operationId: string }).operationId === operationId).map((e) => e.payload as { sessionId?: string; phase: string });
    const firstWithId = mine.findIndex((p) => p.sessionId);
    expect(mine.slice(firstWithId).every((p) => p.sessionId === sessionId)).toBe(true);
    expect(mine.slice(firstWithId).map((p) => p.phase)).toEqual(expect.arrayContaining(['ad-write']));
    await h.call('sandbox.reset', {});
  });

  it('runs a sync cycle in which the override keeps ignoring AD, and keeps the demo across a restart', async () => {
    const sync = await h.call<{ type: string; ignoredByOverride: number; errors: string[] }>('sandbox.runSync', { type: 'delta' });
    expect(sync.errors).toEqual([]);
    const { rows } = await scanSandbox(h);
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    expect(testmobile.cloud?.value).toBe('1234567890');

    // A training edit, then a restart of the whole service side: the sandbox comes back as it was.
    await h.call('sandbox.legacyEdit', { cloudUserId: testmobile.cloud!.id, value: '+1 803 555 0000' });
    await h.close();
    await h.open();
    const after = await scanSandbox(h);
    expect(after.rows.find((r) => r.onPrem?.samAccountName === 'testmobile')?.cloud?.value).toBe('+1 803 555 0000');

    await h.call('sandbox.reset', {});
    const reset = await scanSandbox(h);
    expect(reset.rows.find((r) => r.onPrem?.samAccountName === 'testmobile')?.cloud?.value).toBe('1234567890');
  });
});

describe('live profiles', () => {
  const doc = {
    name: 'Contoso',
    onPrem: { url: 'ldaps://dc01.contoso.test:636', bindDn: 'svc-syncdrift@contoso.test', baseDn: 'DC=contoso,DC=test' },
    cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'clientSecret', secretEnv: 'SYNCDRIFT_CLIENT_SECRET' } },
    defaultRegion: 'US',
  };
  const SECRET = 'Vault-Test-Secret-7f3c9a';
  const PASSWORD = 'Ldap-Test-Password-91b2';

  it('refuses a profile with a wrong field and names it, saving nothing', async () => {
    const before = (await h.call<{ profiles: unknown[] }>('profiles.list', {})).profiles.length;
    const r = await h.callRaw('profiles.save', { document: { ...doc, cloud: { ...doc.cloud, environment: 'mars' } } });
    expect(r.ok).toBe(false);
    expect(r.error?.message).toContain('cloud.environment');
    const typo = await h.callRaw('profiles.save', { document: { ...doc, onPrem: { ...doc.onPrem, basedn: 'DC=x' } } });
    expect(typo.error?.message).toMatch(/onPrem\.basedn/);
    expect((await h.call<{ profiles: unknown[] }>('profiles.list', {})).profiles.length).toBe(before);
  });

  it('refuses secrets on the key-file store until the admin consents, saving nothing (issue 16 finding 7)', async () => {
    const before = (await h.call<{ profiles: unknown[] }>('profiles.list', {})).profiles.length;
    const r = await h.callRaw('profiles.save', { document: doc, secrets: { clientSecret: SECRET } });
    expect(r.error).toMatchObject({ code: 'WEAK_SECRET_STORAGE' });
    expect(r.error?.message).toMatch(/key file .*secret\.key beside the workspace, readable by anyone who can read the workspace/);
    expect((await h.call<{ profiles: unknown[] }>('profiles.list', {})).profiles.length).toBe(before);
    const store = await h.call<{ backend: string; storingAllowed: boolean }>('secrets.consent', { action: 'accept', backend: 'key-file' });
    expect(store).toMatchObject({ backend: 'key-file', storingAllowed: true });
  });

  it('keeps secrets in the vault: never in a channel answer, never in plain text on disk', async () => {
    const { summary } = await h.call<{ summary: { id: string; onPrem: Array<{ id: string; secretStored: boolean }>; cloud: { secretStored: boolean } } }>('profiles.save', {
      document: doc,
      secrets: { onPremPasswords: { 'dc01.contoso.test': PASSWORD }, clientSecret: SECRET },
    });
    expect(summary.onPrem[0]).toMatchObject({ id: 'dc01.contoso.test', secretStored: true });
    expect(summary.cloud.secretStored).toBe(true);

    const answers = JSON.stringify([
      await h.call('profiles.get', { id: summary.id }),
      await h.call('profiles.list', {}),
      await h.call('profiles.export', { id: summary.id }),
      await h.call('profiles.duplicate', { id: summary.id }),
      await h.call('help.diagnostics', { includeDirectoryData: true }),
    ]);
    expect(answers).not.toContain(SECRET);
    expect(answers).not.toContain(PASSWORD);
    for (const f of readdirSync(dir, { recursive: true }) as string[]) {
      const text = (() => {
        try {
          return readFileSync(join(dir, f)).toString('latin1');
        } catch {
          return '';
        }
      })();
      expect(text.includes(SECRET) || text.includes(PASSWORD), `${f} holds a secret in plain text`).toBe(false);
    }
  });

  it('imports and exports the CLI profile format', async () => {
    const imported = await h.call<{ summary: { id: string; name: string } }>('profiles.import', { text: JSON.stringify({ ...doc, name: 'Fabrikam' }) });
    expect(imported.summary.name).toBe('Fabrikam');
    const exported = await h.call<{ fileName: string; text: string }>('profiles.export', { id: imported.summary.id });
    expect(exported.fileName).toBe('Fabrikam.syncdrift-profile.json');
    expect(JSON.parse(exported.text)).toMatchObject({ name: 'Fabrikam', cloud: { tenantId: 'contoso.onmicrosoft.com' } });
    const bad = await h.callRaw('profiles.import', { text: '{ not json' });
    expect(bad.error?.message).toMatch(/not valid JSON/);
    expect((await h.call<{ deleted: boolean }>('profiles.delete', { id: imported.summary.id })).deleted).toBe(true);
  });

  it('remembers UI preferences per scope', async () => {
    await h.call('prefs.set', { scope: 'grid:sandbox', value: { columns: ['upn', 'status'] } });
    expect(await h.call('prefs.get', { scope: 'grid:sandbox' })).toEqual({ value: { columns: ['upn', 'status'] } });
  });
});
