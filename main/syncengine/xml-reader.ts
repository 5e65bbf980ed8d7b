/**
 * An incremental XML reader for the Connect exports: text is written in chunks (a file stream's
 * pieces, or one string), elements come out as small line-numbered trees. With `streamChildren` the
 * root's children are handed to `onElement` one by one as each closes and are not kept, so a
 * 100k-object connector-space export is never a tree in memory; only the object being read is.
 * Accepts elements, attributes, text, comments, declarations and CDATA; refuses DTDs. Every error
 * names the file and the line. Pure.
 */
import { ValidationError } from '../core/errors';

/** A parsed XML element with the line it starts on. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

/**
 * A flat copy of `s`, a slice of a reader's buffer (or of a JSON record's text): V8 keeps a whole
 * parent string alive for any slice of it, so an object keeping slices would keep the export's chunks
 * (the whole file, at 100k objects) alive until the join and the join's engine objects for the whole
 * scan. The readers hand out only owned strings, so the chunks die as soon as the reader moves on
 * and the join copies nothing.
 */
export function ownString(s: string): string {
  // V8 copies slices under 13 characters anyway. A longer one is joined from two pieces: join writes
  // them into one fresh flat string of exactly `s` (a concatenation flattened, or trimmed, would be
  // a slice of a fresh string: two objects to keep, and more garbage on the way).
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string, file: string, line: number): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, ent: string | undefined) => {
    if (!ent) throw new ValidationError(`${file}:${line}`, "a bare '&' (XML needs &amp;)");
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    const v = ENTITIES[ent];
    if (v === undefined) throw new ValidationError(`${file}:${line}`, `unknown entity ${m}`);
    return v;
  });
}

