import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../../main/cli/syncdrift';
import { CSV_COLUMNS } from '../../../main/cli/format';
import { parseCommandLine } from '../../../main/cli/args';
import { loadProfile } from '../../../main/core/profile';
import { DriftReport } from '../../../main/core/model';
import { SyncDriftError } from '../../../main/core/errors';
import { importLdifFile } from '../../../main/onprem/import/ldif';
import { pagesOf } from '../../../main/drift/pipeline';
import { importGraphUsersFile } from '../../../main/cloud/import';
import { openWorkspace } from '../../../main/workspace/workspace';
import type { CliServices } from '../../../main/cli/services';
import { contosoGraphPage, contosoLdif, contosoPowerShellJson, contosoProfile, EXPECTED } from './contoso';

let dir: string;
let nowIso = '2025-02-03T08:00:00Z';
const clock = { now: () => new Date(nowIso) };

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], services: Partial<CliServices> = {}): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { SYNCDRIFT_HOME: join(dir, 'home') },
    cwd: dir,
    isTTY: false,
    clock,
    services,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const write = (name: string, content: string | object) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
};

beforeEach(() => {
  nowIso = '2025-02-03T08:00:00Z';
  dir = mkdtempSync(join(tmpdir(), 'syncdrift-cli-'));
  write('contoso-users.ldf', contosoLdif());
  write('contoso-entra-users.json', contosoGraphPage());
  write('contoso.json', contosoProfile());
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const statusByUpn = (report: DriftReport) => Object.fromEntries(report.rows.map((r) => [r.upn, r.status]));

describe('syncdrift import', () => {
  it('gives every expected verdict from an LDIF and a Graph users page', async () => {
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--format', 'json', '--all']);
    expect(r.err).not.toMatch(/syncdrift:/);
    expect(r.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(r.out));
    expect(statusByUpn(report)).toEqual(EXPECTED);
    expect(report.summary.outOfScope).toBe(1);
    expect(report.summary.onPremUsers).toBe(8);
    expect(report.profile).toBe('Contoso');
    expect(Object.keys(report.summary.phases)).toEqual(expect.arrayContaining(['onprem', 'cloud', 'drift', 'total']));
    expect(report.rows.find((x) => x.upn === 'lee.gu@contoso.com')?.match).toBe('sid');
    expect(r.err).toMatch(/Saved scan .* in .*workspace\.db/);
  });

  it('reads Get-MgUser | ConvertTo-Json output (PascalCase, /Date()/) to the same verdicts', async () => {
    write('ps.json', contosoPowerShellJson());
    const a = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'ps.json', '--profile', 'contoso.json', '--format', 'json', '--all', '--no-save']);
    expect(a.code).toBe(0);
    expect(statusByUpn(JSON.parse(a.out) as DriftReport)).toEqual(EXPECTED);
  });

  it('without --all prints only rows needing attention; --fail-on-drift exits 5', async () => {
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--format', 'json', '--fail-on-drift', '--no-save']);
    expect(r.code).toBe(5);
    const report = JSON.parse(r.out) as DriftReport;
    expect(report.rows.some((x) => x.status === 'in-sync')).toBe(false);
    expect(report.summary.byStatus['in-sync']).toBe(1);
    expect(r.err).toMatch(/need attention/);
  });

  it('writes CSV with the JSON row flattened into fixed columns', async () => {
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--format', 'csv', '--out', 'out/report.csv', '--no-save']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const csv = readFileSync(join(dir, 'out/report.csv'), 'utf8').split('\r\n');
    expect(csv[0]!.split(',')).toEqual([...CSV_COLUMNS]);
    expect(CSV_COLUMNS).toEqual(expect.arrayContaining(['status', 'upn', 'onPrem.value', 'onPrem.dn', 'cloud.value', 'cloud.changedBy', 'normalized.onPrem', 'cause']));
    const header = csv[0]!.split(',');
    const grady = csv.find((l) => l.includes('grady.archie@contoso.com'))!;
    // The cause has commas, so split with a CSV-aware regex.
    const cells = grady.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    expect(cells[header.indexOf('onPrem.value')]).toBe('+1 425 555 0103');
    expect(cells[header.indexOf('cloud.value')]).toBe('+1 206 555 0178');
    if (process.platform !== 'win32') expect((statSync(join(dir, 'out/report.csv')).mode & 0o777).toString(8)).toBe('600');
  });

  it('prints a table with a summary; without a profile every unmatched cloud user is in scope', async () => {
    const r = await run(['import', '--adcsv', 'none.csv', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--adcsv: give either --ldif or --adcsv/);
    const t = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--region', 'us', '--no-save']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^STATUS\s+UPN\s+AD MOBILE\s+CLOUD MOBILE\s+LIKELY CAUSE/);
    expect(t.out).toMatch(/cloud-override\s+grady\.archie@contoso\.com\s+\+1 425 555 0103\s+\+1 206 555 0178/);
    expect(t.out).toMatch(/emily\.braun@contoso\.com/);
    expect(t.out).toMatch(/By status: .*unmatched-cloud 2/);
  });

  it('names the bad file and field of a broken Graph export (exit 2)', async () => {
    const page = contosoGraphPage();
    (page.value as Array<Record<string, unknown>>)[3]!.onPremisesLastSyncDateTime = 'last tuesday';
    write('bad.json', page);
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'bad.json', '--no-save']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.json: value\[3\]\.onPremisesLastSyncDateTime/);
  });

  it('attaches cloud change actors from an audit export', async () => {
    const alexId = (contosoGraphPage().value as Array<{ id: string; userPrincipalName: string }>).find((u) => u.userPrincipalName.startsWith('alex'))!.id;
    write('audit.json', {
      value: [
        {
          id: 'Directory_5a1b_AAA1',
          activityDisplayName: 'Update user',
          activityDateTime: '2024-12-11T15:42:07.555Z',
          result: 'success',
          initiatedBy: { user: { userPrincipalName: 'helpdesk.anna@contoso.com' }, app: null },
          targetResources: [{ id: alexId, type: 'User', modifiedProperties: [{ displayName: 'MobilePhone', oldValue: '["+1 425 555 0101"]', newValue: '["(425) 555-0101"]' }] }],
        },
        { id: 'broken' },
      ],
    });
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--audit-json', 'audit.json', '--format', 'json', '--no-save']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as DriftReport).rows;
    expect(rows.find((x) => x.upn === 'alex.wilber@contoso.com')?.cloud).toMatchObject({ changedBy: 'helpdesk.anna@contoso.com', changeState: 'known' });
    expect(rows.find((x) => x.upn === 'grady.archie@contoso.com')?.cloud?.changeState).toBe('outside-retention');
    expect(r.err).toMatch(/skipped 1 malformed record/);
  });
});

