/**
 * A small Contoso directory as the customer's exports would carry it: an ldifde LDIF (binary
 * values Base64, replPropertyMetaData for users whose mobile changed recently) and the matching
 * Graph `GET /users` page with the product's $select. One user per interesting verdict.
 */
import { objectGuidToAnchor } from '../../../main/drift/row-parts';

const DOMAIN_SID = [1004336348, 1177238915, 682003330];

function sidBytes(rid: number): Buffer {
  const subs = [21, ...DOMAIN_SID, rid];
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1;
  b[1] = subs.length;
  b.writeUIntBE(5, 2, 6);
  subs.forEach((v, i) => b.writeUInt32LE(v >>> 0, 8 + i * 4));
  return b;
}
const sidText = (rid: number) => `S-1-5-21-${DOMAIN_SID.join('-')}-${rid}`;

function guidBytes(guid: string): Buffer {
  return Buffer.from(objectGuidToAnchor(guid)!, 'base64');
}

/** replPropertyMetaData with one entry for `mobile` (attid 0x00150029). */
function replMeta(changedAt: string, version: number): Buffer {
  const b = Buffer.alloc(16 + 48);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(1, 8);
  const o = 16;
  b.writeUInt32LE(0x00150029, o);
  b.writeUInt32LE(version, o + 4);
  const secs = BigInt(Math.floor(Date.parse(changedAt) / 1000)) + 11644473600n;
  b.writeBigUInt64LE(secs, o + 8);
  Buffer.from('9f1c4b3a2d5e4f60a1b2c3d4e5f60718', 'hex').copy(b, o + 16);
  b.writeBigInt64LE(41000n, o + 32);
  b.writeBigInt64LE(41000n, o + 40);
  return b;
}

function fold(line: string): string {
  if (line.length <= 78) return line;
  const parts = [line.slice(0, 78)];
  for (let i = 78; i < line.length; i += 77) parts.push(' ' + line.slice(i, i + 77));
  return parts.join('\r\n');
}

export interface ContosoPerson {
  rid: number;
  guid: string;
  given: string;
  sn: string;
  ou?: string;
  mobile?: string;
  c?: string;
  critical?: boolean;
  sam?: string;
  mobileChangedAt?: string;
}

export const PEOPLE: ContosoPerson[] = [
  { rid: 500, guid: '0c1f3a52-6d2b-4c7e-8a9f-1b2c3d4e5f60', given: 'Administrator', sn: '', ou: 'CN=Users', critical: true, sam: 'Administrator' },
  { rid: 1105, guid: '6a0b2e3f-1c4d-4e5f-9a8b-7c6d5e4f3a21', given: 'Adele', sn: 'Vance', mobile: '+1 425 555 0100', c: 'US' },
  { rid: 1106, guid: '7b1c3f40-2d5e-4f60-8b9c-8d7e6f504b32', given: 'Alex', sn: 'Wilber', mobile: '+1 425 555 0101', c: 'US' },
  { rid: 1107, guid: '8c2d4051-3e6f-4071-9cad-9e8f70615c43', given: 'Diego', sn: 'Siciliani', c: 'US' },
  { rid: 1108, guid: '9d3e5162-4f70-4182-adbe-af9081726d54', given: 'Grady', sn: 'Archie', mobile: '+1 425 555 0103', c: 'US' },
  { rid: 1109, guid: 'ae4f6273-5081-4293-becf-b0a192837e65', given: 'Henrietta', sn: 'Mueller', mobile: '+49 89 1234567', c: 'DE', mobileChangedAt: '2025-02-02T09:00:00Z' },
  { rid: 1110, guid: 'bf507384-6192-43a4-8fd0-c1b2a3948f76', given: 'Isaiah', sn: 'Langer', mobile: '+1 425 555 0105', c: 'US' },
  { rid: 1111, guid: 'c0618495-72a3-44b5-90e1-d2c3b4a59087', given: 'Johanna', sn: 'Lorenz', mobile: '+1 425 555 0106', c: 'US' },
  { rid: 1112, guid: 'd17295a6-83b4-45c6-a1f2-e3d4c5b6a198', given: 'Lee', sn: 'Gu', mobile: '020 7946 0958', c: 'GB' },
];

const samOf = (p: ContosoPerson) => p.sam ?? `${p.given}.${p.sn}`.toLowerCase();
const dnOf = (p: ContosoPerson) => `CN=${p.sn ? `${p.given} ${p.sn}` : p.given},${p.ou ?? 'OU=Staff'},DC=contoso,DC=com`;
const upnOf = (p: ContosoPerson) => `${samOf(p)}@contoso.com`;

export function contosoLdif(): string {
  const out: string[] = [];
  for (const p of PEOPLE) {
    const lines = [
      `dn: ${dnOf(p)}`,
      'changetype: add',
      'objectClass: top',
      'objectClass: person',
      'objectClass: organizationalPerson',
      'objectClass: user',
      ...(p.c ? [`c: ${p.c}`] : []),
      `displayName: ${p.sn ? `${p.given} ${p.sn}` : p.given}`,
      'whenChanged: 20250115080000.0Z',
      `uSNChanged: ${40000 + p.rid}`,
      `objectGUID:: ${guidBytes(p.guid).toString('base64')}`,
      ...(p.critical ? ['isCriticalSystemObject: TRUE'] : [`mS-DS-ConsistencyGuid:: ${guidBytes(p.guid).toString('base64')}`]),
      `objectSid:: ${sidBytes(p.rid).toString('base64')}`,
      `sAMAccountName: ${samOf(p)}`,
      `userPrincipalName: ${upnOf(p)}`,
      ...(p.mobile ? [`mobile: ${p.mobile}`] : []),
      ...(p.mobileChangedAt ? [`replPropertyMetaData:: ${replMeta(p.mobileChangedAt, 3).toString('base64')}`] : []),
    ];
    out.push(lines.map(fold).join('\r\n'));
  }
  return out.join('\r\n\r\n') + '\r\n';
}

