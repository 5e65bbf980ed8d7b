/**
 * The fast path of the connector-space reader: a `<cs-object>` in the layout the sync engine writes
 * (synchronized hologram with its entry and attrs, connector, mv-link; attribute values in double
 * quotes; no entity, comment or CDATA anywhere in it) is matched by one anchored regular expression
 * and turned into a CsObject without an element tree. It accepts only text the tag-by-tag reader
 * reads to the same CsObject (tests compare the two); anything else (another element, an entity,
 * a duplicate, a single-valued attribute with two values, a missing cs-dn) returns null and the object
 * is read tag by tag, which reports the error with its line. Pure.
 */
import type { EngineEvidenceSource } from '../core/engine-view';
import type { CsObject } from './connector-space';
import { ownString } from './xml-reader';

/** Start-tag attributes: double-quoted, no '<' or '&' (an entity goes the slow way, decoded). */
const A = String.raw`(?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<&]*")*\s*`;
const OBJECT = new RegExp(
  String.raw`<cs-object(${A})>\s*<(synchronized-hologram|hologram)>\s*<entry${A}>((?:\s*<attr${A}>(?:<value>[^<&]*</value>)*</attr>)*)\s*</entry>\s*</\2>\s*<connector>([^<&]*)</connector>\s*<mv-link(${A})>([^<&]*)</mv-link>\s*</cs-object>`,
  'y',
);
const ATTR = new RegExp(String.raw`<attr(${A})>((?:<value>[^<&]*</value>)*)</attr>`, 'g');
/** The engine's own attr tag: name, type, multivalued in that order (most attrs); others go through tagAttrs. */
const ATTR_TAG = /^\s+name="([^"]+)"\s+type="[^"]*"\s+multivalued="(true|false)"\s*$/;
const VALUE = /<value>([^<&]*)<\/value>/g;
const TAG_ATTR = /([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"/g;

/** A start tag's attributes; null when one appears twice (the slow path names it). */
function tagAttrs(s: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  TAG_ATTR.lastIndex = 0;
  for (let m = TAG_ATTR.exec(s); m; m = TAG_ATTR.exec(s)) {
    if (Object.hasOwn(out, m[1]!)) return null;
    out[m[1]!] = m[2]!;
  }
  return out;
}

function valuesOf(s: string): string[] {
  const out: string[] = [];
  if (s === '') return out;
  VALUE.lastIndex = 0;
  for (let m = VALUE.exec(s); m; m = VALUE.exec(s)) out.push(ownString(m[1]!));
  return out;
}

function attributesOf(body: string): Map<string, string[]> | null {
  const out = new Map<string, string[]>();
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(body); m; m = ATTR.exec(body)) {
    let name: string | undefined;
    let multivalued: string | undefined;
    const canonical = ATTR_TAG.exec(m[1]!);
    if (canonical) [name, multivalued] = [canonical[1], canonical[2]];
    else {
      const attrs = tagAttrs(m[1]!);
      if (!attrs) return null;
      [name, multivalued] = [attrs['name'], attrs['multivalued']];
    }
    if (!name) return null;
    const key = shared(name.toLowerCase());
    if (out.has(key)) return null;
    const values = valuesOf(m[2]!);
    if (values.length > 1 && multivalued === 'false') return null;
    out.set(key, values);
  }
  return out;
}

const NO_ATTRS: Record<string, string> = {};
/** Connector names and object types repeat on every object: one copy of each (few distinct values). */
const SHARED = new Map<string, string>();
function shared(s: string): string {
  let v = SHARED.get(s);
  if (v === undefined) {
    if (SHARED.size > 256) SHARED.clear();
    SHARED.set((v = ownString(s)), v);
  }
  return v;
}
const AAD_DN = /^CN=\{([0-9A-Fa-f]+)\}$/;
const AAD_CONNECTOR = /- AAD$/i;

/**
 * The CsObject of src[from, to) when it is a `<cs-object>` in the engine's own layout, else null.
 * `line` is the line the object starts on.
 */
export function fastCsObject(src: string, from: number, to: number, line: number, file: string, source: EngineEvidenceSource, connectorHint: string | null): CsObject | null {
  OBJECT.lastIndex = from;
  const m = OBJECT.exec(src);
  if (!m || OBJECT.lastIndex !== to) return null;
  const attrs = tagAttrs(m[1]!);
  const dn = attrs?.['cs-dn'];
  if (!attrs || !dn) return null;
  const attributes = attributesOf(m[3]!);
  const mvAttrs = m[5]!.trim() === '' ? NO_ATTRS : tagAttrs(m[5]!);
  if (!attributes || !mvAttrs) return null;
  const connector = attrs['ma-name'] !== undefined ? shared(attrs['ma-name']) : connectorHint;
  const mvId = m[6]!.trim();
  return {
    connector,
    connectorId: null,
    aad: (connector !== null && AAD_CONNECTOR.test(connector.trim())) || AAD_DN.test(dn.trim()),
    dn: ownString(dn),
    objectType: shared(attrs['object-type'] ?? ''),
    attributes,
    pendingExport: null,
    error: null,
    connectorState: m[4]!.trim() !== '0',
    mvId: mvId ? ownString(mvId) : null,
    lineageRules: mvAttrs['lineage-rule'] ? [ownString(mvAttrs['lineage-rule'])] : [],
    evidence: { source, origin: file, line },
  };
}
