/**
 * ldapts decodes every attribute value as UTF-8 (a fatal TextDecoder, one exception per value
 * that is not text) before handing out the bytes of the attributes the caller named binary. For
 * objectGUID, objectSid and replPropertyMetaData on every user that failed decode was ~30 % of
 * the scanner's CPU. ldapts skips the decode for attribute types it considers binary (`;binary`);
 * this widens that test to the AD attributes that are octet strings. The values then arrive as
 * the same Buffers explicitBufferAttributes would have produced.
 */
import { Attribute } from 'ldapts';

const BINARY = new Set<string>(['objectguid', 'objectsid', 'ms-ds-consistencyguid', 'replpropertymetadata', 'invocationid']);

type Patched = { _isBinaryType?: (this: { type: string }) => boolean; __syncdriftBinary?: true };

/**
 * Adds `names` to the attributes read as bytes without a text decode and makes sure ldapts
 * consults the set. Returns false when this ldapts has no such hook (a later version renamed it):
 * results are the same then, only slower. A unit test pins that the hook still works.
 */
export function readAsBinary(names: Iterable<string> = []): boolean {
  for (const n of names) BINARY.add(n.toLowerCase());
  const proto = Attribute.prototype as unknown as Patched;
  if (proto.__syncdriftBinary) return true;
  const original = proto._isBinaryType;
  if (typeof original !== 'function') return false;
  proto._isBinaryType = function (this: { type: string }): boolean {
    return BINARY.has(this.type.toLowerCase()) || original.call(this);
  };
  proto.__syncdriftBinary = true;
  return true;
}
