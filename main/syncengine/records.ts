/**
 * Record-level reading of the Connect exports: `ConvertTo-Json` text split into its top-level records
 * with the line each starts on, and a tiny XML reader that keeps line numbers. Errors name the file and
 * the line or record, so an admin can open the export at the right place. Pure.
 */
import { ValidationError } from '../core/errors';

export interface JsonRecord {
  value: unknown;
  /** 1-based record number inside the file. */
  record: number;
  /** 1-based line the record starts on. */
  line: number;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** End offset (exclusive) of the JSON value starting at `start` (object, array, string or scalar). */
function valueEnd(text: string, start: number, file: string): number {
  let depth = 0;
  let i = start;
  const first = text[i];
  if (first !== '{' && first !== '[') {
    if (first === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '"') return i + 1;
      }
      throw new ValidationError(`${file}:${lineAt(text, start)}`, 'unterminated string');
    }
    while (i < text.length && !/[,\]\s]/.test(text[i]!)) i++;
    return i;
  }
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) throw new ValidationError(`${file}:${lineAt(text, start)}`, 'unterminated string');
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new ValidationError(`${file}:${lineAt(text, start)}`, 'the record is not closed (file cut short?)');
}

function parseRecord(text: string, start: number, end: number, file: string, record: number): JsonRecord {
  const line = lineAt(text, start);
  try {
    return { value: JSON.parse(text.slice(start, end)), record, line };
  } catch (e) {
    const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    const at = m ? lineAt(text, start + Number(m[1])) : line;
    throw new ValidationError(`${file}:${at}`, `record ${record} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/**
 * The records of a `ConvertTo-Json` file: a top-level array gives one record per element, a single
 * object (what the cmdlet writes for one result) one record. A UTF-8 BOM (Windows PowerShell's
 * `Out-File -Encoding utf8`) is skipped; UTF-16 (its default `>` redirection) is refused by name.
 */
export function jsonRecords(text: string, file: string): JsonRecord[] {
  if (text.includes('\u0000')) {
    throw new ValidationError(file, 'looks like UTF-16 (Windows PowerShell `>` writes it); re-export with `| Out-File -Encoding utf8`');
  }
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const skipWs = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipWs();
  if (i >= text.length) throw new ValidationError(file, 'is empty');
  if (text[i] === '{') {
    const end = valueEnd(text, i, file);
    const rec = parseRecord(text, i, end, file, 1);
    i = end;
    skipWs();
    if (i < text.length) throw new ValidationError(`${file}:${lineAt(text, i)}`, 'unexpected text after the record (two exports in one file?)');
    return [rec];
  }
  if (text[i] !== '[') throw new ValidationError(`${file}:${lineAt(text, i)}`, 'expected a JSON array or object (the output of `| ConvertTo-Json`)');
  i++;
  const out: JsonRecord[] = [];
  skipWs();
  if (text[i] === ']') i++;
  else {
    for (;;) {
      skipWs();
      if (i >= text.length) throw new ValidationError(`${file}:${lineAt(text, i)}`, 'the array is not closed (file cut short?)');
      const end = valueEnd(text, i, file);
      out.push(parseRecord(text, i, end, file, out.length + 1));
      i = end;
      skipWs();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        break;
      }
      throw new ValidationError(`${file}:${lineAt(text, i)}`, `expected ',' or ']' after record ${out.length}`);
    }
  }
  skipWs();
  if (i < text.length) throw new ValidationError(`${file}:${lineAt(text, i)}`, 'unexpected text after the array');
  return out;
}

/** A parsed XML element with the line it starts on. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, file: string, line: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, ent: string | undefined) => {
    if (!ent) throw new ValidationError(`${file}:${line}`, "a bare '&' (XML needs &amp;)");
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    const v = ENTITIES[ent];
    if (v === undefined) throw new ValidationError(`${file}:${line}`, `unknown entity ${m}`);
    return v;
  });
}

/**
 * Parses the XML the Connect tools write (elements, attributes, text, comments, declarations; no DTD)
 * into a tree with line numbers. Mismatched or unclosed tags are errors naming the line.
 */
export function parseXml(text: string, file: string): XmlElement {
  if (text.includes('\u0000')) throw new ValidationError(file, 'looks like UTF-16; re-save the export as UTF-8');
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  let line = 1;
  const advance = (to: number): void => {
    for (; i < to; i++) if (src.charCodeAt(i) === 10) line++;
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '', line: 1 };
  const stack: XmlElement[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt === -1 ? src.length : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      const top = stack[stack.length - 1]!;
      if (stack.length === 1 && raw.trim() !== '') throw new ValidationError(`${file}:${line}`, 'text outside the root element');
      const startLine = line;
      advance(textEnd);
      top.text += decodeEntities(raw, file, startLine);
    }
    if (lt === -1) break;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end === -1) throw new ValidationError(`${file}:${line}`, 'unterminated comment');
      advance(end + 3);
      continue;
    }
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end === -1) throw new ValidationError(`${file}:${line}`, 'unterminated declaration');
      advance(end + 2);
      continue;
    }
    if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end === -1) throw new ValidationError(`${file}:${line}`, 'unterminated CDATA section');
      stack[stack.length - 1]!.text += src.slice(i + 9, end);
      advance(end + 3);
      continue;
    }
    if (src.startsWith('<!', i)) throw new ValidationError(`${file}:${line}`, 'DTDs are not accepted in an export');
    const gt = findTagEnd(src, i);
    if (gt === -1) throw new ValidationError(`${file}:${line}`, 'unterminated tag (file cut short?)');
    const tagLine = line;
    const body = src.slice(i + 1, gt);
    advance(gt + 1);
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const top = stack.pop();
      if (!top || top === root || top.name !== name) {
        throw new ValidationError(`${file}:${tagLine}`, `closing tag </${name}> does not match <${top && top !== root ? top.name : '(none)'}>${top && top !== root ? ` opened on line ${top.line}` : ''}`);
      }
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const m = /^([A-Za-z_][\w.:-]*)/.exec(inner);
    if (!m) throw new ValidationError(`${file}:${tagLine}`, `malformed tag <${inner.slice(0, 40)}>`);
    const el: XmlElement = { name: m[1]!, attrs: parseAttrs(inner.slice(m[1]!.length), file, tagLine), children: [], text: '', line: tagLine };
    const parent = stack[stack.length - 1]!;
    if (parent === root && root.children.length > 0) throw new ValidationError(`${file}:${tagLine}`, 'a second root element (two exports in one file?)');
    parent.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw new ValidationError(`${file}:${open.line}`, `<${open.name}> is never closed (file cut short?)`);
  }
  const top = root.children[0];
  if (!top) throw new ValidationError(file, 'has no root element');
  return top;
}

function findTagEnd(src: string, from: number): number {
  let quote: string | null = null;
  for (let j = from + 1; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
    else if (c === '<') return -1;
  }
  return -1;
}

function parseAttrs(s: string, file: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/gy;
  let rest = s;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  let consumed = 0;
  while ((m = re.exec(rest)) !== null) {
    const name = m[1]!;
    if (name in out) throw new ValidationError(`${file}:${line}`, `attribute ${name} appears twice`);
    out[name] = decodeEntities(m[3] ?? m[4] ?? '', file, line);
    consumed = re.lastIndex;
  }
  rest = rest.slice(consumed);
  if (rest.trim() !== '') throw new ValidationError(`${file}:${line}`, `malformed attributes: ${rest.trim().slice(0, 40)}`);
  return out;
}

/** Children of `el` called `name` (namespace prefix ignored). */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => localName(c.name) === name);
}

export function localName(name: string): string {
  const k = name.indexOf(':');
  return k === -1 ? name : name.slice(k + 1);
}
