/**
 * The CLI reads the Connect exports on a worker thread while the scan runs (#18 bench): it must give
 * exactly what the in-thread reader gives, fail with the same error (file and line), report progress,
 * stop when cancelled, and say plainly when its worker is not there. The worker here is the real one
 * (main/cli/connect-worker.ts, run under tsx); the built one is tested in
 * tests/e2e/built/cli-bundle.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancelledError, SyncDriftError, ValidationError } from '../../../main/core/errors';
import { seededConnectExports } from '../../support/connect-fixture';
import { readConnectExports } from '../../../main/syncengine/connect-files';
import { encodeEngineImport } from '../../../main/core/engine-import-format';
import { connectWorkerEntry, readConnectExportsOffThread, type KeepOutcome, type KeepRequest } from '../../../main/cli/connect-off-thread';
import { stampExportFiles, startConnectExportRead } from '../../../main/cli/connect-exports';
import { openWorkspace } from '../../../main/workspace';
import { openDatabase } from '../../../main/workspace/db';

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

const exportsOf = (count: number) => seededConnectExports(count);

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
    expect(body).toBe(encodeEngineImport(inThread.objects));
    // Asked to keep nothing, it says nothing of keeping.
    expect(off.kept).toBeUndefined();
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

  describe('keeping the read in the workspace, on the worker', () => {
    const READER = 'syncdrift test syncdrift-connect-import/test';
    let n = 0;
    const freshWorkspace = (): string => {
      const path = join(dir, `ws-${++n}.db`);
      openWorkspace(path).close();
      return path;
    };
    const keepIn = (workspace: string): KeepRequest => ({ workspace, stamps: stampExportFiles(files)!, reader: READER, importedAt: '2026-12-08T06:00:00.000Z' });

    it('hands the objects over first, then keeps them: the workspace gives back the same objects', async () => {
      const path = freshWorkspace();
      const off = await readConnectExportsOffThread(files, { keep: keepIn(path) });
      expect(off.kept).toBeDefined();
      expect(await off.kept).toEqual({ kept: true });
      const ws = openWorkspace(path);
      try {
        const back = ws.connectExportCache.get(stampExportFiles(files)!, READER);
        expect(back.miss).toBeUndefined();
        if (back.miss) return;
        expect(back.objects).toEqual(off.objects);
        expect(back.info).toEqual({ importedAt: '2026-12-08T06:00:00.000Z', objects: 300, files: off.files, stats: off.stats });
      } finally {
        ws.close();
      }
    });

    it('says why when the workspace cannot be opened; the objects are right all the same', async () => {
      const off = await readConnectExportsOffThread(files, { keep: keepIn(join(dir, 'no-such-dir', 'ws.db')) });
      expect(off.objects).toEqual((await readConnectExports(files)).objects);
      const k = await off.kept;
      expect(k).toMatchObject({ kept: false });
      expect(k && !k.kept ? k.why : '').toMatch(/^Cannot open the workspace .*no-such-dir.*ws\.db: it is not there/);
      expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    });

    it('waits for another writer; cancelled meanwhile, it leaves nothing in the workspace', async () => {
      const path = freshWorkspace();
      // Another process (the app, another CLI run) holds the write lock while the worker would keep.
      const other = openDatabase(path);
      other.exec('BEGIN IMMEDIATE');
      const ctl = new AbortController();
      const off = await readConnectExportsOffThread(files, { signal: ctl.signal, keep: keepIn(path) });
      expect(off.objects).toHaveLength(300);
      // Whether the worker is waiting for the lock yet or about to: ended either way.
      await new Promise((r) => setTimeout(r, 150));
      ctl.abort();
      expect(await off.kept).toEqual({ kept: false, why: 'cancelled', cancelled: true });
      other.exec('COMMIT');
      // Once the ended worker's connection is gone (its write lock released), nothing was kept.
      other.pragma('busy_timeout = 10000');
      other.exec('BEGIN IMMEDIATE');
      other.exec('COMMIT');
      other.close();
      await new Promise((r) => setTimeout(r, 300));
      const ws = openWorkspace(path);
      try {
        expect(ws.blobs.keys('connect-export-cache:')).toEqual([]);
      } finally {
        ws.close();
      }
    });

    it('keeps once the other writer lets go', async () => {
      const path = freshWorkspace();
      const other = openDatabase(path);
      other.exec('BEGIN IMMEDIATE');
      const off = await readConnectExportsOffThread(files, { keep: keepIn(path) });
      setTimeout(() => {
        other.exec('COMMIT');
        other.close();
      }, 300);
      expect(await off.kept).toEqual({ kept: true });
      const ws = openWorkspace(path);
      try {
        expect(ws.blobs.keys('connect-export-cache:')).toHaveLength(2);
      } finally {
        ws.close();
      }
    });
  });

  describe('startConnectExportRead (the CLI)', () => {
    const clock = { now: () => new Date('2026-12-08T06:00:00.000Z') };
    it('says when the worker could not keep the read, says nothing when it was cancelled, and waits for it either way', async () => {
      const path = join(dir, `ws-cli.db`);
      const ws = openWorkspace(path);
      try {
        const real = await readConnectExports(files);
        for (const [outcome, line] of [
          [{ kept: false, why: 'database or disk is full' }, 'Connect exports: not kept for the next run (database or disk is full); they will be read again.'],
          [{ kept: false, why: 'cancelled', cancelled: true }, null],
          [{ kept: true }, null],
        ] as const) {
          const said: string[] = [];
          let release: () => void = () => {};
          const gate = new Promise<KeepOutcome>((r) => (release = () => r(outcome)));
          const asked: unknown[] = [];
          const r = startConnectExportRead(files, {
            workspace: ws,
            clock,
            signal: new AbortController().signal,
            onProgress: () => {},
            say: (l) => said.push(l),
            read: async (_p, o) => {
              asked.push(o.keep);
              return { ...real, body: encodeEngineImport(real.objects), kept: gate };
            },
          });
          expect(await r.objects).toEqual(real.objects);
          // The worker is asked to keep it in this workspace, as of when the read began.
          expect(asked).toEqual([{ workspace: path, stamps: stampExportFiles(files), reader: expect.stringMatching(/^syncdrift /), importedAt: '2026-12-08T06:00:00.000Z' }]);
          let settled = false;
          void r.kept.then(() => (settled = true));
          await new Promise((x) => setTimeout(x, 20));
          expect(settled).toBe(false);
          release();
          await r.kept;
          expect(said.filter((l) => l.includes('not kept'))).toEqual(line ? [line] : []);
        }
        // The reader's own keeping was trusted: the main thread wrote nothing.
        expect(ws.blobs.keys('connect-export-cache:')).toEqual([]);
      } finally {
        ws.close();
      }
    });
  });
});
