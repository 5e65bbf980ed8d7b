/**
 * The whole engine path with no Connect server (#18 point 4): the sandbox's sync simulator runs a
 * custom rule that writes mobile in E.164 for one OU, a stuck user keeps a cloud edit, the simulator
 * emits its Connect exports, main/syncengine reads them back and the drift join shows the rule's users
 * as rule-formatted (not an override) and the stuck user as a confirmed override citing its
 * connector-space record.
 */
import { describe, expect, it } from 'vitest';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { SyncSimulator } from '../../main/sandbox/sync';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import { computeDrift } from '../../main/drift/engine';
import { CloudUser, type OnPremUser } from '../../main/core/model';
import { buildConnectEngineObjects, parseConnectorSpaceXml, parseRunHistoryJson, parseSyncRulesJson } from '../../main/syncengine';

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

${person('Sales One', 'Sales', '1a2b3c4d-0000-4000-8000-000000000001', '+1 425 555 0101')}
${person('Sales Two', 'Sales', '1a2b3c4d-0000-4000-8000-000000000002', '(425) 555-0102')}
${person('Finance One', 'Finance', '1a2b3c4d-0000-4000-8000-000000000003', '+1 425 555 0103')}
${person('Stuck User', 'Finance', '1a2b3c4d-0000-4000-8000-000000000004', '+1 425 555 0104')}
`;
const helpdesk: AuditActor = { kind: 'user', id: '3f0e8a2c-1111-4222-8333-944455566677', userPrincipalName: 'helpdesk@contoso.com', displayName: 'Help Desk' };

async function scanAll(dir: SandboxDirectory): Promise<OnPremUser[]> {
  const out: OnPremUser[] = [];
  const it = dir.scan({});
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(...r.value);
  return out;
}

describe('sandbox sync rules and Connect exports', () => {
  it('shows the rule-formatted users as rule-formatted and the stuck user as a confirmed override with the connector-space evidence', async () => {
    const clock = { now: () => new Date('2025-12-06T03:00:00Z') };
    const dir = SandboxDirectory.fromLdif(LDIF, { clock, baseDn: BASE });
    const tenant = new TenantStore({ clock, organization: { initialDomain: 'contoso.onmicrosoft.com' } });
    const sync = new SyncSimulator(dir, tenant, {
      clock,
      rules: [
        { name: 'Custom - In from AD - Mobile E.164 (Sales)', precedence: 50, connector: 'contoso.com', dnSuffix: `OU=Sales,${BASE}`, transform: { kind: 'e164', countryCode: '1' } },
        { name: 'Custom - In from AD - Mobile prefix (fabrikam.com)', precedence: 40, connector: 'fabrikam.com', dnSuffix: 'DC=fabrikam,DC=com', transform: { kind: 'prefix', prefix: '+49 ' } },
      ],
    });
    await sync.runCycle('initial');
    const stuck = tenant.findByUpn('stuck.user@contoso.com')!;
    tenant.legacyCloudEdit(stuck.id, '+1 206 555 0199', helpdesk);
    await sync.runCycle('initial');
    expect(tenant.findByUpn('sales.two@contoso.com')!.mobilePhone).toBe('+14255550102');

    const ex = sync.connectExports();
    const engine = buildConnectEngineObjects({
      csObjects: parseConnectorSpaceXml(ex.connectorSpaceXml, 'sandbox-cs.xml'),
      rules: parseSyncRulesJson(ex.rulesJson, 'sandbox-rules.json'),
      rulesFile: 'sandbox-rules.json',
      runs: parseRunHistoryJson(ex.runHistoryJson, 'sandbox-runs.json'),
      runsFile: 'sandbox-runs.json',
    }).objects;
    const cloud = [...tenant.listUsers()].map((u) => CloudUser.parse({ ...u, cloudManaged: false, onPremisesLastSyncDateTime: u.onPremisesLastSyncAt === null ? null : new Date(u.onPremisesLastSyncAt).toISOString() }));
    const onPrem = await scanAll(dir);

    const without = computeDrift(onPrem, cloud, { defaultRegion: 'US' }).rows;
    expect(without.find((r) => r.upn === 'sales.two@contoso.com')!.status).toBe('format-only');

    const rows = computeDrift(onPrem, cloud, { defaultRegion: 'US', engineObjects: engine }).rows;
    const by = (upn: string) => rows.find((r) => r.upn === upn)!;
    expect(by('sales.one@contoso.com').status).toBe('rule-formatted');
    expect(by('sales.two@contoso.com').status).toBe('rule-formatted');
    expect(by('sales.two@contoso.com').engine?.rule).toMatchObject({ name: 'Custom - In from AD - Mobile E.164 (Sales)', precedence: 50 });
    expect(by('finance.one@contoso.com').status).toBe('in-sync');
    const s = by('stuck.user@contoso.com');
    expect(s.status).toBe('cloud-override');
    expect(s.flags).toContain('override-confirmed');
    expect(s.engine?.evidence[0]).toMatchObject({ source: 'Export-ADSyncToolsObjects', origin: 'sandbox-cs.xml' });
    expect(s.cause).toMatch(/^Confirmed override: Entra Connect exported mobile exactly as AD holds it .*"In from AD - User Common", precedence 104/);
  });
});
