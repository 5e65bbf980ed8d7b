/**
 * A small LDIF (RFC 2849) content reader: enough for the demo directory and for ldifde-style
 * exports of users (folded lines, comments, base64 values). Change records other than `add` and
 * URL values (`attr:< file://…`) are refused with the line that carries them.
 */
import { ValidationError } from '../core/errors';

export interface LdifRecord {
  dn: string;
  /** 1-based line of the `dn:` line, for error messages. */
  line: number;
  /** Attributes by lower-cased name (options like `;binary` stripped); values in file order. */
  attrs: Map<string, LdifValue[]>;
}

export interface LdifValue {
  /** Raw bytes for `::` values, UTF-8 text otherwise. */
  text: string;
  bytes: Buffer;
  base64: boolean;
  line: number;
}

interface Logical {
  text: string;
  line: number;
}

function logicalLines(source: string): Logical[] {
  const out: Logical[] = [];
  const physical = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] ?? '';
    if (raw.startsWith(' ') && out.length > 0) {
      const last = out[out.length - 1];
      // A folded continuation of a comment stays a comment; of a value, it is appended without the space.
      if (last && last.text !== '') last.text += raw.slice(1);
      continue;
    }
    out.push({ text: raw, line: i + 1 });
  }
  return out;
}

/** Parses LDIF content records. `file` names the source in error messages. */
export function parseLdif(source: string, file = 'ldif'): LdifRecord[] {
  const records: LdifRecord[] = [];
  let current: LdifRecord | null = null;
  const flush = () => {
    if (current) records.push(current);
    current = null;
  };
  for (const { text, line } of logicalLines(source)) {
    const where = `${file}:${line}`;
    if (text === '') {
      flush();
      continue;
    }
    if (text.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*|[0-9.]+)(::?|:<)\s?(.*)$/.exec(text);
    if (!m) throw new ValidationError(where, `not an LDIF line ("attribute: value" expected): ${text.slice(0, 60)}`);
    const [, rawName = '', sep, rawValue = ''] = m;
    const name = (rawName.split(';')[0] ?? rawName).toLowerCase();
    if (sep === ':<')
      throw new ValidationError(where, `URL values are not supported (${rawName}:< …); inline the value or base64 it`);
    let bytes: Buffer;
    if (sep === '::') {
      const b64 = rawValue.trim();
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ValidationError(where, `${rawName}: value is not valid base64`);
      bytes = Buffer.from(b64, 'base64');
    } else {
      bytes = Buffer.from(rawValue, 'utf8');
    }
    const value: LdifValue = { text: bytes.toString('utf8'), bytes, base64: sep === '::', line };
    if (current === null) {
      if (name === 'version') continue;
      if (name !== 'dn') throw new ValidationError(where, `a record must start with "dn:", found "${rawName}"`);
      if (!value.text.trim()) throw new ValidationError(where, 'empty dn');
      current = { dn: value.text.trim(), line, attrs: new Map() };
      continue;
    }
    if (name === 'changetype') {
      if (value.text.trim().toLowerCase() !== 'add') {
        throw new ValidationError(
          where,
          `changetype "${value.text.trim()}" is not supported: only content records and changetype add`,
        );
      }
      continue;
    }
    if (name === '-') continue;
    if (name === 'dn') throw new ValidationError(where, `a second "dn:" inside the record that starts on line ${current.line}: records must be separated by a blank line`);
    const rec: LdifRecord = current;
    const list = rec.attrs.get(name) ?? [];
    list.push(value);
    rec.attrs.set(name, list);
  }
  flush();
  return records;
}

/** Text of an LDIF attribute value, folded to lines of at most 76 characters; base64 when LDIF needs it. */
export function formatLdifLine(name: string, value: string | Buffer): string {
  let line: string;
  if (Buffer.isBuffer(value)) {
    line = `${name}:: ${value.toString('base64')}`;
  } else {
    // RFC 2849 SAFE-STRING: ASCII without NUL/CR/LF, not starting with space, ':' or '<', not ending with space.
    const safe = isSafeString(value);
    line = safe || value === '' ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
  }
  if (line.length <= 76) return line;
  const parts = [line.slice(0, 76)];
  for (let i = 76; i < line.length; i += 75) parts.push(' ' + line.slice(i, i + 75));
  return parts.join('\n');
}

function isSafeString(value: string): boolean {
  if (value.endsWith(' ')) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13 || c > 127) return false;
    if (i === 0 && (c === 32 || c === 58 || c === 60)) return false;
  }
  return true;
}
