/**
 * Connector-space objects from the Entra Connect exports, in one shape whichever export they came from:
 * - the connector-space XML the sync engine writes (`cs-objects/cs-object/synchronized-hologram/entry/attr`,
 *   the format of csexport.exe, of `Export-ADSyncToolsObjects` and of a CsObject's `SerializedXml`);
 * - `Get-ADSyncCSObject | ConvertTo-Json -Depth 6` (ConnectorName, DistinguishedName, ObjectType,
 *   Attributes [{Name, Values}], HasExportError/ExportError, ConnectedMVObjectId, SerializedXml).
 * Every object is validated on its own; an error names the file and the line or record. Pure.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../core/errors';
import type { EngineEvidence, EngineEvidenceSource } from '../core/engine-view';
import { jsonRecords } from './records';
import { XmlReader, childrenNamed, localName, ownString, type XmlElement } from './xml-reader';
import { CsObjectScanner } from './cs-object-fast';

export interface CsObject {
  /** Connector (management agent) name where the export says; null when it does not. */
  connector: string | null;
  /** Connector GUID (lower case, no braces) where the export says. */
  connectorId: string | null;
  /** True for the Entra ID (AAD) connector's objects, whose values are what Connect exports to Entra. */
  aad: boolean;
  dn: string;
  objectType: string;
  /**
   * Attribute name (lower case) → values, from the synchronized hologram: every attribute, or from
   * the XML reader given `keep` only those (readConnectExports keeps what the join reads).
   */
  attributes: Map<string, string[]>;
  /** Values of an export the engine staged but has not sent (unapplied export), per attribute. */
  pendingExport: Map<string, string[]> | null;
  /** Export or sync error text, or null. */
  error: string | null;
  /** False for a disconnector (the object is in the connector space but not joined/provisioned). */
  connectorState: boolean;
  /** Metaverse object id the CS object is joined to, the multi-forest link between AD and AAD objects. */
  mvId: string | null;
  /** Rule names the export's lineage credits, where it carries them. */
  lineageRules: readonly string[];
  evidence: EngineEvidence;
}

const AAD_DN = /^CN=\{([0-9A-Fa-f]+)\}$/;

/** Decodes the AAD connector space DN `CN={hex}` (the hex of the anchor's characters). */
export function decodeAadDn(dn: string): { sourceAnchor: string | null; cloudAnchor: string | null } | null {
  const m = AAD_DN.exec(dn.trim());
  if (!m || m[1]!.length % 2 !== 0) return null;
  let s = '';
  for (let i = 0; i < m[1]!.length; i += 2) s += String.fromCharCode(parseInt(m[1]!.slice(i, i + 2), 16));
  if (/^[A-Za-z]+_/.test(s)) return { sourceAnchor: null, cloudAnchor: s };
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) ? { sourceAnchor: s, cloudAnchor: null } : null;
}

function isAad(connector: string | null, dn: string): boolean {
  if (connector && /- AAD$/i.test(connector.trim())) return true;
  return AAD_DN.test(dn.trim());
}

/** The text of each `<value>` child (one pass, no intermediate arrays: this runs for every attribute). */
function valuesOf(a: XmlElement): string[] {
  const out: string[] = [];
  for (const c of a.children) if (c.name === 'value' || localName(c.name) === 'value') out.push(ownString(c.text));
  return out;
}

/** First child of each name (local name), in one pass over the children. */
function firstChildren(el: XmlElement): Map<string, XmlElement> {
  const out = new Map<string, XmlElement>();
  for (const c of el.children) {
    const k = localName(c.name);
    if (!out.has(k)) out.set(k, c);
  }
  return out;
}

