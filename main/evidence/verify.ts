/**
 * Verifies an evidence package against its manifest: every listed file present with the same
 * SHA-256, nothing missing, nothing extra. Reads the zip with yauzl and treats it as hostile input:
 * entry names that could escape a folder (zip-slip), duplicates, oversize or too many entries are
 * reported, never extracted; nothing is written to disk. The central directory is checked before
 * anything is inflated: entries that share a local header or whose data overlaps (the overlapping
 * zip bomb, where every entry re-inflates the same bytes) refuse the package, and so does a total
 * uncompressed size beyond the inflate budget. Long verifications report progress and can be cancelled.
 */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { CancelledError, formatIssues } from '../core/errors';
import type { ProgressSink } from '../core/progress';
import { EvidenceManifest, MANIFEST_NAME } from './manifest';

export type EvidenceProblemKind = 'changed' | 'missing' | 'extra' | 'duplicate' | 'unsafe-name' | 'oversize' | 'overlap' | 'manifest-invalid' | 'unreadable';

export interface EvidenceProblem {
  kind: EvidenceProblemKind;
  /** The file inside the package (or the package itself for 'unreadable'). */
  file: string;
  message: string;
}

export type EvidenceVerification =
  | { ok: true; files: string[]; manifest: EvidenceManifest; manifestSha256: string }
  | { ok: false; problems: EvidenceProblem[]; manifest: EvidenceManifest | null; manifestSha256: string | null };

export interface VerifyEvidenceOptions {
  /** Largest uncompressed entry accepted (default 256 MiB). */
  maxEntryBytes?: number;
  /** Most entries accepted (default 200,000). */
  maxEntries?: number;
  /** Inflate budget: most uncompressed bytes of all entries together (default 4 GiB). */
  maxTotalBytes?: number;
  /** Cancels the verification: it then rejects with CancelledError. */
  signal?: AbortSignal;
  /** Progress in inflated bytes (phase 'verify', total = the entries' uncompressed sizes). */
  onProgress?: ProgressSink;
}

const DEFAULT_MAX_ENTRY = 256 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 200_000;
const DEFAULT_MAX_TOTAL = 4 * 1024 * 1024 * 1024;
/** A local file header without its name and extra field. */
const LOCAL_HEADER_BYTES = 30;
const PROGRESS_EVERY_BYTES = 1024 * 1024;
const WHAT = 'Verifying the evidence package';

