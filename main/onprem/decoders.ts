/**
 * Pure decoders for the binary and constructed values AD returns. No I/O; every function either
 * returns a decoded value or throws a ValidationError saying what was wrong with the bytes.
 */
import { ValidationError } from '../core/errors';
import type { AttributeChange } from '../core/model';

/** A Buffer view of the same bytes (Buffer.from(uint8array) would copy them, once per user per scan). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// GUID

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Byte positions in text order: the first three groups little-endian, the rest as stored. */
const GUID_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/**
 * The 16 raw bytes of objectGUID / mS-DS-ConsistencyGuid as text, in .NET's mixed-endian order
 * (Guid.ToString()): the first three groups are little-endian, the last two are byte order.
 */
export function guidToText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new ValidationError('objectGUID', `a GUID has 16 bytes, got ${bytes.length}`);
  // Called for every user and every metadata entry of a scan: a table instead of hex strings.
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += HEX[bytes[GUID_ORDER[i] ?? 0] ?? 0];
    if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
  }
  return out;
}

const GUID_TEXT = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** Inverse of guidToText: what Guid.ToByteArray() returns for this text. */
export function guidFromText(text: string, field = 'GUID'): Buffer {
  const m = GUID_TEXT.exec(text.trim());
  if (!m) throw new ValidationError(field, `'${text}' is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  const [, a = '', b = '', c = '', d = '', e = ''] = m;
  const rev = (s: string) => Buffer.from(s, 'hex').reverse();
  return Buffer.concat([rev(a), rev(b), rev(c), Buffer.from(d + e, 'hex')]);
}

// ---------------------------------------------------------------------------------------------
// SID

/** objectSid bytes to the S-1-5-21-… form that Graph's onPremisesSecurityIdentifier uses. */
export function sidToText(bytes: Uint8Array): string {
  const buf = asBuffer(bytes);
  if (buf.length < 8) throw new ValidationError('objectSid', `a SID has at least 8 bytes, got ${buf.length}`);
  const revision = buf[0] ?? 0;
  const count = buf[1] ?? 0;
  if (revision !== 1) throw new ValidationError('objectSid', `SID revision ${revision} is not 1`);
  if (buf.length !== 8 + 4 * count) throw new ValidationError('objectSid', `SID with ${count} sub-authorities must have ${8 + 4 * count} bytes, got ${buf.length}`);
  // The identifier authority is a 48-bit big-endian number.
  const authority = buf.readUIntBE(2, 6);
  let out = `S-1-${authority}`;
  for (let i = 0; i < count; i++) out += `-${buf.readUInt32LE(8 + 4 * i)}`;
  return out;
}

/** S-1-5-21-… back to bytes (for imports that carry the textual SID). */
export function sidFromText(text: string, field = 'objectSid'): Buffer {
  const m = /^S-1-(\d+)((?:-\d+){0,15})$/i.exec(text.trim());
  if (!m) throw new ValidationError(field, `'${text}' is not a SID (expected S-1-5-21-…)`);
  const subs = (m[2] ?? '').split('-').filter(Boolean).map(Number);
  const buf = Buffer.alloc(8 + 4 * subs.length);
  buf[0] = 1;
  buf[1] = subs.length;
  buf.writeUIntBE(Number(m[1]), 2, 6);
  subs.forEach((s, i) => {
    if (s > 0xffffffff) throw new ValidationError(field, `sub-authority ${s} does not fit in 32 bits`);
    buf.writeUInt32LE(s, 8 + 4 * i);
  });
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Source anchor

/**
 * Entra Connect's onPremisesImmutableId: Base64 of the raw bytes of the anchor attribute
 * (mS-DS-ConsistencyGuid by default), falling back to objectGUID where the anchor is empty.
 */
export function sourceAnchor(objectGuid: Uint8Array, anchorValue: Uint8Array | null | undefined): string {
  const bytes = anchorValue && anchorValue.length > 0 ? anchorValue : objectGuid;
  return asBuffer(bytes).toString('base64');
}

/** The bytes behind an onPremisesImmutableId (throws if it is not Base64 of 16 bytes). */
export function anchorBytes(immutableId: string, field = 'onPremisesImmutableId'): Buffer {
  if (!/^[A-Za-z0-9+/]{22}==$/.test(immutableId)) throw new ValidationError(field, `'${immutableId}' is not the Base64 of 16 bytes`);
  return Buffer.from(immutableId, 'base64');
}

// ---------------------------------------------------------------------------------------------
// Times

const CANONICAL_TIME = /^\d{14}\.0Z$/;

/** Seconds between 1601-01-01 and 1970-01-01. */
const EPOCH_1601_S = 11644473600n;
const EPOCH_1601_SECONDS = 11644473600;

/** AD GeneralizedTime ("20240305101112.0Z") to ISO 8601; null when absent. */
export function generalizedTimeToIso(value: string | null | undefined, field = 'whenChanged'): string | null {
  if (value === null || value === undefined || value === '') return null;
  // What AD and Samba send ("20240305101112.0Z"), once per user per scan: rearranged without a
  // Date when every field is in range (anything else takes the general path below).
  if (value.length === 17 && value.endsWith('.0Z') && CANONICAL_TIME.test(value)) {
    const mo = Number(value.slice(4, 6));
    const d = Number(value.slice(6, 8));
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && Number(value.slice(8, 10)) < 24 && Number(value.slice(10, 12)) < 60 && Number(value.slice(12, 14)) < 60) {
      return `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(8, 10)}:${value.slice(10, 12)}:${value.slice(12, 14)}.000Z`;
    }
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(value.trim());
  if (!m) throw new ValidationError(field, `'${value}' is not a GeneralizedTime (yyyyMMddHHmmss.0Z)`);
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))).toISOString();
}

// ---------------------------------------------------------------------------------------------
// replPropertyMetaData (binary; Windows and Samba)

/** attids under the default prefix table (the same on Windows and Samba; read from Samba 4.17's schema). */
export const ATTID: Readonly<Record<string, number>> = {
  mobile: 0x00150029,
  otherMobile: 0x00090287,
  telephoneNumber: 0x00000014,
  c: 0x00000006,
  displayName: 0x0002000d,
  sAMAccountName: 0x000900dd,
  userPrincipalName: 0x00090290,
  'mS-DS-ConsistencyGuid': 0x00090550,
};

export interface ReplMetaEntry {
  attid: number;
  version: number;
  /** ISO time of the originating change (second precision). */
  changedAt: string;
  /** invocationId (textual GUID) of the DC where the change originated. */
  originatingDc: string;
  originatingUsn: number;
  localUsn: number;
}

/**
 * Decodes replPropertyMetaData: header u32 version (=1), u32 reserved, u32 count, u32 reserved,
 * then count × 48-byte entries: u32 attid, u32 version, u64 originating change time (seconds since
 * 1601), 16-byte invocation GUID, i64 originating USN, i64 local USN.
 */
export function decodeReplPropertyMetaData(blob: Uint8Array): ReplMetaEntry[] {
  const { buf, count } = replMetaHeader(blob);
  const out: ReplMetaEntry[] = [];
  for (let i = 0; i < count; i++) out.push(replMetaEntry(buf, 16 + 48 * i));
  return out;
}

/**
 * The entry for one attid, or null when the object has none (the attribute was never set).
 * A scan asks for three attributes of every user: decoding only the hit, not all ~40 entries,
 * keeps the scanner at the speed of the wire.
 */
export function findReplPropertyMetaData(blob: Uint8Array, attid: number): ReplMetaEntry | null {
  const { buf, count } = replMetaHeader(blob);
  for (let i = 0; i < count; i++) {
    const o = 16 + 48 * i;
    if (buf.readUInt32LE(o) === attid) return replMetaEntry(buf, o);
  }
  return null;
}

function replMetaHeader(blob: Uint8Array): { buf: Buffer; count: number } {
  const buf = asBuffer(blob);
  const field = 'replPropertyMetaData';
  if (buf.length < 16) throw new ValidationError(field, `blob of ${buf.length} bytes is shorter than its 16-byte header`);
  const version = buf.readUInt32LE(0);
  if (version !== 1) throw new ValidationError(field, `unsupported version ${version} (only 1 is defined)`);
  const count = buf.readUInt32LE(8);
  if (buf.length !== 16 + 48 * count) throw new ValidationError(field, `header says ${count} entries (${16 + 48 * count} bytes), blob has ${buf.length} bytes`);
  return { buf, count };
}

/** The last invocationId decoded: a directory has a handful of DCs, so it nearly always repeats. */
let lastDc: { bytes: Buffer; text: string } | null = null;

function invocationText(buf: Buffer, o: number): string {
  if (lastDc && buf.compare(lastDc.bytes, 0, 16, o + 16, o + 32) === 0) return lastDc.text;
  const bytes = Buffer.from(buf.subarray(o + 16, o + 32));
  lastDc = { bytes, text: guidToText(bytes) };
  return lastDc.text;
}

function replMetaEntry(buf: Buffer, o: number): ReplMetaEntry {
  // Seconds since 1601 fit a double exactly (< 2^53) for any date a DC can hold.
  const secs = buf.readUInt32LE(o + 8) + buf.readUInt32LE(o + 12) * 0x100000000;
  return {
    attid: buf.readUInt32LE(o),
    version: buf.readUInt32LE(o + 4),
    changedAt: new Date((secs - EPOCH_1601_SECONDS) * 1000).toISOString(),
    originatingDc: invocationText(buf, o),
    originatingUsn: Number(buf.readBigInt64LE(o + 32)),
    localUsn: Number(buf.readBigInt64LE(o + 40)),
  };
}

/** Builds a blob in the same layout (tests, and the sandbox directory's LDIF export). */
export function encodeReplPropertyMetaData(entries: ReplMetaEntry[]): Buffer {
  const buf = Buffer.alloc(16 + 48 * entries.length);
  buf.writeUInt32LE(1, 0);
  buf.writeUInt32LE(entries.length, 8);
  entries.forEach((e, i) => {
    const o = 16 + 48 * i;
    buf.writeUInt32LE(e.attid, o);
    buf.writeUInt32LE(e.version, o + 4);
    buf.writeBigUInt64LE(BigInt(Math.floor(Date.parse(e.changedAt) / 1000)) + EPOCH_1601_S, o + 8);
    guidFromText(e.originatingDc).copy(buf, o + 16);
    buf.writeBigInt64LE(BigInt(e.originatingUsn), o + 32);
    buf.writeBigInt64LE(BigInt(e.localUsn), o + 40);
  });
  return buf;
}

// ---------------------------------------------------------------------------------------------
// msDS-ReplAttributeMetaData (constructed XML on Windows DCs)

export interface ReplAttrXmlEntry {
  attribute: string;
  version: number;
  changedAt: string;
  originatingDc: string | null;
  originatingUsn: number | null;
  localUsn: number | null;
}

function tag(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? (m[1] ?? '').trim() : null;
}

/**
 * Decodes the values of msDS-ReplAttributeMetaData: one <DS_REPL_ATTR_META_DATA> document per
 * attribute, each possibly NUL-terminated (Windows returns them that way).
 */
export function decodeReplAttributeMetaDataXml(values: readonly string[]): ReplAttrXmlEntry[] {
  const field = 'msDS-ReplAttributeMetaData';
  return values.map((raw, i) => {
    let end = raw.length;
    while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
    const xml = raw.slice(0, end);
    if (!xml.includes('<DS_REPL_ATTR_META_DATA>')) throw new ValidationError(field, `value ${i + 1} is not a DS_REPL_ATTR_META_DATA document`);
    const attribute = tag(xml, 'pszAttributeName');
    const version = tag(xml, 'dwVersion');
    const time = tag(xml, 'ftimeLastOriginatingChange');
    if (!attribute || version === null || !time) throw new ValidationError(field, `value ${i + 1} lacks pszAttributeName, dwVersion or ftimeLastOriginatingChange`);
    const t = Date.parse(time);
    if (!/^\d+$/.test(version) || Number.isNaN(t)) throw new ValidationError(field, `value ${i + 1} (${attribute}): bad version '${version}' or time '${time}'`);
    const num = (s: string | null) => (s !== null && /^-?\d+$/.test(s) ? Number(s) : null);
    return {
      attribute,
      version: Number(version),
      changedAt: new Date(t).toISOString(),
      originatingDc: tag(xml, 'uuidLastOriginatingDsaInvocationID'),
      originatingUsn: num(tag(xml, 'usnOriginatingChange')),
      localUsn: num(tag(xml, 'usnLocalChange')),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Per-attribute change, with the honest fallback

/**
 * The change time and version of `attribute`: from msDS-ReplAttributeMetaData when the DC
 * constructs it (Windows), else replPropertyMetaData, else the object's whenChanged (which says
 * only that *something* on the object changed: source 'whenChanged', version null). Metadata
 * without an entry for the attribute means it was never set: changedAt null, version 0.
 */
export function attributeChange(
  attribute: string,
  meta: { xml?: readonly string[] | null; binary?: Uint8Array | null; whenChanged?: string | null },
): AttributeChange {
  if (meta.xml && meta.xml.length > 0) {
    const hit = decodeReplAttributeMetaDataXml(meta.xml).find((e) => e.attribute.toLowerCase() === attribute.toLowerCase());
    if (hit) return { changedAt: hit.changedAt, version: hit.version, source: 'msDS-ReplAttributeMetaData', originatingDc: hit.originatingDc };
    // Metadata present but no entry: the attribute was never written on this object.
    return { changedAt: null, version: 0, source: 'msDS-ReplAttributeMetaData', originatingDc: null };
  }
  const attid = ATTID[attribute];
  if (meta.binary && meta.binary.length > 0 && attid !== undefined) {
    const hit = findReplPropertyMetaData(meta.binary, attid);
    if (hit) return { changedAt: hit.changedAt, version: hit.version, source: 'replPropertyMetaData', originatingDc: hit.originatingDc };
    return { changedAt: null, version: 0, source: 'replPropertyMetaData', originatingDc: null };
  }
  return { changedAt: meta.whenChanged ?? null, version: null, source: 'whenChanged', originatingDc: null };
}