/** The entry's attributes (those in `keep`, when given), each checked (every one, kept or not). */
function attrMap(entry: XmlElement, file: string, keep: ReadonlySet<string> | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const skipped = keep ? new Set<string>() : null;
  for (const a of entry.children) {
    if (a.name !== 'attr' && localName(a.name) !== 'attr') continue;
    const name = a.attrs['name'];
    if (!name) throw new ValidationError(`${file}:${a.line}`, '<attr> without a name');
    const key = ownString(name.toLowerCase());
    if (out.has(key) || skipped?.has(key)) throw new ValidationError(`${file}:${a.line}`, `attribute ${name} appears twice in one object`);
    const values = valuesOf(a);
    if (a.attrs['multivalued'] === 'false' && values.length > 1) {
      throw new ValidationError(`${file}:${a.line}`, `single-valued attribute ${name} has ${values.length} values`);
    }
    if (keep && !keep.has(key)) skipped!.add(key);
    else out.set(key, values);
  }
  return out;
}

function hologramAttrs(h: XmlElement | undefined, file: string, keep: ReadonlySet<string> | null): Map<string, string[]> | null {
  if (!h) return null;
  const entry = childrenNamed(h, 'entry')[0];
  return entry ? attrMap(entry, file, keep) : new Map();
}

function errorText(first: Map<string, XmlElement>): string | null {
  for (const kind of ['export-errordetail', 'import-errordetail']) {
    const d = first.get(kind);
    if (!d) continue;
    const status = childrenNamed(d, kind.replace('errordetail', 'status'))[0] ?? d;
    const cd = childrenNamed(status, 'cd-error')[0] ?? status;
    const name = childrenNamed(cd, 'error-name')[0]?.text.trim() || status.attrs['error-type'] || null;
    const literal = childrenNamed(cd, 'error-literal')[0]?.text.trim() || null;
    return ownString([name, literal].filter(Boolean).join(': ') || `${kind.split('-')[0]} error`);
  }
  return null;
}

/** One `<cs-object>` element. */
export function csObjectFromXml(el: XmlElement, file: string, source: EngineEvidenceSource, connectorHint: string | null = null, keep: ReadonlySet<string> | null = null): CsObject {
  const rawDn = el.attrs['cs-dn'];
  if (!rawDn) throw new ValidationError(`${file}:${el.line}`, '<cs-object> without cs-dn');
  const dn = ownString(rawDn);
  const objectType = ownString(el.attrs['object-type'] ?? '');
  const connector = el.attrs['ma-name'] !== undefined ? ownString(el.attrs['ma-name']) : connectorHint;
  const first = firstChildren(el);
  const attributes = hologramAttrs(first.get('synchronized-hologram'), file, keep) ?? hologramAttrs(first.get('hologram'), file, keep) ?? new Map<string, string[]>();
  let pendingExport: Map<string, string[]> | null = null;
  const unapplied = first.get('unapplied-export');
  const delta = unapplied ? childrenNamed(unapplied, 'delta')[0] : undefined;
  if (delta) {
    pendingExport = new Map();
    for (const a of childrenNamed(delta, 'attr')) {
      const name = a.attrs['name'];
      if (!name) throw new ValidationError(`${file}:${a.line}`, '<attr> without a name in the unapplied export');
      const op = a.attrs['operation'] ?? 'replace';
      pendingExport.set(ownString(name.toLowerCase()), op === 'delete' ? [] : valuesOf(a));
    }
  }
  const connectorEl = first.get('connector');
  const mvLink = first.get('mv-link');
  const lineage = mvLink?.attrs['lineage-rule'] ? [ownString(mvLink.attrs['lineage-rule'])] : [];
  const mvId = mvLink?.text.trim() || null;
  return {
    connector,
    connectorId: null,
    aad: isAad(connector, dn),
    dn,
    objectType,
    attributes,
    pendingExport,
    error: errorText(first),
    connectorState: connectorEl ? connectorEl.text.trim() !== '0' : true,
    mvId: mvId === null ? null : ownString(mvId),
    lineageRules: lineage,
    evidence: { source, origin: file, line: el.line },
  };
}

/**
 * Reads the connector-space XML (`<cs-objects>` with any number of `<cs-object>`, or one `<cs-object>`)
 * written in chunks: each `<cs-object>` becomes a CsObject as its end tag is read and its element tree
 * is dropped, so memory holds the objects, never a tree of the file.
 */
