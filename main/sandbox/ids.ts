/**
 * Identity encodings the sandbox needs: textual GUID <-> the raw bytes AD stores (mixed-endian, as
 * .NET's Guid.ToByteArray gives them), binary SID -> S-1-5-21-… text, and deterministic GUIDs/SIDs.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuidText(s: string): boolean {
  return GUID_RE.test(s);
}

/** Textual GUID -> the 16 bytes AD holds (first three groups byte-reversed). */
export function guidTextToBytes(text: string, field = 'guid'): Buffer {
  if (!GUID_RE.test(text)) throw new ValidationError(field, `"${text}" is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** The 16 bytes AD holds -> textual GUID in .NET's form. */
export function guidBytesToText(bytes: Uint8Array, field = 'guid'): string {
  if (bytes.length !== 16) throw new ValidationError(field, `a GUID has 16 bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes);
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Binary objectSid -> S-1-5-21-… text. */
export function sidBytesToText(bytes: Uint8Array, field = 'objectSid'): string {
  if (bytes.length < 8) throw new ValidationError(field, `a SID has at least 8 bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes);
  const revision = b.readUInt8(0);
  const count = b.readUInt8(1);
  if (b.length !== 8 + 4 * count)
    throw new ValidationError(field, `SID length ${b.length} does not fit ${count} sub-authorities`);
  const authority = b.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(b.readUInt32LE(8 + 4 * i));
  return ['S', revision, authority, ...subs].join('-');
}

const SID_RE = /^S-1-\d+(-\d+)+$/;

export function isSidText(s: string): boolean {
  return SID_RE.test(s);
}

/** A GUID derived from a seed, so generated demo data is identical on every run. */
export function deterministicGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40; // version 4 layout, so it looks like what AD hands out
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Base64 of the bytes Entra Connect uses as onPremisesImmutableId for a textual GUID. */
export function anchorFromGuidText(text: string): string {
  return guidTextToBytes(text).toString('base64');
}
