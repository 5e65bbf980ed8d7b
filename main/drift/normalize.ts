/**
 * Phone normalization for comparison. Connect copies AD `mobile` verbatim, so the drift engine
 * must tell "same number, other text" (format-only) from "another number" (cloud-override).
 * Pure; libphonenumber-js with `extract: false` so text around a number is never silently dropped.
 */
import { isSupportedCountry } from 'libphonenumber-js';
import { parsePhoneNumberFromString, getCountryCallingCode, Metadata, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
// The "min" metadata, which the package's default entry uses too: E.164 equality and possible
// lengths need nothing more (docs/drift.md, "Metadata").
import metadata from 'libphonenumber-js/min/metadata';

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
    v = getCountryCallingCode(region, metadata) === '1';
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

/**
 * The parts of libphonenumber's metadata reader the E.164 fast path needs. They are not in its
 * type declarations, so their presence is checked once; without them the fast path stays off.
 */
interface PlanReader {
  selectNumberingPlan(countryOrCallingCode: string): void;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  possibleLengths(): number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
}

function planReader(): PlanReader | null {
  const m: unknown = new Metadata(metadata as MetadataJson);
  const methods = ['selectNumberingPlan', 'getCountryCodesForCallingCode', 'possibleLengths', 'nationalPrefixForParsing'] as const;
  if (typeof m !== 'object' || m === null) return null;
  for (const k of methods) if (typeof (m as Record<string, unknown>)[k] !== 'function') return null;
  return m as PlanReader;
}

/** Per calling code: what decides a + number's E.164 and possibility (null = always take the full parse). */
interface CallingCodePlan {
  /** The national prefix as libphonenumber strips it after the calling code (e.g. "0" in "+44 (0)20…"). */
  nationalPrefix: RegExp | null;
  /** Possible national-number lengths of every country sharing the code. */
  lengths: number[][];
}

let reader: PlanReader | null | undefined;
const callingCodePlans = new Map<string, CallingCodePlan | null>();

function callingCodePlan(cc: string): CallingCodePlan | null | undefined {
  let plan = callingCodePlans.get(cc);
  if (plan !== undefined) return plan;
  if (reader === undefined) reader = planReader();
  const countries = reader?.getCountryCodesForCallingCode(cc);
  if (!reader || !countries) return undefined;
  plan = null;
  reader.selectNumberingPlan(cc);
  const prefix = reader.nationalPrefixForParsing();
  const lengths: number[][] = [];
  for (const country of countries) {
    reader.selectNumberingPlan(country);
    const l = reader.possibleLengths();
    if (!l || l.length === 0) break;
    lengths.push(l);
  }
  if (lengths.length === countries.length) plan = { nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : null, lengths };
  callingCodePlans.set(cc, plan);
  return plan;
}

/**
 * Fast path for values written "+" then digits (spaces, dots, dashes between): libphonenumber
 * takes the calling code as the first 1-3 digits it knows, strips a national prefix if one follows,
 * then spends most of its time choosing the exact country among those sharing the code (GB and its
 * Crown Dependencies for +44) only to check the length against that country's plan. When no
 * national prefix follows and the length is possible in all of them, or in none, the country does
 * not matter: the result is "+" and the digits (or unparseable). Anything else returns null and
 * takes the full parse. A unit test compares both over the seed set and every calling code.
 */
function e164Shortcut(value: string): NormalizedPhone | null | undefined {
  if (value.length > 64 || value.charCodeAt(0) !== 43 || !/^\+[\d .-]+$/.test(value)) return undefined;
  const d = digitsOf(value);
  if (d.length < 3 || d[0] === '0') return undefined;
  for (let n = 1; n <= 3; n++) {
    const plan = callingCodePlan(d.slice(0, n));
    if (plan === undefined) continue;
    if (plan === null) return undefined;
    const nsn = d.slice(n);
    if (nsn.length < 2 || nsn.length > 17 || plan.nationalPrefix?.test(nsn)) return undefined;
    let possible = 0;
    for (const l of plan.lengths) if (l.includes(nsn.length)) possible++;
    if (possible === plan.lengths.length) return { value: `+${d}`, parsed: true, region: null };
    if (possible === 0) return { value: d, parsed: false, region: null };
    return undefined;
  }
  return undefined;
}

/** The full libphonenumber parse, bypassing the shortcut (exported for the equivalence test). */
export function parseOneSlow(value: string, region: CountryCode | null): NormalizedPhone {
  let phone: ReturnType<typeof parsePhoneNumberFromString>;
  try {
    phone = parsePhoneNumberFromString(value, region ? { defaultCountry: region, extract: false } : { extract: false }, metadata);
  } catch {
    phone = undefined;
  }
  if (phone && phone.isPossible()) {
    return { value: phone.ext ? `${phone.number};ext=${phone.ext}` : phone.number, parsed: true, region };
  }
  return { value: digitsOf(value), parsed: false, region };
}

/** The shortcuts only: a result, or null where the full parse is needed (exported for the equivalence tests). */
export function parseOneFast(value: string, region: CountryCode | null): NormalizedPhone | null {
  const fast = nanpShortcut(value, region);
  if (fast !== null) return { value: fast, parsed: true, region };
  const e164 = e164Shortcut(value);
  return e164 ? { value: e164.value, parsed: e164.parsed, region } : null;
}

function parseOne(value: string, region: CountryCode | null): NormalizedPhone {
  return parseOneFast(value, region) ?? parseOneSlow(value, region);
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
