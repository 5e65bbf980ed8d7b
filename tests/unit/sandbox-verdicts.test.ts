/**
 * The sandbox demo tenant tells the verdict stories of issue #17 the way a real tenant would: its
 * audit log (30-day retention) is read as Graph returns it, indexed as the app indexes it, and the
 * suggestions come from the rows a scan would show.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, type SandboxDemo } from '../../main/sandbox/demo';
import { toGraphAudit } from '../../main/sandbox/tenant-audit';
import type { AuditRecord } from '../../main/sandbox/tenant-model';
import { computeDrift } from '../../main/drift/engine';
import { parseDirectoryAudits } from '../../main/drift/audit';
import { auditLookupFrom } from '../../main/drift/timeline';
import { suggestDecision } from '../../main/remediation/decisions';
import { buildPlan } from '../../main/remediation/plan';
import { timelineOf } from '../../main/drift/timeline';
import { toCloudUser, WireUser } from '../../main/cloud/readers';
import { USER_SELECT } from '../../main/cloud/readers';
import type { DriftRow } from '../../main/core/model';
import { cloudUserOf } from '../support/remediation-env';

const NOW = new Date('2026-03-10T09:00:00Z');

/** Every audit record within retention, oldest first, in Graph's shape. */
export function graphAudits(demo: SandboxDemo): Record<string, unknown>[] {
  const out: AuditRecord[] = [];
  let after: { at: number; seq: number } | undefined;
  for (;;) {
    const page = demo.tenant.queryAudits({ order: 'asc', top: 1000, ...(after ? { after } : {}) });
    out.push(...page.records);
    if (!page.next) break;
    after = page.next;
  }
  return out.map(toGraphAudit);
}

function scanRows(demo: SandboxDemo): DriftRow[] {
  const audits = parseDirectoryAudits(graphAudits(demo));
  const coveredFrom = new Date(NOW.getTime() - demo.tenant.auditRetentionDays * 86_400_000).toISOString();
  const orgSync = demo.tenant.organization.onPremisesLastSyncAt;
  return computeDrift(
    demo.directory.allUsers(),
    [...demo.tenant.listUsers()].map((u) => cloudUserOf(demo.tenant, u)),
    {
      auditLookup: auditLookupFrom(audits.latestByUser, { complete: true, coveredFrom }),
      tenantLastSyncAt: orgSync === null ? null : new Date(orgSync).toISOString(),
    },
  ).rows;
}

describe('sandbox demo verdicts (#17)', () => {
  let demo: SandboxDemo;
  let rows: DriftRow[];
  const row = (sam: string) => {
    const r = rows.find((x) => x.onPrem?.samAccountName === sam);
    if (!r) throw new Error(`no row for ${sam}`);
    return r;
  };
  beforeAll(async () => {
    demo = await buildDemo({ now: NOW, freezeClock: true });
    rows = scanRows(demo);
  }, 120_000);

  it('point 2: a cloud edit 45 days ago against an AD value from the install year gets no suggestion', () => {
    const r = row('oivanova');
    expect(r.status).toBe('cloud-override');
    expect(r.cloud?.changeState).toBe('outside-retention');
    expect(r.cloud?.auditCoveredFrom).toBeTruthy();
    const s = suggestDecision(r);
    expect(s).toMatchObject({ action: 'skip', ask: true });
    expect(s.reason).toMatch(/unknown/);
  });

  it('point 9: format-only rows offer keep-cloud and keep-onprem; the cloud international form leads where AD lacks it', () => {
    const sato = suggestDecision(row('ksato')); // AD 090-1234-5678, cloud +81 90-1234-5678
    expect(sato.action).toBe('keep-cloud');
    expect(sato.alternatives?.map((a) => a.action)).toEqual(['keep-onprem']);
    const giorgos = suggestDecision(row('gpapadopoulos')); // AD +30 691 234 5678, cloud 6912345678
    expect(giorgos.action).toBe('keep-onprem');
    expect(giorgos.alternatives?.map((a) => a.action)).toEqual(['keep-cloud']);
    expect(row('ksato').cause).toMatch(/compares strings/);
  });

  it('point 8: a source-of-authority switch shows as Graph shows it (null, anchor kept) and is audited by its own name', () => {
    const r = row('lmansour');
    const u = demo.tenant.getUser(r.cloud!.id)!;
    expect(u.onPremisesSyncEnabled).toBeNull();
    expect(u.onPremisesImmutableId).toBe(r.onPrem!.sourceAnchor);
    // Through the Graph reader's own parsing of the $select'ed properties.
    const wire = Object.fromEntries(USER_SELECT.map((k) => [k, k === 'onPremisesLastSyncDateTime' ? (u.onPremisesLastSyncAt === null ? null : new Date(u.onPremisesLastSyncAt).toISOString()) : (u as unknown as Record<string, unknown>)[k] ?? null]));
    expect(toCloudUser(WireUser.parse(wire))).toMatchObject({ onPremisesSyncEnabled: null, soaSwitched: true, cloudManaged: true });
    expect(r.cloud).toMatchObject({ managed: true, authority: 'cloud' });
    expect(r.cause).toMatch(/source of authority was switched from AD to the cloud/);
    const audits = parseDirectoryAudits(graphAudits(demo));
    const switched = audits.authorityChanges.filter((a) => a.targetId === r.cloud!.id);
    expect(switched).toHaveLength(1);
    expect(switched[0]).toMatchObject({ to: 'cloud', actor: expect.stringMatching(/^kim\.akers@/) });
    expect(timelineOf(r, { authorityChanges: audits.authorityChanges }).map((e) => e.kind)).toContain('authority-change');
  });

  it('point 8: keep-onprem for the switched user is a per-user Graph write, never the tenant-wide bypass', () => {
    const r = row('lmansour');
    const plan = buildPlan({ generatedAt: NOW.toISOString(), profile: 'demo', summary: { onPremUsers: 0, cloudUsers: 0, outOfScope: 0, byStatus: {} as never, phases: {} }, rows }, [{ rowKey: r.key, action: 'keep-onprem' }], { now: NOW });
    expect(plan.rows.find((p) => p.key === r.key)?.route).toBe('graph-patch');
    expect(plan.needsBypass).toBe(false);
  });
});
