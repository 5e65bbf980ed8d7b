/**
 * The service applies only the plans it built (issue #16, finding 2): a caller that holds the bridge
 * (an XSS in the renderer, a local browser-host client) sends a forged plan under the id of one the
 * service built. Against the real sandbox tenant over HTTPS through the service side every host uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../main/remediation';
import { servicesHarness } from '../support/services-harness';

const h = servicesHarness('sd-trust-');
const { call, callRaw, waitFor, scan } = h;
const bypass = async () => (await call<{ tenant: { bypass: string } }>('dashboard.get', { profileId: 'sandbox' })).tenant.bypass;

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close({ removeDir: true });
});

describe('remediation.apply trusts only its own plans', () => {
  it('refuses a "skip" plan rewritten to turn on the tenant-wide bypass, naming what differs, and the bypass stays off', async () => {
    const { scanId, rows } = await scan();
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    const { plan } = await call<{ plan: Plan }>('remediation.plan', { scanId, selected: [testmobile.key], decisions: [{ rowKey: testmobile.key, action: 'skip' }] });
    expect(plan.steps.some((s) => s.kind === 'set-bypass')).toBe(false);
    expect(await bypass()).toBe('off');

    const forged: Plan = { ...plan, needsBypass: false, rows: [], steps: [{ id: 'bypass-on', kind: 'set-bypass', enabled: true }] };
    const r = await callRaw('remediation.apply', { plan: forged, confirmUsers: 0 });
    if (r.ok) {
      // Today's code: the forged plan runs. Wait for its end, so the assertion below reports it.
      const opId = (r.value as { operationId: string }).operationId;
      await waitFor('remediation.finished', (p) => (p as { operationId: string }).operationId === opId).catch(() => null);
    }
    expect(await bypass()).toBe('off');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('PLAN_TAMPERED');
      expect(r.error.message).toMatch(/steps/);
      expect(r.error.message).toMatch(/rows/);
    }
  });

  it('refuses a plan id it never built, and applies its own copy when the caller sends it unchanged', async () => {
    const { scanId, rows } = await scan();
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    const { plan } = await call<{ plan: Plan }>('remediation.plan', { scanId, selected: [testmobile.key], decisions: [{ rowKey: testmobile.key, action: 'keep-cloud' }] });
    const unknown = await callRaw('remediation.apply', { plan: { ...plan, id: 'not-built-here' }, confirmUsers: 1 });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.code).toBe('PLAN_UNKNOWN');
    const { operationId } = await call<{ operationId: string }>('remediation.apply', { plan, confirmUsers: 1 });
    const done = (await waitFor('remediation.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { outcome: { state: string } };
    expect(done.outcome.state).toBe('completed');
    await call('sandbox.reset', {});
  });

  it('refuses a bypass plan whose scan missed synced users unless the caller accepts that number, and preflight says so too (#17 point 4)', async () => {
    const { scanId, rows } = await scan();
    const testmobile = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    // Every other row skipped: the blast radius is decided, only the unscanned users remain.
    const decisions = rows.filter((r) => r.key !== testmobile.key).map((r) => ({ rowKey: r.key, action: 'skip' }));
    const { plan } = await call<{ plan: Plan }>('remediation.plan', { scanId, selected: [testmobile.key], decisions: [{ rowKey: testmobile.key, action: 'keep-onprem' }, ...decisions] });
    expect(plan.coverage).toMatchObject({ countedBy: 'scan-read', notScanned: 2 });
    const confirmUsers = (await import('../../main/remediation')).affectedUserCount(plan);
    const pre = await call<{ ok: boolean; checks: Array<{ name: string; ok: boolean; message: string }> }>('remediation.preflight', { plan });
    expect(pre.ok).toBe(false);
    expect(pre.checks.find((c) => c.name === 'coverage')).toMatchObject({ ok: false });
    for (const acceptNotScanned of [undefined, 1]) {
      const r = await callRaw('remediation.apply', { plan, confirmUsers, ...(acceptNotScanned === undefined ? {} : { acceptNotScanned }) });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('UNSCANNED_NOT_ACCEPTED');
    }
    const bad = await callRaw('remediation.apply', { plan, confirmUsers, acceptNotScanned: 'all' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain('acceptNotScanned');
    expect((await call<{ sessions: unknown[] }>('remediation.sessions', {})).sessions.filter((s) => (s as { planId: string }).planId === plan.id)).toEqual([]);
    expect(await bypass()).toBe('off');
    const ok = await call<{ ok: boolean }>('remediation.preflight', { plan, acceptNotScanned: 2 });
    expect(ok.ok).toBe(true);
    await call('sandbox.reset', {});
  });
});
