/**
 * Determinism (two packages of one scan differ only in manifest.json's package time) and the
 * verifier: it names a changed byte, a removed file, an added file, and refuses hostile zips.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvidencePackage, MANIFEST_NAME, verifyEvidence, writeEvidencePackage } from '../../main/evidence';
import { runEvidenceCommand, runVerifyEvidenceCommand, EVIDENCE_EXIT } from '../../main/cli/evidence-commands';
import { fieldReportScan, type FieldReportScan } from '../support/evidence-replay';
import { readZipEntries, writeZip } from '../support/evidence-zip';

let scan: FieldReportScan;
let dir: string;
let good: string;
let entries: Map<string, Buffer>;

beforeAll(async () => {
  scan = await fieldReportScan();
  dir = await mkdtemp(join(tmpdir(), 'syncdrift-evidence-verify-'));
  good = join(dir, 'good.zip');
  await writeEvidencePackage(scan.input, good, { packagedAt: '2025-02-04T09:30:00Z' });
  entries = await readZipEntries(good);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function repack(name: string, change: (e: Map<string, Buffer>) => void): Promise<string> {
  const copy = new Map(entries);
  change(copy);
  const p = join(dir, name);
  await writeFile(p, await writeZip([...copy]));
  return p;
}

describe('determinism', () => {
  it('two packages of one scan differ only in the manifest, and there only in packagedAt', async () => {
    const a = await buildEvidencePackage(scan.input, { packagedAt: '2025-02-04T09:30:00Z' });
    const b = await buildEvidencePackage(scan.input, { packagedAt: '2025-03-01T00:00:00Z' });
    for (const [name, data] of a.files) if (name !== MANIFEST_NAME) expect(b.files.get(name)?.equals(data), name).toBe(true);
    const ma = JSON.parse(a.files.get(MANIFEST_NAME)!.toString()) as Record<string, unknown>;
    const mb = JSON.parse(b.files.get(MANIFEST_NAME)!.toString()) as Record<string, unknown>;
    expect(ma.packagedAt).not.toEqual(mb.packagedAt);
    expect({ ...ma, packagedAt: null }).toEqual({ ...mb, packagedAt: null });
    // The manifest diff is one line.
    const la = a.files.get(MANIFEST_NAME)!.toString().split('\n');
    const lb = b.files.get(MANIFEST_NAME)!.toString().split('\n');
    expect(la.filter((l, i) => l !== lb[i])).toEqual(['  "packagedAt": "2025-02-04T09:30:00.000Z",']);
  });

  it('the same package time gives the same zip bytes, whatever the input order and the time zone', async () => {
    const a = await buildEvidencePackage(scan.input, { packagedAt: '2025-02-04T09:30:00Z' });
    const shuffled = {
      ...scan.input,
      report: { ...scan.input.report, rows: [...scan.input.report.rows].reverse() },
      onPremUsers: [...scan.input.onPremUsers].reverse(),
      cloudUsers: [...scan.input.cloudUsers].reverse(),
      auditRecords: [...scan.input.auditRecords].reverse(),
    };
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Auckland';
      const b = await buildEvidencePackage(shuffled, { packagedAt: new Date('2025-02-04T09:30:00Z') });
      expect(b.zip.equals(a.zip)).toBe(true);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect((await readFile(good)).equals(a.zip)).toBe(true);
  });
});

describe('verifyEvidence', () => {
  it('accepts the package as written', async () => {
    const r = await verifyEvidence(good);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.files).toHaveLength(entries.size - 1);
  });

  it('names a file whose content changed by one byte', async () => {
    const p = await repack('changed.zip', (e) => {
      const t = Buffer.from(e.get('transcript.txt')!);
      t[t.indexOf('0987654321')] = '1'.charCodeAt(0);
      e.set('transcript.txt', t);
    });
    const r = await verifyEvidence(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([expect.objectContaining({ kind: 'changed', file: 'transcript.txt' })]);
  });

  it('names a file whose bytes were flipped inside the zip itself', async () => {
    const zip = Buffer.from(await readFile(good));
    // Local header: signature, then the name at offset 30; data follows name and extra field.
    const name = Buffer.from('summary.md');
    const at = zip.indexOf(Buffer.concat([name]), 0);
    const header = at - 30;
    expect(zip.readUInt32LE(header)).toBe(0x04034b50);
    const dataStart = at + name.length + zip.readUInt16LE(header + 28);
    zip.writeUInt8(zip.readUInt8(dataStart + 20) ^ 0xff, dataStart + 20);
    const p = join(dir, 'flipped.zip');
    await writeFile(p, zip);
    const r = await verifyEvidence(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((x) => x.file)).toContain('summary.md');
  });

  it('names a removed file and an added file', async () => {
    const removed = await repack('removed.zip', (e) => e.delete(`users/${scan.ids.raj}.json`));
    const r1 = await verifyEvidence(removed);
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.problems).toEqual([expect.objectContaining({ kind: 'missing', file: `users/${scan.ids.raj}.json` })]);

    const added = await repack('added.zip', (e) => e.set('users/extra.json', Buffer.from('{}\n')));
    const r2 = await verifyEvidence(added);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.problems).toEqual([expect.objectContaining({ kind: 'extra', file: 'users/extra.json' })]);
  });

  it('refuses zip-slip names, oversize entries, a missing manifest and a file that is no zip', async () => {
    // yazl refuses such names, as a tamperer's tool would not: patch a same-length name in place.
    const clean = await repack('slip-src.zip', (e) => e.set('xx/xx/evil.sh', Buffer.from('echo pwned')));
    const bytes = await readFile(clean);
    const slip = join(dir, 'slip.zip');
    await writeFile(slip, Buffer.from(bytes.toString('latin1').split('xx/xx/evil.sh').join('../../evil.sh'), 'latin1'));
    const r1 = await verifyEvidence(slip);
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.problems).toEqual([expect.objectContaining({ kind: 'unsafe-name', file: '../../evil.sh' })]);

    const r2 = await verifyEvidence(good, { maxEntryBytes: 2000 });
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.problems.map((p) => p.kind)).toContain('oversize');

    const noManifest = await repack('nomanifest.zip', (e) => e.delete(MANIFEST_NAME));
    const r3 = await verifyEvidence(noManifest);
    expect(r3.ok).toBe(false);
    if (!r3.ok) expect(r3.problems).toEqual([expect.objectContaining({ kind: 'missing', file: MANIFEST_NAME })]);

    const notZip = join(dir, 'not.zip');
    await writeFile(notZip, 'hello');
    const r4 = await verifyEvidence(notZip);
    expect(r4.ok).toBe(false);
    if (!r4.ok) expect(r4.problems[0]).toMatchObject({ kind: 'unreadable' });
  });
});

describe('syncdrift evidence / verify-evidence', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { USER: 'op1', SYNCDRIFT_CLIENT_SECRET: 'cli-planted-secret-123456' }, cwd: dir },
    };
  };

  it('writes a package from a report file, says it is built from rows, and verifies it (exit 0), then names a tampered file (exit 6)', async () => {
    await writeFile(join(dir, 'report.json'), JSON.stringify(scan.input.report));
    const a = io();
    expect(await runEvidenceCommand(['--report', 'report.json', '--users', 'testmobile@fortmillems.org', '--mask', '--out', 'cli.zip', '--tenant-id', 'tid-1', '--cloud', 'usgov'], a.io)).toBe(EVIDENCE_EXIT.ok);
    expect(a.out.join('')).toMatch(/Wrote .*cli\.zip: 1 user\(s\), 6 files, phone numbers masked, built from report rows only/);
    const files = await readZipEntries(join(dir, 'cli.zip'));
    const m = JSON.parse(files.get(MANIFEST_NAME)!.toString()) as Record<string, unknown>;
    expect(m).toMatchObject({ operator: 'op1', masked: true, dataSource: 'report-rows', tenant: { id: 'tid-1', cloud: 'usgov' }, profile: 'fortmill-prod' });
    for (const [, d] of files) expect(d.toString()).not.toContain('cli-planted-secret-123456');

    const v = io();
    expect(await runVerifyEvidenceCommand(['cli.zip'], v.io)).toBe(EVIDENCE_EXIT.ok);
    expect(v.out.join('')).toMatch(/^OK: 5 files match manifest\.json/);

    const tampered = await repack('tampered.zip', (e) => e.set('summary.md', Buffer.from('all fine\n')));
    const t = io();
    expect(await runVerifyEvidenceCommand([tampered], t.io)).toBe(EVIDENCE_EXIT.notVerified);
    expect(t.out.join('')).toMatch(/^CHANGED: summary\.md: SHA-256 is/);
  });

  it('usage and input errors exit 2 and name the flag', async () => {
    const a = io();
    expect(await runEvidenceCommand(['--report', 'report.json'], a.io)).toBe(EVIDENCE_EXIT.usage);
    expect(a.err.join('')).toMatch(/--out: is required/);
    const b = io();
    expect(await runEvidenceCommand(['--report', 'missing.json', '--out', 'x.zip'], b.io)).toBe(EVIDENCE_EXIT.usage);
    expect(b.err.join('')).toMatch(/--report: cannot read .*missing\.json \(ENOENT\)/);
    const c = io();
    expect(await runEvidenceCommand(['--workspace', 'ws', '--out', 'x.zip'], c.io)).toBe(EVIDENCE_EXIT.usage);
    expect(c.err.join('')).toMatch(/--workspace: this build cannot read/);
    const d = io();
    expect(await runVerifyEvidenceCommand([], d.io)).toBe(EVIDENCE_EXIT.usage);
    const e = io();
    expect(await runEvidenceCommand(['--report', 'report.json', '--users', 'ghost', '--out', 'x.zip'], e.io)).toBe(EVIDENCE_EXIT.usage);
    expect(e.err.join('')).toMatch(/users: no row of the report matches 'ghost'/);
  });
});
