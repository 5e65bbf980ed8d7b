/**
 * Deferred decoding of the scan's search entries.
 *
 * A paged search is a strict relay: the DC computes a page, streams it, and can only start the
 * next one when the client has read the page's final message (its cookie) and asked again. ldapts
 * parses every entry into objects as the bytes arrive, and converts all of them again when the
 * page ends, so on a DC that is itself the bottleneck the client's parsing adds to every page
 * (measured: ~1 s of DC idle time per 20k users; docs/onprem.md, Benchmark).
 *
 * For the scan's own searches this keeps only the bytes of each entry's attribute list while the
 * page streams in (a slice, no parsing), so the cookie is read and the next page asked for as soon
 * as the page ends; the attributes are decoded here afterwards, while the DC computes the next page.
 * Scoped per search: only requests whose attribute list was registered with `deferEntryDecoding`
 * are affected; every other search on the client goes through ldapts unchanged.
 */
import { ProtocolOperation, SearchEntry, type BerReader, type Client, type Entry } from 'ldapts';
import type { RawEntry } from './entry';

/** Attribute lists (by identity) of the searches whose entries are decoded here. */
const deferredRequests = new WeakSet<readonly string[]>();
/** The raw PartialAttributeList of an entry that came through the deferred path. */
const rawOf = new WeakMap<object, Buffer>();
const hooked = new WeakSet<object>();

class DeferredSearchEntry extends SearchEntry {
  raw: Buffer = Buffer.alloc(0);

  override parseMessage(reader: BerReader): void {
    this.name = reader.readString() ?? '';
    // SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes PartialAttributeList }
    if (reader.readSequence() === null) throw new Error('LDAP search entry without an attribute list');
    const start = reader.offset;
    const end = start + reader.length;
    if (end > reader.buffer.length) throw new Error('LDAP search entry longer than its message');
    this.raw = reader.buffer.subarray(start, end);
    reader.offset = end;
  }

  override toObject(): Entry {
    const e: Entry = { dn: this.name };
    rawOf.set(e, this.raw);
    return e;
  }
}

type ParserFn = (messageId: number, operation: number, reader: BerReader, request?: { attributes?: unknown; controls?: unknown }) => unknown;
interface ParserWithHook {
  _getMessageFromProtocolOperation?: ParserFn;
}

/**
 * Makes the entries of searches that ask for exactly `attributes` (this array) arrive undecoded.
 * Returns false when this ldapts has no such hook (a later version renamed it): results are the
 * same then, only decoded by ldapts as they arrive. A unit test pins that the hook still works.
 */
export function deferEntryDecoding(client: Client, attributes: readonly string[]): boolean {
  const parser = (client as unknown as { messageParser?: object }).messageParser;
  if (!parser || !hookParser(parser)) return false;
  deferredRequests.add(attributes);
  return true;
}

/** Installs the deferral on one ldapts MessageParser (once); false when the hook is missing. */
export function hookParser(parser: object): boolean {
  const p = parser as ParserWithHook;
  const original = p._getMessageFromProtocolOperation;
  if (typeof original !== 'function') return false;
  if (hooked.has(parser)) return true;
  hooked.add(parser);
  p._getMessageFromProtocolOperation = function (this: unknown, messageId, operation, reader, request) {
    if (operation === ProtocolOperation.LDAP_RES_SEARCH_ENTRY && Array.isArray(request?.attributes) && deferredRequests.has(request.attributes as string[])) {
      const entry = new DeferredSearchEntry({ messageId });
      entry.parse(reader, []);
      return entry;
    }
    return original.call(this, messageId, operation, reader, request);
  };
  return true;
}

/** Registers a search's attribute list (by identity) for deferral on hooked parsers. */
export function deferRequestsWith(attributes: readonly string[]): void {
  deferredRequests.add(attributes);
}

/** The undecoded attribute list of an entry from a deferred search; null for any other entry. */
export function deferredAttributes(e: Entry): Buffer | null {
  return rawOf.get(e) ?? null;
}

/** Lower-cased attribute names, cached: a scan sees the same ~20 names on every entry. */
const lowerNames = new Map<string, string>();

export function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 1024) lowerNames.set(name, lower);
  }
  return lower;
}

class BerError extends Error {}

/** Reads a BER definite length at `at`; returns [length, offset of the contents]. */
function lengthAt(buf: Buffer, at: number): [number, number] {
  if (at >= buf.length) throw new BerError('truncated length');
  const first = buf[at] as number;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new BerError(n === 0 ? 'indefinite length' : 'length too long');
  if (at + 1 + n > buf.length) throw new BerError('truncated length');
  let len = 0;
  for (let i = 1; i <= n; i++) len = len * 256 + (buf[at + i] as number);
  return [len, at + 1 + n];
}

function expect(buf: Buffer, at: number, tag: number, what: string, end: number): [number, number] {
  if (at >= end) throw new BerError(`truncated ${what}`);
  if (buf[at] !== tag) throw new BerError(`${what}: tag 0x${(buf[at] as number).toString(16)}, expected 0x${tag.toString(16)}`);
  const [len, start] = lengthAt(buf, at + 1);
  if (start + len > end) throw new BerError(`${what} runs past its container`);
  return [start, start + len];
}

/**
 * Decodes a PartialAttributeList (SEQUENCE OF SEQUENCE { type OCTET STRING, vals SET OF OCTET
 * STRING }) into the scan's RawEntry attributes: names lower-cased, values of `binary` attributes
 * as Buffers (copied out of the page), all others as UTF-8 text.
 */
export function decodeAttributeList(buf: Buffer, binary: ReadonlySet<string>): RawEntry['attrs'] {
  const attrs: RawEntry['attrs'] = {};
  try {
    let at = 0;
    const end = buf.length;
    while (at < end) {
      const [aStart, aEnd] = expect(buf, at, 0x30, 'attribute', end);
      const [tStart, tEnd] = expect(buf, aStart, 0x04, 'attribute type', aEnd);
      const type = buf.toString('utf8', tStart, tEnd);
      const lower = lowerName(type);
      const asBytes = binary.has(lower);
      const values: Array<string | Buffer> = [];
      const [vStart, vEnd] = expect(buf, tEnd, 0x31, `values of ${type}`, aEnd);
      let v = vStart;
      while (v < vEnd) {
        const [s, e] = expect(buf, v, 0x04, `value of ${type}`, vEnd);
        values.push(asBytes ? Buffer.from(buf.subarray(s, e)) : buf.toString('utf8', s, e));
        v = e;
      }
      attrs[lower] = values;
      at = aEnd;
    }
  } catch (e) {
    if (e instanceof BerError) throw new Error(`The DC sent a search entry that is not valid BER: ${e.message}`, { cause: e });
    throw e;
  }
  return attrs;
}
