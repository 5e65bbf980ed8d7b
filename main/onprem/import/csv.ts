/**
 * The export kit's CSV (Get-ADUser with calculated properties; see export-kit.ts): byte arrays as
 * Base64, objectGUID as .NET text (mixed-endian), objectSid as S-1-5-…, multi-values joined with
 * '|', whenChanged as ISO 8601. A plain Export-Csv writes 'System.Byte[]' instead of bytes: that
 * file is refused with a message saying how to export properly.
 */
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../core/errors';
import { guidFromText, sidFromText } from '../decoders';
import { EXPORTED_ATTRIBUTES, type RawEntry } from '../entry';
import { snapshotFrom, type ImportOptions, type SnapshotDirectory } from './snapshot';
import { decodeExportText } from './text';

export const CSV_MULTI_SEPARATOR = '|';

/**
 * Columns the kit writes, in order (header matching is case-insensitive): Get-ADUser's own names for
 * the DN and GUID, then the exported attributes (objectClass is implied by the Get-ADUser filter).
 */
export const CSV_COLUMNS: readonly string[] = ['DistinguishedName', 'ObjectGUID', ...EXPORTED_ATTRIBUTES.filter((a) => a !== 'objectClass' && a !== 'objectGUID')];

const REQUIRED = ['distinguishedname', 'objectguid'];
const BASE64_COLUMNS = new Set(['ms-ds-consistencyguid', 'replpropertymetadata']);
const MULTI_COLUMNS = new Set(['othermobile']);
const TYPE_NAME_TRAP = /^(System\.Byte\[\]|Microsoft\.ActiveDirectory\.Management\.ADPropertyValueCollection|System\.Object\[\])$/;

/** RFC 4180 records with the physical line each starts on (quoted fields may span lines). */
export function parseCsvRecords(text: string, file: string): Array<{ fields: string[]; line: number }> {
  const out: Array<{ fields: string[]; line: number }> = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new ValidationError(`${file}:${startLine}`, 'a quoted field is not closed before the end of the file');
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          value += ch;
          i++;
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new ValidationError(`${file}:${line}`, 'text after a closing quote (a quote inside a field must be doubled)');
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new ValidationError(`${file}:${line}`, 'a quote inside an unquoted field');
          value += text[i];
          i++;
        }
      }
      fields.push(value);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) out.push({ fields, line: startLine });
  }
  return out;
}

function isoToGeneralizedTime(v: string, where: string): string {
  if (/^\d{14}(\.\d+)?Z$/.test(v)) return v;
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) throw new ValidationError(where, `'${v}' is not an ISO 8601 time`);
  return `${new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 14)}.0Z`;
}

/** Parses the kit's CSV into entries. Throws ValidationError(file:line) naming the column. */
export function parseAdCsv(text: string, options: { file: string; anchorAttribute?: string }): Array<{ entry: RawEntry; line: number }> {
  const { file } = options;
  const records = parseCsvRecords(text, file).filter((r) => !(r.fields.length === 1 && r.fields[0]?.startsWith('#TYPE')));
  const header = records.shift();
  if (!header) throw new ValidationError(`${file}:1`, 'the file is empty');
  const cols = header.fields.map((h) => h.trim().toLowerCase());
  for (const req of REQUIRED) {
    if (!cols.includes(req)) throw new ValidationError(`${file}:${header.line}`, `the header lacks the column ${CSV_COLUMNS.find((c) => c.toLowerCase() === req)} (was this file made with the export kit?)`);
  }
  const anchor = options.anchorAttribute?.toLowerCase();
  const base64Cols = new Set(BASE64_COLUMNS);
  if (anchor && anchor !== 'objectguid' && anchor !== 'ms-ds-consistencyguid') base64Cols.add(anchor);
  if (records.length === 0) throw new ValidationError(`${file}:${header.line + 1}`, 'no users after the header');
  return records.map(({ fields, line }) => {
    const where = `${file}:${line}`;
    if (fields.length !== cols.length) throw new ValidationError(where, `${fields.length} fields, but the header has ${cols.length} columns`);
    const attrs: RawEntry['attrs'] = {};
    let dn = '';
    cols.forEach((col, idx) => {
      const v = (fields[idx] ?? '').trim();
      const header0 = header.fields[idx] ?? col;
      if (TYPE_NAME_TRAP.test(v)) {
        throw new ValidationError(
          where,
          `column ${header0} holds the text '${v}' instead of the value: the file was written by a plain Export-Csv, which loses byte arrays and multi-values. Re-export with the export kit (syncdrift export-kit), whose commands keep bytes as Base64 and join multi-values.`,
          { code: 'IMPORT_SYSTEM_BYTE_ARRAY' },
        );
      }
      if (v === '') return;
      try {
        if (col === 'distinguishedname') dn = v;
        else if (col === 'objectguid') attrs.objectguid = [guidFromText(v, `${where} ObjectGUID`)];
        else if (col === 'objectsid') attrs.objectsid = [sidFromText(v, `${where} objectSid`)];
        else if (base64Cols.has(col)) {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new ValidationError(`${where}`, `column ${header0} is not Base64`);
          attrs[col] = [Buffer.from(v, 'base64')];
        } else if (MULTI_COLUMNS.has(col)) attrs[col] = v.split(CSV_MULTI_SEPARATOR).map((s) => s.trim()).filter(Boolean);
        else if (col === 'whenchanged') attrs.whenchanged = [isoToGeneralizedTime(v, where)];
        else if (col === 'iscriticalsystemobject') attrs.iscriticalsystemobject = [v.toUpperCase()];
        else attrs[col] = [v];
      } catch (e) {
        if (e instanceof ValidationError && e.field.startsWith(where)) throw new ValidationError(where, e.message.replace(/^[^:]+:\d+[^:]*: /, `column ${header0}: `), { cause: e });
        throw e;
      }
    });
    if (!dn) throw new ValidationError(where, 'DistinguishedName is empty');
    return { entry: { dn, attrs }, line };
  });
}

/** Imports the kit's CSV (text or bytes) as a read-only snapshot: all users or none. */
export function importAdCsv(content: string | Uint8Array, options: ImportOptions): SnapshotDirectory {
  const text = typeof content === 'string' ? content.replace(/^\uFEFF/, '') : decodeExportText(content, options.file);
  return snapshotFrom(parseAdCsv(text, { file: options.file, anchorAttribute: options.anchorAttribute }), options, 'CSV');
}

export async function importAdCsvFile(path: string, options: Omit<ImportOptions, 'file'> & { file?: string } = {}): Promise<SnapshotDirectory> {
  return importAdCsv(await readFile(path), { ...options, file: options.file ?? path });
}