describe('arguments and profiles', () => {
  it('rejects an unknown format, an unknown option and a missing value, naming the flag (exit 2)', async () => {
    const a = await run(['scan', '--profile', 'contoso.json', '--format', 'xml']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--format: 'xml' is not one of table, json, csv/);
    const b = await run(['scan', '--profile', 'contoso.json', '--colour']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--colour: unknown option/);
    const c = await run(['scan', '--profile']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--profile: needs a value/);
    const d = await run(['scna']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/unknown command 'scna'/);
  });

  it('exits 2 naming the field of a profile with a wrong field', async () => {
    const bad = contosoProfile();
    (bad.cloud as Record<string, unknown>).tenantID = (bad.cloud as Record<string, unknown>).tenantId;
    delete (bad.cloud as Record<string, unknown>).tenantId;
    write('typo.json', bad);
    const r = await run(['scan', '--profile', 'typo.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cloud\.(tenantId|tenantID)/);

    write('url.json', contosoProfile({ onPrem: { ...(contosoProfile().onPrem as object), url: 'https://dc01.contoso.com' } }));
    const u = await run(['scan', '--profile', 'url.json']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/onPrem\.url: must be ldaps:\/\/host/);

    write('auth.json', contosoProfile({ cloud: { ...(contosoProfile().cloud as object), auth: { type: 'password' } } }));
    const v = await run(['scan', '--profile', 'auth.json']);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/cloud\.auth\.type/);

    write('spell.json', contosoProfile({ onPrem: { ...(contosoProfile().onPrem as object), serchBases: ['OU=Staff,DC=contoso,DC=com'] } }));
    const s = await run(['scan', '--profile', 'spell.json']);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/onPrem\.serchBases: unknown field/);

    const missing = await run(['scan', '--profile', 'nowhere.json']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nowhere\.json does not exist/);
  });

  it('resolves relative paths against the profile folder and accepts an array of sources', async () => {
    const p = contosoProfile({
      onPrem: [contosoProfile().onPrem, { ...(contosoProfile().onPrem as object), id: 'fabrikam', url: 'ldaps://dc01.fabrikam.com', baseDn: 'DC=fabrikam,DC=com', searchBases: undefined }],
      cloud: { ...(contosoProfile().cloud as object), auth: { type: 'certificate', certificateFile: 'certs/app.pem', privateKeyFile: '/etc/syncdrift/app.key' } },
    });
    write('multi.json', p);
    const profile = await loadProfile(join(dir, 'multi.json'));
    expect(profile.onPrem.map((s) => s.id)).toEqual(['dc01.contoso.com', 'fabrikam']);
    expect(profile.onPrem[0]!.caFile).toBe(join(dir, 'contoso-ca.pem'));
    expect(profile.cloud.auth).toMatchObject({ certificateFile: join(dir, 'certs/app.pem'), privateKeyFile: '/etc/syncdrift/app.key' });
    expect(profile.cloud.environment).toBe('global');
  });

  it('hands commands owned by other capabilities to them', async () => {
    const r = await run(['sandbox', '--help']);
    expect(r.code).toBe(0);
    expect(r.out + r.err).toMatch(/Usage: syncdrift sandbox/);
    const h = await run(['--help']);
    expect(h.out).toMatch(/Also: sandbox, plan, apply/);
  });

  it('parses each command into typed options', () => {
    expect(parseCommandLine(['scan', '--profile', 'p.json', '--all', '--format', 'CSV'])).toMatchObject({ command: 'scan', profile: 'p.json', all: true, format: 'csv', save: true });
    expect(parseCommandLine(['purge', '--older-than', '30d'])).toEqual({ command: 'purge', olderThan: '30d', workspace: null });
    expect(() => parseCommandLine(['import', '--ldif', 'a.ldf'])).toThrow(/--graph-json: is required/);
    expect(parseCommandLine([])).toEqual({ command: 'help', topic: null });
  });
});

