/**
 * otherMobile under Cloud Sync (#17 point 11, issue 18): whether AD otherMobile reaches Entra ID is
 * up to the job's schema. The sandbox's Cloud Sync mode maps it by default and can leave it unmapped;
 * the sync simulator then does not flow it, and the scan, given the schema the product's reader
 * parses, says "not-flowing" (and the bypass plan does not count the user) instead of "bypass pushes".
 */
import { describe, expect, it } from 'vitest';
import { parseCloudSyncSchema } from '../../main/cloud/cloud-sync';
import { buildCloudSyncEngineObjects, cloudSyncFlows } from '../../main/syncengine/cloud-sync';
import { pagesOf, runScan } from '../../main/drift/pipeline';
import { otherMobileBlast } from '../../main/remediation/other-mobile-blast';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { cloudSyncOf } from '../../main/sandbox/cloud-sync';
import { TenantStore } from '../../main/sandbox/tenant';
import { cloudUserOf } from '../support/remediation-env';

const BASE = 'DC=corp,DC=contoso,DC=com';
const LDIF = `version: 1

dn: CN=Ada Other,OU=Seattle,${BASE}
objectClass: user
sAMAccountName: ada.other
userPrincipalName: ada.other@contoso.com
displayName: Ada Other
objectGUID: 3c4d5e6f-0000-4000-8000-000000000001
mobile: +1 425 555 0101
otherMobile: +1 425 555 0177
c: US
`;

async function scanWith(mapped: boolean) {
  const dir = SandboxDirectory.fromLdif(LDIF, { baseDn: BASE });
  const tenant = new TenantStore({ organization: { initialDomain: 'contoso.onmicrosoft.com' } });
  const cs = cloudSyncOf(tenant);
  cs.setOtherMobileMapped(mapped);
  await new SyncSimulator(dir, tenant, { engine: 'cloud-sync', server: 'CLOUDSYNC-AGENT01' }).runCycle('initial');
  const cloud = tenant.findByUpn('ada.other@contoso.com')!;
  const { servicePrincipalId, jobId } = cs.ids;
  const origin = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}/schema`;
  const schema = parseCloudSyncSchema(JSON.parse(JSON.stringify(cs.schema())), { servicePrincipalId, jobId, origin });
  const logs = cs.entries().map((e) => {
    const g = cs.toGraph(e) as { id: string; activityDateTime: string; modifiedProperties: { displayName: string; oldValue: string | null; newValue: string | null }[] };
    return { id: g.id, activityDateTime: g.activityDateTime, action: e.action, status: e.status, errorCode: null, reason: null, sourceId: e.objectGuid, sourceName: e.sourceName, targetId: e.cloudId, modified: g.modifiedProperties.map((m) => ({ name: m.displayName, oldValue: m.oldValue, newValue: m.newValue })), steps: [] };
  });
  const { objects } = buildCloudSyncEngineObjects({ jobId, schemaOrigin: origin, mappings: schema.mappings, logs });
  const users = [...tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled !== null).map((u) => cloudUserOf(tenant, u));
  const out = await runScan({ onPrem: [dir], cloudUsers: pagesOf([users]), profileName: 'contoso', defaultRegion: 'US', engineObjects: objects, engineFlows: cloudSyncFlows(schema.mappings, origin) });
  return { cloud, schema, report: out.report, row: out.report.rows.find((r) => r.upn === 'ada.other@contoso.com')! };
}

describe('otherMobile under Cloud Sync: the job schema decides whether it flows', () => {
  it('unmapped: nothing flows to AlternateMobilePhones, the verdict is not-flowing and a bypass plan does not count the user', async () => {
    const { cloud, schema, row, report } = await scanWith(false);
    expect(schema.mappings.map((m) => m.target)).toEqual(['mobile']);
    expect(cloud.alternateMobilePhones).toEqual([]); // the sandbox models the missing mapping
    expect(cloud.mobilePhone).toBe('+1 425 555 0101');
    expect(row.otherMobile).toMatchObject({ onPrem: ['+1 425 555 0177'], cloud: 'not-readable', verdict: 'not-flowing' });
    expect(row.otherMobile!.note).toContain('Cloud Sync\u2019s job schema has no mapping toward otherMobile');
    expect(row.otherMobile!.note).not.toMatch(/will push/);
    expect(row.flags).not.toContain('othermobile-unverifiable');
    expect(otherMobileBlast(report).pushed).toEqual([]);
  });

  it('mapped (the default): AD otherMobile flows, the verdict is bypass-pushes and the note names the mapping', async () => {
    const { cloud, schema, row, report } = await scanWith(true);
    expect(schema.mappings.map((m) => m.target)).toEqual(['mobile', 'otherMobile']);
    expect(cloud.alternateMobilePhones).toEqual(['+1 425 555 0177']);
    expect(row.otherMobile).toMatchObject({ verdict: 'bypass-pushes' });
    expect(row.otherMobile!.note).toContain('Cloud Sync\u2019s job schema maps otherMobile (direct)');
    expect(row.otherMobile!.note).toMatch(/will push these values/);
    expect(otherMobileBlast(report).pushed.map((p) => p.upn)).toEqual(['ada.other@contoso.com']);
  });
});
