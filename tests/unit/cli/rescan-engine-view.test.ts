/**
 * apply's preflight rescan joins the sync engine's view as the scan did (#18): the `--connect-export`
 * files, or the workspace's kept read of the last ones when they are all unchanged, or nothing.
 * Without it the users a sync rule reformats read as new drift the plan does not list, and the
 * preflight refuses the plan. Real files, a real workspace, the real worker.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rescanEngineView } from '../../../main/cli/remediation-wiring';
import { startConnectExportRead } from '../../../main/cli/connect-exports';
import { openWorkspace } from '../../../main/workspace/workspace';
import type { Profile } from '../../../main/core/profile';
import type { CloudClient } from '../../../main/cloud';
import type { ProgressEvent } from '../../../main/core/progress';

let dir: string;
const clock = { now: () => new Date('2025-02-03T08:00:00Z') };
const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('');
const aad = (anchor: string, mobile: string) =>
  `  <cs-object cs-dn="CN={${hex(anchor)}}" id="{0}" object-type="user">\n    <synchronized-hologram><entry dn="x">\n      <attr name="sourceAnchor" multivalued="false"><value>${anchor}</value></attr>\n      <attr name="mobile" multivalued="false"><value>${mobile}</value></attr>\n    </entry></synchronized-hologram>\n  </cs-object>`;
const connectProfile = { name: 'Contoso', cloud: {} } as unknown as Profile;
const noClient = {} as CloudClient;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdrift-rescan-'));
  writeFileSync(join(dir, 'cs.xml'), `<cs-objects ma-name="contoso.onmicrosoft.com - AAD">\n${aad('YlE+nXBPgkGtvq+QgXJtVA==', '+1 425 555 0103')}\n</cs-objects>\n`);
  writeFileSync(join(dir, 'rules.json'), JSON.stringify([{ Name: 'Custom - Mobile E.164', Direction: 0, Precedence: 50, AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: 'Replace([mobile]," ","")' }] }]));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the preflight rescan\u2019s engine view', () => {
  const wsFile = () => join(dir, 'workspace.db');
  const files = () => [join(dir, 'cs.xml'), join(dir, 'rules.json')];

  it('reads the --connect-export files with progress, and keeps the read', async () => {
    const said: string[] = [];
    const events: ProgressEvent[] = [];
    const view = await rescanEngineView({ profile: connectProfile, client: noClient, workspaceFile: wsFile(), connectExports: files(), clock, say: (l) => said.push(l), onProgress: (e) => events.push(e) });
    // The first read is a few seconds at 100k users: apply shows it, as scan and import do.
    expect(events.map((e) => e.phase)).toContain('engine-read');
    const read = events.filter((e) => e.phase === 'engine-read').at(-1)!;
    expect(read.done).toBe(read.total);
    expect(events.at(-1)).toMatchObject({ phase: 'engine-join', message: 'joined the connector spaces' });
    expect(view.objects?.map((o) => [o.sourceAnchor, o.exported?.mobile, o.rule?.name])).toEqual([['YlE+nXBPgkGtvq+QgXJtVA==', '+1 425 555 0103', 'Custom - Mobile E.164']]);
    expect(said.join('\n')).toMatch(/Connect exports: 1 Entra ID connector user/);
    const ws = openWorkspace(wsFile());
    expect(ws.connectExportCache.kept()?.stamps.map((s) => s.path)).toEqual(files());
    ws.close();
  });

  it('without files, joins the kept read of the last ones while they are unchanged, and nothing once one changed', async () => {
    const said: string[] = [];
    expect(await rescanEngineView({ profile: connectProfile, client: noClient, workspaceFile: wsFile(), connectExports: [], clock, say: (l) => said.push(l) })).toEqual({});
    // What `scan --connect-export` left in the workspace.
    const ws = openWorkspace(wsFile());
    const read = startConnectExportRead(files(), { workspace: ws, clock, signal: new AbortController().signal, onProgress: () => {}, say: () => {} });
    await read.objects;
    await read.kept;
    ws.close();
    const view = await rescanEngineView({ profile: connectProfile, client: noClient, workspaceFile: wsFile(), connectExports: [], clock, say: (l) => said.push(l) });
    expect(view.objects).toHaveLength(1);
    expect(said.at(-1)).toMatch(/^The rescan joins the Connect exports read at 2025-02-03T08:00:00\.000Z \(.*cs\.xml, .*rules\.json\), unchanged since/);
    writeFileSync(join(dir, 'rules.json'), '[]');
    expect(await rescanEngineView({ profile: connectProfile, client: noClient, workspaceFile: wsFile(), connectExports: [], clock, say: (l) => said.push(l) })).toEqual({});
  });

  it('fails with the reader\u2019s error, naming the file and line', async () => {
    writeFileSync(join(dir, 'bad.xml'), '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    await expect(rescanEngineView({ profile: connectProfile, client: noClient, workspaceFile: wsFile(), connectExports: [join(dir, 'bad.xml')], clock, say: () => {} })).rejects.toThrow(/bad\.xml:3: closing tag/);
  });
});
