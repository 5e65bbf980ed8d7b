/**
 * Offline import of Entra ID users: saved `GET /users` pages (one page, an array of pages, or a bare
 * array of users) or `Get-MgUser ... | ConvertTo-Json` output (PascalCase keys; Windows PowerShell
 * 5.1 writes dates as "/Date(ms)/" and files as UTF-16). Every user goes through the same wire
 * schema as a live read; a bad user refuses the import naming file and field.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CloudUser } from '../core/model';
import { ValidationError } from '../core/errors';
import { parseUser } from './readers';

/** Decodes a text export: UTF-8 (with or without BOM) or UTF-16 LE/BE with BOM. */
export function decodeJsonText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return Buffer.from(bytes.subarray(2)).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const b = Buffer.from(bytes.subarray(2));
    for (let i = 0; i + 1 < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1]!, b[i]!];
    return b.toString('utf16le');
  }
  const text = Buffer.from(bytes).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/** PowerShell's shapes to Graph's: camelCase keys, ISO dates; `AdditionalProperties` merged in. */
function fromPowerShell(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    const key = k.length > 0 ? k[0]!.toLowerCase() + k.slice(1) : k;
    if (typeof v === 'string') {
      const ms = MS_DATE.exec(v);
      if (ms) v = new Date(Number(ms[1])).toISOString();
      // DateTime without offset from ConvertTo-Json: Graph times are UTC.
      else if (key.endsWith('DateTime') && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/.test(v)) v = `${v}Z`;
    }
    if (!(key in out) || out[key] === null || out[key] === undefined) out[key] = v;
  };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'AdditionalProperties' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [ak, av] of Object.entries(v)) put(ak, av);
    } else put(k, v);
  }
  return out;
}

function usersOf(doc: unknown, file: string): Array<{ raw: unknown; path: string }> {
  const isPage = (x: unknown): x is { value: unknown[] } => x !== null && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as { value?: unknown }).value);
  if (isPage(doc)) return doc.value.map((raw, i) => ({ raw, path: `value[${i}]` }));
  if (Array.isArray(doc)) {
    if (doc.length > 0 && doc.every(isPage)) return doc.flatMap((p, pi) => p.value.map((raw, i) => ({ raw, path: `[${pi}].value[${i}]` })));
    return doc.map((raw, i) => ({ raw, path: `[${i}]` }));
  }
  if (doc !== null && typeof doc === 'object') return [{ raw: doc, path: '(root)' }];
  throw new ValidationError(file, 'expected Graph /users pages or Get-MgUser | ConvertTo-Json output (an object or an array)');
}

/** Parses the text of a Graph users export; throws ValidationError naming `file: path.field`. */
export function parseGraphUsersJson(text: string, file = 'graph.json'): CloudUser[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const users: CloudUser[] = [];
  // One user twice (a page saved twice, a hand-merged file) refuses the import: keeping the first
  // copy would hide what the second says. onPremisesImmutableId is unique in a tenant too.
  const seenId = new Map<string, string>();
  const seenAnchor = new Map<string, string>();
  for (const { raw, path } of usersOf(doc, file)) {
    const r = parseUser(fromPowerShell(raw));
    if ('invalid' in r) {
      const first = r.invalid.message.split('; ')[0] ?? r.invalid.message;
      const m = /^user\.?([^:]*): (.*)$/.exec(first);
      const sub = m?.[1] ? (path === '(root)' ? m[1] : `${path}.${m[1]}`) : path;
      throw new ValidationError(`${file}: ${sub}`, m?.[2] ?? first);
    }
    const at = path === '(root)' ? 'the user' : path;
    const firstId = seenId.get(r.user.id);
    if (firstId !== undefined) throw new ValidationError(`${file}: ${at}`, `id ${r.user.id} is already the user at ${firstId}: one user appears twice in the file`);
    seenId.set(r.user.id, path);
    const anchor = r.user.onPremisesImmutableId;
    if (anchor) {
      const firstAnchor = seenAnchor.get(anchor);
      if (firstAnchor !== undefined) throw new ValidationError(`${file}: ${at}`, `onPremisesImmutableId ${anchor} is already the user at ${firstAnchor}: Entra ID keeps it unique, so the file is not one tenant's export`);
      seenAnchor.set(anchor, path);
    }
    users.push(r.user);
  }
  if (users.length === 0) throw new ValidationError(file, 'no users in the file');
  // Files without onPremises* properties were exported without $select / -Property: every verdict would be wrong.
  if (!users.some((u) => u.onPremisesImmutableId !== null || u.onPremisesSyncEnabled !== null)) {
    throw new ValidationError(
      file,
      'no user carries onPremisesImmutableId or onPremisesSyncEnabled: export with $select (Graph) or -Property (Get-MgUser) naming the onPremises* properties; see `syncdrift export-kit`',
    );
  }
  return users;
}

/** Reads a Graph users export file. */
export async function importGraphUsersFile(path: string): Promise<CloudUser[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ValidationError(path, `cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseGraphUsersJson(decodeJsonText(bytes), basename(path));
}

/** camelCase keys and ISO dates all the way down (Get-MgAuditLogDirectoryAudit | ConvertTo-Json output). */
export function fromPowerShellDeep(raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map(fromPowerShellDeep);
  if (raw === null || typeof raw !== 'object') {
    if (typeof raw === 'string') {
      const ms = MS_DATE.exec(raw);
      if (ms) return new Date(Number(ms[1])).toISOString();
    }
    return raw;
  }
  const shallow = fromPowerShell(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(shallow)) out[k] = fromPowerShellDeep(v);
  return out;
}

/** Reads a directoryAudits export (Graph pages or PowerShell output) into plain records for parseDirectoryAudits. */
export async function importAuditJsonFile(path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ValidationError(path, `cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return fromPowerShellDeep(JSON.parse(decodeJsonText(bytes)));
  } catch (e) {
    throw new ValidationError(basename(path), `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}