export class ConnectorSpaceXmlReader {
  readonly objects: CsObject[] = [];
  private readonly xml: XmlReader;
  private single = false;
  private hint: string | null = null;
  private readonly keep: ReadonlySet<string> | null;

  constructor(
    private readonly file: string,
    private readonly source: EngineEvidenceSource = 'Export-ADSyncToolsObjects',
    options: {
      /** Read every object tag by tag (no fast path): what the fast path is tested against. */
      tagByTag?: boolean;
      /**
       * Keep the values of these attributes (lower case) only; every attribute is still checked. A
       * real hologram carries every imported attribute, the join reads a handful: the others' values
       * are most of the file, and copied they were most of the read's time and memory.
       */
      keep?: ReadonlySet<string> | null;
    } = {},
  ) {
    const keep = options.keep ?? null;
    this.keep = keep;
    const scanner = new CsObjectScanner(keep);
    this.xml = new XmlReader({
      file,
      onRoot: (root) => {
        this.hint = root.attrs['ma-name'] !== undefined ? ownString(root.attrs['ma-name']) : null;
        if (root.name === 'cs-object') {
          this.single = true;
          return false;
        }
        if (root.name !== 'cs-objects') {
          throw new ValidationError(`${file}:${root.line}`, `root element is <${root.name}>, expected <cs-objects> or <cs-object> (the connector-space export)`);
        }
        return true;
      },
      onElement: (el) => {
        if (localName(el.name) === 'cs-object') this.objects.push(csObjectFromXml(el, this.file, this.source, this.hint, keep));
      },
      ...(options.tagByTag
        ? {}
        : {
            fastChild: {
              name: 'cs-object',
              read: (src, from, line) => {
                const o = scanner.read(src, from, -1, line, this.file, this.source, this.hint);
                if (o === null) return -1;
                this.objects.push(o);
                return scanner.end;
              },
            },
          }),
    });
  }

  /** Characters read so far. */
  get consumed(): number {
    return this.xml.consumed;
  }

  write(chunk: string): void {
    this.xml.write(chunk);
  }

  end(): CsObject[] {
    const root = this.xml.end();
    if (this.single) this.objects.push(csObjectFromXml(root, this.file, this.source, this.hint, this.keep));
    return this.objects;
  }
}

/** The connector-space XML (`<cs-objects>` with any number of `<cs-object>`, or one `<cs-object>`). */
export function parseConnectorSpaceXml(text: string, file: string, source: EngineEvidenceSource = 'Export-ADSyncToolsObjects'): CsObject[] {
  const r = new ConnectorSpaceXmlReader(file, source);
  r.write(text);
  return r.end();
}

function ownNullable(s: string | null): string | null {
  return s === null ? null : ownString(s);
}

