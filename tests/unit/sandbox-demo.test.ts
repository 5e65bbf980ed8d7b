import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildDemo,
  reformatNumber,
  resetDemo,
  restoreSandbox,
  serializeSandbox,
  type SandboxDemo,
} from '../../main/sandbox/demo';
import { DEMO_CAST, type DemoRole } from '../../main/sandbox/demo-cast';
import { computeDrift } from '../../main/drift/engine';
import type { CloudUser, DriftRow, DriftStatus } from '../../main/core/model';
import { DriftStatus as DriftStatusSchema } from '../../main/core/model';
import { generateDemoLdif, DEMO_LDIF_PATH } from '../../scripts/generate-demo';
import { cloudUserOf } from '../support/remediation-env';

const NOW = new Date('2026-03-10T09:00:00Z');

/** The tenant's users as Graph returns them with the product's $select (what the cloud reader yields). */
function cloudUsers(demo: SandboxDemo): CloudUser[] {
  return [...demo.tenant.listUsers()].map((u) => cloudUserOf(demo.tenant, u));
}

/** Row identity that survives a rebuild (cloud ids of sync-provisioned users are fresh each time). */
const who = (r: DriftRow) => [r.onPrem?.samAccountName ?? r.cloud?.upn ?? r.key, r.status];

function drift(demo: SandboxDemo): DriftRow[] {
  const orgSync = demo.tenant.organization.onPremisesLastSyncAt;
  return computeDrift(demo.directory.allUsers(), cloudUsers(demo), {
    tenantLastSyncAt: orgSync === null ? null : new Date(orgSync).toISOString(),
  }).rows;
}

const rowOf = (rows: DriftRow[], sam: string, upn?: string) =>
  rows.find((r) => r.onPrem?.samAccountName === sam || (upn !== undefined && r.cloud?.upn === upn));

const EXPECTED: Record<DemoRole, DriftStatus> = {
  'field-report': 'cloud-override',
  'cloud-override': 'cloud-override',
  'format-only': 'format-only',
  'cloud-missing': 'cloud-missing',
  'onprem-missing': 'onprem-missing',
  'pending-sync': 'pending-sync',
  'unmatched-onprem': 'unmatched-onprem',
  'unmatched-cloud': 'unmatched-cloud',
  'alternate-edited': 'in-sync', // mobile itself is in sync; only AlternateMobilePhones differ
  'once-synced': 'cloud-override',
  'cloud-managed': 'cloud-override',
};

