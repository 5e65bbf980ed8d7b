/**
 * The CLI reads the Connect exports on a worker thread while the scan runs (#18 bench): it must give
 * exactly what the in-thread reader gives, fail with the same error (file and line), report progress,
 * stop when cancelled, and say plainly when its worker is not there. The worker here is the real one
 * (main/syncengine/connect-worker.ts, run under tsx); the built one is tested in
 * tests/e2e/built/cli-bundle.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancelledError, SyncDriftError, ValidationError } from '../../../main/core/errors';
import { connectExports } from '../../../main/sandbox/connect-rules';
import { readConnectExports } from '../../../main/syncengine/connect-files';
import { encodeEngineImport } from '../../../main/core/engine-import-format';
import { connectWorkerEntry, readConnectExportsOffThread } from '../../../main/syncengine/connect-off-thread';

const dir = mkdtempSync(join(tmpdir(), 'sd-connect-off-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The error a read fails with (a read that succeeds fails the test). */
async function failure<E>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected the read to fail');
}

const anchor = (i: number) => Buffer.from(`anchor-${String(i).padStart(8, '0')}`).toString('base64');
const exportsOf = (count: number) =>
  connectExports({
    entries: Array.from({ length: count }, (_, i) => ({
      anchor: anchor(i),
      dn: `CN=User ${i},OU=${i % 2 ? 'Sales' : 'Finance'},DC=contoso,DC=com`,
      mobile: i % 7 === 0 ? null : `+1 425 555 ${String(i % 10000).padStart(4, '0')}`,
      otherMobile: i % 5 === 0 ? ['+1 425 555 9000'] : [],
      cloudId: i % 3 === 0 ? null : `0b7c2f9e-4d11-4c2a-9f5e-${String(i).padStart(12, '0')}`,
    })),
    rules: [{ name: 'Custom - Mobile E.164', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Sales,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '1' } }],
    adConnector: 'contoso.com',
    lastExportAt: '2026-12-06T10:00:00.000Z',
  });

describe('readConnectExportsOffThread', () => {
  const ex = exportsOf(300);
  const files = [write('cs.xml', ex.connectorSpaceXml), write('rules.json', ex.rulesJson), write('runs.json', ex.runHistoryJson)];

  it('gives exactly what the in-thread reader gives, with progress in bytes', async () => {
    const events: number[] = [];
    const phases: string[] = [];
    const off = await readConnectExportsOffThread(files, {
      onProgress: (e) => {
        phases.push(`${e.phase} ${e.done}/${e.total}`);
        if (e.phase === 'engine-read') events.push(e.done);
      },
    });
    const inThread = await readConnectExports(files);
    expect(off.objects).toHaveLength(300);
    const { body, ...read } = off;
    expect(read).toEqual(inThread);
    // What crossed is the stored import's encoding of those objects (what the CLI keeps for the next run).
    expect(Buffer.from(body).toString('utf8')).toBe(encodeEngineImport(inThread.objects));
    expect(off.objects.filter((o) => o.rule?.name === 'Custom - Mobile E.164').length).toBeGreaterThan(0);
    expect(events.at(-1)).toBe(inThread.files.reduce((n, f) => n + f.bytes, 0));
    // The join is reported started and finished, so a progress bar reaches its end.
    expect(phases.slice(-2)).toEqual(['engine-join 0/600', 'engine-join 600/600']);
  });

  it('fails with the error the in-thread reader gives: a ValidationError naming the file and the line', async () => {
    const bad = write('bad.xml', '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    const inThread = await failure<ValidationError>(readConnectExports([bad]));
    const off = await failure<ValidationError>(readConnectExportsOffThread([bad]));
    expect(off).toBeInstanceOf(ValidationError);
    expect(off.message).toBe('bad.xml:3: closing tag </cs-objects> does not match <cs-object> opened on line 2');
    expect({ field: off.field, message: off.message, code: off.code, kind: off.kind }).toEqual({ field: inThread.field, message: inThread.message, code: inThread.code, kind: inThread.kind });
    await expect(readConnectExportsOffThread([join(dir, 'absent.xml')])).rejects.toThrow(/^connect-export: cannot read .*absent\.xml \(ENOENT\)$/);
  });

  it('stops when cancelled, before or while it reads', async () => {
    const before = new AbortController();
    before.abort();
    await expect(readConnectExportsOffThread(files, { signal: before.signal })).rejects.toBeInstanceOf(CancelledError);
    const big = exportsOf(20_000);
    const bigFile = write('big.xml', big.connectorSpaceXml);
    const ctl = new AbortController();
    let firstChunk = false;
    const reading = readConnectExportsOffThread([bigFile], {
      signal: ctl.signal,
      onProgress: () => {
        if (firstChunk) return;
        firstChunk = true;
        ctl.abort();
      },
    });
    await expect(reading).rejects.toBeInstanceOf(CancelledError);
    expect(firstChunk).toBe(true);
  });

  it('says which file is missing when its worker is not installed', async () => {
    const entry = connectWorkerEntry(pathToFileURL(join(dir, 'dist', 'syncdrift.mjs')).href);
    expect(entry).toEqual({ url: new URL(pathToFileURL(join(dir, 'dist', 'connect-worker.mjs')).href), execArgv: [] });
    const e = await failure<SyncDriftError>(readConnectExportsOffThread(files, {}, entry));
    expect(e).toBeInstanceOf(SyncDriftError);
    expect(e.code).toBe('CONNECT_WORKER_MISSING');
    expect(e.message).toContain(join(dir, 'dist', 'connect-worker.mjs'));
  });
});
