/**
 * Deferred decoding of the scan's search entries (main/onprem/deferred-entries.ts): real LDAP
 * messages in BER, fed through ldapts' own MessageParser, so an ldapts upgrade that renames the hook
 * fails here instead of silently slowing scans; the decoder against what ldapts itself produces,
 * and malformed BER refused with a message.
 */
import { BerWriter, MessageParser, type Entry, type SearchEntry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { decodeAttributeList, deferRequestsWith, deferredAttributes, hookParser } from '../../../main/onprem/deferred-entries';

const guid = Buffer.from('8c1f2b0e9a7d4c4fb6e1d2c3a4b5c6d7', 'hex');
// Bytes that are valid UTF-8: must still come out as bytes for a binary attribute.
const textLikeGuid = Buffer.from('41424344454647484950515253545556', 'hex');
const ATTRS: Array<[string, Array<string | Buffer>]> = [
  ['objectGUID', [guid]],
  ['mS-DS-ConsistencyGuid', [textLikeGuid]],
  ['displayName', ["Zoë O'Brien, Jr."]],
  ['otherMobile', ['+1 425 555 0100', '+1 425 555 0101']],
  ['mobile', []],
  ['description', ['x'.repeat(300)]], // a long-form length (> 127 bytes)
];

/** LDAPMessage { messageID, [APPLICATION 4] SearchResultEntry { objectName, attributes } }. */
function searchEntryMessage(messageId: number, dn: string, attrs: Array<[string, Array<string | Buffer>]>): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(messageId);
  w.startSequence(0x64);
  w.writeString(dn);
  w.startSequence();
  for (const [type, values] of attrs) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const v of values) w.writeBuffer(Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'), 0x04);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

function parse(parser: MessageParser, bytes: Buffer, request: { attributes: string[] }): SearchEntry {
  const got: SearchEntry[] = [];
  parser.on('message', (m) => got.push(m as SearchEntry));
  parser.on('error', (e) => {
    throw e;
  });
  // Two chunks, split inside an attribute value: the framing must still find the message.
  const details = new Map([['7', { message: { ...request, controls: [] } }]]) as unknown as Parameters<MessageParser['read']>[1];
  parser.read(bytes.subarray(0, 40), details);
  parser.read(bytes.subarray(40), details);
  expect(got).toHaveLength(1);
  return got[0]!;
}

const BINARY = new Set(['objectguid', 'ms-ds-consistencyguid']);

describe('deferred search entries', () => {
  const dn = "CN=Zoë O'Brien\\, Jr.,OU=Staff,DC=syncdrift,DC=test";
  const bytes = searchEntryMessage(7, dn, ATTRS);

  it("keeps a registered search's entries as bytes until asked, then decodes them like ldapts would", () => {
    const attributes = ATTRS.map(([t]) => t);
    const parser = new MessageParser();
    expect(hookParser(parser)).toBe(true);
    deferRequestsWith(attributes);
    const entry = parse(parser, bytes, { attributes });
    const obj: Entry = entry.toObject(attributes, []);
    expect(obj.dn).toBe(dn);
    const raw = deferredAttributes(obj);
    expect(raw).not.toBeNull();
    expect(decodeAttributeList(raw!, BINARY)).toEqual({
      objectguid: [guid],
      'ms-ds-consistencyguid': [textLikeGuid],
      displayname: ["Zoë O'Brien, Jr."],
      othermobile: ['+1 425 555 0100', '+1 425 555 0101'],
      mobile: [],
      description: ['x'.repeat(300)],
    });
    // Binary values are copies: nothing holds on to the page they came in.
    const decoded = decodeAttributeList(raw!, BINARY).objectguid![0] as Buffer;
    raw!.fill(0);
    expect(decoded).toEqual(guid);
  });

  it('leaves every other search to ldapts (same values through its own parser)', () => {
    const parser = new MessageParser();
    hookParser(parser);
    const other = ATTRS.map(([t]) => t); // equal contents, another array: not registered
    const entry = parse(parser, bytes, { attributes: other });
    const obj = entry.toObject(other, ['objectGUID', 'mS-DS-ConsistencyGuid']);
    expect(deferredAttributes(obj)).toBeNull();
    expect(obj.objectGUID).toEqual(guid);
    expect(obj.displayName).toBe("Zoë O'Brien, Jr.");
    expect(obj.otherMobile).toEqual(['+1 425 555 0100', '+1 425 555 0101']);
  });

  it('refuses malformed BER with what is wrong, never a partial entry', () => {
    const list = (inner: Buffer) => inner;
    // attribute SEQUENCE claims 10 bytes, 3 follow
    expect(() => decodeAttributeList(list(Buffer.from([0x30, 0x0a, 0x04, 0x01, 0x61])), BINARY)).toThrow(/not valid BER: .*runs past/);
    // a value with the wrong tag (INTEGER instead of OCTET STRING)
    expect(() => decodeAttributeList(Buffer.from([0x30, 0x08, 0x04, 0x01, 0x61, 0x31, 0x03, 0x02, 0x01, 0x05]), BINARY)).toThrow(/value of a: tag 0x2, expected 0x4/);
    // indefinite length
    expect(() => decodeAttributeList(Buffer.from([0x30, 0x80, 0x00, 0x00]), BINARY)).toThrow(/indefinite length/);
    // empty list: no attributes
    expect(decodeAttributeList(Buffer.alloc(0), BINARY)).toEqual({});
  });
});
