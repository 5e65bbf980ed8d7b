/**
 * The sandbox's sync-rule engine and Connect exports (issue 18 point 4): custom inbound rules that
 * reformat `mobile` on its way (E.164 or a prefix) for the users under a DN suffix, with Connect's
 * precedence (lower number wins; the standard "In from AD - User Common" is 104), and the exports an
 * admin would take off a Connect server for the simulator's own state: the AAD and AD connector
 * spaces as connector-space XML, the rules as `Get-ADSyncRule | ConvertTo-Json` and the last export
 * run as `Get-ADSyncRunProfileResult | ConvertTo-Json`. The same parsers read them as read a real
 * server's (main/syncengine), so the whole path runs with no Connect server.
 */
import { createHash } from 'node:crypto';
import type { OnPremUser } from '../core/model';

export type MobileTransform = { kind: 'e164'; countryCode: string } | { kind: 'prefix'; prefix: string };

export interface SandboxSyncRule {
  name: string;
  /** Connect precedence: lower wins; the standard rule is 104. */
  precedence: number;
  /** Forest (AD connector) the rule belongs to, e.g. 'contoso.com'. */
  connector: string;
  /** Users whose DN ends with this (case-insensitive); empty = every user. */
  dnSuffix: string;
  transform: MobileTransform;
}

export const STANDARD_RULE = { name: 'In from AD - User Common', precedence: 104 } as const;
export const AAD_CONNECTOR = 'sandbox.onmicrosoft.com - AAD';

export function expressionOf(t: MobileTransform): string {
  return t.kind === 'e164'
    ? `IIF(Left(Replace(Replace(Replace(Replace([mobile]," ",""),"-",""),"(",""),")",""),1)="+",Replace(Replace(Replace(Replace([mobile]," ",""),"-",""),"(",""),")",""),"+${t.countryCode}" & Replace(Replace(Replace(Replace([mobile]," ",""),"-",""),"(",""),")",""))`
    : `"${t.prefix}" & [mobile]`;
}

export function applyTransform(t: MobileTransform, v: string | null): string | null {
  if (v === null || v.trim() === '') return v;
  if (t.kind === 'prefix') return `${t.prefix}${v}`;
  const compact = v.replace(/[\s\-()]/g, '');
  return compact.startsWith('+') ? compact : `+${t.countryCode}${compact}`;
}

/** The rule that decides this user's mobile: the lowest precedence number in scope, else the standard one. */
export function ruleFor(rules: readonly SandboxSyncRule[], u: OnPremUser): SandboxSyncRule | null {
  const dn = u.dn.toLowerCase();
  let best: SandboxSyncRule | null = null;
  for (const r of rules) {
    if (r.precedence >= STANDARD_RULE.precedence) continue;
    if (r.dnSuffix && !dn.endsWith(r.dnSuffix.toLowerCase())) continue;
    if (!best || r.precedence < best.precedence) best = r;
  }
  return best;
}

export function mobileAfterRules(rules: readonly SandboxSyncRule[], u: OnPremUser): string | null {
  const r = ruleFor(rules, u);
  return r ? applyTransform(r.transform, u.mobile) : u.mobile;
}

