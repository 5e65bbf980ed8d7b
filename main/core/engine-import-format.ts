/**
 * How a stored Connect import's objects are written (#18): the workspace keeps them as one blob per
 * profile (main/workspace/engine-imports.ts), and the CLI's off-thread read hands them from its
 * worker to the main thread in the same form (main/cli/connect-off-thread.ts). Decoding
 * trusts nothing: whatever does not check reads as null. Pure.
 */
import { z } from 'zod';
import { EngineEvidence, EngineObject, EngineRule, EngineState, SyncEngineKind } from './engine-view';

/** The format encodeEngineImport writes (older ones still read). */
export const ENGINE_IMPORT_FORMAT = 'syncdrift-connect-import/4';

/** The first format: every object whole (its rule and citations repeated per object). Still read. */
const ObjectsV1 = z.object({ format: z.literal('syncdrift-connect-import/1'), objects: z.array(EngineObject) });
/**
 * The second format (still read): the rules and citations the objects share written once and
 * referenced by index. At 100k users one rule's expression and two citations had been three quarters
 * of the first format's blob (79 of 105 MB) and, read back, 100k copies of each in memory.
 */
const StoredObject = EngineObject.extend({ rule: z.number().int().nonnegative().nullable(), evidence: z.array(z.number().int().nonnegative()) });
const ObjectsV2 = z.object({
  format: z.literal('syncdrift-connect-import/2'),
  rules: z.array(EngineRule),
  evidence: z.array(EngineEvidence),
  objects: z.array(StoredObject),
});

/**
 * The third format (still read): columns, one array per field, every array as long as there are
 * objects. The values many objects share (rules, citations, states, export times, reasons) are in
 * tables and the columns hold their index. Written so because reading an import back is what opening
 * a profile pays for: format 2's 43 MB of one object per user (their keys repeated 100k times) took
 * ~0.9 s to read back at 100k users, most of it in the per-object schema check; the columns are about
 * half as large and are checked column by column (decodeColumns), each table entry by its schema once.
 */
const Tables = z.object({
  rules: z.array(EngineRule),
  evidence: z.array(EngineEvidence),
  engine: z.array(SyncEngineKind),
  state: z.array(EngineState),
  exportedAt: z.array(z.string().datetime({ offset: true }).nullable()),
  reason: z.array(z.string().nullable()),
});
const ObjectsV3 = z.object({
  format: z.literal('syncdrift-connect-import/3'),
  count: z.number().int().nonnegative(),
  tables: Tables,
  /** Checked by decodeColumns: each an array of `count` values. */
  columns: z.record(z.string(), z.unknown()),
});
/**
 * The stored format: format 3's columns, but a citation's line is in the object's evidence column
 * beside the index of its source and file (`[source, line, source, line, ...]`, line 0 for none), and
 * the table holds each source and file once. In format 3 the table held every citation whole, and the
 * connector-space citation has a line of its own per object: at 100k users a table of 100k citations,
 * each schema-checked when read back, which with their JSON was a third of the encode and of the
 * decode (the CLI's worker encodes, the main thread decodes while the scan runs).
 */
const EvidenceSite = EngineEvidence.pick({ source: true, origin: true });
type EvidenceSite = z.infer<typeof EvidenceSite>;
const TablesV4 = Tables.extend({ evidence: z.array(EvidenceSite) });
const ObjectsV4 = z.object({
  format: z.literal(ENGINE_IMPORT_FORMAT),
  count: z.number().int().nonnegative(),
  tables: TablesV4,
  /** Checked by decodeColumns: each an array of `count` values. */
  columns: z.record(z.string(), z.unknown()),
});
type Tables = z.infer<typeof Tables>;
type TablesV4 = z.infer<typeof TablesV4>;

/** An interning table: each distinct value (by identity, else by content) gets one index. */
function table<T>(key: (v: T) => string): { index: (v: T) => number; values: T[] } {
  const byRef = new Map<T, number>();
  const byKey = new Map<string, number>();
  const values: T[] = [];
  return {
    values,
    index(v) {
      let i = byRef.get(v);
      if (i !== undefined) return i;
      const k = key(v);
      i = byKey.get(k);
      if (i === undefined) byKey.set(k, (i = values.push(v) - 1));
      byRef.set(v, i);
      return i;
    },
  };
}