describe('scan, demo and exit codes', () => {
  it('runs a scan through the pipeline with the live-source factory and records it', async () => {
    const services: Partial<CliServices> = {
      openLiveSources: async (profile) => {
        expect(profile.name).toBe('Contoso');
        const onPrem = await importLdifFile(join(dir, 'contoso-users.ldf'));
        const users = await importGraphUsersFile(join(dir, 'contoso-entra-users.json'));
        return { onPrem: [onPrem], cloudUsers: pagesOf([users.slice(0, 5), users.slice(5)]), tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', close: async () => {} };
      },
    };
    const r = await run(['scan', '--profile', 'contoso.json', '--format', 'json', '--all', '--workspace', 'ws/contoso.db'], services);
    expect(r.code).toBe(0);
    const ws = openWorkspace(join(dir, 'ws/contoso.db'));
    const scan = ws.scans.latest('Contoso')!;
    expect(scan.kind).toBe('live');
    expect(scan.meta.tenantId).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(ws.rows.counts(scan.id)['cloud-override']).toBe(1);
    ws.close();
  });

  it('exits 3 when the directory cannot be reached and 4 when data is missing', async () => {
    const down = await run(['scan', '--profile', 'contoso.json', '--no-save'], {
      openLiveSources: async () => {
        throw new SyncDriftError('connection', 'LDAP_UNREACHABLE', 'Cannot reach dc01.contoso.com:636 (connection refused). Check the DC and the firewall.');
      },
    });
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/Cannot reach dc01\.contoso\.com:636/);
    const partial = await run(['scan', '--profile', 'contoso.json', '--no-save', '--format', 'json'], {
      openLiveSources: async () => ({
        onPrem: [await importLdifFile(join(dir, 'contoso-users.ldf'))],
        cloudUsers: pagesOf([await importGraphUsersFile(join(dir, 'contoso-entra-users.json'))]),
        tenantId: null,
        missing: ['audit log: AuditLog.Read.All not granted'],
        close: async () => {},
      }),
    });
    expect(partial.code).toBe(4);
    expect(partial.err).toMatch(/partial data; missing: audit log: AuditLog\.Read\.All not granted/);
    expect(() => DriftReport.parse(JSON.parse(partial.out))).not.toThrow();
  });

  it('exits 1 on an unexpected error and points to a log without secrets', async () => {
    const r = await run(['demo'], {
      openDemoSources: async () => {
        throw Object.assign(new TypeError("Cannot read properties of undefined (reading 'mobilePhone')"), { password: 'hunter2' });
      },
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unexpected error: Cannot read properties of undefined/);
    const log = /details: (.*\.log)\)/.exec(r.err)?.[1];
    expect(log && existsSync(log)).toBe(true);
    const text = readFileSync(log!, 'utf8');
    expect(text).toMatch(/TypeError/);
    expect(text).not.toMatch(/hunter2/);
  });
});

