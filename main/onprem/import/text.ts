/** Decoding of exported text files: UTF-8 (with or without BOM) or UTF-16LE with BOM (ldifde -u, PowerShell 'Unicode'). */
import { ValidationError } from '../../core/errors';

export function decodeExportText(bytes: Uint8Array, file: string): string {
  const b = Buffer.from(bytes);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) throw new ValidationError(`${file}:1`, 'UTF-16 big-endian files are not supported: save as UTF-8');
  const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(start));
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    const line = text.slice(0, bad).split('\n').length;
    throw new ValidationError(`${file}:${line}`, 'not valid UTF-8 (was the file saved in a legacy code page? export with -Encoding UTF8)');
  }
  return text;
}
