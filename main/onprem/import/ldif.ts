/**
 * LDIF as `ldifde -f` writes it: records separated by blank lines, `changetype: add`, folded
 * lines (continuations start with one space), `attr:: base64` for binary and non-ASCII values.
 * Only content records (or changetype add) are accepted; anything else refuses the file.
 */
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../core/errors';
import { BINARY_ATTRIBUTES, USER_ATTRIBUTES, type RawEntry } from '../entry';
import { snapshotFrom, type ImportOptions, type SnapshotDirectory } from './snapshot';
import { decodeExportText } from './text';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What AD holds one value of: a second line for one of these means two records ran into each other. */
const SINGLE_VALUED = new Set(USER_ATTRIBUTES.filter((a) => a !== 'otherMobile' && a !== 'msDS-ReplAttributeMetaData').map((a) => a.toLowerCase()));

/** Parses LDIF text into entries with the line each record starts on. Throws ValidationError(file:line). */
export function parseLdif(text: string, options: { file: string; binaryAttributes?: readonly string[] }): Array<{ entry: RawEntry; line: number }> {
  const binary = new Set([...BINARY_ATTRIBUTES, ...(options.binaryAttributes ?? [])].map((a) => a.toLowerCase()));
  const single = new Set([...SINGLE_VALUED, ...(options.binaryAttributes ?? []).map((a) => a.toLowerCase())]);
  const lines = text.split(/\r?\n/);
  // Unfold: a line starting with a single space continues the previous one.
  const logical: Array<{ text: string; line: number }> = [];
  lines.forEach((raw, i) => {
    if (raw.startsWith(' ')) {
      const prev = logical[logical.length - 1];
      if (!prev || prev.text === '') throw new ValidationError(`${options.file}:${i + 1}`, 'a continuation line (starting with a space) follows no attribute line');
      prev.text += raw.slice(1);
    } else logical.push({ text: raw, line: i + 1 });
  });
  const out: Array<{ entry: RawEntry; line: number }> = [];
  let cur: { entry: RawEntry; line: number } | null = null;
  const fail = (line: number, reason: string): never => {
    throw new ValidationError(`${options.file}:${line}`, reason);
  };
  for (const { text: l, line } of logical) {
    if (l.startsWith('#')) continue;
    if (l.trim() === '') {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*)(::?|:<)\s?(.*)$/.exec(l);
    if (!m) fail(line, `not an LDIF line ('attribute: value' expected): ${l.slice(0, 60)}`);
    const [, nameWithOptions = '', sep, value = ''] = m ?? [];
    const shown = nameWithOptions.split(';')[0] ?? '';
    const name = shown.toLowerCase();
    if (sep === ':<') fail(line, `${shown}: values by URL (':<') are not supported; export the value itself`);
    let bytes: Buffer | null = null;
    if (sep === '::') {
      const v = value.trim();
      if (!BASE64.test(v) || v.length % 4 !== 0) fail(line, `${shown}: the value after '::' is not valid Base64`);
      bytes = Buffer.from(v, 'base64');
    }
    if (!cur) {
      if (name === 'version') continue;
      if (name !== 'dn') fail(line, `a record must start with 'dn:', found '${name}:'`);
      const dn = bytes ? bytes.toString('utf8') : value;
      if (!dn.includes('=')) fail(line, `'${dn}' is not a distinguished name`);
      cur = { entry: { dn, attrs: {} }, line };
      continue;
    }
    if (name === 'changetype') {
      if (value.trim().toLowerCase() !== 'add') fail(line, `changetype '${value.trim()}' is not an export: only content records (or changetype: add) can be imported`);
      continue;
    }
    if (name === '-') fail(line, "modify records ('-') are not an export");
    // A record that lost its blank line swallows the next user: refuse it instead of merging the two.
    if (name === 'dn') fail(line, `a second 'dn:' inside the record that starts on line ${cur.line}: records must be separated by a blank line`);
    const list = (cur.entry.attrs[name] ??= []);
    if (list.length > 0 && single.has(name)) fail(line, `${shown} appears twice in the record that starts on line ${cur.line}: AD holds one value (were two records joined?)`);
    list.push(bytes ? (binary.has(name) ? bytes : bytes.toString('utf8')) : binary.has(name) ? fail(line, `${shown} is binary but was written as text: export with ldifde (it writes binary values as Base64)`) : value);
  }
  if (cur) out.push(cur);
  if (out.length === 0) throw new ValidationError(`${options.file}:1`, 'no LDIF records found');
  return out;
}

/** Imports an ldifde export (text or bytes) as a read-only snapshot: all users or none. */
export function importLdif(content: string | Uint8Array, options: ImportOptions): SnapshotDirectory {
  const text = typeof content === 'string' ? content.replace(/^\uFEFF/, '') : decodeExportText(content, options.file);
  const entries = parseLdif(text, { file: options.file, binaryAttributes: options.anchorAttribute ? [options.anchorAttribute] : [] });
  // Keep user objects only (ldifde may also export OUs or contacts from a broad filter).
  const users = entries.filter(({ entry }) => {
    const oc = (entry.attrs.objectclass ?? []).map((v) => String(v).toLowerCase());
    return oc.length === 0 || (oc.includes('user') && !oc.includes('computer'));
  });
  return snapshotFrom(users, options, 'LDIF');
}

export async function importLdifFile(path: string, options: Omit<ImportOptions, 'file'> & { file?: string } = {}): Promise<SnapshotDirectory> {
  return importLdif(await readFile(path), { ...options, file: options.file ?? path });
}
