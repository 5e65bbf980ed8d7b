/**
 * readConnectExports keeps of each connector-space object only the attributes the join reads
 * (attributesTheJoinReads: the anchors, mobile, otherMobile, and whatever any rule flows from or scopes
 * on), reading the rules first whatever the order the files are named in. A real hologram carries
 * every imported attribute; the join over what was kept must be the join over all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectExports } from '../../../main/sandbox/connect-rules';
import { attributesTheJoinReads, buildConnectEngineObjects, ConnectorSpaceXmlReader, parseRunHistoryJson, parseSyncRulesJson, readConnectExports } from '../../../main/syncengine';

const anchor = (i: number) => Buffer.from(`anchor-${String(i).padStart(8, '0')}`).toString('base64');
const EX = connectExports({
  entries: Array.from({ length: 40 }, (_, i) => ({
    anchor: anchor(i),
    dn: `CN=User ${i},OU=${['Sales', 'Finance', 'Engineering'][i % 3]},DC=contoso,DC=com`,
    mobile: i % 7 === 0 ? null : `+1 425 555 ${String(i).padStart(4, '0')}`,
    otherMobile: i % 5 === 0 ? ['+1 425 555 9000'] : [],
    cloudId: `0b7c2f9e-4d11-4c2a-9f5e-${String(i).padStart(12, '0')}`,
  })),
  rules: [{ name: 'Custom - Mobile E.164 (Finance)', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Finance,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '1' } }],
  adConnector: 'contoso.com',
  lastExportAt: '2026-12-06T10:00:00.000Z',
  hologram: 'full',
});
/** The sandbox's rules, and one more that scopes on an attribute only the full hologram has (department). */
const RULES = (() => {
  const rules = JSON.parse(EX.rulesJson) as Array<Record<string, unknown>>;
  const std = rules[0]!;
  rules.push({ ...std, Name: 'Custom - Sales mobile', Identifier: '1d6c1a52-0000-4000-8000-000000000001', Precedence: 40, ScopeFilter: [{ ScopeConditionList: [{ Attribute: 'department', ComparisonValue: 'Sales', ComparisonOperator: 'EQUAL' }] }], AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: 'Replace([mobile]," ","")' }] });
  return JSON.stringify(rules, null, 2);
})();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdrift-keep-'));
  writeFileSync(join(dir, 'cs.xml'), EX.connectorSpaceXml);
  writeFileSync(join(dir, 'rules.json'), RULES);
  writeFileSync(join(dir, 'runs.json'), EX.runHistoryJson);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The join over the objects read with `keep` (null: every attribute). */
function joinRead(keep: ReadonlySet<string> | null) {
  const r = new ConnectorSpaceXmlReader('cs.xml', 'Export-ADSyncToolsObjects', { keep });
  r.write(EX.connectorSpaceXml);
  return buildConnectEngineObjects({ csObjects: r.end(), rules: parseSyncRulesJson(RULES, 'rules.json'), rulesFile: 'rules.json', runs: parseRunHistoryJson(EX.runHistoryJson, 'runs.json'), runsFile: 'runs.json' });
}

describe('the attributes the Connect read keeps', () => {
  it('are the anchors, mobile, otherMobile and what the rules flow from and scope on', () => {
    const keep = attributesTheJoinReads(parseSyncRulesJson(RULES, 'rules.json'));
    expect(keep).toEqual(new Set(['sourceanchor', 'cloudanchor', 'mobile', 'othermobile', 'ms-ds-consistencyguid', 'objectguid', 'onpremisesdistinguishedname', 'distinguishedname', 'department']));
  });

  it('give the join over every attribute, the rules named before or after the XML', async () => {
    const all = joinRead(null);
    // The rule scoped on department is the one that produced the Sales users' values.
    expect(all.objects.filter((o) => o.rule?.name === 'Custom - Sales mobile')).toHaveLength(14);
    expect(all.objects.filter((o) => o.rule?.name === 'Custom - Mobile E.164 (Finance)').length).toBeGreaterThan(0);
    for (const order of [['cs.xml', 'rules.json', 'runs.json'], ['runs.json', 'rules.json', 'cs.xml']]) {
      const got = await readConnectExports(order.map((f) => join(dir, f)));
      expect(got.objects).toEqual(all.objects);
      expect(got.stats).toEqual(all.stats);
    }
  });

  it('would not without the rules\u2019 attributes (what the test above would catch)', () => {
    const blind = joinRead(attributesTheJoinReads([]));
    expect(blind.objects.filter((o) => o.rule?.name === 'Custom - Sales mobile')).toHaveLength(0);
    expect(blind.objects).not.toEqual(joinRead(null).objects);
  });
});
