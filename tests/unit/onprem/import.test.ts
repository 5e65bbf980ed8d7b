/**
 * Offline imports: an ldifde-style LDIF and the export kit's CSV of the same users (captured from
 * the Samba test DC; the CSV's GUID/SID texts come from Samba's own decoding), broken files, and
 * the System.Byte[] trap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../main/core/errors';
import { importAdCsv, parseCsvRecords } from '../../../main/onprem/import/csv';
import { exportKitFiles } from '../../../main/onprem/import/export-kit';
import { importLdif } from '../../../main/onprem/import/ldif';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onprem/${name}`, import.meta.url));
const LDIF = fixture('samba-users.ldf');
const CSV = fixture('samba-users.csv');

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('LDIF import (ldifde)', () => {
  const dir = importLdif(LDIF, { file: 'users.ldf' });
  const all = dir.all();
  const by = (sam: string) => all.find((u) => u.samAccountName === sam);

  it('reads every record: folded base64 lines, base64 DNs, CRLF, changetype add', () => {
    expect(all).toHaveLength(7);
    expect(by('zoe.obrien')).toMatchObject({ dn: "CN=Zoë O'Brien,OU=Special,DC=syncdrift,DC=test", displayName: "Zoë O'Brien", mobile: '+353 87 123 4567' });
    expect(by('zoe.obrien')?.otherMobile.sort()).toEqual(['+353 86 000 0001', '+353 86 000 0002']);
    expect(by('taro.yamada')?.dn).toBe('CN=山田 太郎,OU=Special,DC=syncdrift,DC=test');
    expect(by('john.smith.comma')?.dn).toBe('CN=Smith\\, John,OU=Special,DC=syncdrift,DC=test');
  });

  it('keeps binary GUIDs, the consistency GUID anchor and replication metadata', () => {
    const casey = by('casey.anchor');
    expect(casey?.consistencyGuid).toBe(Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex').toString('base64'));
    expect(casey?.sourceAnchor).toBe(casey?.consistencyGuid);
    expect(by('zoe.obrien')?.changes.mobile).toMatchObject({ source: 'replPropertyMetaData', version: 1 });
    expect(by('zoe.obrien')?.objectSid).toMatch(/^S-1-5-21-/);
  });

  it('marks what Entra Connect leaves out and scans only the rest', async () => {
    expect(by('Administrator')?.inScope).toBe(false);
    expect(by('MSOL_0a1b2c3d4e5f')?.scopeReason).toMatch(/MSOL_/);
    expect(by('excluded.desc')?.scopeReason).toMatch(/adminDescription/);
    const pages = [];
    for await (const p of dir.scan({ pageSize: 2 })) pages.push(p);
    expect(pages.flat().map((u) => u.samAccountName).sort()).toEqual(['casey.anchor', 'john.smith.comma', 'taro.yamada', 'zoe.obrien']);
    expect(pages.length).toBe(2);
    await expect(dir.writeMobile({ dn: by('zoe.obrien')?.dn ?? '', expected: null, next: '1' })).rejects.toMatchObject({ code: 'SNAPSHOT_READ_ONLY' });
  });

  it('reads UTF-16LE files (ldifde -u)', () => {
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(LDIF.toString('utf8'), 'utf16le')]);
    expect(importLdif(u16, { file: 'u.ldf' }).all()).toHaveLength(7);
  });

  it.each([
    ['bad base64', (t: string) => t.replace('objectGUID:: ', 'objectGUID:: !!'), /users\.ldf:\d+: objectGUID: the value after '::' is not valid Base64/],
    ['a modify record', (t: string) => t.replace('changetype: add', 'changetype: modify'), /users\.ldf:2: changetype 'modify' is not an export/],
    ['a record without dn', (t: string) => `objectClass: user\r\n\r\n${t}`, /users\.ldf:1: a record must start with 'dn:'/],
    ['a continuation without a line', (t: string) => ` stray\r\n${t}`, /users\.ldf:1: a continuation line/],
    ['a binary value written as text', (t: string) => t.replace(/objectGUID:: [^\r]*/, 'objectGUID: {1f0a0639-9fb5-4bd7-92ab-0df2a4c305c8}'), /objectGUID is binary but was written as text/],
    ['a record without objectGUID', (t: string) => t.replace(/objectGUID:: [^\r]*\r\n/, ''), /users\.ldf:\d+: objectGUID is missing/],
    ['garbage', () => 'hello world\r\n', /users\.ldf:1: a record must start with 'dn:'|not an LDIF line/],
  ])('refuses %s with file, line and reason, importing nothing', (_name, mutate, message) => {
    const e = validationError(() => importLdif(mutate(LDIF.toString('utf8')), { file: 'users.ldf' }));
    expect(e.message).toMatch(message);
    expect(e.field).toMatch(/^users\.ldf:\d+$/);
  });
});

