/**
 * Phone masking for evidence and exports: `+1 803 555 1212` → `+1 803 ••• ••12`. Digits are masked
 * in place, so a format-only difference (the finding itself) stays visible while the number does
 * not. Kept: the country calling code, the area group (the example keeps `803`; an area code
 * names a region, not a person) when the number is long enough, and the last two digits.
 * Pure; the renderer uses it too.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

export const MASK_CHAR = '\u2022';

/** Fewer digits than this: everything is masked (the last two would say too much). */
const MIN_DIGITS_TO_KEEP_TAIL = 5;
/** Digits (country code included) from which the area group is kept, as in `+1 803 ••• ••12`. */
const MIN_DIGITS_TO_KEEP_AREA = 10;

interface DigitRun {
  start: number; // ordinal of its first digit
  length: number;
}

function digitRuns(text: string): { digits: number; runs: DigitRun[] } {
  const runs: DigitRun[] = [];
  let digits = 0;
  let prev = -2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    if (i === prev + 1 && runs.length > 0) runs[runs.length - 1]!.length++;
    else runs.push({ start: digits, length: 1 });
    digits++;
    prev = i;
  }
  return { digits, runs };
}

function countryCodeLength(text: string, firstRun: DigitRun | undefined): number {
  try {
    const p = parsePhoneNumberFromString(text);
    if (p?.countryCallingCode && text.replace(/\D/g, '').startsWith(p.countryCallingCode)) return p.countryCallingCode.length;
  } catch {
    // Unparseable: fall back to the first digit group below.
  }
  return firstRun && firstRun.length <= 3 ? firstRun.length : 0;
}

/** Masks one phone value; null and blank stay as they are. */
export function maskPhone(value: string): string;
export function maskPhone(value: string | null): string | null;
export function maskPhone(value: string | null): string | null {
  if (value === null || value.trim() === '') return value;
  const { digits: n, runs } = digitRuns(value);
  if (n === 0) return value;
  const keep = new Set<number>();
  if (n >= MIN_DIGITS_TO_KEEP_TAIL) {
    keep.add(n - 1).add(n - 2);
    const international = value.trimStart().startsWith('+');
    const cc = international ? countryCodeLength(value, runs[0]) : 0;
    for (let d = 0; d < cc; d++) keep.add(d);
    if (n >= MIN_DIGITS_TO_KEEP_AREA && runs.length >= 3) {
      // The area group is the run right after the country code (or the first run of a national number).
      const areaIndex = international ? (cc > 0 && runs[0]!.length === cc ? 1 : -1) : 0;
      const area = areaIndex >= 0 ? runs[areaIndex] : undefined;
      if (area && area.length <= 4 && areaIndex < runs.length - 1) for (let d = area.start; d < area.start + area.length; d++) keep.add(d);
    }
  }
  let out = '';
  let ordinal = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) out += keep.has(ordinal++) ? value[i] : MASK_CHAR;
    else out += value[i];
  }
  return out;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;
const PHONE_SHAPE = /^\+?[\d\s().\-/]+$/;

/** True for a whole string that reads as a phone number (and not as an IP address or a date). */
export function isPhoneLike(text: string): boolean {
  const t = text.trim();
  if (!PHONE_SHAPE.test(t) || IPV4.test(t) || DATE_LIKE.test(t)) return false;
  const digits = t.replace(/\D/g, '').length;
  return digits >= MIN_DIGITS_TO_KEEP_TAIL && digits <= 20;
}

/**
 * Masks phone numbers wherever they sit in a JSON value: the values it was told about (so numbers
 * inside prose are caught too), any string that reads as a phone number, and the JSON-array strings
 * of audit records (`["+1 803 555 0142"]`).
 */
export class PhoneMasker {
  private readonly known = new Map<string, string>();
  private ordered: string[] | null = null;

  /** Registers raw values (AD and cloud phones, audit values) that must never appear unmasked. */
  add(...values: ReadonlyArray<string | null | undefined>): this {
    for (const v of values) {
      if (v === null || v === undefined) continue;
      const t = v.trim();
      if (t.replace(/\D/g, '').length < MIN_DIGITS_TO_KEEP_TAIL || this.known.has(t)) continue;
      this.known.set(t, maskPhone(t));
      this.ordered = null;
    }
    return this;
  }

  /** The registered raw values (for a final leak check). */
  knownValues(): string[] {
    return [...this.known.keys()].sort();
  }

  /** Replaces every registered raw value inside a text; longest first, so a value inside another is not half-masked. */
  maskText(text: string): string {
    if (this.known.size === 0) return text;
    this.ordered ??= [...this.known.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    let out = text;
    for (const raw of this.ordered) if (out.includes(raw)) out = out.split(raw).join(this.known.get(raw)!);
    return out;
  }

  maskString(text: string): string {
    const t = text.trim();
    if (t.startsWith('[') && t.endsWith(']')) {
      try {
        const arr: unknown = JSON.parse(t);
        if (Array.isArray(arr) && arr.every((x) => x === null || typeof x === 'string')) {
          return JSON.stringify(arr.map((x: string | null) => (x === null ? null : this.maskString(x))));
        }
      } catch {
        // Not JSON: treated as text below.
      }
    }
    if (isPhoneLike(text)) return maskPhone(text);
    return this.maskText(text);
  }

  /** A deep copy of a JSON value with every string masked. */
  maskJson<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.maskString(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v);
      return out;
    }
    return value;
  }
}