describe('the demo', () => {
  let demo: SandboxDemo;
  let rows: DriftRow[];
  beforeAll(async () => {
    demo = await buildDemo({ now: NOW, freezeClock: true });
    rows = drift(demo);
  });

  it('is built from the committed LDIF, which the generator reproduces byte for byte', () => {
    expect(readFileSync(DEMO_LDIF_PATH, 'utf8')).toBe(generateDemoLdif());
    const users = demo.directory.allUsers();
    expect(users.length).toBeGreaterThan(300);
    const scripts = [/[À-ɏ]/, /[Ѐ-ӿ]/, /[Ͱ-Ͽ]/, /[一-鿿]/, /[぀-ヿ]/, /[가-힯]/, /[؀-ۿ]/, /'/];
    for (const s of scripts)
      expect(
        users.some((u) => s.test(u.displayName ?? '')),
        String(s),
      ).toBe(true);
    expect(new Set(users.map((u) => u.country)).size).toBeGreaterThan(15);
    expect(users.filter((u) => !u.inScope).map((u) => u.samAccountName)).toEqual(
      expect.arrayContaining(['Administrator', 'Guest', 'krbtgt', 'MSOL_5d3f9a1c2b7e', 'SUPPORT_388945a0']),
    );
  });

  it('tells the field report: AD has 0987654321, the cloud keeps 1234567890 after a legacy edit', () => {
    const tm = rowOf(rows, 'testmobile');
    expect(tm).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890' } });
    const cloud = demo.tenant.findByUpn('testmobile@contoso.com');
    const history = demo.tenant.queryAudits({ targetId: cloud?.id ?? '', top: 50, order: 'asc' }).records;
    const mobileChanges = history.flatMap(
      (r) =>
        r.targets[0]?.modifiedProperties
          .filter((p) => p.displayName === demo.tenant.auditMobilePropertyName)
          .map((p) => [p.oldValue, p.newValue]) ?? [],
    );
    // 8035551212 was provisioned at install (outside retention); the sync of 9991112222 (whose old value
    // is 8035551212) and the legacy edit to 1234567890 both lie inside the 30-day window.
    expect(mobileChanges).toEqual([
      ['["8035551212"]', '["9991112222"]'],
      ['["9991112222"]', '["1234567890"]'],
    ]);
    expect(history.at(-1)?.initiatedBy).toMatchObject({ kind: 'user', userPrincipalName: expect.stringMatching(/^kim\.akers@/) });
  });

  it('shows every status the product classifies, each cast member with the status their story makes', () => {
    const counts = new Map<DriftStatus, number>();
    for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    // rule-formatted needs the engine's view joined to the scan: this drift has none (the app's demo scan joins it: tests/integration/demo-engine.test.ts).
    for (const s of DriftStatusSchema.options) if (s !== 'rule-formatted') expect(counts.get(s) ?? 0, s).toBeGreaterThan(0);
    expect(counts.get('in-sync') ?? 0).toBeGreaterThan(rows.length * 0.7);
    for (const m of DEMO_CAST) {
      const person = demo.people.find((p) => p.sam === m.sam);
      const row = rowOf(rows, m.sam, person?.upn);
      expect(row?.status, `${m.sam} (${m.role})`).toBe(EXPECTED[m.role]);
    }
  });

  it('holds cloud-only users and once-synced / cloud-managed ones', () => {
    const users = [...demo.tenant.listUsers()];
    expect(users.filter((u) => u.onPremisesSyncEnabled === null).length).toBeGreaterThanOrEqual(4);
    expect(users.some((u) => u.onPremisesSyncEnabled === false)).toBe(true);
    expect(users.some((u) => u.cloudManaged)).toBe(true);
    expect(users.filter((u) => u.dirSyncOverride).length).toBeGreaterThan(15);
  });

  it('a delta cycle carries the pending changes, provisions the new hires and removes the leavers', async () => {
    const copy = restoreSandbox(serializeSandbox(demo), { clock: demo.clock });
    expect(drift(copy).map((r) => [r.key, r.status])).toEqual(rows.map((r) => [r.key, r.status]));
    const report = await copy.sync.runCycle('delta');
    expect(report.incrementalImport).toBe(true);
    expect(report.added).toBe(2);
    expect(report.deleted).toBe(2);
    const after = drift(copy);
    for (const m of DEMO_CAST.filter((x) => x.role === 'pending-sync' || x.role === 'unmatched-onprem')) {
      expect(rowOf(after, m.sam)?.status, m.sam).toBe('in-sync');
    }
    expect(
      after.filter((r) => r.status === 'unmatched-cloud' || r.status === 'pending-sync' || r.status === 'unmatched-onprem'),
    ).toEqual([]);
    // The original is untouched by what happened to the copy.
    expect(rowOf(drift(demo), 'elefevre')?.status).toBe('pending-sync');
  });

  it('resetDemo restores the scripted state after changes', async () => {
    const changed = await buildDemo({ now: NOW, freezeClock: true });
    changed.tenant.setFeatures(
      { bypassDirSyncOverridesEnabled: true },
      { kind: 'user', id: 'x', userPrincipalName: 'admin@contoso.com' },
    );
    await changed.sync.runCycle('initial');
    expect(rowOf(drift(changed), 'testmobile')?.status).toBe('in-sync');
    const fresh = await resetDemo({ now: NOW, freezeClock: true });
    expect(fresh.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(drift(fresh).map(who)).toEqual(rows.map(who));
  });
});

describe('reformatNumber', () => {
  it('gives another text of the same digits', () => {
    expect(reformatNumber('+1 425 555 0134')).toBe('+14255550134');
    expect(reformatNumber('8035551212')).toBe('803 555 1212');
    expect(reformatNumber('+79161234567')).toBe('+791 612 34567');
  });
});
