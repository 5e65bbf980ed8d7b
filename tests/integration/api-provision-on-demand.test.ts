/**
 * The app's Cloud Sync verification step (#18): `remediation.provisionOnDemand` provisions one row's
 * AD user on demand through the sandbox tenant's Graph over HTTPS (the demo in Cloud Sync mode, its
 * simulator provisioning that user alone) and reads Entra ID back. A confirmed override is
 * not-verified; a changed AD value arrives; a Connect tenant or a row without an AD side is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesHarness } from '../support/services-harness';

const h = servicesHarness('sd-api-pod-');
const { call, callRaw, scan } = h;

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close({ removeDir: true });
});

describe('provision on demand from the app (Cloud Sync tenants)', () => {
  it('is refused for a Connect tenant and for a row without an AD side, naming why', async () => {
    const { scanId, rows } = await scan();
    const t = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    const r = await callRaw('remediation.provisionOnDemand', { scanId, rowKey: t.key });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('CLOUD_SYNC_NOT_USED');
      expect(r.error.message).toContain('Cloud Sync only');
    }
    const cloudOnly = rows.find((r) => !r.onPrem)!;
    const noAd = await callRaw('remediation.provisionOnDemand', { scanId, rowKey: cloudOnly.key });
    expect(noAd.ok ? null : noAd.error.code).toBe('ROW_NO_ONPREM');
  });

  it('answers not-verified for the confirmed override, verified once a changed AD value arrives, and refuses unknown rows', async () => {
    const sb = await h.services.sandbox.get();
    sb.demo.sync.setEngine('cloud-sync');
    await call('sandbox.runSync', { type: 'initial' });
    const { scanId, rows } = await scan();
    const t = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    const override = await call<{ verdict: string; message: string; exportedMobile: string | null; entraMobile: string | null }>('remediation.provisionOnDemand', { scanId, rowKey: t.key });
    expect(override.verdict).toBe('not-verified');
    expect(override.exportedMobile).toBe(t.onPrem!.value);
    expect(override.entraMobile).toBe(t.cloud!.value);
    expect(override.message).toContain('a confirmed override');

    // A user whose AD value changed since the last run: on-demand provisioning carries it now.
    const other = rows.find((r) => r.status === 'in-sync' && r.onPrem && r.cloud && !r.cloud.managed && !sb.server.tenant.getUser(r.cloud.id)!.dirSyncOverride);
    expect(other, 'the demo has an in-sync synced user without an override').toBeTruthy();
    sb.demo.directory.modifyUser(other!.onPrem!.dn, { mobile: '+1 425 555 0188' });
    const arrived = await call<{ verdict: string; entraMobile: string | null }>('remediation.provisionOnDemand', { scanId, rowKey: other!.key });
    expect(arrived).toMatchObject({ verdict: 'verified', entraMobile: '+1 425 555 0188' });
    expect(sb.server.tenant.getUser(other!.cloud!.id)!.mobilePhone).toBe('+1 425 555 0188');

    const unknown = await callRaw('remediation.provisionOnDemand', { scanId, rowKey: 'no-such-row' });
    expect(unknown.ok ? null : unknown.error.code).toBe('ROW_NOT_FOUND');
    const bad = await callRaw('remediation.provisionOnDemand', { scanId, rowKey: '' });
    expect(bad.ok ? null : bad.error.message).toContain('rowKey');
  });
});
