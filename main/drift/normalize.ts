/**
 * Phone normalization for comparison. Connect copies AD `mobile` verbatim, so the drift engine
 * must tell "same number, other text" (format-only) from "another number" (cloud-override).
 * Pure; libphonenumber-js with `extract: false` so text around a number is never silently dropped.
 */
import { parsePhoneNumberFromString, isSupportedCountry, getCountryCallingCode, type CountryCode } from 'libphonenumber-js';

export interface NormalizedPhone {
  /** E.164, plus `;ext=N` when the value carries an extension; digits only when unparseable. */
  value: string;
  /** False when libphonenumber could not read a possible number: compared by digits and flagged. */
  parsed: boolean;
  /** Region used for national formats (the user's AD `c`, else the profile's defaultRegion). */
  region: string | null;
}

/** Returns the ISO region to parse with: the AD `c` attribute when libphonenumber knows it, else the fallback. */
export function pickRegion(country: string | null | undefined, defaultRegion: string | null | undefined): CountryCode | null {
  const c = country?.trim().toUpperCase();
  if (c && c.length === 2 && isSupportedCountry(c)) return c;
  const d = defaultRegion?.trim().toUpperCase();
  if (d && d.length === 2 && isSupportedCountry(d)) return d;
  return null;
}

/** Digits of a value (what unparseable values are compared by). */
export function digitsOf(value: string): string {
  return value.replace(/\D+/g, '');
}

/** Empty means absent: null, or only whitespace (AD does not store empty strings, Graph may). */
export function isBlank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
}

/** Cache tables of one region: the exact text, and the text without formatting characters. */
interface RegionTables {
  /** Keyed by the raw text: lookups hash the caller's string once, with no key built per call. `null` = blank. */
  exact: Map<string, NormalizedPhone | null>;
  stripped: Map<string, NormalizedPhone>;
}

/**
 * Normalizes phone values with a cache per (value, region). Formatting characters that never change
 * the parse (spaces, dots, dashes) are dropped from the second-level key, so "425 555 0100" and
 * "425-555-0100" cost one parse. Parentheses stay in the key: "(0)" is a trunk prefix in some plans.
 * Deterministic: warming it (e.g. while a scan still reads pages) never changes a result.
 */
export class PhoneNormalizer {
  private readonly regions = new Map<string, RegionTables>();
  private lastRegion: CountryCode | null | undefined = undefined;
  private lastTables: RegionTables | null = null;
  /** Parses actually performed (cache misses), for benchmarks. */
  parses = 0;

  private tablesFor(region: CountryCode | null): RegionTables {
    if (region === this.lastRegion && this.lastTables) return this.lastTables;
    const key = region ?? '';
    let t = this.regions.get(key);
    if (!t) {
      t = { exact: new Map(), stripped: new Map() };
      this.regions.set(key, t);
    }
    this.lastRegion = region;
    this.lastTables = t;
    return t;
  }

  normalize(raw: string | null | undefined, region: CountryCode | null): NormalizedPhone | null {
    if (raw === null || raw === undefined) return null;
    const t = this.tablesFor(region);
    const exact = t.exact.get(raw);
    if (exact !== undefined) return exact;
    const trimmed = raw.trim();
    if (trimmed === '') {
      t.exact.set(raw, null);
      return null;
    }
    const key = trimmed.replace(/[\s.\u2010-\u2015-]+/g, '');
    let result = t.stripped.get(key);
    if (!result) {
      this.parses++;
      result = parseOne(trimmed, region);
      t.stripped.set(key, result);
    }
    t.exact.set(raw, result);
    return result;
  }

  /** Cached entries (both levels, all regions). */
  get size(): number {
    let n = 0;
    for (const t of this.regions.values()) n += t.exact.size + t.stripped.size;
    return n;
  }
}

const NANP = new Map<string, boolean>();
function isNanp(region: CountryCode | null): boolean {
  if (!region) return false;
  let v = NANP.get(region);
  if (v === undefined) {
    v = getCountryCallingCode(region) === '1';
    NANP.set(region, v);
  }
  return v;
}

/**
 * Shortcut for plain North American numbers (punctuation and digits only, NXX area code), the bulk
 * of most tenants. libphonenumber spends most of its time there choosing among the 25 countries that
 * share +1, which E.164 does not need. Gives the same result as the full parse (a unit test compares
 * both); anything else takes the full parse.
 */
function nanpShortcut(value: string, region: CountryCode | null): string | null {
  if (!/^\+?[\d\s.\-()/]+$/.test(value)) return null;
  const d = digitsOf(value);
  if (value.startsWith('+')) {
    return d.length === 11 && d[0] === '1' && d[1]! >= '2' ? `+${d}` : null;
  }
  if (!isNanp(region)) return null;
  if (d.length === 10 && d[0]! >= '2') return `+1${d}`;
  if (d.length === 11 && d[0] === '1' && d[1]! >= '2') return `+${d}`;
  return null;
}

/** The full libphonenumber parse, bypassing the shortcut (exported for the equivalence test). */
export function parseOneSlow(value: string, region: CountryCode | null): NormalizedPhone {
  let phone: ReturnType<typeof parsePhoneNumberFromString>;
  try {
    phone = parsePhoneNumberFromString(value, region ? { defaultCountry: region, extract: false } : { extract: false });
  } catch {
    phone = undefined;
  }
  if (phone && phone.isPossible()) {
    return { value: phone.ext ? `${phone.number};ext=${phone.ext}` : phone.number, parsed: true, region };
  }
  return { value: digitsOf(value), parsed: false, region };
}

function parseOne(value: string, region: CountryCode | null): NormalizedPhone {
  const fast = nanpShortcut(value, region);
  if (fast !== null) return { value: fast, parsed: true, region };
  return parseOneSlow(value, region);
}

/**
 * Same number? Both parsed: E.164 (and extension) equal. Otherwise the digits of both raw values
 * are compared, and a value without any digit never equals anything.
 */
export function sameNumber(a: NormalizedPhone, b: NormalizedPhone, rawA: string, rawB: string): boolean {
  if (a.parsed && b.parsed) return a.value === b.value;
  const da = digitsOf(rawA);
  const db = digitsOf(rawB);
  if (da === '' || db === '') return false;
  if (da === db) return true;
  // One side parsed: its E.164 digits ("+14255550100") may equal the other's raw digits ("1 425 555 0100 cell").
  const parsed = a.parsed ? a : b.parsed ? b : null;
  const other = parsed === a ? db : da;
  return parsed !== null && digitsOf(parsed.value.split(';')[0] ?? '') === other;
}