const byValue = <T>(v: T): string => JSON.stringify(v);

/** The objects in the stored format (columns; shared values once, in tables). */
export function encodeEngineImport(objects: readonly EngineObject[]): string {
  const rules = table<EngineRule>((r) => JSON.stringify([r.name, r.precedence, r.expression, r.sources, r.connector]));
  // Each citation's site (file, then source) once: found without a key string per citation.
  const sites: EvidenceSite[] = [];
  const siteOf = new Map<string, Map<string, number>>();
  const siteIndex = (e: EngineEvidence): number => {
    let bySource = siteOf.get(e.origin);
    if (!bySource) siteOf.set(e.origin, (bySource = new Map()));
    let i = bySource.get(e.source);
    if (i === undefined) bySource.set(e.source, (i = sites.push({ source: e.source, origin: e.origin }) - 1));
    return i;
  };
  const engine = table<EngineObject['engine']>(byValue);
  const state = table<EngineObject['state']>(byValue);
  const exportedAt = table<string | null>(byValue);
  const reason = table<string | null>(byValue);
  const n = objects.length;
  const columns = {
    engine: new Array<number>(n),
    sourceAnchor: new Array<string | null>(n),
    onPremDn: new Array<string | null>(n),
    cloudId: new Array<string | null>(n),
    state: new Array<number>(n),
    /** exported.mobile; null also where exported is null (exportedOther says which). */
    exportedMobile: new Array<string | null>(n),
    /** exported.otherMobile; null where exported is null. */
    exportedOther: new Array<string[] | null>(n),
    exportedAt: new Array<number>(n),
    rule: new Array<number | null>(n),
    reason: new Array<number>(n),
    /** Per citation its site's index and its line (0: none). */
    evidence: new Array<number[]>(n),
  };
  for (let i = 0; i < n; i++) {
    const o = objects[i]!;
    columns.engine[i] = engine.index(o.engine);
    columns.sourceAnchor[i] = o.sourceAnchor;
    columns.onPremDn[i] = o.onPremDn;
    columns.cloudId[i] = o.cloudId;
    columns.state[i] = state.index(o.state);
    columns.exportedMobile[i] = o.exported ? o.exported.mobile : null;
    columns.exportedOther[i] = o.exported ? o.exported.otherMobile : null;
    columns.exportedAt[i] = exportedAt.index(o.exportedAt);
    columns.rule[i] = o.rule ? rules.index(o.rule) : null;
    columns.reason[i] = reason.index(o.reason);
    const cites: number[] = [];
    for (const e of o.evidence) cites.push(siteIndex(e), e.line ?? 0);
    columns.evidence[i] = cites;
  }
  const tables: TablesV4 = { rules: rules.values, evidence: sites, engine: engine.values, state: state.values, exportedAt: exportedAt.values, reason: reason.values };
  return JSON.stringify({ format: ENGINE_IMPORT_FORMAT, count: n, tables, columns });
}

const isIndex = (v: unknown, size: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < size;
/** A citation's line in format 4: a positive line, or 0 for none (EngineEvidence's line is positive). */
const isLine = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Format 3's or 4's columns turned back into objects, or null when any column or index does not
 * check. `sites` is format 4's table of citation sites (its evidence column pairs a site with a
 * line); without it the evidence column holds indexes into format 3's table of whole citations.
 */