describe('export-kit CSV import', () => {
  const csv = importAdCsv(CSV, { file: 'users.csv' });
  const ldif = importLdif(LDIF, { file: 'users.ldf' });

  it('gives the same users as the LDIF export of the same directory', () => {
    const strip = (u: Record<string, unknown>) => ({ ...u, sourceId: undefined });
    const a = [...csv.all()].sort((x, y) => x.dn.localeCompare(y.dn)).map(strip);
    const b = [...ldif.all()].sort((x, y) => x.dn.localeCompare(y.dn)).map(strip);
    expect(a).toEqual(b);
  });

  it("refuses a plain Export-Csv file that wrote 'System.Byte[]', naming line and column", () => {
    const text = CSV.toString('utf8').replace(/("CN=Casey Anchor[^\r]*?","[^"]*","[^"]*",)"[^"]*"/, '$1"System.Byte[]"');
    const e = validationError(() => importAdCsv(text, { file: 'plain.csv' }));
    expect(e.code).toBe('IMPORT_SYSTEM_BYTE_ARRAY');
    expect(e.message).toMatch(/^plain\.csv:\d+: column mS-DS-ConsistencyGuid holds the text 'System\.Byte\[\]'.*export kit/);
    const multi = CSV.toString('utf8').replace('"+353 86 000 0001|+353 86 000 0002"', '"Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"');
    expect(validationError(() => importAdCsv(multi, { file: 'plain.csv' })).message).toMatch(/column otherMobile holds the text/);
  });

  it.each([
    ['a short row', (t: string) => t.replace(/\r\n"CN=Excluded[^\r]*/, '\r\n"CN=Broken","x"'), /users\.csv:2: 2 fields, but the header has 18 columns/],
    ['a text GUID that is not one', (t: string) => t.replace(/"1f0a0639-[^"]*"/, '"not-a-guid"'), /users\.csv:2: column ObjectGUID: 'not-a-guid' is not a GUID/],
    ['a missing column', (t: string) => t.replace('"ObjectGUID",', '"ObjectGUIDx",'), /users\.csv:1: the header lacks the column ObjectGUID/],
    ['an unclosed quote', (t: string) => `${t}"CN=x,DC=y`, /users\.csv:\d+: a quoted field is not closed/],
    ['a bad time', (t: string) => t.replace('2026-', 'yesterday-'), /users\.csv:2: column whenChanged: 'yesterday-.* is not an ISO 8601 time/],
    ['an empty file', () => '', /users\.csv:1: the file is empty/],
  ])('refuses %s with file, line and reason', (_n, mutate, message) => {
    expect(validationError(() => importAdCsv(mutate(CSV.toString('utf8')), { file: 'users.csv' })).message).toMatch(message);
  });

  it('parses RFC 4180 quoting, doubled quotes and embedded newlines, and skips #TYPE lines', () => {
    expect(parseCsvRecords('a,"b ""q""","c\nd"\r\n1,2,3\n', 'x.csv')).toEqual([
      { fields: ['a', 'b "q"', 'c\nd'], line: 1 },
      { fields: ['1', '2', '3'], line: 3 },
    ]);
    const typed = `#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n${CSV.toString('utf8').replace(/^\uFEFF/, '')}`;
    expect(importAdCsv(typed, { file: 't.csv' }).all()).toHaveLength(7);
  });
});

describe('export kit', () => {
  it('writes the ldifde and Get-ADUser commands with byte-preserving calculated properties', () => {
    const files = exportKitFiles({ baseDn: 'OU=Staff,DC=contoso,DC=com', server: 'dc01.contoso.com' });
    expect(files.map((f) => f.name)).toEqual(['export-ldif.cmd', 'export-csv.ps1', 'README.txt']);
    const cmd = files[0]?.content ?? '';
    expect(cmd).toContain('ldifde -f syncdrift-users.ldf %SERVER% -d "%BASE%" -p subtree -r "(&(objectCategory=person)(objectClass=user))" -l "objectClass,objectGUID,objectSid,mS-DS-ConsistencyGuid,');
    expect(cmd).toContain('set SERVER=-s dc01.contoso.com');
    const ps = files[1]?.content ?? '';
    expect(ps).toContain("@{n='mS-DS-ConsistencyGuid';e={ if ($null -eq $_.'mS-DS-ConsistencyGuid') { '' } else { [Convert]::ToBase64String([byte[]]$_.'mS-DS-ConsistencyGuid') } }}");
    expect(ps).toContain("@{n='otherMobile';e={ ($_.otherMobile) -join '|' }}");
    expect(ps).toContain("@{n='ObjectGUID';e={ $_.ObjectGUID.ToString() }}");
    expect(ps).toContain('Export-Csv -Path $OutFile -NoTypeInformation -Encoding UTF8');
    // The CSV columns the script writes are exactly those the importer reads.
    const cols = [...ps.matchAll(/@\{n='([^']+)'/g)].map((m) => m[1]);
    const header = CSV.toString('utf8').replace(/^\uFEFF/, '').split('\r\n')[0]?.split(',').map((h) => h.replace(/"/g, ''));
    expect(cols).toEqual(header);
  });
});
