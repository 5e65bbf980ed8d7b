/**
 * The done-when of #18 in the app's demo (point 3): the sandbox profile's scan, through the service
 * side every host composes (main/api/services.ts) over the sandbox's HTTPS Graph, joins the engine's
 * view the sandbox's sync simulator exports. The demo's custom E.164 rule's users (Pune) show
 * rule-formatted naming the rule, not format-only; testmobile, whose exported value equals AD while
 * Entra keeps the legacy edit, is a confirmed override, and its evidence package carries the
 * connector-space record it cites; its details' timeline has the engine's last export run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DriftRow } from '../../main/core/model';
import { readZipEntries } from '../support/evidence-zip';
import { servicesHarness } from '../support/services-harness';

const h = servicesHarness('sd-demo-engine-');
const { call, waitFor } = h;
const dir = h.dir;

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close();
});

describe('the demo scan joins the sandbox engine view', () => {
  it('shows the custom rule\u2019s users rule-formatted and testmobile a confirmed override with its connector-space record in the package', async () => {
    const { operationId, scanId } = await call<{ operationId: string; scanId: string }>('scan.start', { profileId: 'sandbox' });
    const done = (await waitFor('scan.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { scan: { state: string; problems: string[] } };
    expect(done.scan.state, done.scan.problems.join('; ')).toBe('completed');
    const rows: DriftRow[] = [];
    for (let offset = 0; ; ) {
      const page = await call<{ total: number; rows: DriftRow[] }>('rows.page', { scanId, offset, limit: 5000 });
      rows.push(...page.rows);
      offset += page.rows.length;
      if (offset >= page.total || page.rows.length === 0) break;
    }
    const pune = rows.filter((r) => r.onPrem?.dn.includes('OU=Pune,'));
    expect(pune.length).toBeGreaterThan(3);
    const ruleFormatted = pune.filter((r) => r.status === 'rule-formatted');
    // Every Pune user whose AD text is not already E.164 is reformatted by the rule on its way.
    expect(ruleFormatted.length).toBeGreaterThan(2);
    for (const r of ruleFormatted) {
      expect(r.engine?.rule).toMatchObject({ name: 'Custom - In from AD - Mobile E.164 (Pune)', precedence: 50 });
      expect(r.cause).toMatch(/reformats AD's mobile on its way/);
    }
    expect(pune.filter((r) => r.status === 'format-only')).toEqual([]);

    const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    expect(tm).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890' }, flags: expect.arrayContaining(['override-confirmed']) });
    expect(tm.engine).toMatchObject({ engine: 'connect', state: 'exported', exported: { mobile: '0987654321' } });
    expect(tm.engine?.evidence[0]).toMatchObject({ source: 'Export-ADSyncToolsObjects', origin: 'sandbox-connector-space.xml', line: expect.any(Number) });
    expect(tm.cause).toMatch(/^Confirmed override: Entra Connect exported mobile exactly as AD holds it/);

    // The details' timeline (through the contract) carries the engine's last export run (#18 point 4).
    const details = await call<{ timeline: Array<{ at: string; kind: string; label: string }> }>('rows.details', { scanId, rowKey: tm.key });
    expect(details.timeline.find((e) => e.kind === 'engine-export')).toMatchObject({ at: tm.engine!.exportedAt!, label: expect.stringContaining('Get-ADSyncRunProfileResult sandbox-run-history.json:') });

    const pkg = await call<{ fileName: string; zipBase64: string }>('evidence.build', { scanId, rowKeys: [tm.key], mask: false });
    const zipPath = join(dir, pkg.fileName);
    writeFileSync(zipPath, Buffer.from(pkg.zipBase64, 'base64'));
    const entries = await readZipEntries(zipPath);
    const userFile = [...entries.entries()].find(([name, body]) => name.endsWith('.json') && body.toString('utf8').includes('"syncdrift-evidence-user/1"'));
    expect(userFile, [...entries.keys()].join(', ')).toBeDefined();
    const doc = JSON.parse(userFile![1].toString('utf8')) as { syncEngine: { source: string; engine: { exported: { mobile: string }; evidence: Array<{ origin: string; line: number }> } } };
    expect(doc.syncEngine.source).toBe('Export-ADSyncToolsObjects');
    expect(doc.syncEngine.engine.exported.mobile).toBe('0987654321');
    expect(doc.syncEngine.engine.evidence[0]).toEqual(tm.engine!.evidence[0]);
  }, 180_000);
});
