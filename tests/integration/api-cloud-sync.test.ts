/**
 * The app's scan of a Cloud Sync tenant (#18): the service side (main/api/services.ts) with the
 * sandbox demo switched to Cloud Sync mode; the scan reads the job, its mapping and the provisioning
 * logs over HTTPS as the sandbox's Global Administrator and the override user's row is a confirmed
 * override citing the provisioning log entry, stored with its engine view for the grid and details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftRow } from '../../main/core/model';
import { cloudSyncOf } from '../../main/sandbox/cloud-sync';
import { servicesHarness } from '../support/services-harness';

const h = servicesHarness('sd-api-cloudsync-');
const { call, waitFor } = h;

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close({ removeDir: true });
});

describe('the app scan of a Cloud Sync tenant', () => {
  it('joins Cloud Sync\'s view: the override user is a confirmed override citing its provisioning log entry', async () => {
    const sb = await h.services.sandbox.get();
    sb.demo.sync.setEngine('cloud-sync');
    await call('sandbox.runSync', { type: 'initial' });
    const { operationId, scanId } = await call<{ operationId: string; scanId: string }>('scan.start', { profileId: 'sandbox' });
    const done = (await waitFor('scan.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { scan: { state: string; problems: string[] } };
    expect(done.scan.problems.join('; ')).not.toMatch(/Cloud Sync/);
    const page = await call<{ total: number; rows: DriftRow[] }>('rows.page', { scanId, offset: 0, limit: 5000 });
    const t = page.rows.find((r) => r.upn.startsWith('testmobile@'))!;
    expect(t.status).toBe('cloud-override');
    expect(t.flags).toContain('override-confirmed');
    expect(t.engine).toMatchObject({ engine: 'cloud-sync', state: 'exported', rule: { expression: 'direct' } });
    const entry = cloudSyncOf(sb.server.tenant).entries().filter((e) => e.cloudId === t.cloud!.id && e.modified.some((m) => m.name === 'mobile')).pop()!;
    expect(t.engine!.evidence[0]).toEqual({ source: 'provisioning-log', origin: `/auditLogs/provisioning/${entry.id}`, line: null });
    expect(t.cause).toMatch(/^Confirmed override: Cloud Sync exported mobile exactly as AD holds it/);
  });

  it('joins Cloud Sync\'s view in the preflight\'s rescan too: rule-mapped users stay out of the blast radius, as in the scan', async () => {
    const sb = await h.services.sandbox.get();
    sb.demo.sync.setEngine('cloud-sync');
    // An expression mapping (E.164 for c=IN), so some users are rule-formatted only with Cloud Sync's view joined.
    cloudSyncOf(sb.server.tenant).setMobileMapping({ country: 'IN', countryCode: '91' });
    await call('sandbox.runSync', { type: 'initial' });
    const { operationId, scanId } = await call<{ operationId: string; scanId: string }>('scan.start', { profileId: 'sandbox' });
    await waitFor('scan.finished', (p) => (p as { operationId: string }).operationId === operationId);
    const { rows } = await call<{ total: number; rows: DriftRow[] }>('rows.page', { scanId, offset: 0, limit: 5000 });
    const mapped = rows.filter((r) => r.status === 'rule-formatted');
    expect(mapped.length).toBeGreaterThan(0);
    expect(mapped[0]!.engine).toMatchObject({ engine: 'cloud-sync' });
    const tm = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    const { plan } = await call<{ plan: { id: string; blastRadius: Array<{ rowKey: string }> } }>('remediation.plan', {
      scanId,
      selected: [tm.key],
      decisions: [{ rowKey: tm.key, action: 'keep-onprem' }],
    });
    expect(plan.blastRadius.map((b) => b.rowKey)).not.toEqual(expect.arrayContaining([mapped[0]!.key]));
    const pre = await call<{ checks: Array<{ name: string; ok: boolean; message: string }>; conflicts: Array<{ rowKey: string; side: string; message: string }> }>('remediation.preflight', { plan });
    expect(pre.checks.find((c) => c.name === 'blast-radius'), JSON.stringify(pre.checks)).toMatchObject({ ok: true });
    const mappedKeys = new Set(mapped.map((r) => r.key));
    expect(pre.conflicts.filter((c) => c.side === 'blast-radius' && mappedKeys.has(c.rowKey))).toEqual([]);
    cloudSyncOf(sb.server.tenant).setMobileMapping(null);
  }, 180_000);
});
