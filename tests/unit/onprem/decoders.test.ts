/**
 * Decoders checked against values captured from a real Samba AD DC, with Samba's own NDR decoding
 * of the same bytes as the expected answer (tests/support/capture-onprem-fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  anchorBytes,
  ATTID,
  attributeChange,
  decodeReplAttributeMetaDataXml,
  decodeReplPropertyMetaData,
  encodeReplPropertyMetaData,
  generalizedTimeToIso,
  guidFromText,
  guidToText,
  sidFromText,
  sidToText,
  sourceAnchor,
} from '../../../main/onprem/decoders';

interface Sample {
  sAMAccountName: string;
  objectGUID: string;
  objectGUIDText: string;
  objectSid: string;
  objectSidText: string;
  consistencyGuid: string | null;
  whenChanged: string;
  replPropertyMetaData: string;
  sambaDecoded: { version: number; count: number; entries: Array<{ attid: number; version: number; originatingChangeTimeSeconds: number; originatingInvocationId: string; originatingUsn: number; localUsn: number }> };
}
const captured = JSON.parse(readFileSync(new URL('../../fixtures/onprem/samba-captured.json', import.meta.url), 'utf8')) as { mobileAttid: number; samples: Sample[] };
const b = (s: string) => Buffer.from(s, 'base64');
const sample = (sam: string) => {
  const s = captured.samples.find((x) => x.sAMAccountName === sam);
  if (!s) throw new Error(sam);
  return s;
};

describe('GUID', () => {
  it.each(captured.samples.map((s) => [s.sAMAccountName, s]))('renders objectGUID of %s as Samba does (.NET mixed-endian)', (_n, s) => {
    expect(guidToText(b(s.objectGUID))).toBe(s.objectGUIDText);
    expect(guidFromText(s.objectGUIDText).toString('base64')).toBe(s.objectGUID);
  });
  it("matches .NET's Guid.ToByteArray() order for a known value", () => {
    // new Guid("00112233-4455-6677-8899-aabbccddeeff").ToByteArray() = 33 22 11 00 55 44 77 66 88 99 aa ...
    expect(guidFromText('{00112233-4455-6677-8899-AABBCCDDEEFF}').toString('hex')).toBe('33221100554477668899aabbccddeeff');
  });
  it('refuses malformed input', () => {
    expect(() => guidToText(Buffer.alloc(15))).toThrow(/16 bytes/);
    expect(() => guidFromText('not-a-guid', 'row 3 ObjectGUID')).toThrow(/row 3 ObjectGUID/);
  });
});

describe('SID', () => {
  it.each(captured.samples.map((s) => [s.sAMAccountName, s]))('renders objectSid of %s as Samba does', (_n, s) => {
    expect(sidToText(b(s.objectSid))).toBe(s.objectSidText);
    expect(sidFromText(s.objectSidText).toString('base64')).toBe(s.objectSid);
  });
  it('handles well-known SIDs and refuses truncated ones', () => {
    expect(sidToText(sidFromText('S-1-5-32-544'))).toBe('S-1-5-32-544');
    expect(() => sidToText(b(sample('Administrator').objectSid).subarray(0, 20))).toThrow(/must have 28 bytes/);
    expect(() => sidFromText('S-1-5-x')).toThrow(/not a SID/);
  });
});

describe('source anchor', () => {
  it('is Base64 of mS-DS-ConsistencyGuid where set, else of objectGUID', () => {
    const casey = sample('casey.anchor');
    expect(casey.consistencyGuid).not.toBeNull();
    expect(sourceAnchor(b(casey.objectGUID), b(casey.consistencyGuid ?? ''))).toBe(casey.consistencyGuid);
    const zoe = sample('zoe.obrien');
    expect(sourceAnchor(b(zoe.objectGUID), null)).toBe(zoe.objectGUID);
    expect(sourceAnchor(b(zoe.objectGUID), Buffer.alloc(0))).toBe(zoe.objectGUID);
    expect(anchorBytes(zoe.objectGUID).toString('base64')).toBe(zoe.objectGUID);
    expect(() => anchorBytes('abc')).toThrow(/16 bytes/);
  });
});

describe('replPropertyMetaData', () => {
  it.each(captured.samples.map((s) => [s.sAMAccountName, s]))('decodes the blob of %s entry by entry as Samba does', (_n, s) => {
    const got = decodeReplPropertyMetaData(b(s.replPropertyMetaData));
    expect(got).toHaveLength(s.sambaDecoded.count);
    got.forEach((e, i) => {
      const want = s.sambaDecoded.entries[i];
      if (!want) throw new Error('missing entry');
      expect(e.attid).toBe(want.attid);
      expect(e.version).toBe(want.version);
      expect(Date.parse(e.changedAt) / 1000).toBe(want.originatingChangeTimeSeconds - 11644473600);
      expect(e.originatingDc).toBe(want.originatingInvocationId);
      expect(e.originatingUsn).toBe(want.originatingUsn);
      expect(e.localUsn).toBe(want.localUsn);
    });
  });

  it('finds mobile (attid 0x00150029) with the version and time of the last write', () => {
    expect(ATTID.mobile).toBe(captured.mobileAttid);
    const star = sample('star.man'); // mobile written at load and twice more before capture
    const want = star.sambaDecoded.entries.find((e) => e.attid === captured.mobileAttid);
    const change = attributeChange('mobile', { binary: b(star.replPropertyMetaData), whenChanged: generalizedTimeToIso(star.whenChanged) });
    expect(want?.version).toBe(3);
    expect(change).toEqual({
      source: 'replPropertyMetaData',
      version: 3,
      changedAt: new Date((Number(want?.originatingChangeTimeSeconds) - 11644473600) * 1000).toISOString(),
      originatingDc: want?.originatingInvocationId,
    });
  });

  it('says never-set (version 0) when the metadata has no entry, and falls back to whenChanged without metadata', () => {
    const admin = sample('Administrator');
    expect(attributeChange('mobile', { binary: b(admin.replPropertyMetaData) })).toEqual({ changedAt: null, version: 0, source: 'replPropertyMetaData', originatingDc: null });
    expect(attributeChange('mobile', { whenChanged: '2024-01-02T03:04:05.000Z' })).toEqual({ changedAt: '2024-01-02T03:04:05.000Z', version: null, source: 'whenChanged', originatingDc: null });
  });

  it('round-trips through the encoder and refuses damaged blobs', () => {
    const raw = b(sample('star.man').replPropertyMetaData);
    expect(encodeReplPropertyMetaData(decodeReplPropertyMetaData(raw)).equals(raw)).toBe(true);
    expect(() => decodeReplPropertyMetaData(raw.subarray(0, raw.length - 1))).toThrow(/header says \d+ entries/);
    const v2 = Buffer.from(raw);
    v2.writeUInt32LE(2, 0);
    expect(() => decodeReplPropertyMetaData(v2)).toThrow(/unsupported version 2/);
    expect(() => decodeReplPropertyMetaData(Buffer.alloc(4))).toThrow(/shorter than its 16-byte header/);
  });
});

describe('msDS-ReplAttributeMetaData (Windows XML)', () => {
  // The shape a Windows DC returns: one document per attribute, NUL-terminated.
  const doc = (name: string, version: number, time: string) =>
    `<DS_REPL_ATTR_META_DATA>\n\t<pszAttributeName>${name}</pszAttributeName>\n\t<dwVersion>${version}</dwVersion>\n\t<ftimeLastOriginatingChange>${time}</ftimeLastOriginatingChange>\n\t<uuidLastOriginatingDsaInvocationID>9a4c5e1d-2b3f-4a6d-8e7f-0123456789ab</uuidLastOriginatingDsaInvocationID>\n\t<usnOriginatingChange>41012</usnOriginatingChange>\n\t<usnLocalChange>41012</usnLocalChange>\n\t<pszLastOriginatingDsaDN>CN=NTDS Settings,CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=contoso,DC=com</pszLastOriginatingDsaDN>\n</DS_REPL_ATTR_META_DATA>\n\u0000`;

  it('prefers the XML over replPropertyMetaData and picks the attribute by name', () => {
    const xml = [doc('displayName', 1, '2023-05-01T08:00:00Z'), doc('mobile', 4, '2024-03-05T10:11:12Z')];
    expect(decodeReplAttributeMetaDataXml(xml)[1]).toMatchObject({ attribute: 'mobile', version: 4, originatingUsn: 41012 });
    expect(attributeChange('mobile', { xml, binary: b(sample('star.man').replPropertyMetaData) })).toEqual({
      source: 'msDS-ReplAttributeMetaData',
      version: 4,
      changedAt: '2024-03-05T10:11:12.000Z',
      originatingDc: '9a4c5e1d-2b3f-4a6d-8e7f-0123456789ab',
    });
  });

  it('refuses a value that is not such a document', () => {
    expect(() => decodeReplAttributeMetaDataXml(['<x/>'])).toThrow(/not a DS_REPL_ATTR_META_DATA/);
    expect(() => decodeReplAttributeMetaDataXml([doc('mobile', 1, 'yesterday')])).toThrow(/bad version .* or time 'yesterday'/);
  });
});

describe('GeneralizedTime', () => {
  it('converts AD times and refuses others', () => {
    expect(generalizedTimeToIso('20240305101112.0Z')).toBe('2024-03-05T10:11:12.000Z');
    expect(generalizedTimeToIso('')).toBeNull();
    expect(() => generalizedTimeToIso('2024-03-05')).toThrow(/GeneralizedTime/);
  });
});
