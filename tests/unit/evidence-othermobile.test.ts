/**
 * otherMobile in the evidence package (#17 point 11): each user file says what AD holds, that the
 * cloud's AlternateMobilePhones is not readable through Graph v1.0, and what a bypass does; masked
 * packages mask every value, the normalized forms included; the CSV carries it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEvidenceFiles } from '../../main/evidence';
import { fieldReportScan, type FieldReportScan } from './../support/evidence-replay';

let scan: FieldReportScan;
beforeAll(async () => {
  scan = await fieldReportScan();
});

type UserDoc = { otherMobile: { source: string; onPrem: string[]; normalized: string[]; cloud: string; verdict: string; note: string } };

describe('otherMobile in the evidence package', () => {
  it('states AD\u2019s values, the unreadable cloud side and the bypass verdict per user', () => {
    const b = buildEvidenceFiles(scan.input, { packagedAt: '2025-02-04T09:30:00Z', users: ['ana.lima@fortmillems.org'] });
    const doc = JSON.parse(b.files.get(`users/${scan.ids.ana}.json`)!.toString()) as UserDoc;
    expect(doc.otherMobile).toMatchObject({ source: 'ad', onPrem: ['+1 803 555 0143'], normalized: ['+18035550143'], cloud: 'not readable through Graph v1.0', verdict: 'bypass-pushes' });
    expect(doc.otherMobile.note).toMatch(/will push these values/);
    const csv = b.files.get('affected-users.csv')!.toString().split('\r\n');
    const header = csv[0]!.split(',');
    const line = csv.find((l) => l.startsWith('ana.lima@'))!.split(',');
    expect(line[header.indexOf('onPremOtherMobile')]).toBe('+1 803 555 0143');
    expect(line[header.indexOf('cloudAlternateMobilePhones')]).toBe('not readable through Graph v1.0');
  });

  it('the summary counts the users with AD otherMobile values and says the cloud side is not readable', () => {
    const b = buildEvidenceFiles(scan.input, { packagedAt: '2025-02-04T09:30:00Z', users: ['ana.lima@fortmillems.org', 'testmobile@fortmillems.org'] });
    const md = b.files.get('summary.md')!.toString();
    expect(md).toContain('1 user(s) in this package have AD otherMobile values');
    expect(md).toContain('AlternateMobilePhones is not readable through Graph v1.0');
    expect(md).toMatch(/the bypass would push AD\u2019s otherMobile values wherever they differ/);
  });

  it('the transcript’s AD view shows AD otherMobile and says AlternateMobilePhones is not readable through Graph', () => {
    const b = buildEvidenceFiles(scan.input, { packagedAt: '2025-02-04T09:30:00Z', users: ['ana.lima@fortmillems.org', 'testmobile@fortmillems.org'] });
    const t = b.files.get('transcript.txt')!.toString();
    const ana = t.slice(t.indexOf('==== ana.lima@'), t.indexOf('MSOnline', t.indexOf('==== ana.lima@')));
    // Get-ADUser shows a multi-valued attribute as a collection: {a, b}, {} when empty.
    expect(ana).toMatch(/PS C:\\> Get-ADUser \S+ -Properties mobile,otherMobile \| fl mobile,otherMobile\n\nmobile {6}: \S.*\notherMobile : \{\+1 803 555 0143\}\n/);
    expect(ana).toContain('# AlternateMobilePhones (Entra ID’s copy of otherMobile): not readable through Graph v1.0');
    const tm = t.slice(t.indexOf('==== testmobile@'));
    expect(tm).toContain('otherMobile : {}\n');
    // Masked: the otherMobile value in the transcript is masked like every other phone number.
    const masked = buildEvidenceFiles(scan.input, { mask: true, packagedAt: '2025-02-04T09:30:00Z', users: ['ana.lima@fortmillems.org'] }).files.get('transcript.txt')!.toString();
    expect(masked).toContain('otherMobile : {+1 803 ••• ••43}');
  });

  it('a masked package masks every otherMobile value, raw and normalized, in every file', () => {
    const b = buildEvidenceFiles(scan.input, { mask: true, packagedAt: '2025-02-04T09:30:00Z', users: ['ana.lima@fortmillems.org'] });
    for (const [name, data] of b.files) {
      const t = data.toString('utf8');
      for (const raw of ['+1 803 555 0143', '+18035550143', '8035550143']) expect(t.includes(raw), `${raw} in ${name}`).toBe(false);
    }
    const doc = JSON.parse(b.files.get(`users/${scan.ids.ana}.json`)!.toString()) as UserDoc & { row: { otherMobile: { onPrem: string[]; normalized: string[] } } };
    expect(doc.otherMobile.onPrem).toEqual(['+1 803 ••• ••43']);
    expect(doc.otherMobile.normalized).toEqual(['+1••••••••43']);
    expect(doc.row.otherMobile.normalized).toEqual(['+1••••••••43']);
  });
});