/** Why a name is unsafe to extract anywhere, or null when it is a plain relative path. */
export function unsafeEntryName(name: string): string | null {
  if (name === '') return 'empty name';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  if (name.split('/').some((p) => p === '..' || p === '.')) return 'contains . or .. segments';
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return 'contains control characters';
  return null;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings false: yauzl would throw on a zip-slip name before we can name it as a problem.
    // autoClose false: the entries are listed first and read afterwards.
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

interface Listed {
  entry: yauzl.Entry;
  name: string;
  index: number;
}

/** Every central directory entry, without reading any file data. */
function listEntries(zip: yauzl.ZipFile, signal: AbortSignal | undefined): Promise<Listed[]> {
  return new Promise((resolve, reject) => {
    const out: Listed[] = [];
    zip.on('error', reject);
    zip.on('end', () => resolve(out));
    zip.on('entry', (entry: yauzl.Entry) => {
      if (signal?.aborted) return reject(new CancelledError(WHAT));
      const raw = entry.fileName as unknown as Buffer;
      // Bit 11: UTF-8 names; otherwise CP437, which for our ASCII names reads the same.
      const name = (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : raw.toString('latin1');
      out.push({ entry, name, index: out.length });
      zip.readEntry();
    });
    zip.readEntry();
  });
}

/**
 * Entries whose bytes are not their own: a shared local header offset, a header inside another
 * entry's data, or data running into the central directory. The end of an entry is at least its
 * fixed header and its compressed data (the local name and extra field, which the central directory
 * does not give, can only make it longer), so an honest zip is never refused.
 */
export function overlapProblems(entries: ReadonlyArray<{ name: string; offset: number; compressedSize: number }>, centralDirectoryOffset: number): EvidenceProblem[] {
  const problems: EvidenceProblem[] = [];
  const sorted = entries.map((e, i) => ({ ...e, i, end: e.offset + LOCAL_HEADER_BYTES + e.compressedSize })).sort((a, b) => a.offset - b.offset || a.i - b.i);
  let prev: (typeof sorted)[number] | null = null;
  for (const cur of sorted) {
    if (prev && cur.offset === prev.offset) problems.push({ kind: 'overlap', file: cur.name, message: `shares its local header (offset ${cur.offset}) with ${prev.name}: refused without inflating (an overlapping-entries zip bomb)` });
    else if (prev && cur.offset < prev.end) problems.push({ kind: 'overlap', file: cur.name, message: `its local header (offset ${cur.offset}) lies inside the data of ${prev.name} (bytes ${prev.offset}-${prev.end}): refused without inflating` });
    else if (cur.end > centralDirectoryOffset) problems.push({ kind: 'overlap', file: cur.name, message: `its data (bytes ${cur.offset}-${cur.end}) runs into the central directory (offset ${centralDirectoryOffset})` });
    if (!prev || cur.end > prev.end) prev = cur;
  }
  return problems;
}

function hashEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number, keep: boolean, onBytes: (n: number) => void, signal: AbortSignal | undefined): Promise<{ sha256: string; data: Buffer | null }> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const h = createHash('sha256');
      const chunks: Buffer[] = [];
      let n = 0;
      const onAbort = () => stream.destroy(new CancelledError(WHAT));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxBytes) {
          stream.destroy(new Error(`entry larger than ${maxBytes} bytes`));
          return;
        }
        h.update(c);
        if (keep) chunks.push(c);
        onBytes(c.length);
      });
      stream.on('error', (e) => {
        settle();
        reject(e);
      });
      stream.on('end', () => {
        settle();
        resolve({ sha256: h.digest('hex'), data: keep ? Buffer.concat(chunks) : null });
      });
    });
  });
}