function isBlankText(s: string): boolean {
  return s.trim() === '';
}

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
/** [\w.:-] */
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 58) || c === 46 || c === 45;
/** XML whitespace (space, tab, CR, LF): runs of it are short, a loop beats a regex call here. */
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** End of the run of whitespace at `from`. */
function skipSpaces(s: string, from: number): number {
  let i = from;
  while (isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** End of the XML name at `from`, or `from` when there is none. */
function nameEnd(s: string, from: number, to: number): number {
  if (from >= to || !isNameStart(s.charCodeAt(from))) return from;
  let i = from + 1;
  while (i < to && isNameChar(s.charCodeAt(i))) i++;
  return i;
}

/** Attributes in s[from, to) (a start tag's inside after its name), scanned in place: no slice of the tag. */
function parseAttrs(s: string, from: number, to: number, file: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = from;
  for (;;) {
    const start = i;
    i = Math.min(skipSpaces(s, i), to);
    if (i >= to) return out;
    const ne = nameEnd(s, i, to);
    if (ne === i) break;
    const name = s.slice(i, ne);
    let k = Math.min(skipSpaces(s, ne), to);
    if (s.charCodeAt(k) !== 61 /* = */) {
      i = start;
      break;
    }
    k = Math.min(skipSpaces(s, k + 1), to);
    const q = s.charCodeAt(k);
    const close = q === 34 || q === 39 ? s.indexOf(q === 34 ? '"' : "'", k + 1) : -1;
    if (close === -1 || close >= to) {
      i = start;
      break;
    }
    if (Object.hasOwn(out, name)) throw new ValidationError(`${file}:${line}`, `attribute ${name} appears twice`);
    out[name] = decodeEntities(s.slice(k + 1, close), file, line);
    i = close + 1;
  }
  const rest = s.slice(i, to).trim();
  if (rest !== '') throw new ValidationError(`${file}:${line}`, `malformed attributes: ${rest.slice(0, 40)}`);
  return out;
}

/** A tag's inside: runs of plain characters and quoted values (a '>' inside quotes does not end it). */
const TAG_BODY = /(?:[^"'<>]+|"[^"]*"|'[^']*')*/y;

export interface XmlReaderOptions {
  file: string;
  /**
   * Called with the root element when its start tag has been read (name, attributes, line; no
   * children yet). Return true to stream its children to `onElement` instead of keeping them.
   */
  onRoot?: (root: XmlElement) => boolean;
  /** Each child of a streamed root, complete, as its end tag is read. */
  onElement?: (el: XmlElement) => void;
  /**
   * A fast path for the streamed root's children called `name`: given the buffered text, the offset
   * of the child's '<' and the line it starts on, `read` takes the child and returns the offset just
   * past its (first) `</name>`, or returns -1 to have it read tag by tag (and any error found the usual
   * way). It may be handed a child whose end is not buffered yet: it then returns -1, and is handed
   * the child again once its end tag is.
   */
  fastChild?: { name: string; read: (src: string, from: number, line: number) => number };
}

/** How far ahead the fast path looks for a child's end tag before reading it tag by tag. */
const FAST_WINDOW = 1 << 20;

export class XmlReader {
  private readonly file: string;
  private readonly onRoot: ((root: XmlElement) => boolean) | undefined;
  private readonly onElement: ((el: XmlElement) => void) | undefined;
  private readonly fast: { open: string; close: string; read: (src: string, from: number, line: number) => number } | null;
  private buf = '';
  private pos = 0;
  /** Chunks written while the unread rest of `buf` is longer than they are (see write). */
  private pending: string[] = [];
  private pendingLength = 0;
  /** Offset in `buf` of the next newline at or after `pos`, -1 when none is buffered. */
  private nextNl = -1;
  private line = 1;
  private started = false;
  private readonly doc: XmlElement = { name: '#document', attrs: {}, children: [], text: '', line: 1 };
  private readonly stack: XmlElement[] = [this.doc];
  private streaming = false;
  /** Characters consumed so far (for progress). */
  consumed = 0;

  constructor(options: XmlReaderOptions) {
    this.file = options.file;
    this.onRoot = options.onRoot;
    this.onElement = options.onElement;
    this.fast = options.fastChild ? { open: `<${options.fastChild.name}`, close: `</${options.fastChild.name}>`, read: options.fastChild.read } : null;
  }

  write(chunk: string): void {
    if (chunk.length === 0) return;
    if (!this.started) {
      if (chunk.includes('\u0000')) throw new ValidationError(this.file, 'looks like UTF-16; re-save the export as UTF-8');
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      this.started = true;
    } else if (chunk.includes('\u0000')) {
      throw new ValidationError(`${this.file}:${this.line}`, 'a NUL character (UTF-16 or a binary file?)');
    }
    const left = this.buf.length - this.pos;
    if (left > 0 && this.pendingLength + chunk.length < left) {
      // What is left unread is one construct (an object, a text) longer than the chunks: gather chunks
      // until they are as long as it, so a long object is copied a few times, not once per chunk.
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      return;
    }
    this.take(chunk);
    this.run(false);
  }

  /** The unread rest of the buffer, the gathered chunks and `chunk` become the buffer. */
  private take(chunk: string): void {
    const rest = this.pos < this.buf.length ? this.buf.slice(this.pos) : '';
    const gathered = this.pending.length > 0 ? this.pending.join('') : '';
    this.pending = [];
    this.pendingLength = 0;
    this.buf = rest + gathered + chunk;
    this.pos = 0;
    this.nextNl = this.buf.indexOf('\n');
  }

  /** Ends the input; returns the root element (for a streamed root: without its streamed children). */
  end(): XmlElement {
    if (this.pending.length > 0) this.take('');
    this.run(true);
    if (this.stack.length > 1) {
      const open = this.stack[this.stack.length - 1]!;
      throw new ValidationError(`${this.file}:${open.line}`, `<${open.name}> is never closed (file cut short?)`);
    }
    const top = this.doc.children[0];
    if (!top) throw new ValidationError(this.file, 'has no root element');
    return top;
  }

  /** Consumes buf[pos, to), counting its newlines. */
  private advance(to: number): void {
    this.consumed += to - this.pos;
    while (this.nextNl !== -1 && this.nextNl < to) {
      this.line++;
      this.nextNl = this.buf.indexOf('\n', this.nextNl + 1);
    }
    this.pos = to;
  }

  private fail(line: number, message: string): never {
    throw new ValidationError(`${this.file}:${line}`, message);
  }

  private text(raw: string, line: number): void {
    const top = this.stack[this.stack.length - 1]!;
    if (this.stack.length === 1) {
      if (!isBlankText(raw)) this.fail(line, 'text outside the root element');
      return;
    }
    // A streamed root's own text is whitespace between objects: nobody reads it, so it is not kept.
    if (this.streaming && this.stack.length === 2) return;
    top.text += decodeEntities(raw, this.file, line);
  }

  private run(final: boolean): void {
    const src = this.buf;
    const n = src.length;
    while (this.pos < n) {
      const i = this.pos;
      const lt = src.indexOf('<', i);
      if (lt === -1) {
        // Text up to the end of what is buffered: it may go on in the next chunk (or split an entity).
        if (!final) return;
        const line = this.line;
        const raw = src.slice(i);
        this.advance(n);
        this.text(raw, line);
        return;
      }
      if (lt > i) {
        const line = this.line;
        const top = this.stack[this.stack.length - 1]!;
        // Blank text after a child element (or between a streamed root's objects) is layout: skipped unsliced.
        const layout = (top.children.length > 0 || (this.streaming && this.stack.length === 2)) && skipSpaces(src, i) >= lt;
        if (layout) this.advance(lt);
        else {
          const raw = src.slice(i, lt);
          this.advance(lt);
          this.text(raw, line);
        }
      }
      const fast = this.fast;
      if (fast && this.streaming && this.stack.length === 2 && src.startsWith(fast.open, lt)) {
        const c = src.charCodeAt(lt + fast.open.length);
        if (c === 32 || c === 62 || c === 10 || c === 13 || c === 9) {
          const end = fast.read(src, lt, this.line);
          if (end > lt) {
            this.advance(end);
            continue;
          }
          // Declined, or its end is in a chunk still to come: then wait for it (the fast path may take it).
          if (!final && n - lt < FAST_WINDOW && src.indexOf(fast.close, lt) === -1) return;
        }
      }
      if (!final && n - lt < 9) return; // not enough to tell a comment/CDATA/declaration from a tag
      const c1 = src.charCodeAt(lt + 1);
      if (c1 === 33 /* ! */ || c1 === 63 /* ? */) {
        let close: string;
        let what: string;
        let skip = 0;
        if (src.startsWith('<!--', lt)) [close, what] = ['-->', 'comment'];
        else if (c1 === 63) [close, what] = ['?>', 'declaration'];
        else if (src.startsWith('<![CDATA[', lt)) [close, what, skip] = [']]>', 'CDATA section', 9];
        else this.fail(this.line, 'DTDs are not accepted in an export');
        const end = src.indexOf(close, lt + 2);
        if (end === -1) {
          if (!final) return;
          this.fail(this.line, `unterminated ${what}`);
        }
        if (skip) {
          if (this.stack.length === 1) this.fail(this.line, 'text outside the root element');
          this.stack[this.stack.length - 1]!.text += src.slice(lt + skip, end);
        }
        this.advance(end + close.length);
        continue;
      }
      const gt = this.tagEnd(src, lt);
      if (gt === -1) {
        if (!final) return;
        this.fail(this.line, 'unterminated tag (file cut short?)');
      }
      if (gt === -2) this.fail(this.line, 'unterminated tag (file cut short?)');
      const tagLine = this.line;
      this.advance(gt + 1);
      if (c1 === 47 /* / */) this.closeTag(src.slice(lt + 2, gt).trim(), tagLine);
      else this.openTag(src, lt + 1, gt, tagLine);
    }
  }

  /** Offset of the '>' ending the tag at `from`; -1 when the buffer ends first, -2 when a '<' comes first. */
  private tagEnd(src: string, from: number): number {
    TAG_BODY.lastIndex = from + 1;
    TAG_BODY.test(src);
    const j = TAG_BODY.lastIndex;
    const c = src.charCodeAt(j);
    if (c === 62) return j;
    if (c === 60) return -2;
    return -1; // end of the buffer, or a quote that does not close in it
  }

  private closeTag(name: string, line: number): void {
    const stack = this.stack;
    const top = stack.pop();
    if (!top || top === this.doc || top.name !== name) {
      const open = top && top !== this.doc ? top : null;
      this.fail(line, `closing tag </${name}> does not match <${open ? open.name : '(none)'}>${open ? ` opened on line ${open.line}` : ''}`);
    }
    if (this.streaming && stack.length === 2) this.onElement?.(top);
  }

  private openTag(src: string, start: number, gt: number, line: number): void {
    const selfClosing = src.charCodeAt(gt - 1) === 47;
    const innerEnd = selfClosing ? gt - 1 : gt;
    const j = nameEnd(src, start, innerEnd);
    if (j === start) this.fail(line, `malformed tag <${src.slice(start, innerEnd).slice(0, 40)}>`);
    const el: XmlElement = { name: src.slice(start, j), attrs: parseAttrs(src, j, innerEnd, this.file, line), children: [], text: '', line };
    const stack = this.stack;
    const parent = stack[stack.length - 1]!;
    if (parent === this.doc) {
      if (this.doc.children.length > 0) this.fail(line, 'a second root element (two exports in one file?)');
      this.doc.children.push(el);
      this.streaming = this.onRoot?.(el) ?? false;
      if (selfClosing) return;
      stack.push(el);
      return;
    }
    if (!(this.streaming && stack.length === 2)) {
      // Whitespace before an element's first child is layout, not content: an element with children
      // keeps only non-blank text (nothing reads the text of such an element; leaves keep theirs).
      if (parent.children.length === 0 && parent.text !== '' && isBlankText(parent.text)) parent.text = '';
      parent.children.push(el);
    }
    if (selfClosing) {
      if (this.streaming && stack.length === 2) this.onElement?.(el);
      return;
    }
    stack.push(el);
  }
}

/**
 * Parses a whole (small) XML text into a tree with line numbers: an object's SerializedXml, a test's
 * fixture. Mismatched or unclosed tags are errors naming the line.
 */
export function parseXml(text: string, file: string): XmlElement {
  const r = new XmlReader({ file });
  r.write(text);
  return r.end();
}

/** Children of `el` called `name` (namespace prefix ignored). */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => localName(c.name) === name);
}

export function localName(name: string): string {
  const k = name.indexOf(':');
  return k === -1 ? name : name.slice(k + 1);
}
