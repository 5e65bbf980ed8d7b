/**
 * The fast path of the connector-space reader: a `<cs-object>` in the layout the sync engine writes
 * (synchronized hologram with its entry and attrs, connector, mv-link; attribute values in double
 * quotes; no entity, comment or CDATA anywhere in it) is read by a hand-written scanner in one pass
 * and turned into a CsObject without an element tree or a regular expression. It accepts only text
 * the tag-by-tag reader reads to the same CsObject (tests compare the two); anything else (another
 * element, an entity, a duplicate, a single-valued attribute with two values, a missing cs-dn,
 * white space other than XML's) returns null and the object is read tag by tag, which reports the
 * error with its line.
 *
 * The layout accepted, S being XML white space (space, tab, CR, LF), T text without '<' or '&', and
 * A a start tag's attributes ` name="value"` (S before each, S allowed around the '=' and before the
 * '>', no '"', '<' or '&' in a value, no name twice, at most 16):
 *
 *   <cs-object A>S<H>S<entry A>(S<attr A>(<value>T</value>)*</attr>)*S</entry>S</H>S
 *   <connector>T</connector>S<mv-link A>T</mv-link>S</cs-object>
 *
 * H being synchronized-hologram or hologram, closed by the same name. The regular expression it
 * replaces took JS `\s` (which also has \v, \f, U+00A0, U+FEFF...) for S, any number of attributes,
 * and a name twice in `<entry>`: those go the slow way now.
 *
 * How it is fast: the `<cs-object>` and `<attr>` tags are first read as the engine writes them (its
 * attributes in its order, single spaces), any other spelling by the general start-tag scanner
 * (tagAttrs), so both accept the same text; the stretches of layout between the values repeat
 * object after object and are compared in one go with the ones read before (Memo); names that
 * repeat are looked up in place (NameCache); the only strings made are the values kept (each a flat
 * copy, see ownString) and, to compare a stretch, a slice of the buffer that dies young.
 *
 * Over ~500 lines on purpose (#19): one scanner of one layout, whose tag reader, layout memo and
 * name cache share its cursor and buffer; split across files they would pass that state around on
 * the hottest path of the connector-space read.
 */
import type { EngineEvidenceSource } from '../core/engine-view';
import type { CsObject } from './connector-space';

const LT = 60;
const GT = 62;
const QUOT = 34;
const EQ = 61;
const SLASH = 47;

