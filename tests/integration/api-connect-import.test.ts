/**
 * The app's import of Entra Connect exports (#18), through the service side every host composes
 * (main/api/services.ts) and the sandbox tenant: the files are the sandbox simulator's own Connect
 * exports (what docs/onprem.md's kit writes), sent as the renderer sends them. A bad line is named
 * with its file, a cancelled import leaves the stored one as it was, and a good import is what the
 * next scan of the profile joins: Pune's users rule-formatted, testmobile citing the imported file.
 * It travels with export-workspace: the workstation that imports the file joins it in its own scans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DriftRow } from '../../main/core/model';
import { openWorkspace } from '../../main/workspace/workspace';
import { servicesHarness } from '../support/services-harness';

const h = servicesHarness('sd-api-connect-import-');
const { events, call, callRaw, waitFor } = h;

interface Finished {
  operationId: string;
  profileId: string;
  state: 'done' | 'cancelled' | 'failed';
  import?: { importedAt: string; objects: number; files: Array<{ file: string; kind: string }> };
  message?: string;
}

async function importFiles(files: Array<{ name: string; text: string }>): Promise<Finished> {
  const { operationId } = await call<{ operationId: string }>('connectExport.import', { profileId: 'sandbox', files });
  return (await waitFor('connectExport.finished', (p) => (p as Finished).operationId === operationId)) as Finished;
}

async function scanRows(): Promise<DriftRow[]> {
  const { rows, scan } = await h.scan();
  expect(scan.state, scan.problems.join('; ')).toBe('completed');
  return rows;
}

/** The sandbox's Connect exports under the names an admin's kit would give them. */
async function demoExports(): Promise<Array<{ name: string; text: string }>> {
  const ex = (await h.services.sandbox.get()).demo.sync.connectExports();
  return [
    { name: 'cs-export.xml', text: ex.connectorSpaceXml },
    { name: 'sync-rules.json', text: ex.rulesJson },
    { name: 'run-history.json', text: ex.runHistoryJson },
  ];
}

beforeAll(async () => {
  await h.open();
});
afterAll(async () => {
  await h.close({ removeDir: true });
});