const TYPE_NAME = /^System\.[\w.`[\]]+$/;

const JsonAttribute = z.object({
  Name: z.string().min(1),
  Values: z.union([z.array(z.union([z.string(), z.number(), z.boolean()])), z.string(), z.null()]).optional(),
  Value: z.union([z.string(), z.number(), z.null()]).optional(),
});

const JsonCsObject = z
  .object({
    ConnectorName: z.string().nullable().optional(),
    ConnectorId: z.string().nullable().optional(),
    DistinguishedName: z.string().min(1),
    ObjectType: z.string().nullable().optional(),
    IsConnector: z.boolean().nullable().optional(),
    HasExportError: z.boolean().nullable().optional(),
    HasSyncError: z.boolean().nullable().optional(),
    ExportError: z.unknown().optional(),
    SynchronizationError: z.unknown().optional(),
    ConnectedMVObjectId: z.string().nullable().optional(),
    Attributes: z.union([z.array(z.unknown()), z.string(), z.null()]).optional(),
    SerializedXml: z.string().nullable().optional(),
  })
  .passthrough();

function errorSummary(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const parts = [o['ErrorName'], o['ErrorCode'], o['ErrorType'], o['ErrorMessage'] ?? o['Message']].filter((x) => typeof x === 'string' && x !== '');
    return parts.length ? parts.join(': ') : 'export error (details in the export)';
  }
  return String(v);
}

/**
 * `Get-ADSyncCSObject … | ConvertTo-Json -Depth 6` (one object or an array). With the default depth
 * of 2 PowerShell writes the attribute values as a type name: refused, naming the record and the fix.
 */
export function parseCsObjectJson(text: string, file: string): CsObject[] {
  const out: CsObject[] = [];
  for (const rec of jsonRecords(text, file)) {
    const where = `${file}:${rec.line}`;
    const parsed = JsonCsObject.safeParse(rec.value);
    if (!parsed.success) throw new ValidationError(where, `record ${rec.record}: ${formatIssues(parsed.error.issues)}`);
    const o = parsed.data;
    // Owned copies (see ownString): what JSON.parse gives may be slices of the file's text.
    const connector = o.ConnectorName != null ? ownString(o.ConnectorName) : null;
    const connectorId = o.ConnectorId ? ownString(o.ConnectorId.toLowerCase().replace(/[{}]/g, '')) : null;
    const evidence: EngineEvidence = { source: 'Get-ADSyncCSObject', origin: file, line: rec.line };
    if (o.SerializedXml) {
      // The engine's own XML of the object is the most faithful view: use it when the export has it.
      let xmlObjects: CsObject[];
      try {
        xmlObjects = parseConnectorSpaceXml(o.SerializedXml, `${file} record ${rec.record} SerializedXml`, 'Get-ADSyncCSObject');
      } catch (e) {
        throw new ValidationError(where, `record ${rec.record}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      for (const x of xmlObjects) {
        const mvId = x.mvId ?? (o.ConnectedMVObjectId != null ? ownString(o.ConnectedMVObjectId) : null);
        out.push({ ...x, connector: x.connector ?? connector, connectorId, aad: isAad(x.connector ?? connector, x.dn), mvId, evidence });
      }
      continue;
    }
    if (typeof o.Attributes === 'string' || o.Attributes === undefined || o.Attributes === null) {
      throw new ValidationError(where, `record ${rec.record} (${o.DistinguishedName}): Attributes ${o.Attributes ? `is the text "${o.Attributes.slice(0, 60)}"` : 'is missing'}; ConvertTo-Json cut the object at its default depth of 2: re-export with \`ConvertTo-Json -Depth 6\``);
    }
    const attributes = new Map<string, string[]>();
    o.Attributes.forEach((raw, k) => {
      const a = JsonAttribute.safeParse(raw);
      if (!a.success) throw new ValidationError(where, `record ${rec.record} Attributes[${k}]: ${formatIssues(a.error.issues)}`);
      const key = a.data.Name.toLowerCase();
      if (attributes.has(key)) throw new ValidationError(where, `record ${rec.record}: attribute ${a.data.Name} appears twice`);
      const vals = a.data.Values;
      if (typeof vals === 'string' && TYPE_NAME.test(vals)) {
        throw new ValidationError(where, `record ${rec.record} attribute ${a.data.Name}: the values were written as the type name "${vals}"; re-export with \`ConvertTo-Json -Depth 6\``);
      }
      const list = Array.isArray(vals) ? vals.map(String) : typeof vals === 'string' ? [vals] : a.data.Value !== undefined && a.data.Value !== null ? [String(a.data.Value)] : [];
      attributes.set(ownString(key), list.map(ownString));
    });
    out.push({
      connector,
      connectorId,
      aad: isAad(connector, o.DistinguishedName),
      dn: ownString(o.DistinguishedName),
      objectType: ownString(o.ObjectType ?? ''),
      attributes,
      pendingExport: null,
      error: ownNullable((o.HasExportError ? errorSummary(o.ExportError) ?? 'export error' : null) ?? (o.HasSyncError ? errorSummary(o.SynchronizationError) ?? 'synchronization error' : null)),
      connectorState: o.IsConnector ?? true,
      mvId: ownNullable(o.ConnectedMVObjectId ?? null),
      lineageRules: [],
      evidence,
    });
  }
  return out;
}