const person = (given: string) => PEOPLE.find((p) => p.given === given)!;

function graphUser(p: ContosoPerson, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `${p.guid.slice(0, 8)}-aaaa-4bbb-8ccc-${String(p.rid).padStart(12, '0')}`,
    userPrincipalName: upnOf(p),
    displayName: `${p.given} ${p.sn}`,
    mobilePhone: p.mobile ?? null,
    businessPhones: ['+1 425 555 0199'],
    onPremisesSyncEnabled: true,
    onPremisesImmutableId: guidBytes(p.guid).toString('base64'),
    onPremisesSecurityIdentifier: sidText(p.rid),
    onPremisesLastSyncDateTime: '2025-02-01T10:30:00Z',
    onPremisesDistinguishedName: dnOf(p),
    onPremisesDomainName: 'contoso.com',
    onPremisesSamAccountName: samOf(p),
    onPremisesUserPrincipalName: upnOf(p),
    ...over,
  };
}

/** Expected verdict per UPN for the export pair below. */
export const EXPECTED: Record<string, string> = {
  'adele.vance@contoso.com': 'in-sync',
  'alex.wilber@contoso.com': 'format-only',
  'diego.siciliani@contoso.com': 'onprem-missing',
  'grady.archie@contoso.com': 'cloud-override',
  'henrietta.mueller@contoso.com': 'pending-sync',
  'isaiah.langer@contoso.com': 'cloud-missing',
  'johanna.lorenz@contoso.com': 'unmatched-onprem',
  'lee.gu@contoso.com': 'format-only',
  'megan.bowen@contoso.com': 'unmatched-cloud',
};

export function contosoGraphPage(): Record<string, unknown> {
  const orphan = (given: string, sn: string, ou: string, rid: number) => ({
    ...graphUser({ rid, guid: `e28306b7-94c5-46d7-b203-${String(rid).padStart(12, '0')}`, given, sn, ou, mobile: '+1 425 555 0150' }),
    onPremisesImmutableId: Buffer.from(`orphan-${rid}-anchor!`).toString('base64'),
    onPremisesSecurityIdentifier: sidText(rid + 5000),
  });
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,displayName,mobilePhone,businessPhones,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesSecurityIdentifier,onPremisesLastSyncDateTime,onPremisesDistinguishedName,onPremisesDomainName,onPremisesSamAccountName,onPremisesUserPrincipalName)',
    value: [
      graphUser(person('Adele')),
      graphUser(person('Alex'), { mobilePhone: '(425) 555-0101' }),
      graphUser(person('Diego'), { mobilePhone: '+1 206 555 0177' }),
      graphUser(person('Grady'), { mobilePhone: '+1 206 555 0178' }),
      graphUser(person('Henrietta'), { mobilePhone: '+49 89 7654321' }),
      graphUser(person('Isaiah'), { mobilePhone: null }),
      // Lee's anchor in the cloud is stale (re-created account): matched by SID, number written nationally in AD.
      graphUser(person('Lee'), { mobilePhone: '+44 20 7946 0958', onPremisesImmutableId: 'c3RhbGUtYW5jaG9yLTExMTI=' }),
      orphan('Megan', 'Bowen', 'OU=Staff', 1120),
      orphan('Emily', 'Braun', 'OU=Contractors', 1121),
      {
        id: '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0',
        userPrincipalName: 'guest_fabrikam.com#EXT#@contoso.onmicrosoft.com',
        displayName: 'Guest (Fabrikam)',
        mobilePhone: '+1 425 555 0199',
        businessPhones: [],
        onPremisesSyncEnabled: null,
        onPremisesImmutableId: null,
        onPremisesSecurityIdentifier: null,
        onPremisesLastSyncDateTime: null,
        onPremisesDistinguishedName: null,
        onPremisesDomainName: null,
        onPremisesSamAccountName: null,
        onPremisesUserPrincipalName: null,
      },
    ],
  };
}

/** The same users as `Get-MgUser | Select-Object $props | ConvertTo-Json` in Windows PowerShell 5.1 writes them. */
export function contosoPowerShellJson(): unknown[] {
  const page = contosoGraphPage().value as Array<Record<string, unknown>>;
  return page.map((u) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(u)) {
      const key = k[0]!.toUpperCase() + k.slice(1);
      o[key] = k === 'onPremisesLastSyncDateTime' && typeof v === 'string' ? `/Date(${Date.parse(v)})/` : v;
    }
    return o;
  });
}

export function contosoProfile(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Contoso',
    onPrem: {
      url: 'ldaps://dc01.contoso.com:636',
      bindDn: 'svc-syncdrift@contoso.com',
      passwordEnv: 'SYNCDRIFT_LDAP_PASSWORD',
      baseDn: 'DC=contoso,DC=com',
      searchBases: ['OU=Staff,DC=contoso,DC=com'],
      caFile: 'contoso-ca.pem',
      sourceAnchor: 'mS-DS-ConsistencyGuid',
    },
    cloud: {
      environment: 'global',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '0f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a10',
      auth: { type: 'clientSecret', secretEnv: 'SYNCDRIFT_CLIENT_SECRET' },
      authorityHost: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://graph.microsoft.com',
    },
    defaultRegion: 'US',
    ...over,
  };
}
