/**
 * The CLI as it ships: dist/cli/syncdrift.mjs run by Node, with the Connect export worker built beside
 * it (dist/cli/connect-worker.mjs, scripts/build.mjs). The unit tests run the CLI from source, where
 * the worker runs under tsx; only this test shows that the bundle finds and runs its own worker. In
 * the e2e project because it needs the build (npm test builds before it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriftReport } from '../../../main/core/model';
import { objectGuidToAnchor } from '../../../main/drift/row-parts';
import { contosoGraphPage, contosoLdif, contosoProfile } from '../../unit/cli/contoso';

const CLI = join(process.cwd(), 'dist', 'cli', 'syncdrift.mjs');
let dir: string;
const write = (name: string, content: string | object) => writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, SYNCDRIFT_HOME: join(dir, 'home'), FORCE_COLOR: '0' }, encoding: 'utf8', timeout: 60_000 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-cli-bundle-'));
  write('contoso-users.ldf', contosoLdif());
  write('contoso-entra-users.json', contosoGraphPage());
  write('contoso.json', contosoProfile());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built CLI', () => {
  it('ships its Connect export worker beside it', () => {
    expect(existsSync(CLI), 'dist/ is built by npm test before the e2e project').toBe(true);
    expect(existsSync(join(process.cwd(), 'dist', 'cli', 'connect-worker.mjs'))).toBe(true);
  });

  it('import --connect-export reads the exports on its worker: rule-formatted and confirmed-override rows, and a bad file named with its line', () => {
    const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('');
    const aad = (anchor: string, mobile: string) =>
      `  <cs-object cs-dn="CN={${hex(anchor)}}" id="{0}" object-type="user">\n    <synchronized-hologram><entry dn="x">\n      <attr name="sourceAnchor" multivalued="false"><value>${anchor}</value></attr>\n      <attr name="mobile" multivalued="false"><value>${mobile}</value></attr>\n    </entry></synchronized-hologram>\n  </cs-object>`;
    const alex = objectGuidToAnchor('7b1c3f40-2d5e-4f60-8b9c-8d7e6f504b32')!;
    const grady = objectGuidToAnchor('9d3e5162-4f70-4182-adbe-af9081726d54')!;
    const graph = contosoGraphPage() as { value: Array<{ userPrincipalName: string; mobilePhone: string | null }> };
    const alexCloud = graph.value.find((u) => u.userPrincipalName === 'alex.wilber@contoso.com')!.mobilePhone!;
    write('aad-cs.xml', `<cs-objects ma-name="contoso.onmicrosoft.com - AAD">\n${aad(alex, alexCloud)}\n${aad(grady, '+1 425 555 0103')}\n</cs-objects>\n`);
    write('sync-rules.json', [{ Name: 'Custom - Mobile E.164', Direction: 0, Precedence: 50, AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: 'Replace([mobile]," ","")' }] }]);
    const r = cli(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--connect-export', 'aad-cs.xml', '--connect-export', 'sync-rules.json', '--format', 'json', '--all', '--no-save']);
    expect(r.stderr).toMatch(/Connect exports: 2 Entra ID connector user\(s\), 0 AD-only, 1 rule\(s\) flowing to mobile\./);
    expect(r.stderr).not.toMatch(/syncdrift:/);
    const report = DriftReport.parse(JSON.parse(r.stdout));
    const row = (upn: string) => report.rows.find((x) => x.upn === upn)!;
    expect(row('alex.wilber@contoso.com').status).toBe('rule-formatted');
    expect(row('grady.archie@contoso.com')).toMatchObject({ status: 'cloud-override', flags: expect.arrayContaining(['override-confirmed']) });
    expect(row('grady.archie@contoso.com').engine?.evidence[0]).toMatchObject({ source: 'Export-ADSyncToolsObjects', origin: 'aad-cs.xml', line: 8 });

    write('bad.xml', '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    const bad = cli(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--connect-export', 'bad.xml', '--no-save']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/bad\.xml:3: closing tag <\/cs-objects> does not match <cs-object> opened on line 2/);
  });

  it('its worker keeps the read in the workspace (its own SQLite connection, as built), and the next run takes it back', () => {
    const args = ['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--connect-export', 'aad-cs.xml', '--connect-export', 'sync-rules.json', '--format', 'json', '--all'];
    const first = cli(args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/Connect exports: 2 Entra ID connector user\(s\)/);
    expect(first.stderr).not.toMatch(/not kept|syncdrift:/);
    const again = cli(args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Connect exports: unchanged since they were read at .*, taken from .*workspace\.db \(2 Entra ID connector user\(s\)/);
    expect(JSON.parse(again.stdout).rows).toEqual(JSON.parse(first.stdout).rows);
  });
});
