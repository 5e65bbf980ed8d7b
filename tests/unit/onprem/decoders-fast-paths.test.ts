/**
 * The scanner's fast paths (canonical GeneralizedTime without a Date, the repeated-invocationId
 * memo, the single-entry metadata lookup) must give exactly what the general code gives.
 */
import { describe, expect, it } from 'vitest';
import { decodeReplPropertyMetaData, encodeReplPropertyMetaData, findReplPropertyMetaData, generalizedTimeToIso, type ReplMetaEntry } from '../../../main/onprem/decoders';

function viaDate(v: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(v);
  if (!m) throw new Error(v);
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))).toISOString();
}

describe('generalizedTimeToIso fast path', () => {
  it('matches the Date path for canonical values, including month ends and leap days', () => {
    const samples = ['20240305101112.0Z', '19991231235959.0Z', '20240229000000.0Z', '20230131120000.0Z', '20250430083000.0Z', '16010101000000.0Z', '20261129165328.0Z'];
    for (let i = 0; i < 500; i++) {
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      samples.push(`${1990 + (i % 60)}${pad((i % 12) + 1)}${pad((i % 31) + 1)}${pad(i % 24)}${pad((i * 7) % 60)}${pad((i * 13) % 60)}.0Z`);
    }
    for (const v of samples) expect(generalizedTimeToIso(v), v).toBe(viaDate(v));
  });

  it('still refuses what is not a GeneralizedTime', () => {
    expect(() => generalizedTimeToIso('2024-03-05T10:11:12Z')).toThrow(/not a GeneralizedTime/);
    expect(() => generalizedTimeToIso('2024030510111a.0Z')).toThrow(/not a GeneralizedTime/);
  });
});

describe('replPropertyMetaData lookups', () => {
  const dcA = '8f3c9a2e-1b4d-4e5f-9a8b-7c6d5e4f3a2b';
  const dcB = '0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9';
  const entries: ReplMetaEntry[] = [
    { attid: 0x00000014, version: 1, changedAt: '2024-01-02T03:04:05.000Z', originatingDc: dcA, originatingUsn: 4100, localUsn: 4100 },
    { attid: 0x00150029, version: 7, changedAt: '2025-06-07T08:09:10.000Z', originatingDc: dcB, originatingUsn: 90210, localUsn: 5000 },
    { attid: 0x00090287, version: 2, changedAt: '2023-12-31T23:59:59.000Z', originatingDc: dcA, originatingUsn: 17, localUsn: 18 },
  ];
  const blob = encodeReplPropertyMetaData(entries);

  it('finds the one entry asked for, identical to the full decode, across alternating DCs', () => {
    for (let round = 0; round < 3; round++) {
      expect(decodeReplPropertyMetaData(blob)).toEqual(entries);
      for (const e of entries) expect(findReplPropertyMetaData(blob, e.attid)).toEqual(e);
    }
    expect(findReplPropertyMetaData(blob, 0x12345678)).toBeNull();
  });

  it('checks the header before looking', () => {
    expect(() => findReplPropertyMetaData(blob.subarray(0, blob.length - 1), 0x00150029)).toThrow(/header says 3 entries/);
  });
});