describe('workspace commands', () => {
  it('purges, exports and imports a workspace', async () => {
    await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--workspace', 'a.db']);
    const ex = await run(['export-workspace', '--workspace', 'a.db', '--out', 'a.sdx']);
    expect(ex.code).toBe(0);
    expect(ex.err).toMatch(/phone numbers masked/);
    const im = await run(['import-workspace', 'a.sdx', '--workspace', 'b.db']);
    expect(im.code).toBe(0);
    expect(im.err).toMatch(/Imported \d+ record/);
    const bad = await run(['purge', '--older-than', 'forever', '--workspace', 'b.db']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--older-than: 'forever' is not a duration/);
    const kept = await run(['purge', '--older-than', '1d', '--workspace', 'b.db']);
    expect(kept.out).toMatch(/: 0 scan\(s\)/);
    nowIso = '2025-02-05T08:00:00Z';
    const p = await run(['purge', '--older-than', '1d', '--workspace', 'b.db']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/1 scan\(s\)/);
  });

  it('names what a masked export-workspace left out, and what import-workspace took in as masked copies', async () => {
    const a = openWorkspace(join(dir, 'a.db'), { clock });
    const plan = { id: 'p1', rows: [], steps: [{ id: 'ad:1', kind: 'ad-write', expected: '+1 803 555 0112', next: null }] };
    a.sessions.create({ id: 's1', state: 'done', data: { remediation: { state: 'completed', plan, meta: { owner: null, message: 'Done.', undo: null } } } });
    a.settings.set('remediation:plan:p1', plan);
    a.settings.set('remediation:plan-owner:p1', { scanId: 'x', profileId: 'sandbox' });
    a.settings.set('feature-x:state', { last: '+1 803 555 0112' });
    a.close();
    const ex = await run(['export-workspace', '--workspace', 'a.db', '--out', 'a.sdx']);
    expect(ex.code, ex.err).toBe(0);
    expect(ex.err).toMatch(/Left out of the masked file: 1 record\(s\) it cannot mask \(settings feature-x:state: a setting this build does not know how to mask\)\. Export with --no-mask to carry them\./);
    const im = await run(['import-workspace', 'a.sdx', '--workspace', 'b.db']);
    expect(im.code, im.err).toBe(0);
    expect(im.err).toMatch(/1 remediation session\(s\) and 1 plan\(s\) arrived as masked copies: they can be read here, never applied, resumed or undone\./);
    const plain = await run(['export-workspace', '--workspace', 'a.db', '--out', 'plain.sdx', '--no-mask']);
    expect(plain.err).not.toMatch(/Left out/);
    const im2 = await run(['import-workspace', 'plain.sdx', '--workspace', 'c.db']);
    expect(im2.err).not.toMatch(/masked copies/);
  });

  it('carries the profile\u2019s Connect import through export-workspace and import-workspace, masked unless --no-mask (#18)', async () => {
    const a = openWorkspace(join(dir, 'a.db'), { clock });
    const profile = a.profiles.save({ name: 'Contoso', profile: { name: 'Contoso' } });
    const object = {
      engine: 'connect' as const,
      sourceAnchor: 'AAAAAAAAAAAAAAAAAAAAAA==',
      onPremDn: 'CN=Adele Vance,OU=Staff,DC=contoso,DC=com',
      cloudId: null,
      state: 'exported' as const,
      exported: { mobile: '+1 803 555 0112', otherMobile: [] },
      exportedAt: '2025-02-01T10:00:00Z',
      rule: null,
      reason: null,
      evidence: [{ source: 'Export-ADSyncToolsObjects' as const, origin: 'cs-export.xml', line: 12 }],
    };
    const info = { importedAt: '2025-02-02T09:00:00.000Z', objects: 1, files: [{ file: 'cs-export.xml', kind: 'cs-xml' as const, bytes: 100 }], stats: { aadUsers: 1, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 0 } };
    a.engineImports.put(profile.id, info, [object]);
    a.close();
    const ex = await run(['export-workspace', '--workspace', 'a.db', '--out', 'a.sdx']);
    expect(ex.code, ex.err).toBe(0);
    expect(ex.err).toMatch(/0 scan\(s\), 1 Connect import\(s\), phone numbers masked/);
    const im = await run(['import-workspace', 'a.sdx', '--workspace', 'b.db']);
    expect(im.code, im.err).toBe(0);
    expect(im.err).toMatch(/\(0 scan\(s\), 1 Connect import\(s\), masked\)/);
    expect(im.err).toMatch(/masked Connect import is shown but not joined by scans/);
    const plain = await run(['export-workspace', '--workspace', 'a.db', '--out', 'plain.sdx', '--no-mask']);
    expect(plain.err).toMatch(/1 Connect import\(s\), phone numbers NOT masked/);
    const im2 = await run(['import-workspace', 'plain.sdx', '--workspace', 'c.db']);
    expect(im2.err).toMatch(/Imported \d+ record\(s\) \(0 scan\(s\), 1 Connect import\(s\)\)/);
    expect(im2.err).not.toMatch(/not joined/);
    const b = openWorkspace(join(dir, 'b.db'), { clock });
    const c = openWorkspace(join(dir, 'c.db'), { clock });
    try {
      expect(b.engineImports.get(profile.id)?.objects[0]?.exported?.mobile).toBe('+1 803 \u2022\u2022\u2022 \u2022\u202212');
      expect(c.engineImports.get(profile.id)).toEqual({ info, objects: [object] });
    } finally {
      b.close();
      c.close();
    }
  });

  it('writes the export kit for both sides', async () => {
    const r = await run(['export-kit', '--out', 'kit', '--base-dn', 'DC=contoso,DC=com']);
    expect(r.code).toBe(0);
    const files = readdirSync(join(dir, 'kit'));
    expect(files).toContain('export-entra.ps1');
    expect(files.length).toBeGreaterThan(1);
    expect(readFileSync(join(dir, 'kit', 'export-entra.ps1'), 'utf8')).toMatch(/OnPremisesImmutableId/);
  });
});