/** XML white space. */
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;
const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
/** [\w.:-] */
const isNameChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 45 && c <= 58 && c !== 47) || c === 95;
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** What String.prototype.trim (and a RegExp's `\s`) takes for white space. */
export function isJsSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** End of the run of XML white space at `i`. */
function skipSpaces(s: string, i: number): number {
  while (isSpace(s.charCodeAt(i))) i++;
  return i;
}

/**
 * `s` has `lit` at `i` (false off either end). As fast as s.startsWith, which compares a character at
 * a time as well, and unlike it false for a negative `i` (startsWith takes that for 0).
 */
function has(s: string, i: number, lit: string): boolean {
  const n = lit.length;
  for (let k = 0; k < n; k++) if (s.charCodeAt(i + k) !== lit.charCodeAt(k)) return false;
  return true;
}

/** True when s[a, a + len) and t[b, b + len) are the same characters. */
function sameChars(s: string, a: number, t: string, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (s.charCodeAt(a + k) !== t.charCodeAt(b + k)) return false;
  return true;
}

/** True when s[a, b) has no '<'. */
function noLt(s: string, a: number, b: number): boolean {
  for (let k = a; k < b; k++) if (s.charCodeAt(k) === LT) return false;
  return true;
}

/** s[a, b) as a string of its own (see ownString: a slice would keep the reader's chunk alive). */
function ownRange(s: string, a: number, b: number): string {
  // V8 copies a slice under 13 characters anyway; a longer one as ownString does, from `s` directly.
  return b - a < 13 ? s.slice(a, b) : [s.slice(a, a + 1), s.slice(a + 1, b)].join('');
}

// The attributes of the start tag read last by tagAttrs, as offsets: [nameStart, nameEnd,
// valueStart, valueEnd] each. One tag at a time, so one table for all.
const MAX_TAG_ATTRS = 16;
const spans = new Int32Array(MAX_TAG_ATTRS * 4);
let spanCount = 0;
/** Offset of the first '<' after the start of the tag tagAttrs read last. */
let nextLt = -1;

/**
 * Reads a start tag's attributes from just after its name to its '>', whose offset it returns; -1
 * when they are not `A` (see the top), a value has a '<' or a name appears twice. Leaves their
 * offsets in `spans` and the first '<' after the tag in `nextLt`.
 */
function tagAttrs(s: string, i: number): number {
  spanCount = 0;
  const lt = (nextLt = s.indexOf('<', i));
  if (lt === -1) return -1;
  for (;;) {
    let c = s.charCodeAt(i);
    if (c === GT) return i < lt ? i : -1;
    if (!isSpace(c)) return -1;
    i = skipSpaces(s, i);
    c = s.charCodeAt(i);
    if (c === GT) return i < lt ? i : -1;
    if (!isNameStart(c)) return -1;
    const ns = i;
    while (isNameChar(s.charCodeAt(++i)));
    const ne = i;
    i = skipSpaces(s, i);
    if (s.charCodeAt(i) !== EQ) return -1;
    i = skipSpaces(s, i + 1);
    if (s.charCodeAt(i) !== QUOT) return -1;
    const vs = i + 1;
    i = s.indexOf('"', vs);
    if (i === -1 || i > lt) return -1; // a '<' in the value
    const len = ne - ns;
    for (let o = 0; o < spanCount * 4; o += 4) {
      if (spans[o + 1]! - spans[o]! === len && sameChars(s, spans[o]!, s, ns, len)) return -1; // the slow path names the duplicate
    }
    if (spanCount === MAX_TAG_ATTRS) return -1;
    const o = spanCount++ * 4;
    spans[o] = ns;
    spans[o + 1] = ne;
    spans[o + 2] = vs;
    spans[o + 3] = i;
    i++;
  }
}

/** Offset in `spans` of the attribute called `name` of the tag tagAttrs read last, or -1. */
function spanOf(s: string, name: string): number {
  for (let o = 0; o < spanCount * 4; o += 4) if (spans[o + 1]! - spans[o]! === name.length && has(s, spans[o]!, name)) return o;
  return -1;
}

/**
 * Connector names, object types and attribute names repeat on every object: one copy of each, found
 * by its characters in place (no substring). Keeps the last `CACHED` names.
 */
class NameCache {
  private readonly raw: string[] = [];
  private readonly value: string[] = [];
  /** Where the next lookup starts: names come in the same order object after object. */
  private next = 0;

  constructor(private readonly toValue: (raw: string) => string) {}

  /** The value for the name s[a, b); null when it is new and has a '<' (a name found was checked). */
  get(s: string, a: number, b: number): string | null {
    const len = b - a;
    const raw = this.raw;
    const n = raw.length;
    for (let k = 0, j = this.next < n ? this.next : 0; k < n; k++, j = j + 1 === n ? 0 : j + 1) {
      const r = raw[j]!;
      if (r.length === len && sameChars(s, a, r, 0, len)) {
        this.next = j + 1 === n ? 0 : j + 1;
        return this.value[j]!;
      }
    }
    if (!noLt(s, a, b)) return null;
    const r = ownRange(s, a, b);
    const v = this.toValue(r);
    const at = n < CACHED ? n : this.next;
    raw[at] = r;
    this.value[at] = v;
    this.next = at + 1 === CACHED ? 0 : at + 1;
    return v;
  }
}
const CACHED = 64;

/** One copy of each lower-cased attribute name (as the slow path's keys: the same characters). */
const LOWER = new Map<string, string>();
function lowerShared(raw: string): string {
  const lower = raw.toLowerCase();
  let v = LOWER.get(lower);
  if (v === undefined) {
    if (LOWER.size > 256) LOWER.clear();
    LOWER.set((v = lower), v); // raw is a string of its own, and so is what toLowerCase makes
  }
  return v;
}
const attrNames = new NameCache(lowerShared);
const plainNames = new NameCache((raw) => raw);

const AAD_CONNECTOR = /- AAD$/i;
/** Whether a connector name is the AAD connector's, per name (few distinct). */
const AAD_CONNECTORS = new Map<string, boolean>();
function isAadConnector(connector: string): boolean {
  let v = AAD_CONNECTORS.get(connector);
  if (v === undefined) {
    if (AAD_CONNECTORS.size > 256) AAD_CONNECTORS.clear();
    AAD_CONNECTORS.set(connector, (v = AAD_CONNECTOR.test(connector.trim())));
  }
  return v;
}

/** /^CN=\{[0-9A-Fa-f]+\}$/ on s[a, b) trimmed: a DN of the AAD connector space. */
function isAadDn(s: string, a: number, b: number): boolean {
  while (a < b && isJsSpace(s.charCodeAt(a))) a++;
  while (b > a && isJsSpace(s.charCodeAt(b - 1))) b--;
  if (b - a < 6 || !has(s, a, 'CN={') || s.charCodeAt(b - 1) !== 125 /* } */) return false;
  for (let k = a + 4; k < b - 1; k++) if (!isHex(s.charCodeAt(k))) return false;
  return true;
}

/** Offsets of s[a, b) trimmed as String.prototype.trim trims, in trimA and trimB. */
let trimA = 0;
let trimB = 0;
function trim(s: string, a: number, b: number): void {
  while (a < b && isJsSpace(s.charCodeAt(a))) a++;
  while (b > a && isJsSpace(s.charCodeAt(b - 1))) b--;
  trimA = a;
  trimB = b;
}

const HOLOGRAM = '<synchronized-hologram>';
const HOLOGRAM_CLOSE = '</synchronized-hologram>';
const OLD_HOLOGRAM = '<hologram>';
const OLD_HOLOGRAM_CLOSE = '</hologram>';

// The `<cs-object>` attributes the object is built from, as offsets (-1: absent), set by objectTag.
let dnA = -1;
let dnB = -1;
let typeA = -1;
let typeB = -1;
let maA = -1;
let maB = -1;

/**
 * Reads the `<cs-object>` start tag's attributes from just after its name; returns the offset of its
 * '>' (-1: not `A`) and leaves the offsets of cs-dn, object-type and ma-name in dnA.. maB.
 */
function objectTag(s: string, i: number): number {
  dnA = dnB = typeA = typeB = maA = maB = -1;
  // As the engine writes it: cs-dn, then any of id, object-type, ma-name in that order.
  if (has(s, i, ' cs-dn="')) {
    let j = s.indexOf('"', i + 8);
    if (j !== -1) {
      dnA = i + 8;
      dnB = j;
      if (has(s, j + 1, ' id="')) j = s.indexOf('"', j + 6);
      if (j !== -1 && has(s, j + 1, ' object-type="')) {
        typeA = j + 15;
        j = typeB = s.indexOf('"', typeA);
      }
      if (j !== -1 && has(s, j + 1, ' ma-name="')) {
        maA = j + 11;
        j = maB = s.indexOf('"', maA);
      }
      // No '<' in the values: the first '<' after the name is past the '>'.
      if (j !== -1 && s.charCodeAt(j + 1) === GT && s.indexOf('<', i) > j) return j + 1;
    }
  }
  const gt = tagAttrs(s, i);
  if (gt < 0) return -1;
  let k = spanOf(s, 'cs-dn');
  [dnA, dnB] = k < 0 ? [-1, -1] : [spans[k + 2]!, spans[k + 3]!];
  k = spanOf(s, 'object-type');
  [typeA, typeB] = k < 0 ? [-1, -1] : [spans[k + 2]!, spans[k + 3]!];
  k = spanOf(s, 'ma-name');
  [maA, maB] = k < 0 ? [-1, -1] : [spans[k + 2]!, spans[k + 3]!];
  return gt;
}

// What a stretch of layout (see Memo) leads to: the next thing to read, and what the stretch said.
/** An attr's name starts (after `<attr name="`). */
const ATTR_NAME = 1;
/** An attr tag is not the engine's `<attr name="..." type="..." multivalued="...">`: read it with tagAttrs. */
const OTHER_ATTR = 2;
/** A value's text starts (after `<value>`). */
const VALUE = 3;
/** The attr has no values (after its `</attr>`). */
const NO_VALUES = 4;
/** The mv-link's text starts (after `<mv-link>`): the hologram and the connector are read. */
const END = 5;
/** The mv-link tag has attributes (after `<mv-link`). */
const END_ATTRS = 6;
const KIND = 7;
/** The attr is single-valued (multivalued="false"). */
const SINGLE = 8;
/** The connector text is not 0. */
const CONNECTED = 16;
/** The hologram is `<synchronized-hologram>` (not `<hologram>`). */
const SYNCHRONIZED = 32;

const AFTER_TAG = 0;
const IN_ATTR_TAG = 1;
const AFTER_VALUE = 2;

/** What the last of the *Layout functions below found; they return where it starts, or -1. */
let found = 0;

/** From just after the cs-object tag's '>': S<H>S<entry. */
function headLayout(s: string, i: number): number {
  i = skipSpaces(s, i);
  if (has(s, i, HOLOGRAM)) found = SYNCHRONIZED;
  else if (has(s, i, OLD_HOLOGRAM)) found = 0;
  else return -1;
  i = skipSpaces(s, i + (found ? HOLOGRAM.length : OLD_HOLOGRAM.length));
  return has(s, i, '<entry') ? i + 6 : -1;
}

/** From just after the entry tag's or an `</attr>`'s '>': the next attr, or the end of the entry through `<mv-link`. */
function nextAttrLayout(s: string, i: number, synchronized: boolean): number {
  i = skipSpaces(s, i);
  if (has(s, i, '<attr name="')) {
    found = ATTR_NAME;
    return i + 12;
  }
  if (has(s, i, '<attr')) {
    found = OTHER_ATTR;
    return i;
  }
  if (!has(s, i, '</entry>')) return -1;
  i = skipSpaces(s, i + 8);
  const close = synchronized ? HOLOGRAM_CLOSE : OLD_HOLOGRAM_CLOSE;
  if (!has(s, i, close)) return -1;
  i = skipSpaces(s, i + close.length);
  if (!has(s, i, '<connector>')) return -1;
  i += 11;
  const ce = s.indexOf('<', i);
  if (ce === -1 || !has(s, ce, '</connector>')) return -1;
  trim(s, i, ce);
  const flags = (trimB - trimA === 1 && s.charCodeAt(trimA) === 48 /* 0 */ ? 0 : CONNECTED) | (synchronized ? SYNCHRONIZED : 0);
  i = skipSpaces(s, ce + 12);
  if (!has(s, i, '<mv-link')) return -1;
  if (s.charCodeAt(i + 8) === GT) {
    found = END | flags;
    return i + 9;
  }
  found = END_ATTRS | flags;
  return i + 8;
}

/** From the '"' after an attr's name: the rest of the engine's attr tag, and `<value>` or `</attr>`. */
function attrTagLayout(s: string, i: number): number {
  if (!has(s, i, '" type="')) return -1;
  const te = s.indexOf('"', i + 8);
  if (te === -1 || !has(s, te, '" multivalued="') || !noLt(s, i + 8, te)) return -1;
  let single = 0;
  if (has(s, te + 15, 'true">')) i = te + 21;
  else if (has(s, te + 15, 'false">')) {
    i = te + 22;
    single = SINGLE;
  } else return -1;
  if (has(s, i, '<value>')) {
    found = VALUE | single;
    return i + 7;
  }
  if (has(s, i, '</attr>')) {
    found = NO_VALUES;
    return i + 7;
  }
  return -1;
}

/** From the '<' after a value's text: the next value, or the end of the attr and what follows it. */
function afterValueLayout(s: string, i: number, synchronized: boolean): number {
  if (!has(s, i, '</value>')) return -1;
  if (has(s, i + 8, '<value>')) {
    found = VALUE;
    return i + 15;
  }
  return has(s, i + 8, '</attr>') ? nextAttrLayout(s, i + 15, synchronized) : -1;
}

/** From the '<' after the mv-link's text: `</mv-link>S</cs-object>`. */
function tailLayout(s: string, i: number): number {
  if (!has(s, i, '</mv-link>')) return -1;
  i = skipSpaces(s, i + 10);
  found = 0;
  return has(s, i, '</cs-object>') ? i + 12 : -1;
}

/**
 * The stretches of layout between the values of an object (its white space, tags and connector
 * text) are the same object after object: each is read once by its *Layout function and kept with
 * what it found; an identical stretch later is compared in one go (a slice of the buffer compared
 * with ===, which V8 does eight characters at a time) instead of read again. Sound because a
 * *Layout function's result depends only on the characters it read, all of which the stretch holds.
 */
class Memo {
  private readonly texts: string[] = [];
  private readonly found: number[] = [];
  private last = 0;

  /** Where the stretch matching s at i ends (its result in `found`), or -1 when none does. */
  match(s: string, i: number): number {
    const texts = this.texts;
    const n = texts.length;
    for (let k = 0, j = this.last; k < n; k++, j = j + 1 === n ? 0 : j + 1) {
      const t = texts[j]!;
      const e = i + t.length;
      // The last character first: most stretches that differ differ there (and it is cheaper than a slice).
      if (s.charCodeAt(e - 1) === t.charCodeAt(t.length - 1) && s.slice(i, e) === t) {
        this.last = j;
        found = this.found[j]!;
        return e;
      }
    }
    return -1;
  }

  /** Keeps s[i, e), read by a *Layout function to `result` (the last MEMOS of them). */
  keep(s: string, i: number, e: number, result: number): void {
    const at = this.texts.length < MEMOS ? this.texts.length : (this.last + 1) % MEMOS;
    this.texts[at] = ownRange(s, i, e);
    this.found[at] = result;
    this.last = at;
  }
}
const MEMOS = 8;

/** The lineage of an object whose export credits no rule: one empty list for all of them. */
const NO_LINEAGE: readonly string[] = Object.freeze([]);

/**
 * Reads `<cs-object>`s of one reader. Remembers where the next '&' in the reader's buffer is (an
 * object with one goes the slow way, decoded), so the buffer is searched for it once, not once per
 * object, and the object's layout (see Memo): keep one per reader, not longer (it holds on to the
 * reader's buffer).
 */
export class CsObjectScanner {
  private ampText: string | null = null;
  private ampFrom = 0;
  /** The first '&' in ampText at or after ampFrom, -1 when there is none. */
  private ampAt = -1;
  private readonly heads = new Memo();
  private readonly afterTags = new Memo();
  private readonly attrTags = new Memo();
  private readonly afterValues = new Memo();
  private readonly tails = new Memo();
  /** The names of attributes not kept, each with the object it was last seen in (to find a duplicate in one). */
  private readonly skipped = new Map<string, number>();
  /**
   * The object being read, as stamped in `skipped` (name -> the object it was last seen in). A Set
   * cleared per object allocated its table afresh and grew it again, object after object, at ~30
   * attributes not kept per object of a full hologram: the scan of 20k such users took a median
   * 1.43 s with it and 1.26 s without (standalone; bench:engine's full-hologram one-shot went from
   * +218 % to +134 %).
   */
  private serial = 0;

  /**
   * `keep`: the attribute names (lower case) whose values are kept; the others are read (checked as
   * the slow path checks them) and left out of the CsObject. Null: every attribute.
   */
  constructor(private readonly keep: ReadonlySet<string> | null = null) {}

  /** True when text[from, to) has a '&'. */
  private hasAmp(text: string, from: number, to: number): boolean {
    if (text !== this.ampText || from < this.ampFrom || (this.ampAt !== -1 && this.ampAt < from)) {
      this.ampText = text;
      this.ampFrom = from;
      this.ampAt = text.indexOf('&', from);
    }
    return this.ampAt !== -1 && this.ampAt < to;
  }

  /** Where the object read last ends: the offset just past its `</cs-object>`. */
  end = -1;

  /**
   * The CsObject of the `<cs-object>` at s[from] when it is in the engine's own layout, else null;
   * with `to` >= 0 only when it ends there (to: the end of its `</cs-object>`; see `end`). `line` is
   * the line it starts on. A `<cs-object>` whose end is not in `s` is null.
   */
  read(s: string, from: number, to: number, line: number, file: string, source: EngineEvidenceSource, connectorHint: string | null): CsObject | null {
    if (!has(s, from, '<cs-object')) return null;
    let i = objectTag(s, from + 10);
    if (i < 0 || dnA === dnB) return null; // no cs-dn, or an empty one: the slow path says so
    const dnStart = dnA;
    const dnEnd = dnB;
    const objectType = typeA < 0 ? '' : plainNames.get(s, typeA, typeB);
    const connector = maA < 0 ? connectorHint : plainNames.get(s, maA, maB);
    if (objectType === null || (maA >= 0 && connector === null)) return null; // (checked for '<' already)

    let e = this.heads.match(s, i + 1);
    if (e < 0 && (e = headLayout(s, i + 1)) >= 0) this.heads.keep(s, i + 1, e, found);
    if (e < 0 || (i = tagAttrs(s, e)) < 0) return null;
    const synchronized = (found & SYNCHRONIZED) !== 0;

    const dn = ownRange(s, dnStart, dnEnd);
    const attributes = new Map<string, string[]>();
    const keep = this.keep;
    const skipped = this.skipped;
    const serial = ++this.serial;
    // The names are the few an export has (interned by attrNames); a runaway set of them is dropped.
    if (skipped.size > 4096) skipped.clear();
    let values: string[] = [];
    let key = '';
    let single = false;
    /** The attr being read is one not kept: its values are checked, not copied. */
    let skip = false;
    /** The '<' of the attr being read. */
    let attrAt = -1;
    // Where the scan is: after a tag (the next attr or the end), in an attr tag (after the name), after a value.
    let state = AFTER_TAG;
    i++;
    for (;;) {
      const memo = state === AFTER_TAG ? this.afterTags : state === IN_ATTR_TAG ? this.attrTags : this.afterValues;
      e = memo.match(s, i);
      if (e < 0) {
        e = state === AFTER_TAG ? nextAttrLayout(s, i, synchronized) : state === IN_ATTR_TAG ? attrTagLayout(s, i) : afterValueLayout(s, i, synchronized);
        if (e >= 0) {
          // Not a stretch that ends before the attributes of a tag: what it found depends on them.
          if ((found & KIND) !== OTHER_ATTR && (found & KIND) !== END_ATTRS) memo.keep(s, i, e, found);
        } else if (state === IN_ATTR_TAG) {
          // Not the engine's attr tag after all (another attribute, another order): tagAttrs reads it.
          found = OTHER_ATTR;
          e = attrAt;
        } else return null;
      }
      let kind = found & KIND;
      if (kind === ATTR_NAME) {
        attrAt = e - 12;
        const nameEnd = s.indexOf('"', e);
        const name = nameEnd > e ? attrNames.get(s, e, nameEnd) : null;
        if (name !== null) {
          if (attributes.has(name) || (keep !== null && skipped.get(name) === serial)) return null; // the slow path names the duplicate
          key = name;
          skip = keep !== null && !keep.has(name);
          if (skip) skipped.set(name, serial);
          i = nameEnd;
          state = IN_ATTR_TAG;
          continue;
        }
        // An empty name, or a '<' in it: tagAttrs and the slow path say.
        kind = OTHER_ATTR;
        e = attrAt;
      }
      if (kind === OTHER_ATTR) {
        i = this.attr(s, e + 5, attributes);
        if (i < 0) return null;
        i++;
        state = AFTER_TAG;
      } else if (kind === VALUE) {
        const ve = s.indexOf('<', e);
        if (ve < 0) return null;
        if (state === IN_ATTR_TAG) {
          // One value (most attributes): an array of one, not one grown by push.
          single = (found & SINGLE) !== 0;
          if (!skip) {
            // An AD object's distinguishedName is its DN again: the one string for both.
            values = [ve - e === dn.length && sameChars(s, e, dn, 0, dn.length) ? dn : ownRange(s, e, ve)];
            attributes.set(key, values);
          }
        } else if (single) return null; // a second value of a single-valued attribute: the slow path says how many
        else if (!skip) values.push(ownRange(s, e, ve));
        i = ve;
        state = AFTER_VALUE;
      } else if (kind === NO_VALUES) {
        if (!skip) attributes.set(key, []);
        i = e;
        state = AFTER_TAG;
      } else break; // END, END_ATTRS
    }
    if (((found & SYNCHRONIZED) !== 0) !== synchronized) return null; // the hologram closed by the other name
    const connectorState = (found & CONNECTED) !== 0;
    let me: number;
    let lineageRules: readonly string[] = NO_LINEAGE;
    if ((found & KIND) === END) me = s.indexOf('<', (i = e - 1) + 1);
    else {
      if ((i = tagAttrs(s, e)) < 0) return null;
      const k = spanOf(s, 'lineage-rule');
      if (k >= 0 && spans[k + 2] !== spans[k + 3]) lineageRules = [ownRange(s, spans[k + 2]!, spans[k + 3]!)];
      me = nextLt; // the first '<' after the tag: the end of its text
    }
    if (me < 0) return null;
    trim(s, i + 1, me);
    const mvId = trimB > trimA ? ownRange(s, trimA, trimB) : null;
    e = this.tails.match(s, me);
    if (e < 0 && (e = tailLayout(s, me)) >= 0) this.tails.keep(s, me, e, found);
    // Its end is its first </cs-object>: no '<' came before but those of the tags read. An object
    // with a '&' goes the slow way (decoded); a stretch kept from it with the '&' matches only where
    // there is one too.
    if (e < 0 || (to >= 0 && e !== to) || this.hasAmp(s, from, e)) return null;
    this.end = e;
    return {
      connector,
      connectorId: null,
      aad: (connector !== null && isAadConnector(connector)) || isAadDn(s, dnStart, dnEnd),
      dn,
      objectType,
      attributes,
      pendingExport: null,
      error: null,
      connectorState,
      mvId,
      lineageRules,
      evidence: { source, origin: file, line },
    };
  }

  /**
   * Reads one `<attr>` from just after `<attr` through its `</attr>` into `out`, its tag by tagAttrs;
   * returns the offset of the end tag's '>', or -1 for anything the slow path should read (or refuse).
   */
  private attr(s: string, i: number, out: Map<string, string[]>): number {
    const gt = tagAttrs(s, i);
    if (gt < 0) return -1;
    const n = spanOf(s, 'name');
    if (n < 0 || spans[n + 2] === spans[n + 3]) return -1; // the slow path says it has no name
    const m = spanOf(s, 'multivalued');
    const single = m >= 0 && spans[m + 3]! - spans[m + 2]! === 5 && has(s, spans[m + 2]!, 'false');
    const key = attrNames.get(s, spans[n + 2]!, spans[n + 3]!);
    if (key === null || out.has(key) || (this.keep !== null && this.skipped.get(key) === this.serial)) return -1; // the slow path names the duplicate
    const kept = this.keep === null || this.keep.has(key);
    i = gt + 1;
    let values: string[];
    if (!has(s, i, '<value>')) values = [];
    else {
      // One value (most attributes): an array of one, not one grown by push.
      let e = s.indexOf('<', i + 7);
      if (!has(s, e, '</value>')) return -1;
      values = kept ? [ownRange(s, i + 7, e)] : [];
      i = e + 8;
      while (s.charCodeAt(i + 1) !== SLASH && has(s, i, '<value>')) {
        if (single) return -1; // the slow path says how many
        e = s.indexOf('<', i + 7);
        if (!has(s, e, '</value>')) return -1;
        if (kept) values.push(ownRange(s, i + 7, e));
        i = e + 8;
      }
    }
    if (!has(s, i, '</attr>')) return -1;
    if (kept) out.set(key, values);
    else this.skipped.set(key, this.serial);
    return i + 6;
  }
}

/**
 * The CsObject of s[from, to) when it is a `<cs-object>` in the engine's own layout, else null
 * (a reader keeps a CsObjectScanner instead: it searches its buffer for '&' once, and remembers the
 * layout).
 */
export function fastCsObject(s: string, from: number, to: number, line: number, file: string, source: EngineEvidenceSource, connectorHint: string | null): CsObject | null {
  return new CsObjectScanner().read(s, from, to, line, file, source, connectorHint);
}
