/**
 * Privacy of the evidence package: phone masking (recorded in the manifest) and secrets that never
 * appear, whatever the inputs carried.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEvidenceFiles, maskPhone, PhoneMasker, REDACTED, SecretRedactor } from '../../main/evidence';
import { fieldReportScan, type FieldReportScan } from '../support/evidence-replay';

let scan: FieldReportScan;
beforeAll(async () => {
  scan = await fieldReportScan();
});

const allText = (files: Map<string, Buffer>) => [...files].map(([name, data]) => [name, data.toString('utf8')] as const);

describe('maskPhone', () => {
  it.each([
    ['+1 803 555 1212', '+1 803 ••• ••12'],
    ['(803) 555-0142', '(803) •••-••42'],
    ['8035551212', '••••••••12'],
    ['+18035551212', '+1••••••••12'],
    ['+44 20 7946 0958', '+44 20 •••• ••58'],
    ['555-1212', '•••-••12'],
    ['1234', '••••'],
  ])('%s → %s', (raw, masked) => {
    expect(maskPhone(raw)).toBe(masked);
  });

  it('leaves empty values alone and masks numbers inside audit values and prose it was told about', () => {
    expect(maskPhone(null)).toBeNull();
    const m = new PhoneMasker().add('0987654321');
    expect(m.maskString('["+1 803 555 0199"]')).toBe('["+1 803 ••• ••99"]');
    expect(m.maskString('wrote 0987654321 to AD')).toBe('wrote ••••••••21 to AD');
    expect(m.maskString('S-1-5-21-2127521184-1604012920')).toBe('S-1-5-21-2127521184-1604012920');
    expect(m.maskString('10.0.0.123')).toBe('10.0.0.123');
  });
});

describe('a masked package', () => {
  const RAW = ['0987654321', '1234567890', '9991112222', '8035551212', '+1 803 555 0199', '(803) 555-0150', '+1 803 555 0150', '+1 803 555 0142', '+1 803 555 0143', '+1 803 555 0777'];

  it('shows no phone number in any file, keeps ids exact, and says it is masked', () => {
    const session = { plan: { steps: [{ user: 'testmobile@fortmillems.org', expected: '1234567890', next: '0987654321' }] }, journal: [{ message: 'AD mobile of testmobile is 0987654321' }], verification: { cloudValue: '+1 803 555 0199' } };
    const b = buildEvidenceFiles({ ...scan.input, session }, { mask: true, packagedAt: '2025-02-04T09:30:00Z' });
    for (const [name, t] of allText(b.files)) for (const raw of RAW) expect(t.includes(raw), `${raw} in ${name}`).toBe(false);
    expect(b.manifest.masked).toBe(true);
    const user = JSON.parse(b.files.get(`users/${scan.ids.testmobile}.json`)!.toString()) as {
      onPrem: { user: { mobile: string; objectSid: string; sourceAnchor: string } };
      cloud: { user: { mobilePhone: string } };
      auditRecords: { targetResources: { modifiedProperties: { displayName: string; newValue: string }[] }[] }[];
    };
    expect(user.onPrem.user.mobile).toBe('••••••••21');
    expect(user.cloud.user.mobilePhone).toBe('••••••••90');
    expect(user.onPrem.user.objectSid).toBe('S-1-5-21-2127521184-1604012920-1887927527-4101');
    expect(user.onPrem.user.sourceAnchor).toBe('Oyocb15NYE+Ke5wNHi86Sw==');
    expect(user.auditRecords.flatMap((r) => r.targetResources[0]!.modifiedProperties).filter((p) => p.displayName === 'Mobile').map((p) => p.newValue)).toEqual([
      '["••••••••12"]',
      '["••••••••22"]',
      '["••••••••90"]',
    ]);
    const md = b.files.get('summary.md')!.toString();
    expect(md).toContain('| Phone numbers | masked (country code, area group and last two digits kept) |');
    expect(md).toContain('`+1 803 ••• ••99`');
    expect(b.files.get('transcript.txt')!.toString()).toContain('MobilePhone : ••••••••21');
    expect(b.files.get('affected-users.csv')!.toString()).toContain(',+1 803 ••• ••50,(803) •••-••50,');
    expect(JSON.parse(b.files.get('journal.json')!.toString())).toEqual([{ message: 'AD mobile of testmobile is ••••••••21' }]);
  });

  it('an unmasked package shows the numbers (the mask is what hides them)', () => {
    const b = buildEvidenceFiles(scan.input, { packagedAt: '2025-02-04T09:30:00Z' });
    const all = allText(b.files).map(([, t]) => t).join('\n');
    for (const raw of ['0987654321', '1234567890', '+1 803 555 0199']) expect(all).toContain(raw);
  });
});

describe('secrets', () => {
  const CLIENT_SECRET = 'Zq8~planted.client-secret_4f2a9c1e77';
  const BIND_PASSWORD = 'Planted-Bind-P@ssw0rd-9d1e';
  const ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJwbGFudGVkIjp0cnVlfQ.c2lnbmF0dXJlLXBsYW50ZWQ';
  const REFRESH_TOKEN = '0.AXoAplanted-refresh-token-7c1b2a';

  it('never appear in any file, wherever the inputs carried them', () => {
    const env = { SYNCDRIFT_CLIENT_SECRET: CLIENT_SECRET, SYNCDRIFT_BIND_PASSWORD: BIND_PASSWORD };
    const session = {
      plan: { profile: { cloud: { auth: { type: 'clientSecret', clientSecret: CLIENT_SECRET } }, onPrem: { password: BIND_PASSWORD } }, steps: [] },
      journal: [
        { seq: 1, request: { headers: { Authorization: `Bearer ${ACCESS_TOKEN}` } } },
        { seq: 2, message: `token refresh failed for refresh_token=${REFRESH_TOKEN}; retrying with ${CLIENT_SECRET}` },
        { seq: 3, refresh_token: REFRESH_TOKEN },
      ],
      verification: { note: `bound with ${BIND_PASSWORD}`, raw: ACCESS_TOKEN },
    };
    const audits = scan.input.auditRecords.map((r, i) => (i === 0 ? { ...r, additionalDetails: [{ key: 'debug', value: `Bearer ${ACCESS_TOKEN}` }] } : r));
    const input = { ...scan.input, session, auditRecords: audits, operator: `admin@fortmillems.org` };
    const b = buildEvidenceFiles(input, { packagedAt: '2025-02-04T09:30:00Z', secrets: [...Object.values(env), REFRESH_TOKEN] });
    for (const [name, t] of allText(b.files)) {
      for (const s of [CLIENT_SECRET, BIND_PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN, Buffer.from(CLIENT_SECRET).toString('base64')]) expect(t.includes(s), `secret in ${name}`).toBe(false);
      expect(t, name).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
    }
    const plan = JSON.parse(b.files.get('plan.json')!.toString()) as { profile: { cloud: { auth: { clientSecret: string; type: string } } } };
    expect(plan.profile.cloud.auth).toEqual({ type: 'clientSecret', clientSecret: REDACTED });
    expect(b.files.get('journal.json')!.toString()).toContain('retrying with [redacted]');
  });

  it('a secret that would still reach a file stops the build and names the file, not the secret', () => {
    const r = new SecretRedactor([CLIENT_SECRET]);
    const files = new Map([
      ['summary.md', Buffer.from('clean')],
      ['plan.json', Buffer.from(`{"x":"${Buffer.from(CLIENT_SECRET).toString('base64')}"}`)],
    ]);
    expect(r.findLeaks(files)).toEqual(['plan.json']);
    // Even a field that is nothing but the secret is redacted rather than written.
    const b = buildEvidenceFiles({ ...scan.input, profile: CLIENT_SECRET }, { secrets: [CLIENT_SECRET], packagedAt: '2025-02-04T09:30:00Z' });
    expect(b.manifest.profile).toBe(REDACTED);
  });
});
