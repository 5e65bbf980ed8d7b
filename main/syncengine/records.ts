/**
 * Record-level reading of the Connect exports: `ConvertTo-Json` text split into its top-level records
 * with the line each starts on (the XML reader is xml-reader.ts). Errors name the file and
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

type LineAt = (offset: number) => number;

/**
 * Line of an offset in `text`. Records are visited in file order, so the count goes on from the last
 * offset asked: once over the file, not once per record from the start (100k records were 100k scans).
 */
function lineCounter(text: string): LineAt {
  let at = 0;
  let line = 1;
  return (offset) => {
    const to = Math.min(offset, text.length);
    if (to < at) {
      at = 0;
      line = 1;
    }
    for (let nl = text.indexOf('\n', at); nl !== -1 && nl < to; nl = text.indexOf('\n', nl + 1)) line++;
    at = to;
    return line;
  };
}

/** End offset (exclusive) of the JSON value starting at `start` (object, array, string or scalar). */
function valueEnd(text: string, start: number, file: string, lineAt: LineAt): number {
  let depth = 0;
  let i = start;
  const first = text[i];
  if (first !== '{' && first !== '[') {
    if (first === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '"') return i + 1;
      }
      throw new ValidationError(`${file}:${lineAt(start)}`, 'unterminated string');
    }
    while (i < text.length && !/[,\]\s]/.test(text[i]!)) i++;
    return i;
  }
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) throw new ValidationError(`${file}:${lineAt(start)}`, 'unterminated string');
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new ValidationError(`${file}:${lineAt(start)}`, 'the record is not closed (file cut short?)');
}

function parseRecord(text: string, start: number, end: number, file: string, record: number, lineAt: LineAt): JsonRecord {
  const line = lineAt(start);
  try {
    return { value: JSON.parse(text.slice(start, end)), record, line };
  } catch (e) {
    const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    const at = m ? lineAt(start + Number(m[1])) : line;
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
  const lineAt = lineCounter(text);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const skipWs = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipWs();
  if (i >= text.length) throw new ValidationError(file, 'is empty');
  if (text[i] === '{') {
    const end = valueEnd(text, i, file, lineAt);
    const rec = parseRecord(text, i, end, file, 1, lineAt);
    i = end;
    skipWs();
    if (i < text.length) throw new ValidationError(`${file}:${lineAt(i)}`, 'unexpected text after the record (two exports in one file?)');
    return [rec];
  }
  if (text[i] !== '[') throw new ValidationError(`${file}:${lineAt(i)}`, 'expected a JSON array or object (the output of `| ConvertTo-Json`)');
  i++;
  const out: JsonRecord[] = [];
  skipWs();
  if (text[i] === ']') i++;
  else {
    for (;;) {
      skipWs();
      if (i >= text.length) throw new ValidationError(`${file}:${lineAt(i)}`, 'the array is not closed (file cut short?)');
      const end = valueEnd(text, i, file, lineAt);
      out.push(parseRecord(text, i, end, file, out.length + 1, lineAt));
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
      throw new ValidationError(`${file}:${lineAt(i)}`, `expected ',' or ']' after record ${out.length}`);
    }
  }
  skipWs();
  if (i < text.length) throw new ValidationError(`${file}:${lineAt(i)}`, 'unexpected text after the array');
  return out;
}

