/**
 * The ldapts hook that skips the UTF-8 attempt on AD's octet-string attributes (see
 * main/onprem/binary-attributes.ts): round-trips real BER through ldapts' own Attribute parser,
 * so an ldapts upgrade that renames the hook fails here instead of silently slowing scans.
 */
import { Attribute, BerReader, BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { readAsBinary } from '../../../main/onprem/binary-attributes';

function roundTrip(type: string, values: Buffer[]): Attribute {
  const w = new BerWriter();
  new Attribute({ type, values }).write(w);
  const parsed = new Attribute();
  parsed.parse(new BerReader(w.buffer));
  return parsed;
}

describe('readAsBinary', () => {
  // A GUID whose bytes happen to be valid UTF-8: without the hook ldapts hands out a string.
  const textLike = Buffer.from('41424344454647484950515253545556', 'hex');
  // Captured objectGUID bytes of a Samba user (not valid UTF-8).
  const guid = Buffer.from('8c1f2b0e9a7d4c4fb6e1d2c3a4b5c6d7', 'hex');

  it('hands out AD octet-string attributes as the bytes, even when they would decode as text', () => {
    expect(readAsBinary()).toBe(true);
    for (const type of ['objectGUID', 'OBJECTSID', 'replPropertyMetaData', 'mS-DS-ConsistencyGuid']) {
      const a = roundTrip(type, [textLike, guid]);
      expect(a.values, type).toEqual([textLike, guid]);
      expect(a.values.every((v) => Buffer.isBuffer(v))).toBe(true);
    }
  });

  it('leaves text attributes as text and takes extra names (a custom source anchor)', () => {
    expect(roundTrip('displayName', [Buffer.from("Zoë O'Brien")]).values).toEqual(["Zoë O'Brien"]);
    expect(roundTrip('extensionAttribute9', [textLike]).values).toEqual(['ABCDEFGHIPQRSTUV']);
    readAsBinary(['extensionAttribute9']);
    expect(roundTrip('extensionAttribute9', [textLike]).values).toEqual([textLike]);
  });
});