/** Checks a package on disk; `ok` only when every hash matches and no file is missing or extra. Rejects with CancelledError when cancelled. */
export async function verifyEvidence(zipPath: string, options: VerifyEvidenceOptions = {}): Promise<EvidenceVerification> {
  const maxEntry = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL;
  const { signal } = options;
  const problems: EvidenceProblem[] = [];
  const hashes = new Map<string, string>();
  let manifestBytes: Buffer | null = null;
  const refuse = (p: EvidenceProblem[]): EvidenceVerification => ({ ok: false, problems: p, manifest: null, manifestSha256: null });

  if (signal?.aborted) throw new CancelledError(WHAT);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return refuse([{ kind: 'unreadable', file: zipPath, message: `not a readable zip: ${msg}` }]);
  }
  try {
    if (zip.entryCount > maxEntries) return refuse([{ kind: 'oversize', file: zipPath, message: `${zip.entryCount} entries (limit ${maxEntries})` }]);
    // Before the first readEntry, yauzl's cursor is the central directory's offset.
    const centralDirectoryOffset = Number((zip as unknown as { readEntryCursor: number }).readEntryCursor);
    let listed: Listed[];
    try {
      listed = await listEntries(zip, signal);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      return refuse([{ kind: 'unreadable', file: zipPath, message: e instanceof Error ? e.message : String(e) }]);
    }
    const overlaps = overlapProblems(
      listed.map(({ entry, name }) => ({ name, offset: entry.relativeOffsetOfLocalHeader, compressedSize: entry.compressedSize })),
      Number.isFinite(centralDirectoryOffset) ? centralDirectoryOffset : zip.fileSize,
    );
    if (overlaps.length > 0) return refuse(overlaps);

    const toRead: Listed[] = [];
    const names = new Set<string>();
    for (const l of listed) {
      const unsafe = unsafeEntryName(l.name);
      if (unsafe) problems.push({ kind: 'unsafe-name', file: l.name, message: `unsafe entry name (${unsafe}): never extracted` });
      else if (l.name.endsWith('/')) problems.push({ kind: 'extra', file: l.name, message: 'folder entry not listed in the manifest' });
      else if (names.has(l.name)) problems.push({ kind: 'duplicate', file: l.name, message: 'appears more than once in the zip' });
      else if (l.entry.uncompressedSize > maxEntry) problems.push({ kind: 'oversize', file: l.name, message: `${l.entry.uncompressedSize} bytes uncompressed (limit ${maxEntry})` });
      else toRead.push(l);
      names.add(l.name);
    }
    // The inflate budget, from the declared sizes (validateEntrySizes makes yauzl refuse a lie).
    const total = toRead.reduce((n, l) => n + l.entry.uncompressedSize, 0);
    if (total > maxTotal) return refuse([...problems, { kind: 'oversize', file: zipPath, message: `${total} bytes uncompressed in all (limit ${maxTotal}): refused without inflating` }]);

    let done = 0;
    let reported = -1;
    const report = (i: number, force: boolean) => {
      if (!options.onProgress || (!force && done - reported < PROGRESS_EVERY_BYTES)) return;
      reported = done;
      options.onProgress({ phase: 'verify', done, total, message: `${i} of ${toRead.length} files checked` });
    };
    report(0, true);
    for (const [i, l] of toRead.entries()) {
      if (signal?.aborted) throw new CancelledError(WHAT);
      try {
        const r = await hashEntry(
          zip,
          l.entry,
          maxEntry,
          l.name === MANIFEST_NAME,
          (n) => {
            done += n;
            report(i, false);
          },
          signal,
        );
        hashes.set(l.name, r.sha256);
        if (l.name === MANIFEST_NAME) manifestBytes = r.data;
      } catch (e) {
        if (e instanceof CancelledError || signal?.aborted) throw e instanceof CancelledError ? e : new CancelledError(WHAT);
        problems.push({ kind: 'unreadable', file: l.name, message: e instanceof Error ? e.message : String(e) });
      }
      report(i + 1, true);
    }
  } finally {
    zip.close();
  }

  const mBytes = manifestBytes as Buffer | null;
  if (mBytes === null) {
    if (!problems.some((p) => p.file === MANIFEST_NAME)) problems.push({ kind: 'missing', file: MANIFEST_NAME, message: 'the package has no manifest' });
    return { ok: false, problems, manifest: null, manifestSha256: null };
  }
  const manifestSha256 = createHash('sha256').update(mBytes).digest('hex');
  let manifest: EvidenceManifest;
  try {
    const parsed = EvidenceManifest.safeParse(JSON.parse(mBytes.toString('utf8')));
    if (!parsed.success) {
      problems.push({ kind: 'manifest-invalid', file: MANIFEST_NAME, message: formatIssues(parsed.error.issues, 'manifest') });
      return { ok: false, problems, manifest: null, manifestSha256 };
    }
    manifest = parsed.data;
  } catch (e) {
    problems.push({ kind: 'manifest-invalid', file: MANIFEST_NAME, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
    return { ok: false, problems, manifest: null, manifestSha256 };
  }

  for (const [file, expected] of Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (file === MANIFEST_NAME) {
      problems.push({ kind: 'manifest-invalid', file, message: 'the manifest lists itself' });
      continue;
    }
    const actual = hashes.get(file);
    if (actual === undefined) {
      if (!problems.some((p) => p.file === file)) problems.push({ kind: 'missing', file, message: 'listed in the manifest but not in the package' });
    } else if (actual !== expected) {
      problems.push({ kind: 'changed', file, message: `SHA-256 is ${actual}, the manifest says ${expected}` });
    }
  }
  for (const file of [...hashes.keys()].sort()) {
    if (file !== MANIFEST_NAME && !(file in manifest.files)) problems.push({ kind: 'extra', file, message: 'in the package but not in the manifest' });
  }
  if (problems.length > 0) return { ok: false, problems, manifest, manifestSha256 };
  return { ok: true, files: Object.keys(manifest.files).sort(), manifest, manifestSha256 };
}