describe('importing Entra Connect exports in the app', () => {
  it('refuses a file name with a folder part and a file given twice, naming the field, starting nothing', async () => {
    const [cs] = await demoExports();
    const folder = await callRaw('connectExport.import', { profileId: 'sandbox', files: [{ name: '../cs.xml', text: cs!.text }] });
    expect(folder.ok).toBe(false);
    expect(!folder.ok && folder.error.message).toMatch(/files\[0\]\.name: "\.\.\/cs\.xml" is not a plain file name/);
    const twice = await callRaw('connectExport.import', { profileId: 'sandbox', files: [cs!, { ...cs!, name: 'CS-EXPORT.xml' }] });
    expect(!twice.ok && twice.error.message).toMatch(/files\[1\]\.name: "CS-EXPORT\.xml" is given twice/);
    const unknown = await callRaw('connectExport.import', { profileId: 'no-such-profile', files: [cs!] });
    expect(!unknown.ok && unknown.error.message).toMatch(/no profile no-such-profile/);
    expect(events.filter((e) => e.event === 'connectExport.finished')).toEqual([]);
  });

  it('names the file and line of a bad record and stores nothing', async () => {
    const files = await demoExports();
    const rules = files[1]!;
    // The second line of the rules export loses its closing quote: not JSON any more.
    const lines = rules.text.split('\n');
    const bad = lines.findIndex((l, i) => i > 0 && l.includes('"'));
    lines[bad] = lines[bad]!.replace(/"([^"]*)$/, '$1');
    const done = await importFiles([files[0]!, { name: 'sync-rules.json', text: lines.join('\n') }]);
    expect(done.state).toBe('failed');
    expect(done.message).toMatch(/^sync-rules\.json:\d+: record 1 is not valid JSON/);
    expect(done.message).toMatch(/\)\. Nothing was stored\.$/);
    expect(await call('connectExport.get', { profileId: 'sandbox' })).toEqual({ import: null });
  });

  it('joins a good import in the next scan: Pune rule-formatted, testmobile a confirmed override citing the imported file', async () => {
    const done = await importFiles(await demoExports());
    expect(done.state, done.message).toBe('done');
    expect(done.import!.objects).toBeGreaterThan(100);
    expect(done.import!.files.map((f) => [f.file, f.kind])).toEqual([
      ['cs-export.xml', 'cs-xml'],
      ['sync-rules.json', 'rules'],
      ['run-history.json', 'runs'],
    ]);
    const progress = events.filter((e) => e.event === 'op.progress' && (e.payload as { operationId: string }).operationId === done.operationId).map((e) => (e.payload as { phase: string }).phase);
    expect(progress).toEqual(expect.arrayContaining(['engine-read', 'engine-join']));
    expect(await call('connectExport.get', { profileId: 'sandbox' })).toEqual({ import: done.import });

    const rows = await scanRows();
    const pune = rows.filter((r) => r.onPrem?.dn.includes('OU=Pune,'));
    expect(pune.filter((r) => r.status === 'rule-formatted').length).toBeGreaterThan(2);
    expect(pune.filter((r) => r.status === 'format-only')).toEqual([]);
    const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    expect(tm.flags).toContain('override-confirmed');
    expect(tm.engine?.evidence[0]).toMatchObject({ origin: 'cs-export.xml', line: expect.any(Number) });
  }, 180_000);

  it('a cancelled import leaves the stored one as it was, and the import outlives a restart', async () => {
    const before = await call<{ import: { importedAt: string } }>('connectExport.get', { profileId: 'sandbox' });
    const files = await demoExports();
    const { operationId } = await call<{ operationId: string }>('connectExport.import', { profileId: 'sandbox', files: [{ ...files[0]!, text: files[0]!.text.repeat(3) }] });
    expect(await call('op.cancel', { operationId })).toEqual({ cancelled: true });
    const done = (await waitFor('connectExport.finished', (p) => (p as Finished).operationId === operationId)) as Finished;
    expect(done).toMatchObject({ state: 'cancelled', message: 'The import was cancelled; nothing was stored.' });
    expect(await call('connectExport.get', { profileId: 'sandbox' })).toEqual(before);

    await h.close();
    await h.open();
    expect(await call('connectExport.get', { profileId: 'sandbox' })).toEqual(before);
  });

  it('travels with export-workspace: a fresh workstation importing the file joins it in its own scan', async () => {
    const { import: stored } = await call<{ import: { importedAt: string } }>('connectExport.get', { profileId: 'sandbox' });
    const file = join(h.dir, 'workspace.sdx');
    const ex = await h.services.workspace.export(file, { mask: false });
    expect(ex.counts.connect_imports).toBe(1);
    const other = servicesHarness('sd-api-connect-import-b-');
    try {
      const ws = openWorkspace(join(other.dir, 'workspace.db'));
      try {
        expect((await ws.import(file)).inserted.connect_imports).toBe(1);
      } finally {
        ws.close();
      }
      await other.open();
      expect(await other.call('connectExport.get', { profileId: 'sandbox' })).toEqual({ import: stored });
      const { rows, scan } = await other.scan();
      expect(scan.state, scan.problems.join('; ')).toBe('completed');
      const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
      expect(tm.flags).toContain('override-confirmed');
      expect(tm.engine?.evidence[0]).toMatchObject({ origin: 'cs-export.xml', line: expect.any(Number) });
    } finally {
      await other.close({ removeDir: true });
    }
  }, 180_000);

  it('a masked export carries it masked: shown on the other workstation, its scan joins the simulator\u2019s own exports instead', async () => {
    const { import: stored } = await call<{ import: object }>('connectExport.get', { profileId: 'sandbox' });
    const file = join(h.dir, 'workspace-masked.sdx');
    await h.services.workspace.export(file);
    const other = servicesHarness('sd-api-connect-import-c-');
    try {
      const ws = openWorkspace(join(other.dir, 'workspace.db'));
      try {
        await ws.import(file);
      } finally {
        ws.close();
      }
      await other.open();
      expect(await other.call('connectExport.get', { profileId: 'sandbox' })).toEqual({ import: { ...stored, masked: true } });
      const { rows, scan } = await other.scan();
      expect(scan.state, scan.problems.join('; ')).toBe('completed');
      const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
      expect(tm.engine?.evidence[0]).toMatchObject({ origin: 'sandbox-connector-space.xml' });
      expect(JSON.stringify(rows.map((r) => r.engine))).not.toContain('\u2022');
    } finally {
      await other.close({ removeDir: true });
    }
  }, 180_000);

  it('removes the import: the next scan joins the simulator\u2019s own exports again', async () => {
    expect(await call('connectExport.remove', { profileId: 'sandbox' })).toEqual({ removed: true });
    expect(await call('connectExport.get', { profileId: 'sandbox' })).toEqual({ import: null });
    const rows = await scanRows();
    const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
    expect(tm.engine?.evidence[0]).toMatchObject({ origin: 'sandbox-connector-space.xml' });
  }, 180_000);
});