function guidOf(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const hex = (s: string): string => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('');

export interface ConnectorSpaceEntry {
  anchor: string;
  dn: string;
  /** What the engine exported to Entra ID for mobile/otherMobile. */
  mobile: string | null;
  otherMobile: string[];
  cloudId: string | null;
}

export interface ConnectExports {
  /** `Export-ADSyncToolsObjects`-style connector-space XML of both connectors. */
  connectorSpaceXml: string;
  rulesJson: string;
  runHistoryJson: string;
}

/**
 * The attributes a real hologram carries besides those the join reads (`hologram: 'full'`): what
 * the AAD connector exports to Entra ID for a user, and a typical AD connector's attribute inclusion
 * list. Values are made up from the object (lengths like real ones); only their size and shape matter.
 */
function fullHologram(kind: 'aad' | 'ad', e: ConnectorSpaceEntry, attr: (name: string, values: string[], multi?: boolean) => string): string {
  const cn = /^CN=([^,]+)/i.exec(e.dn)?.[1] ?? e.anchor;
  const [given = cn, sur = cn] = cn.split(' ');
  const nick = cn.replace(/[^A-Za-z0-9]/g, '.').toLowerCase();
  const upn = `${nick}@contoso.example`;
  const ou = /OU=([^,]+)/i.exec(e.dn)?.[1] ?? 'Staff';
  const g = (salt: string) => guidOf(`${salt}:${e.anchor}`);
  const common: [string, string[], boolean?][] = [
    ['displayName', [cn]], ['givenName', [given]], ['mail', [upn]], ['userPrincipalName', [upn]],
    ['proxyAddresses', [`SMTP:${upn}`, `smtp:${nick}@contoso.mail.onmicrosoft.com`, `X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=${g('x500').replace(/-/g, '')}-${nick}`], true],
    ['department', [ou]], ['telephoneNumber', ['+1 425 555 0100']], ['streetAddress', ['1 Microsoft Way']], ['postalCode', ['98052']],
    ['physicalDeliveryOfficeName', [`${ou} 4/${cn.length}`]], ['company', ['Contoso Ltd']], ['employeeID', [String(cn.length * 7919)]],
    ['extensionAttribute1', [ou.toUpperCase()]], ['extensionAttribute2', [g('ext2')]],
  ];
  const only: [string, string[], boolean?][] =
    kind === 'aad'
      ? [['accountEnabled', ['true']], ['surname', [sur]], ['mailNickname', [nick]], ['usageLocation', ['US']], ['city', ['Redmond']], ['country', ['United States']], ['jobTitle', ['Consultant']], ['onPremisesDistinguishedName', [e.dn]], ['onPremisesSamAccountName', [nick.slice(0, 20)]], ['onPremisesSecurityIdentifier', [`S-1-5-21-1004336348-1177238915-682003330-${1000 + cn.length}`]], ['onPremisesUserPrincipalName', [upn]], ['onPremiseSecurityIdentifier', [g('sid')]]]
      : [['cn', [cn]], ['sn', [sur]], ['sAMAccountName', [nick.slice(0, 20)]], ['objectSid', [g('sid')]], ['userAccountControl', ['512']], ['pwdLastSet', ['133512345678901234']], ['accountExpires', ['9223372036854775807']], ['whenCreated', ['20190311094512.0Z']], ['whenChanged', ['20261201120000.0Z']], ['uSNChanged', [String(100000 + cn.length)]], ['title', ['Consultant']], ['l', ['Redmond']], ['st', ['WA']], ['c', ['US']], ['co', ['United States']], ['manager', [`CN=Manager,OU=${ou},OU=Staff,DC=contoso,DC=example`]], ['mailNickname', [nick]], ['msExchMailboxGuid', [g('mbx')]], ['msExchRecipientTypeDetails', ['2147483648']], ['homePhone', ['+1 425 555 0199']], ['info', [`Imported ${ou} record`]]];
  return [...common, ...only].map(([n, v, multi]) => attr(n, v, multi ?? false)).join('');
}

export interface ConnectExportsInput {
  entries: readonly ConnectorSpaceEntry[];
  rules: readonly SandboxSyncRule[];
  adConnector: string;
  lastExportAt: string | null;
  /**
   * 'lean' (the default): only the attributes the join reads (the anchors, mobile, otherMobile, the
   * DN). 'full': also the attributes a real hologram carries (fullHologram), for bench:engine.
   */
  hologram?: 'lean' | 'full';
}

/** The Connect exports of the simulator's state, in the formats main/syncengine reads. */
export function connectExports(input: ConnectExportsInput): ConnectExports {
  return { connectorSpaceXml: [...connectorSpaceXmlParts(input)].join(''), ...connectJsonExports(input) };
}

/**
 * The connector-space XML in parts (one per user), to be written as they come: at 100k users a full
 * hologram's file (~850 MB) is longer than V8's longest string.
 */
export function* connectorSpaceXmlParts(input: ConnectExportsInput): Generator<string> {
  const full = input.hologram === 'full';
  yield '<?xml version="1.0" encoding="utf-8"?>\n<cs-objects>\n';
  for (const e of input.entries) {
    const lines: string[] = [];
    const mv = guidOf(`mv:${e.anchor}`);
    const attr = (name: string, values: string[], multi = false) =>
      values.length === 0 ? '' : `      <attr name="${name}" type="string" multivalued="${multi}">${values.map((v) => `<value>${xmlEscape(v)}</value>`).join('')}</attr>\n`;
    lines.push(
      `  <cs-object cs-dn="CN={${hex(e.anchor)}}" id="{${guidOf(`aad:${e.anchor}`)}}" object-type="user" ma-name="${xmlEscape(AAD_CONNECTOR)}">`,
      `    <synchronized-hologram>\n     <entry dn="CN={${hex(e.anchor)}}">\n${attr('sourceAnchor', [e.anchor])}${e.cloudId ? attr('cloudAnchor', [`User_${e.cloudId}`]) : ''}${attr('mobile', e.mobile === null ? [] : [e.mobile])}${attr('otherMobile', e.otherMobile, true)}${full ? fullHologram('aad', e, attr) : ''}     </entry>\n    </synchronized-hologram>`,
      '    <connector>1</connector>',
      `    <mv-link>{${mv}}</mv-link>`,
      '  </cs-object>',
      `  <cs-object cs-dn="${xmlEscape(e.dn)}" id="{${guidOf(`ad:${e.anchor}`)}}" object-type="user" ma-name="${xmlEscape(input.adConnector)}">`,
      `    <synchronized-hologram>\n     <entry dn="${xmlEscape(e.dn)}">\n${attr('objectGUID', [e.anchor])}${attr('distinguishedName', [e.dn])}${full ? fullHologram('ad', e, attr) : ''}     </entry>\n    </synchronized-hologram>`,
      '    <connector>1</connector>',
      `    <mv-link>{${mv}}</mv-link>`,
      '  </cs-object>',
      '',
    );
    yield lines.join('\n');
  }
  yield '</cs-objects>\n';
}

/** The Get-ADSyncRule and run-history exports. */
export function connectJsonExports(input: ConnectExportsInput): Omit<ConnectExports, 'connectorSpaceXml'> {
  const connectorIds = new Map<string, string>();
  const idOf = (name: string) => {
    let id = connectorIds.get(name);
    if (!id) connectorIds.set(name, (id = guidOf(`connector:${name}`)));
    return id;
  };
  const rules = [
    {
      Name: STANDARD_RULE.name,
      Identifier: guidOf('rule:standard'),
      Direction: 0,
      Precedence: STANDARD_RULE.precedence,
      Connector: idOf(input.adConnector),
      Disabled: false,
      ScopeFilter: [],
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 0, Expression: null }],
    },
    ...input.rules.map((r) => ({
      Name: r.name,
      Identifier: guidOf(`rule:${r.name}`),
      Direction: 0,
      Precedence: r.precedence,
      Connector: idOf(r.connector),
      Disabled: false,
      ScopeFilter: r.dnSuffix ? [{ ScopeConditionList: [{ Attribute: 'distinguishedName', ComparisonValue: r.dnSuffix, ComparisonOperator: 'ENDSWITH' }] }] : [],
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: expressionOf(r.transform) }],
    })),
    {
      Name: 'Out to AAD - User Identity',
      Identifier: guidOf('rule:out'),
      Direction: 1,
      Precedence: 115,
      Connector: idOf(AAD_CONNECTOR),
      Disabled: false,
      ScopeFilter: [],
      AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 0, Expression: null }],
    },
  ];
  const runs = [
    ...[...new Set([input.adConnector, ...input.rules.map((r) => r.connector)])].map((name) => ({
      ConnectorName: name,
      ConnectorId: idOf(name),
      RunProfileName: 'Delta Import',
      Result: 'success',
      StartDate: input.lastExportAt,
      EndDate: input.lastExportAt,
    })),
    { ConnectorName: AAD_CONNECTOR, ConnectorId: idOf(AAD_CONNECTOR), RunProfileName: 'Export', Result: 'success', StartDate: input.lastExportAt, EndDate: input.lastExportAt },
  ];
  return { rulesJson: JSON.stringify(rules, null, 2), runHistoryJson: JSON.stringify(runs, null, 2) };
}
