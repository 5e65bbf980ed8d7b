/**
 * The Connect exports are read record by record: every malformed line or record is refused naming the
 * file and the line, the same object twice is refused naming both places, and a well-formed export
 * becomes one EngineObject per user with the rule (precedence, expression) that produced its mobile.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../main/core/errors';
import { EngineObject } from '../../../main/core/engine-view';
import {
  buildConnectEngineObjects,
  decodeAadDn,
  jsonRecords,
  parseConnectorSpaceXml,
  parseCsObjectJson,
  parseRunHistoryJson,
  parseSyncRulesJson,
} from '../../../main/syncengine';

const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('');
const ANCHOR_A = 'q1ZrYWxhYXJ0ZWtvcmVhMQ==';
const ANCHOR_B = 'bWFyaWFncmVlbmZpZWxkMQ==';

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const aadObject = (anchor: string, mobile: string | null, extra = '') => `  <cs-object cs-dn="CN={${hex(anchor)}}" id="{68C3525F-1235-41EE-BD97-431BE85A0ACA}" object-type="user">
    <synchronized-hologram>
      <entry dn="CN={${hex(anchor)}}">
        <attr name="sourceAnchor" type="string" multivalued="false"><value>${anchor}</value></attr>
        <attr name="cloudAnchor" type="string" multivalued="false"><value>User_0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f</value></attr>
${mobile === null ? '' : `        <attr name="mobile" type="string" multivalued="false"><value>${mobile}</value></attr>\n`}      </entry>
    </synchronized-hologram>${extra}
    <connector>1</connector>
    <mv-link>{11111111-2222-3333-4444-${anchor === ANCHOR_A ? '555555555555' : '666666666666'}}</mv-link>
  </cs-object>`;

const XML = `<?xml version="1.0" encoding="utf-8"?>
<cs-objects ma-name="contoso.onmicrosoft.com - AAD">
${aadObject(ANCHOR_A, '+14255550100')}
${aadObject(ANCHOR_B, '+1 425 555 0111')}
</cs-objects>
`;

describe('connector-space XML (Export-ADSyncToolsObjects, csexport, SerializedXml)', () => {
  it('reads each cs-object with its attributes, connector and the line it starts on', () => {
    const objs = parseConnectorSpaceXml(XML, 'aad-cs.xml');
    expect(objs).toHaveLength(2);
    expect(objs[0]).toMatchObject({ aad: true, connector: 'contoso.onmicrosoft.com - AAD', evidence: { origin: 'aad-cs.xml', line: 3 } });
    expect(objs[0]!.attributes.get('mobile')).toEqual(['+14255550100']);
    expect(objs[1]!.evidence.line).toBe(14);
  });

  it('decodes the AAD connector space DN to the source anchor or cloud anchor', () => {
    expect(decodeAadDn(`CN={${hex(ANCHOR_A)}}`)).toEqual({ sourceAnchor: ANCHOR_A, cloudAnchor: null });
    expect(decodeAadDn(`CN={${hex('User_0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f')}}`)?.cloudAnchor).toMatch(/^User_/);
  });

  it('refuses a tag that does not close, naming the line it opened on', () => {
    const broken = XML.replace('</synchronized-hologram>', '');
    const e = refusal(() => parseConnectorSpaceXml(broken, 'aad-cs.xml'));
    expect(e.message).toMatch(/^aad-cs\.xml:\d+: closing tag <\/cs-object> does not match <synchronized-hologram> opened on line 4/);
  });

  it('refuses a single-valued attribute with two values and a bare ampersand, naming the line', () => {
    const two = XML.replace('<value>+14255550100</value>', '<value>+14255550100</value><value>+14255550101</value>');
    expect(refusal(() => parseConnectorSpaceXml(two, 'x.xml')).message).toMatch(/^x\.xml:8: single-valued attribute mobile has 2 values/);
    const amp = XML.replace('+1 425 555 0111', 'R&D');
    expect(refusal(() => parseConnectorSpaceXml(amp, 'x.xml')).message).toMatch(/^x\.xml:19: a bare '&'/);
  });

  it('refuses a file cut short and a UTF-16 export', () => {
    expect(refusal(() => parseConnectorSpaceXml(XML.slice(0, XML.length - 40), 'cut.xml')).message).toMatch(/cut\.xml:\d+: .*never closed|unterminated/);
    expect(refusal(() => parseConnectorSpaceXml('<\u0000c\u0000', 'u16.xml')).message).toMatch(/UTF-16/);
  });

  it('reads an unapplied export and an export error', () => {
    const pending = XML.replace(
      '</synchronized-hologram>\n    <connector>1</connector>\n    <mv-link>{11111111-2222-3333-4444-555555555555}',
      '</synchronized-hologram>\n    <unapplied-export><delta operation="update" dn="x"><attr name="mobile" operation="replace"><value>+14255550199</value></attr></delta></unapplied-export>\n    <connector>1</connector>\n    <mv-link>{11111111-2222-3333-4444-555555555555}',
    );
    const err = XML.replace(
      '</synchronized-hologram>\n    <connector>1</connector>\n    <mv-link>{11111111-2222-3333-4444-666666666666}',
      '</synchronized-hologram>\n    <export-errordetail><export-status><cd-error><error-name>DataValidationFailed</error-name><error-literal>mobile too long</error-literal></cd-error></export-status></export-errordetail>\n    <connector>1</connector>\n    <mv-link>{11111111-2222-3333-4444-666666666666}',
    );
    expect(parseConnectorSpaceXml(pending, 'p.xml')[0]!.pendingExport?.get('mobile')).toEqual(['+14255550199']);
    expect(parseConnectorSpaceXml(err, 'e.xml')[1]!.error).toBe('DataValidationFailed: mobile too long');
  });
});

const CS_JSON = JSON.stringify(
  [
    {
      ConnectorId: '{B891884F-051E-4A83-95AF-2544101C9083}',
      ConnectorName: 'contoso.onmicrosoft.com - AAD',
      DistinguishedName: `CN={${hex(ANCHOR_A)}}`,
      ObjectType: 'user',
      IsConnector: true,
      HasExportError: false,
      ConnectedMVObjectId: '11111111-2222-3333-4444-555555555555',
      Attributes: [
        { Name: 'sourceAnchor', Type: 'String', IsMultiValued: false, Values: [ANCHOR_A] },
        { Name: 'mobile', Type: 'String', IsMultiValued: false, Values: ['+14255550100'] },
        { Name: 'otherMobile', Type: 'String', IsMultiValued: true, Values: ['+14255550102', '+14255550103'] },
      ],
    },
  ],
  null,
  2,
);

describe('Get-ADSyncCSObject | ConvertTo-Json', () => {
  it('reads the attribute list and the connector', () => {
    const [o] = parseCsObjectJson(CS_JSON, 'cs.json');
    expect(o).toMatchObject({ aad: true, connectorId: 'b891884f-051e-4a83-95af-2544101c9083', evidence: { source: 'Get-ADSyncCSObject', line: 2 } });
    expect(o!.attributes.get('othermobile')).toEqual(['+14255550102', '+14255550103']);
  });

  it('refuses the default-depth export whose values are a type name, and says how to re-export', () => {
    const shallow = CS_JSON.replace(/"Values": \[\s*"\+14255550100"\s*\]/, '"Values": "System.Collections.Generic.List`1[System.String]"');
    expect(refusal(() => parseCsObjectJson(shallow, 'cs.json')).message).toMatch(/^cs\.json:2: record 1 attribute mobile: .*ConvertTo-Json -Depth 6/);
    const noAttrs = JSON.stringify([{ DistinguishedName: 'CN={41}', Attributes: 'Microsoft.IdentityManagement.PowerShell.ObjectModel.CsObjectAttribute[]' }]);
    expect(refusal(() => parseCsObjectJson(noAttrs, 'cs.json')).message).toMatch(/default depth of 2/);
  });

  it('names the line of a malformed record inside the array', () => {
    const bad = `[\n  {"DistinguishedName": "CN={41}", "Attributes": []},\n  {"DistinguishedName": "CN={42}", "Attributes": [}\n]`;
    expect(refusal(() => parseCsObjectJson(bad, 'cs.json')).message).toMatch(/^cs\.json:3: record 2 is not valid JSON/);
    const missing = `[\n  {"DistinguishedName": "CN={41}", "Attributes": []},\n  {"Attributes": []}\n]`;
    expect(refusal(() => parseCsObjectJson(missing, 'cs.json')).message).toMatch(/^cs\.json:3: record 2: DistinguishedName/);
  });

  it('splits records on their own lines and refuses text after the array', () => {
    expect(jsonRecords('[\n {"a":1},\n {"b":"]"}\n]', 'f').map((r) => r.line)).toEqual([2, 3]);
    expect(refusal(() => jsonRecords('[{"a":1}]\n[{"a":2}]', 'f')).message).toMatch(/^f:2: unexpected text after the array/);
  });
});

const RULES = JSON.stringify(
  [
    {
      Name: 'In from AD - User Common',
      Identifier: 'a1',
      Direction: 0,
      Precedence: 104,
      Connector: '{C1111111-0000-0000-0000-000000000001}',
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 0, Expression: null }],
    },
    {
      Name: 'Custom - In from AD - Mobile E.164 (Sales)',
      Identifier: 'a2',
      Direction: 'Inbound',
      Precedence: 50,
      Connector: '{C1111111-0000-0000-0000-000000000001}',
      ScopeFilter: [{ ScopeConditionList: [{ Attribute: 'department', ComparisonValue: 'Sales', ComparisonOperator: 0 }] }],
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: 'Replace(Replace([mobile]," ",""),"-","")' }],
    },
    {
      Name: 'Out to AAD - User Identity',
      Identifier: 'a3',
      Direction: 1,
      Precedence: 115,
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 'Direct' }],
    },
    { Name: 'In from AD - Group Common', Identifier: 'a4', Direction: 0, Precedence: 120, AttributeFlowMappings: [{ Source: ['cn'], Destination: 'displayName', FlowType: 0 }] },
  ],
  null,
  2,
);

describe('Get-ADSyncRule | ConvertTo-Json', () => {
  it('keeps direction, precedence, connector, scope and the flows to mobile with their expressions', () => {
    const rules = parseSyncRulesJson(RULES, 'rules.json');
    expect(rules.map((r) => [r.name, r.direction, r.precedence, r.flows.length])).toEqual([
      ['In from AD - User Common', 'inbound', 104, 1],
      ['Custom - In from AD - Mobile E.164 (Sales)', 'inbound', 50, 1],
      ['Out to AAD - User Identity', 'outbound', 115, 1],
      ['In from AD - Group Common', 'inbound', 120, 0],
    ]);
    expect(rules[1]!.flows[0]).toMatchObject({ flowType: 'expression', expression: 'Replace(Replace([mobile]," ",""),"-","")' });
    expect(rules[1]!.scope).toEqual([[{ attribute: 'department', operator: 'EQUAL', value: 'Sales' }]]);
  });

  it('refuses an unknown direction, a rule twice and a cut-off mapping list, naming line and record', () => {
    const dir = RULES.replace('"Direction": 1', '"Direction": "Sideways"');
    expect(refusal(() => parseSyncRulesJson(dir, 'rules.json')).message).toMatch(/^rules\.json:\d+: record 3: Direction: "Sideways" is not one of Inbound, Outbound/);
    const twice = JSON.stringify([JSON.parse(RULES)[0], JSON.parse(RULES)[0]], null, 2);
    expect(refusal(() => parseSyncRulesJson(twice, 'rules.json')).message).toMatch(/record 2: rule "In from AD - User Common" is already record 1/);
    const shallow = JSON.stringify([{ ...JSON.parse(RULES)[0], AttributeFlowMappings: 'System.Collections.Generic.List`1[...]' }]);
    expect(refusal(() => parseSyncRulesJson(shallow, 'rules.json')).message).toMatch(/ConvertTo-Json -Depth 8/);
  });
});

const RUNS = JSON.stringify(
  [
    { ConnectorName: 'contoso.onmicrosoft.com - AAD', ConnectorId: '{B891884F-051E-4A83-95AF-2544101C9083}', RunProfileName: 'Export', Result: 'success', StartDate: '/Date(1764990000000)/', EndDate: '/Date(1764990060000)/' },
    { ConnectorName: 'contoso.onmicrosoft.com - AAD', RunProfileName: 'Export', Result: 'success', StartDate: '2025-12-06T01:00:00Z', EndDate: '2025-12-06T01:01:00Z' },
    { ConnectorName: 'contoso.com', ConnectorId: 'C1111111-0000-0000-0000-000000000001', RunProfileName: 'Delta Import', Result: 'success', StartDate: null, EndDate: null },
  ],
  null,
  2,
);

describe('run history (Get-ADSyncRunProfileResult | ConvertTo-Json)', () => {
  it('reads both PowerShell date forms and refuses a date that is not one', () => {
    const runs = parseRunHistoryJson(RUNS, 'runs.json');
    expect(runs[0]!.endedAt).toBe(new Date(1764990060000).toISOString());
    expect(runs[1]!.endedAt).toBe('2025-12-06T01:01:00.000Z');
    const bad = RUNS.replace('"2025-12-06T01:01:00Z"', '"yesterday"');
    expect(refusal(() => parseRunHistoryJson(bad, 'runs.json')).message).toMatch(/^runs\.json:\d+: record 2: EndDate is not a date/);
  });
});

describe('EngineObjects from the Connect exports', () => {
  const adCs = (anchor: string, mv: string, department: string, mobile: string) => `  <cs-object cs-dn="CN=${anchor},OU=Users,DC=contoso,DC=com" id="{0}" object-type="user">
    <synchronized-hologram><entry dn="x">
      <attr name="objectGUID" type="binary" multivalued="false"><value>${anchor}</value></attr>
      <attr name="department" type="string" multivalued="false"><value>${department}</value></attr>
      <attr name="mobile" type="string" multivalued="false"><value>${mobile}</value></attr>
    </entry></synchronized-hologram>
    <connector>1</connector>
    <mv-link>{${mv}}</mv-link>
  </cs-object>`;
  const AD_XML = `<cs-objects ma-name="contoso.com">\n${adCs(ANCHOR_A, '11111111-2222-3333-4444-555555555555', 'Sales', '+1 425-555-0100')}\n${adCs(ANCHOR_B, '11111111-2222-3333-4444-666666666666', 'Finance', '+1 425 555 0111')}\n${adCs('Z2hvc3R1c2VyMDAwMDAwMQ==', '99999999-2222-3333-4444-666666666666', 'IT', '+1 425 555 0199')}\n</cs-objects>`;

  it('names the in-scope custom rule for the reformatted user and the standard rule for the other', () => {
    const csObjects = [...parseConnectorSpaceXml(XML, 'aad-cs.xml'), ...parseConnectorSpaceXml(AD_XML, 'ad-cs.xml')];
    const { objects, stats } = buildConnectEngineObjects({
      csObjects,
      rules: parseSyncRulesJson(RULES, 'rules.json'),
      rulesFile: 'rules.json',
      runs: parseRunHistoryJson(RUNS, 'runs.json'),
      runsFile: 'runs.json',
    });
    for (const o of objects) EngineObject.parse(o);
    expect(stats).toMatchObject({ aadUsers: 2, adOnly: 1 });
    const a = objects.find((o) => o.sourceAnchor === ANCHOR_A)!;
    expect(a).toMatchObject({ state: 'exported', exported: { mobile: '+14255550100' }, cloudId: '0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f', exportedAt: '2025-12-06T03:01:00.000Z' });
    expect(a.rule).toMatchObject({ name: 'Custom - In from AD - Mobile E.164 (Sales)', precedence: 50, connector: 'contoso.com' });
    expect(a.evidence.map((e) => `${e.source}@${e.origin}:${e.line}`)).toEqual(['Export-ADSyncToolsObjects@aad-cs.xml:3', 'Get-ADSyncRule@rules.json:19', 'Get-ADSyncRunProfileResult@runs.json:2']);
    const b = objects.find((o) => o.sourceAnchor === ANCHOR_B)!;
    expect(b.rule).toMatchObject({ name: 'In from AD - User Common', precedence: 104, expression: 'direct' });
    const ghost = objects.find((o) => o.sourceAnchor === 'Z2hvc3R1c2VyMDAwMDAwMQ==')!;
    expect(ghost).toMatchObject({ state: 'not-exported', exported: null });
    expect(ghost.reason).toMatch(/no Entra ID connector object/);
  });

  it('a second forest with a lower precedence number wins for the user it holds a value for', () => {
    const rules = JSON.parse(RULES) as Array<Record<string, unknown>>;
    rules.push({
      Name: 'In from AD - User Common (fabrikam)',
      Identifier: 'b1',
      Direction: 0,
      Precedence: 30,
      Connector: 'C2222222-0000-0000-0000-000000000002',
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: '"+49 " & [mobile]' }],
    });
    const fab = `<cs-objects ma-name="fabrikam.com">\n${adCs('ZmFicmlrYW0wMDAwMDAwMQ==', '11111111-2222-3333-4444-666666666666', 'Finance', '30 1234567')}\n</cs-objects>`;
    const csObjects = [...parseConnectorSpaceXml(XML, 'aad-cs.xml'), ...parseConnectorSpaceXml(AD_XML, 'ad-cs.xml'), ...parseConnectorSpaceXml(fab, 'fab-cs.xml')];
    const runs = [...parseRunHistoryJson(RUNS, 'runs.json'), ...parseRunHistoryJson(JSON.stringify({ ConnectorName: 'fabrikam.com', ConnectorId: 'C2222222-0000-0000-0000-000000000002', RunProfileName: 'Delta Import', Result: 'success' }), 'runs2.json')];
    const { objects } = buildConnectEngineObjects({ csObjects, rules: parseSyncRulesJson(JSON.stringify(rules, null, 2), 'rules.json'), runs });
    expect(objects.find((o) => o.sourceAnchor === ANCHOR_B)!.rule).toMatchObject({ name: 'In from AD - User Common (fabrikam)', precedence: 30, connector: 'fabrikam.com' });
    expect(objects.find((o) => o.sourceAnchor === ANCHOR_A)!.rule?.precedence).toBe(50);
  });

  it('refuses one user twice across two exports, naming both places', () => {
    const csObjects = [...parseConnectorSpaceXml(XML, 'aad-cs.xml'), ...parseCsObjectJson(CS_JSON, 'cs.json')];
    const e = refusal(() => buildConnectEngineObjects({ csObjects }));
    expect(e.message).toMatch(/^cs\.json:2: .*aad-cs\.xml:3: one user twice/);
  });

  const adUser = (anchor: string, dn: string, mv: string | null, line = '') => `  <cs-object cs-dn="${dn}" object-type="user">${line}
    <synchronized-hologram><entry dn="x">
      <attr name="objectGUID" type="binary" multivalued="false"><value>${anchor}</value></attr>
      <attr name="distinguishedName" type="string" multivalued="false"><value>${dn}</value></attr>
      <attr name="mobile" type="string" multivalued="false"><value>+1 425-555-0100</value></attr>
    </entry></synchronized-hologram>
    <connector>1</connector>${mv === null ? '' : `\n    <mv-link>{${mv}}</mv-link>`}
  </cs-object>`;

  it('joins metaverse ids and compares scoping filters whatever their case, and lowers an upper-case cloud id', () => {
    // The AAD objects link lower-case metaverse ids, the AD objects the same ids in upper case; the
    // filter's value and the DNs differ in case too, one of them past ASCII (İ lowers to two characters).
    const aadXml = XML.replace('{11111111-2222-3333-4444-555555555555}', '{aaaaaaaa-2222-3333-4444-555555555555}')
      .replace('{11111111-2222-3333-4444-666666666666}', '{bbbbbbbb-2222-3333-4444-666666666666}')
      .replace('User_0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f', 'User_0B7C2F9E-4D11-4C2A-9F5E-1A2B3C4D5E6F');
    const adXml = `<cs-objects ma-name="contoso.com">\n${adUser(ANCHOR_A, 'CN=Ana,OU=Sales,DC=CONTOSO,DC=COM', 'AAAAAAAA-2222-3333-4444-555555555555')}\n${adUser(ANCHOR_B, 'CN=Bea,OU=İstanbul,DC=Contoso,DC=Com', 'BBBBBBBB-2222-3333-4444-666666666666')}\n</cs-objects>`;
    const rules = JSON.parse(RULES) as Array<Record<string, unknown>>;
    rules[1]!.ScopeFilter = [
      { ScopeConditionList: [{ Attribute: 'distinguishedName', ComparisonValue: 'OU=sales,dc=contoso,DC=com', ComparisonOperator: 'ENDSWITH' }] },
      { ScopeConditionList: [{ Attribute: 'DistinguishedName', ComparisonValue: 'ou=İSTANBUL,DC=CONTOSO,dc=com', ComparisonOperator: 'ENDSWITH' }] },
    ];
    const { objects, stats } = buildConnectEngineObjects({
      csObjects: [...parseConnectorSpaceXml(aadXml, 'aad-cs.xml'), ...parseConnectorSpaceXml(adXml, 'ad-cs.xml')],
      rules: parseSyncRulesJson(JSON.stringify(rules), 'rules.json'),
      runs: parseRunHistoryJson(RUNS, 'runs.json'),
    });
    expect(stats).toMatchObject({ aadUsers: 2, adOnly: 0 });
    expect(objects.map((o) => [o.sourceAnchor, o.onPremDn, o.rule?.precedence, o.reason])).toEqual([
      [ANCHOR_A, 'CN=Ana,OU=Sales,DC=CONTOSO,DC=COM', 50, null],
      [ANCHOR_B, 'CN=Bea,OU=İstanbul,DC=Contoso,DC=Com', 50, null],
    ]);
    expect(objects.map((o) => o.cloudId)).toEqual(['0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f', '0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f']);
  });

  it('a user in two forests joins both AD objects, the first in the export giving the DN', () => {
    const aadXml = XML.replace('{11111111-2222-3333-4444-555555555555}', '{aaaaaaaa-2222-3333-4444-555555555555}');
    const contoso = `<cs-objects ma-name="contoso.com">\n${adUser(ANCHOR_A, 'CN=Ana,OU=Sales,DC=contoso,DC=com', 'AAAAAAAA-2222-3333-4444-555555555555')}\n</cs-objects>`;
    const fabrikam = `<cs-objects ma-name="fabrikam.com">\n${adUser('ZmFicmlrYW0wMDAwMDAwMQ==', 'CN=Ana,OU=Staff,DC=fabrikam,DC=com', 'aaaaaaaa-2222-3333-4444-555555555555')}\n</cs-objects>`;
    const rules = JSON.parse(RULES) as Array<Record<string, unknown>>;
    rules.push({ Name: 'In from AD - User Common (fabrikam)', Identifier: 'b1', Direction: 0, Precedence: 30, Connector: 'C2222222-0000-0000-0000-000000000002', AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: '"+49 " & [mobile]' }] });
    const runs = [...parseRunHistoryJson(RUNS, 'runs.json'), ...parseRunHistoryJson(JSON.stringify({ ConnectorName: 'fabrikam.com', ConnectorId: 'C2222222-0000-0000-0000-000000000002', RunProfileName: 'Delta Import', Result: 'success' }), 'runs2.json')];
    const csObjects = [...parseConnectorSpaceXml(aadXml, 'aad-cs.xml'), ...parseConnectorSpaceXml(contoso, 'contoso-cs.xml'), ...parseConnectorSpaceXml(fabrikam, 'fab-cs.xml')];
    const { objects, stats } = buildConnectEngineObjects({ csObjects, rules: parseSyncRulesJson(JSON.stringify(rules), 'rules.json'), runs });
    expect(stats).toMatchObject({ aadUsers: 2, adOnly: 0 });
    expect(objects[0]).toMatchObject({ sourceAnchor: ANCHOR_A, onPremDn: 'CN=Ana,OU=Sales,DC=contoso,DC=com', rule: { precedence: 30, connector: 'fabrikam.com' } });
  });

  it('refuses an Entra ID connector object twice naming the first, by source anchor or else by DN', () => {
    const thrice = `<cs-objects ma-name="contoso.onmicrosoft.com - AAD">\n${aadObject(ANCHOR_A, null)}\n${aadObject(ANCHOR_B, null)}\n${aadObject(ANCHOR_A, null)}\n</cs-objects>`;
    expect(refusal(() => buildConnectEngineObjects({ csObjects: parseConnectorSpaceXml(thrice, 'aad-cs.xml') })).message).toBe(
      `aad-cs.xml:22: Entra ID connector object CN={${hex(ANCHOR_A)}} has the source anchor ${ANCHOR_A} of the object at aad-cs.xml:2: one user twice (two exports of the same object?); import each object once`,
    );
    // No source anchor anywhere (the DN carries the cloud anchor): the DN, in any case, is the key.
    const cloudDn = hex('User_0b7c2f9e-4d11-4c2a-9f5e-1a2b3c4d5e6f');
    const noAnchor = (a: string, dn: string) => aadObject(a, null).replace(/<attr name="sourceAnchor".*\n/, '').replaceAll(`CN={${hex(a)}}`, dn);
    const twice = `<cs-objects ma-name="contoso.onmicrosoft.com - AAD">\n${noAnchor(ANCHOR_A, `CN={${cloudDn}}`)}\n${aadObject(ANCHOR_B, null)}\n${noAnchor(ANCHOR_A, `CN={${cloudDn.toLowerCase()}}`)}\n</cs-objects>`;
    expect(refusal(() => buildConnectEngineObjects({ csObjects: parseConnectorSpaceXml(twice, 'aad-cs.xml') })).message).toBe(
      `aad-cs.xml:21: Entra ID connector object CN={${cloudDn.toLowerCase()}} has the source anchor (none) of the object at aad-cs.xml:2: one user twice (two exports of the same object?); import each object once`,
    );
  });

  it('refuses an AD connector object twice among those no Entra ID object joins, naming the first of them', () => {
    // The first object has the same DN but is joined: not one of the AD-only objects, not the one named.
    const adXml = `<cs-objects ma-name="contoso.com">\n${adUser(ANCHOR_A, 'CN=Ana,OU=Sales,DC=contoso,DC=com', '11111111-2222-3333-4444-555555555555')}\n${adUser(ANCHOR_B, 'CN=ana,OU=Sales,DC=contoso,DC=com', '99999999-2222-3333-4444-555555555555')}\n${adUser(ANCHOR_B, 'CN=ANA,OU=Sales,DC=contoso,DC=com', null)}\n</cs-objects>`;
    const csObjects = [...parseConnectorSpaceXml(XML, 'aad-cs.xml'), ...parseConnectorSpaceXml(adXml, 'ad-cs.xml')];
    expect(refusal(() => buildConnectEngineObjects({ csObjects })).message).toBe(
      'ad-cs.xml:20: AD connector object CN=ANA,OU=Sales,DC=contoso,DC=com is already at ad-cs.xml:11: one object twice; import each object once',
    );
    // Without the third, the second is an AD-only object and the first is the user's.
    const { objects, stats } = buildConnectEngineObjects({ csObjects: csObjects.slice(0, -1) });
    expect(stats).toMatchObject({ aadUsers: 2, adOnly: 1 });
    expect(objects.map((o) => [o.sourceAnchor, o.onPremDn, o.state])).toEqual([
      [ANCHOR_A, 'CN=Ana,OU=Sales,DC=contoso,DC=com', 'exported'],
      [ANCHOR_B, null, 'exported'],
      [ANCHOR_B, 'CN=ana,OU=Sales,DC=contoso,DC=com', 'not-exported'],
    ]);
  });

  it('says why for a disconnector, an export error and a pending export', () => {
    const dis = XML.replace('<connector>1</connector>', '<connector>0</connector>');
    const [o] = buildConnectEngineObjects({ csObjects: parseConnectorSpaceXml(dis, 'd.xml') }).objects;
    expect(o).toMatchObject({ state: 'not-exported' });
    expect(o!.reason).toMatch(/disconnector/);
    const err = XML.replace('<connector>1</connector>', '<export-errordetail><export-status><cd-error><error-name>DataValidationFailed</error-name></cd-error></export-status></export-errordetail><connector>1</connector>');
    const [e] = buildConnectEngineObjects({ csObjects: parseConnectorSpaceXml(err, 'e.xml') }).objects;
    expect(e).toMatchObject({ state: 'error', reason: 'the last export of this object failed: DataValidationFailed' });
    const pend = XML.replace('<connector>1</connector>', '<unapplied-export><delta operation="update"><attr name="mobile"><value>+14255550199</value></attr></delta></unapplied-export><connector>1</connector>');
    const [p] = buildConnectEngineObjects({ csObjects: parseConnectorSpaceXml(pend, 'p.xml') }).objects;
    expect(p).toMatchObject({ state: 'pending', exported: { mobile: '+14255550199' } });
  });
});
