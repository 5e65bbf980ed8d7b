/**
 * Crafted evidence zips must cost seconds at most, never hours: entries that share one local header
 * or whose data overlaps (the "overlapping files" zip bomb: every entry re-inflates the same bytes)
 * are refused from the central directory alone, before anything is inflated; a total inflate budget
 * bounds honest-looking zips; and verification is cancellable with progress.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyEvidence } from '../../main/evidence/verify';
import { CancelledError } from '../../main/core/errors';
import { writeZip } from '../support/evidence-zip';

const dir = mkdtempSync(join(tmpdir(), 'sd-zip-bomb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CentralEntry {
  name: string;
  offset: number;
  compressedSize: number;
  uncompressedSize: number;
  crc: number;
}

function localHeader(name: string, data: Buffer, uncompressedSize: number, crc: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0, 6);
  h.writeUInt16LE(8, 8); // deflate
  h.writeUInt32LE(crc, 14);
  h.writeUInt32LE(data.length, 18);
  h.writeUInt32LE(uncompressedSize, 22);
  h.writeUInt16LE(Buffer.byteLength(name), 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, Buffer.from(name), data]);
}

function centralDirectory(entries: CentralEntry[], at: number): Buffer {
  const parts = entries.map((e) => {
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(e.crc, 16);
    c.writeUInt32LE(e.compressedSize, 20);
    c.writeUInt32LE(e.uncompressedSize, 24);
    c.writeUInt16LE(Buffer.byteLength(e.name), 28);
    c.writeUInt32LE(e.offset, 42);
    return Buffer.concat([c, Buffer.from(e.name)]);
  });
  const cd = Buffer.concat(parts);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(at, 16);
  return Buffer.concat([cd, end]);
}

/** One 64 MiB deflate stream, listed `n` times under different names at one local header. */
function sharedHeaderBomb(n: number): Buffer {
  const plain = Buffer.alloc(64 * 1024 * 1024);
  const data = deflateRawSync(plain, { level: 9 });
  const crc = crc32(plain);
  const local = localHeader('a.json', data, plain.length, crc);
  const entries = Array.from({ length: n }, (_, i) => ({ name: `users/${String(i).padStart(4, '0')}.json`, offset: 0, compressedSize: data.length, uncompressedSize: plain.length, crc }));
  return Buffer.concat([local, centralDirectory(entries, local.length)]);
}

/** Two entries whose data regions overlap: the second's header lies inside the first's data. */
function overlappingBomb(): Buffer {
  const plainA = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const plainB = Buffer.alloc(4 * 1024 * 1024, 0x62);
  const a = deflateRawSync(plainA);
  const b = localHeader('b.json', deflateRawSync(plainB), plainB.length, crc32(plainB));
  const first = localHeader('a.json', a, plainA.length, crc32(plainA));
  const entries = [
    // The first entry claims its data runs on over the second entry's header and data.
    { name: 'a.json', offset: 0, compressedSize: a.length + b.length, uncompressedSize: plainA.length, crc: crc32(plainA) },
    { name: 'b.json', offset: first.length, compressedSize: b.length - 30 - 6, uncompressedSize: plainB.length, crc: crc32(plainB) },
  ];
  return Buffer.concat([first, b, centralDirectory(entries, first.length + b.length)]);
}

describe('a crafted evidence zip', () => {
  it('with entries sharing one local header is refused fast, before any inflating', async () => {
    const file = join(dir, 'shared.zip');
    writeFileSync(file, sharedHeaderBomb(40)); // 2.5 GiB to inflate and hash if each entry were read
    const started = performance.now();
    const r = await verifyEvidence(file);
    const ms = performance.now() - started;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]).toMatchObject({ kind: 'overlap', file: 'users/0001.json' });
      expect(r.problems[0]!.message).toMatch(/shares its local header \(offset 0\) with users\/0000\.json/);
    }
    expect(ms).toBeLessThan(1500);
  }, 120_000);

  it('with overlapping entries is refused fast', async () => {
    const file = join(dir, 'overlap.zip');
    writeFileSync(file, overlappingBomb());
    const started = performance.now();
    const r = await verifyEvidence(file);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ kind: 'overlap', file: 'b.json' });
    expect(performance.now() - started).toBeLessThan(1500);
  }, 120_000);

  it('beyond the total inflate budget is refused before inflating, naming the budget', async () => {
    const files = Array.from({ length: 3 }, (_, i) => [`users/${i}.json`, Buffer.alloc(1024 * 1024, 0x30 + i)] as const);
    const file = join(dir, 'budget.zip');
    writeFileSync(file, await writeZip(files));
    const r = await verifyEvidence(file, { maxTotalBytes: 2 * 1024 * 1024 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([expect.objectContaining({ kind: 'oversize', message: expect.stringMatching(/3145728 bytes uncompressed in all \(limit 2097152\)/) })]);
  });

  it('is cancellable, and reports progress in inflated bytes', async () => {
    const files = Array.from({ length: 8 }, (_, i) => [`users/${i}.json`, Buffer.alloc(4 * 1024 * 1024, 0x30 + i)] as const);
    const file = join(dir, 'slow.zip');
    writeFileSync(file, await writeZip(files));
    const ctl = new AbortController();
    const seen: Array<{ done: number; total?: number }> = [];
    const run = verifyEvidence(file, {
      signal: ctl.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done >= 8 * 1024 * 1024) ctl.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen[0]).toMatchObject({ phase: 'verify', total: 32 * 1024 * 1024 });
    expect(seen.at(-1)!.done).toBeLessThan(32 * 1024 * 1024);
  });
});
