/**
 * Verifies an evidence package against its manifest: every listed file present with the same
 * SHA-256, nothing missing, nothing extra. Reads the zip with yauzl and treats it as hostile input:
 * entry names that could escape a folder (zip-slip), duplicates, oversize or too many entries are
 * reported, never extracted; nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { formatIssues } from '../core/errors';
import { EvidenceManifest, MANIFEST_NAME } from './manifest';

export type EvidenceProblemKind = 'changed' | 'missing' | 'extra' | 'duplicate' | 'unsafe-name' | 'oversize' | 'manifest-invalid' | 'unreadable';

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
}

const DEFAULT_MAX_ENTRY = 256 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 200_000;

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
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function hashEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number, keep: boolean): Promise<{ sha256: string; data: Buffer | null }> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const h = createHash('sha256');
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxBytes) {
          stream.destroy(new Error(`entry larger than ${maxBytes} bytes`));
          return;
        }
        h.update(c);
        if (keep) chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve({ sha256: h.digest('hex'), data: keep ? Buffer.concat(chunks) : null }));
    });
  });
}

/** Checks a package on disk; `ok` only when every hash matches and no file is missing or extra. */
export async function verifyEvidence(zipPath: string, options: VerifyEvidenceOptions = {}): Promise<EvidenceVerification> {
  const maxEntry = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const problems: EvidenceProblem[] = [];
  const hashes = new Map<string, string>();
  let manifestBytes: Buffer | null = null;

  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, problems: [{ kind: 'unreadable', file: zipPath, message: `not a readable zip: ${msg}` }], manifest: null, manifestSha256: null };
  }
  if (zip.entryCount > maxEntries) {
    zip.close();
    return { ok: false, problems: [{ kind: 'oversize', file: zipPath, message: `${zip.entryCount} entries (limit ${maxEntries})` }], manifest: null, manifestSha256: null };
  }

  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const raw = entry.fileName as unknown as Buffer;
          // Bit 11: UTF-8 names; otherwise CP437, which for our ASCII names reads the same.
          const name = (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : raw.toString('latin1');
          const unsafe = unsafeEntryName(name);
          if (unsafe) {
            problems.push({ kind: 'unsafe-name', file: name, message: `unsafe entry name (${unsafe}): never extracted` });
          } else if (name.endsWith('/')) {
            problems.push({ kind: 'extra', file: name, message: 'folder entry not listed in the manifest' });
          } else if (hashes.has(name)) {
            problems.push({ kind: 'duplicate', file: name, message: 'appears more than once in the zip' });
          } else if (entry.uncompressedSize > maxEntry) {
            problems.push({ kind: 'oversize', file: name, message: `${entry.uncompressedSize} bytes uncompressed (limit ${maxEntry})` });
          } else {
            try {
              const r = await hashEntry(zip, entry, maxEntry, name === MANIFEST_NAME);
              hashes.set(name, r.sha256);
              if (name === MANIFEST_NAME) manifestBytes = r.data;
            } catch (e) {
              problems.push({ kind: 'unreadable', file: name, message: e instanceof Error ? e.message : String(e) });
            }
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } catch (e) {
    problems.push({ kind: 'unreadable', file: zipPath, message: e instanceof Error ? e.message : String(e) });
    return { ok: false, problems, manifest: null, manifestSha256: null };
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
