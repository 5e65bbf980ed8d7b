/**
 * Plans over a scan that joined the engine's view (#18 point 4): a rule-formatted user is never a
 * bypass candidate. Entra ID holds exactly what the sync rule exports, so BypassDirSyncOverrides plus a
 * full cycle would write the same value again: keep-onprem for such a row writes nothing (and turns no
 * tenant-wide bypass on; keep-cloud stays an AD write the admin asked for), and when another user needs the bypass the rule's users are outside its
 * blast radius. The scan is the sandbox's own: its sync simulator with a custom E.164 rule, its
 * Connect exports read back by main/syncengine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { buildReport, computeDrift } from '../../main/drift/engine';
import { CloudUser, type DriftReport, type OnPremUser } from '../../main/core/model';
import { buildConnectEngineObjects, parseConnectorSpaceXml, parseRunHistoryJson, parseSyncRulesJson } from '../../main/syncengine';
import { buildPlan, decideBulk } from '../../main/remediation';

const BASE = 'DC=corp,DC=contoso,DC=com';
const person = (cn: string, ou: string, guid: string, mobile: string) => `dn: CN=${cn},OU=${ou},${BASE}
objectClass: user
sAMAccountName: ${cn.toLowerCase().replace(/ /g, '.')}
userPrincipalName: ${cn.toLowerCase().replace(/ /g, '.')}@contoso.com
displayName: ${cn}
objectGUID: ${guid}
mobile: ${mobile}
c: US
`;
const LDIF = `version: 1

${person('Sales One', 'Sales', '2a2b3c4d-0000-4000-8000-000000000001', '+1 425 555 0101')}
${person('Sales Two', 'Sales', '2a2b3c4d-0000-4000-8000-000000000002', '(425) 555-0102')}
${person('Stuck User', 'Finance', '2a2b3c4d-0000-4000-8000-000000000004', '+1 425 555 0104')}
`;
const helpdesk: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@contoso.com', displayName: 'Help Desk' };

let report: DriftReport;
const keyOf = (upn: string) => report.rows.find((r) => r.upn === upn)!.key;

beforeAll(async () => {
  const clock = { now: () => new Date('2026-12-06T03:00:00Z') };
  const dir = SandboxDirectory.fromLdif(LDIF, { clock, baseDn: BASE });
  const tenant = new TenantStore({ clock, organization: { initialDomain: 'contoso.onmicrosoft.com' } });
  const sync = new SyncSimulator(dir, tenant, {
    clock,
    rules: [{ name: 'Custom - In from AD - Mobile E.164 (Sales)', precedence: 50, connector: 'contoso.com', dnSuffix: `OU=Sales,${BASE}`, transform: { kind: 'e164', countryCode: '1' } }],
  });
  await sync.runCycle('initial');
  tenant.legacyCloudEdit(tenant.findByUpn('stuck.user@contoso.com')!.id, '+1 206 555 0199', helpdesk);
  await sync.runCycle('initial');
  const ex = sync.connectExports();
  const engineObjects = buildConnectEngineObjects({
    csObjects: parseConnectorSpaceXml(ex.connectorSpaceXml, 'cs.xml'),
    rules: parseSyncRulesJson(ex.rulesJson, 'rules.json'),
    runs: parseRunHistoryJson(ex.runHistoryJson, 'runs.json'),
  }).objects;
  const onPrem: OnPremUser[] = [];
  const it = dir.scan({});
  for (let r = await it.next(); !r.done; r = await it.next()) onPrem.push(...r.value);
  const cloud = [...tenant.listUsers()].map((u) => CloudUser.parse({ ...u, cloudManaged: false, onPremisesLastSyncDateTime: u.onPremisesLastSyncAt === null ? null : new Date(u.onPremisesLastSyncAt).toISOString() }));
  report = buildReport(computeDrift(onPrem, cloud, { defaultRegion: 'US', engineObjects }), { profile: 'sandbox', generatedAt: '2026-12-06T03:00:00Z' });
});

describe('plans over engine-aware verdicts', () => {
  it('the scan has rule-formatted users and a confirmed override', () => {
    expect(report.rows.filter((r) => r.status === 'rule-formatted').map((r) => r.upn).sort()).toEqual(['sales.one@contoso.com', 'sales.two@contoso.com']);
    expect(report.rows.find((r) => r.upn === 'stuck.user@contoso.com')).toMatchObject({ status: 'cloud-override', flags: expect.arrayContaining(['override-confirmed']) });
  });

  it('keep-onprem for a rule-formatted user writes nothing and turns no bypass on', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf('sales.two@contoso.com'), action: 'keep-onprem' }]);
    expect(plan.needsBypass).toBe(false);
    expect(plan.steps).toEqual([]);
    expect(plan.rows.find((r) => r.upn === 'sales.two@contoso.com')).toMatchObject({ route: 'none', intended: null, inBlastRadius: false });
    expect(plan.notes.join(' ')).toMatch(/sales\.two@contoso\.com: .*rule-formatted.*Custom - In from AD - Mobile E\.164 \(Sales\)/);
  });

  it('when the stuck user needs the bypass, the rule-formatted users are outside its blast radius, whatever is decided for them', () => {
    for (const forRule of ['keep-onprem', 'keep-cloud', undefined] as const) {
      const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem', ...(forRule ? { 'rule-formatted': forRule } : {}) } });
      const plan = buildPlan(report, decisions, { selected });
      expect(plan.needsBypass).toBe(true);
      expect(plan.blastRadius.map((b) => b.upn)).toEqual(['stuck.user@contoso.com']);
      for (const r of plan.rows.filter((x) => x.status === 'rule-formatted')) {
        expect(r.inBlastRadius).toBe(false);
        expect(r.route).not.toBe('bypass-cycle');
      }
    }
  });
});