function decodeColumns(count: number, t: Omit<Tables, 'evidence'> & { evidence: readonly unknown[] }, c: Record<string, unknown>, sites?: readonly EvidenceSite[]): EngineObject[] | null {
  const col = (name: string): unknown[] | null => {
    const v = c[name];
    return Array.isArray(v) && v.length === count ? v : null;
  };
  const engine = col('engine');
  const sourceAnchor = col('sourceAnchor');
  const onPremDn = col('onPremDn');
  const cloudId = col('cloudId');
  const state = col('state');
  const exportedMobile = col('exportedMobile');
  const exportedOther = col('exportedOther');
  const exportedAt = col('exportedAt');
  const rule = col('rule');
  const reason = col('reason');
  const evidence = col('evidence');
  if (!engine || !sourceAnchor || !onPremDn || !cloudId || !state || !exportedMobile || !exportedOther || !exportedAt || !rule || !reason || !evidence) return null;
  const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
  const out: EngineObject[] = new Array(count);
  const lastCite: (EngineEvidence | undefined)[] = sites ? new Array(sites.length) : [];
  for (let i = 0; i < count; i++) {
    const e = engine[i], s = state[i], at = exportedAt[i], r = rule[i], why = reason[i], cites = evidence[i];
    const anchor = sourceAnchor[i], dn = onPremDn[i], id = cloudId[i], mobile = exportedMobile[i], other = exportedOther[i];
    if (!isIndex(e, t.engine.length) || !isIndex(s, t.state.length) || !isIndex(at, t.exportedAt.length) || !isIndex(why, t.reason.length)) return null;
    if (r !== null && !isIndex(r, t.rules.length)) return null;
    if (!strOrNull(anchor) || !strOrNull(dn) || !strOrNull(id) || !strOrNull(mobile)) return null;
    let exported: EngineObject['exported'] = null;
    if (other === null) {
      if (mobile !== null) return null;
    } else {
      if (!Array.isArray(other)) return null;
      const copy: string[] = new Array(other.length);
      for (let k = 0; k < other.length; k++) {
        const v: unknown = other[k];
        if (typeof v !== 'string') return null;
        copy[k] = v;
      }
      exported = { mobile, otherMobile: copy };
    }
    if (!Array.isArray(cites)) return null;
    let ev: EngineEvidence[];
    if (sites) {
      if (cites.length % 2 !== 0) return null;
      ev = new Array(cites.length / 2);
      for (let k = 0; k < cites.length; k += 2) {
        const x: unknown = cites[k];
        const l: unknown = cites[k + 1];
        if (!isIndex(x, sites.length) || !isLine(l)) return null;
        const line = l === 0 ? null : l;
        // A citation the objects share (the rule's, the run's: one line for all) is one object again.
        let cite = lastCite[x];
        if (!cite || cite.line !== line) lastCite[x] = cite = { source: sites[x]!.source, origin: sites[x]!.origin, line };
        ev[k / 2] = cite;
      }
    } else {
      ev = new Array(cites.length);
      for (let k = 0; k < cites.length; k++) {
        const x: unknown = cites[k];
        if (!isIndex(x, t.evidence.length)) return null;
        ev[k] = t.evidence[x] as EngineEvidence;
      }
    }
    // The keys in EngineObject's order, as its schema would give them.
    out[i] = {
      engine: t.engine[e]!,
      sourceAnchor: anchor,
      onPremDn: dn,
      cloudId: id,
      state: t.state[s]!,
      exported,
      exportedAt: t.exportedAt[at]!,
      rule: r === null ? null : t.rules[r]!,
      reason: t.reason[why]!,
      evidence: ev,
    };
  }
  return out;
}

/** The objects of a stored import (any format), or null when it does not read as one. */
export function decodeEngineImport(parsed: unknown): EngineObject[] | null {
  const format = parsed !== null && typeof parsed === 'object' ? (parsed as { format?: unknown }).format : undefined;
  if (format === ENGINE_IMPORT_FORMAT) {
    const v4 = ObjectsV4.safeParse(parsed);
    return v4.success ? decodeColumns(v4.data.count, v4.data.tables, v4.data.columns, v4.data.tables.evidence) : null;
  }
  if (format === 'syncdrift-connect-import/3') {
    const v3 = ObjectsV3.safeParse(parsed);
    return v3.success ? decodeColumns(v3.data.count, v3.data.tables, v3.data.columns) : null;
  }
  const v2 = ObjectsV2.safeParse(parsed);
  if (v2.success) {
    const { rules, evidence, objects } = v2.data;
    const out: EngineObject[] = new Array(objects.length);
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i]!;
      if (o.rule !== null && o.rule >= rules.length) return null;
      const cites: EngineEvidence[] = new Array(o.evidence.length);
      for (let j = 0; j < o.evidence.length; j++) {
        const e = evidence[o.evidence[j]!];
        if (!e) return null;
        cites[j] = e;
      }
      out[i] = { ...o, rule: o.rule === null ? null : rules[o.rule]!, evidence: cites };
    }
    return out;
  }
  const v1 = ObjectsV1.safeParse(parsed);
  return v1.success ? v1.data.objects : null;
}