describe('syncdrift import --connect-export (#18)', () => {
  const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join('');
  const aad = (anchor: string, mobile: string) =>
    `  <cs-object cs-dn="CN={${hex(anchor)}}" id="{0}" object-type="user">\n    <synchronized-hologram><entry dn="x">\n      <attr name="sourceAnchor" multivalued="false"><value>${anchor}</value></attr>\n      <attr name="mobile" multivalued="false"><value>${mobile}</value></attr>\n    </entry></synchronized-hologram>\n  </cs-object>`;

  /** Connect exports of the Contoso users: Alex reformatted by a custom rule, Grady stuck (exported = AD). */
  async function writeExports(): Promise<void> {
    const { objectGuidToAnchor } = await import('../../../main/drift/row-parts');
    const alex = objectGuidToAnchor('7b1c3f40-2d5e-4f60-8b9c-8d7e6f504b32')!;
    const grady = objectGuidToAnchor('9d3e5162-4f70-4182-adbe-af9081726d54')!;
    const graph = contosoGraphPage() as { value: Array<{ userPrincipalName: string; mobilePhone: string | null }> };
    const alexCloud = graph.value.find((u) => u.userPrincipalName === 'alex.wilber@contoso.com')!.mobilePhone!;
    write('aad-cs.xml', `<cs-objects ma-name="contoso.onmicrosoft.com - AAD">\n${aad(alex, alexCloud)}\n${aad(grady, '+1 425 555 0103')}\n</cs-objects>\n`);
    write('sync-rules.json', [
      { Name: 'Custom - Mobile E.164', Direction: 0, Precedence: 50, AttributeFlowMappings: [{ Source: ['mobile'], Destination: 'mobile', FlowType: 2, Expression: 'Replace([mobile]," ","")' }] },
    ]);
  }
  it('shows the custom rule\u2019s user as rule-formatted and the stuck user as a confirmed override; a malformed export fails naming file and line', async () => {
    await writeExports();
    const r = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--connect-export', 'aad-cs.xml', '--connect-export', 'sync-rules.json', '--format', 'json', '--all', '--no-save']);
    expect(r.err).not.toMatch(/syncdrift:/);
    const report = DriftReport.parse(JSON.parse(r.out));
    const row = (upn: string) => report.rows.find((x) => x.upn === upn)!;
    expect(row('alex.wilber@contoso.com').status).toBe('rule-formatted');
    expect(row('alex.wilber@contoso.com').cause).toMatch(/Custom - Mobile E\.164/);
    expect(row('grady.archie@contoso.com')).toMatchObject({ status: 'cloud-override', flags: expect.arrayContaining(['override-confirmed']) });
    expect(row('grady.archie@contoso.com').engine?.evidence[0]).toMatchObject({ source: 'Export-ADSyncToolsObjects', origin: 'aad-cs.xml', line: 8 });
    expect(row('adele.vance@contoso.com').engine).toBeNull();

    write('bad.xml', '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    const bad = await run(['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--connect-export', 'bad.xml', '--no-save']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/bad\.xml:3: closing tag <\/cs-objects> does not match <cs-object> opened on line 2/);
  });

  const IMPORT = ['import', '--ldif', 'contoso-users.ldf', '--graph-json', 'contoso-entra-users.json', '--profile', 'contoso.json', '--connect-export', 'aad-cs.xml', '--connect-export', 'sync-rules.json', '--format', 'json', '--all'];
  const rowOf = (r: Captured, upn: string) => DriftReport.parse(JSON.parse(r.out)).rows.find((x) => x.upn === upn)!;

  it('keeps the read in the workspace and takes it back while the files are unchanged; a changed file is read again', async () => {
    await writeExports();
    const first = await run(IMPORT);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/Connect exports: 2 Entra ID connector user\(s\)/);
    expect(first.err).not.toMatch(/unchanged since/);
    const ws = openWorkspace(join(dir, 'home', 'workspace.db'));
    expect(ws.blobs.keys('connect-export-cache:')).toEqual(['connect-export-cache:meta', 'connect-export-cache:objects']);
    ws.close();

    nowIso = '2025-02-03T09:00:00Z';
    const second = await run(IMPORT);
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/Connect exports: unchanged since they were read at 2025-02-03T08:00:00\.000Z, taken from .*workspace\.db \(2 Entra ID connector user\(s\)/);
    expect(rowOf(second, 'alex.wilber@contoso.com').status).toBe('rule-formatted');
    expect(rowOf(second, 'grady.archie@contoso.com').engine?.evidence[0]).toMatchObject({ origin: 'aad-cs.xml', line: 8 });
    expect(JSON.parse(second.out).rows).toEqual(JSON.parse(first.out).rows);

    // Same size, new content: what the engine exported for Grady changed, which the kept read would not say.
    const xml = readFileSync(join(dir, 'aad-cs.xml'), 'utf8');
    writeFileSync(join(dir, 'aad-cs.xml'), xml.replace('+1 425 555 0103', '+1 425 555 0109'));
    const third = await run(IMPORT);
    expect(third.err).not.toMatch(/unchanged since/);
    expect(rowOf(third, 'grady.archie@contoso.com').engine?.exported?.mobile).toBe('+1 425 555 0109');

    // Naming the files in another order, or fewer of them, is another read.
    const fewer = await run(IMPORT.filter((a, i, all) => a !== 'sync-rules.json' && !(a === '--connect-export' && all[i + 1] === 'sync-rules.json')));
    expect(fewer.err).not.toMatch(/unchanged since/);
    expect(rowOf(fewer, 'alex.wilber@contoso.com').engine?.rule ?? null).toBeNull();
  });

  it('reads the files again when the kept read no longer checks, and keeps nothing with --no-save', async () => {
    await writeExports();
    expect((await run(IMPORT)).code).toBe(0);
    const ws = openWorkspace(join(dir, 'home', 'workspace.db'));
    const body = ws.blobs.get('connect-export-cache:objects')!;
    ws.blobs.put('connect-export-cache:objects', body.subarray(0, body.length - 40));
    ws.close();
    const again = await run(IMPORT);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/Connect exports \(the read kept in the workspace no longer checks, so they are read again\): 2 Entra ID/);
    expect(rowOf(again, 'alex.wilber@contoso.com').status).toBe('rule-formatted');
    // ...and kept again, whole.
    const ws2 = openWorkspace(join(dir, 'home', 'workspace.db'));
    expect(ws2.blobs.get('connect-export-cache:objects')!.equals(body)).toBe(true);
    ws2.close();

    rmSync(join(dir, 'home'), { recursive: true, force: true });
    const nosave = await run([...IMPORT, '--no-save']);
    expect(nosave.code).toBe(0);
    expect(existsSync(join(dir, 'home', 'workspace.db'))).toBe(false);
  });

  it('joins the exports to a live scan (`scan --connect-export`), and refuses them for a Cloud Sync profile', async () => {
    await writeExports();
    const services: Partial<CliServices> = {
      openLiveSources: async () => ({
        onPrem: [await importLdifFile(join(dir, 'contoso-users.ldf'))],
        cloudUsers: pagesOf([await importGraphUsersFile(join(dir, 'contoso-entra-users.json'))]),
        tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        close: async () => {},
      }),
    };
    const r = await run(['scan', '--profile', 'contoso.json', '--connect-export', 'aad-cs.xml', '--connect-export', 'sync-rules.json', '--format', 'json', '--all', '--no-save'], services);
    expect(r.err).not.toMatch(/syncdrift:/);
    expect(r.code).toBe(0);
    expect(rowOf(r, 'alex.wilber@contoso.com').status).toBe('rule-formatted');
    expect(rowOf(r, 'grady.archie@contoso.com')).toMatchObject({ status: 'cloud-override', flags: expect.arrayContaining(['override-confirmed']) });

    write('bad.xml', '<cs-objects>\n  <cs-object cs-dn="CN={41}">\n</cs-objects>\n');
    const bad = await run(['scan', '--profile', 'contoso.json', '--connect-export', 'bad.xml', '--no-save'], services);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.xml:3: closing tag/);

    write('cs.json', contosoProfile({ cloud: { ...(contosoProfile().cloud as object), cloudSync: { servicePrincipalId: '11111111-2222-4333-8444-555555555555' } } }));
    const cs = await run(['scan', '--profile', 'cs.json', '--connect-export', 'aad-cs.xml', '--no-save'], { openLiveSources: async () => { throw new Error('not reached'); } });
    expect(cs.code).toBe(2);
    expect(cs.err).toMatch(/--connect-export: the profile\u2019s tenant syncs with Cloud Sync/);
    expect((await run(['scan', '--profile', 'contoso.json', '--connect-export', ''])).err).toMatch(/--connect-export: needs a file name/);
  });
});
