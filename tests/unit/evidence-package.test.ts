/**
 * The support-case package built from the field-report replay: every file's content checked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvidenceFiles, MANIFEST_NAME, renderViews, sha256Hex, writeEvidencePackage } from '../../main/evidence';
import { fieldReportScan, type FieldReportScan } from '../support/evidence-replay';
import { readZipEntries } from '../support/evidence-zip';

let scan: FieldReportScan;
let dir: string;
let files: Map<string, Buffer>;
const text = (name: string) => {
  const f = files.get(name);
  if (!f) throw new Error(`no ${name} in the package; have ${[...files.keys()].join(', ')}`);
  return f.toString('utf8');
};
const json = (name: string) => JSON.parse(text(name)) as Record<string, unknown>;

beforeAll(async () => {
  scan = await fieldReportScan();
  dir = await mkdtemp(join(tmpdir(), 'syncdrift-evidence-'));
  const out = join(dir, 'case.zip');
  await writeEvidencePackage(scan.input, out, { packagedAt: '2025-02-04T09:30:00Z' });
  files = await readZipEntries(out);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the evidence package of the field report', () => {
  it('holds exactly the manifest, both summaries, the csv, the transcript and one file per affected user', () => {
    expect([...files.keys()]).toEqual(
      [
        'affected-users.csv',
        MANIFEST_NAME,
        'summary.html',
        'summary.md',
        'transcript.txt',
        `users/${scan.ids.eve}.json`,
        `users/${scan.ids.raj}.json`,
        `users/${scan.ids.testmobile}.json`,
      ].sort(),
    );
    // Ana's alternates changed but her mobile matches: in-sync, not part of the case by default.
    expect(files.has(`users/${scan.ids.ana}.json`)).toBe(false);
  });

  it('manifest names tool, profile, tenant, operator, times, scope, masking, and hashes every other file', () => {
    const m = json(MANIFEST_NAME) as {
      tool: { version: string };
      files: Record<string, string>;
      [k: string]: unknown;
    };
    expect(m).toMatchObject({
      format: 'syncdrift-evidence/1',
      tool: { name: 'SyncDrift Workbench', version: '0.1.0' },
      profile: 'fortmill-prod',
      operator: 'admin@fortmillems.org',
      tenant: { id: scan.tenant.tenantId, cloud: 'global', displayName: 'Fort Mill EMS' },
      scanAt: '2025-02-03T17:15:00.000Z',
      packagedAt: '2025-02-04T09:30:00.000Z',
      scope: { searchBases: ['OU=Users,OU=Fort Mill,DC=corp,DC=fortmillems,DC=org'], note: null },
      masked: false,
      dataSource: 'snapshots',
      users: 3,
      session: false,
      hashAlgorithm: 'SHA-256',
    });
    const others = [...files.keys()].filter((n) => n !== MANIFEST_NAME);
    expect(Object.keys(m.files).sort()).toEqual(others.sort());
    for (const n of others) expect(m.files[n], n).toBe(sha256Hex(files.get(n)!));
  });

  it("testmobile's file carries both values, the AD account as read, the Graph user and the help-desk edit with its actor", () => {
    const u = json(`users/${scan.ids.testmobile}.json`) as {
      verdict: { status: string; cause: string; supportRequest: boolean };
      onPrem: { source: string; user: Record<string, unknown> & { changes: Record<string, { version: number; changedAt: string }> } };
      cloud: { source: string; user: Record<string, unknown> };
      auditRecords: { activityDisplayName: string; initiatedBy: { user: { userPrincipalName: string } | null }; targetResources: { modifiedProperties: { displayName: string; oldValue: string; newValue: string }[] }[] }[];
      mobileChanges: { actor: string; syncWrite: boolean; newValue: string }[];
    };
    expect(u.verdict).toMatchObject({ status: 'cloud-override', supportRequest: true });
    expect(u.verdict.cause).toMatch(/edited in the cloud.*override.*helpdesk@fortmillems\.org/);
    expect(u.onPrem.source).toBe('snapshot');
    expect(u.onPrem.user).toMatchObject({
      mobile: '0987654321',
      dn: 'CN=testmobile,OU=Users,OU=Fort Mill,DC=corp,DC=fortmillems,DC=org',
      objectGuid: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      objectSid: 'S-1-5-21-2127521184-1604012920-1887927527-4101',
      sourceAnchor: 'Oyocb15NYE+Ke5wNHi86Sw==',
      samAccountName: 'testmobile',
    });
    // Replication metadata: mobile written three times (8035551212, 9991112222, 0987654321).
    expect(u.onPrem.user.changes.mobile).toMatchObject({ version: 3, changedAt: '2025-02-03T16:30:00.000Z' });
    expect(u.cloud.source).toBe('graph');
    expect(u.cloud.user).toMatchObject({ id: scan.ids.testmobile, mobilePhone: '1234567890', onPremisesImmutableId: 'Oyocb15NYE+Ke5wNHi86Sw==', onPremisesSyncEnabled: true });
    const legacy = u.auditRecords.find((r) => r.initiatedBy.user?.userPrincipalName === 'helpdesk@fortmillems.org');
    expect(legacy?.activityDisplayName).toBe('Update user');
    expect(legacy?.targetResources[0]?.modifiedProperties).toContainEqual({ displayName: 'Mobile', oldValue: '["9991112222"]', newValue: '["1234567890"]' });
    // The sync writes before the edit are there too, told apart from it.
    expect(u.mobileChanges.map((c) => [c.newValue, c.syncWrite, c.actor.startsWith('Sync_')])).toEqual([
      ['9991112222', true, true],
      ['1234567890', false, false],
    ]);
  });

  it('transcript shows the three PowerShell views of the field report, each labelled as rendered', () => {
    const t = text('transcript.txt');
    const block = t.slice(t.indexOf('==== testmobile@fortmillems.org'));
    expect(block).toContain('[PS] C:\\>Get-User testmobile | fl *mobile*\n\nMobilePhone : 0987654321\n');
    expect(block).toContain('PS C:\\> Get-MsolUser -UserPrincipalName testmobile@fortmillems.org | fl *mobile*\n\nAlternateMobilePhones : (unknown)\nMobilePhone           : 1234567890\n');
    expect(block).toContain('PS C:\\> Get-User testmobile@fortmillems.org | fl *mobile*\n\nMobilePhone : 1234567890\n');
    expect(block.match(/^# RENDERED by SyncDrift Workbench from .* read at 2025-02-03T17:15:00\.000Z\.$/gm)).toHaveLength(3);
    expect(t).toMatch(/MSOnline \(Get-MsolUser\) is retired/);
    expect(t).toMatch(/Exchange Online has no API for its Get-User view/);
  });

  it('renderViews gives the UI drawer the same views, masked on request', () => {
    const input = scan.input;
    const row = scan.input.report.rows.find((r) => r.upn === 'testmobile@fortmillems.org')!;
    const onPrem = scan.input.onPremUsers.find((u) => u.samAccountName === 'testmobile')!;
    const cloud = scan.input.cloudUsers.find((u) => u.id === scan.ids.testmobile)!;
    const views = renderViews(row, onPrem, cloud, input.report.generatedAt);
    expect(views.map((v) => v.title.split(':')[0])).toEqual(['On-premises Exchange Management Shell', 'MSOnline', 'Exchange Online PowerShell']);
    expect(views.every((v) => /RENDERED/.test(v.title) && /RENDERED/.test(v.text))).toBe(true);
    const masked = renderViews(row, onPrem, cloud, input.report.generatedAt, { mask: true });
    expect(masked[0]!.text).toContain('MobilePhone : ••••••••21');
    expect(masked.map((v) => v.text).join('')).not.toMatch(/0987654321|1234567890/);
    // Without snapshots the views come from the row and say so.
    expect(renderViews(row, null, null, input.report.generatedAt)[0]!.text).toContain("the drift report's copy of the AD data");
  });

  it('summary.md tells what was observed, links the documentation, shows sync state, counts and the ask', () => {
    const md = text('summary.md');
    expect(md).toContain('](https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides)');
    expect(md).toContain('](https://learn.microsoft.com/en-us/graph/api/resources/onpremisesdirectorysynchronization?view=graph-rest-1.0)');
    expect(md).toMatch(/April 2025/);
    expect(md).toContain('| bypassDirSyncOverridesEnabled | not enabled (false) |');
    expect(md).toContain('| Last sync of the tenant (onPremisesLastSyncDateTime) | 2025-02-03T17:00:00.000Z');
    expect(md).toContain('| cloud-override | Different numbers (cloud value edited in the cloud; AD changes ignored) | 1 |');
    expect(md).toContain('| in-sync | In sync | 1 |');
    expect(md).toMatch(/Please confirm .*DirSyncOverrides.* for the 3 Entra ID object id\(s\)/);
    const ask = md.slice(md.indexOf('## What we ask of support'), md.indexOf('## In this package'));
    for (const id of [scan.ids.testmobile, scan.ids.raj, scan.ids.eve]) expect(ask).toContain(`| \`${id}\` |`);
    expect(ask).not.toContain(scan.ids.ana);
    expect(md).toContain('| testmobile@fortmillems.org | `' + scan.ids.testmobile + '` | cloud-override | `0987654321` | `1234567890` | 2025-02-03 15:30 UTC by helpdesk@fortmillems.org |');
  });

  it('asks support for what it can do today: no per-object revert, the bypass named, the 2025-04-09 how-to cited (#17 point 6)', () => {
    const md = text('summary.md');
    const html = text('summary.html');
    const ask = md.slice(md.indexOf('## What we ask of support'), md.indexOf('## In this package'));
    // Microsoft's troubleshooting guidance no longer offers a per-object revert: the package must not ask for one.
    expect(ask).not.toMatch(/please revert|revert \(clear\)|reverting the flag|needs the flag reverted/i);
    expect(ask).toMatch(/no longer offers a per-object revert/);
    expect(html).not.toMatch(/Please revert/);
    expect(ask).toContain('BypassDirSyncOverrides');
    expect(ask).toMatch(/full \(initial\) sync cycle/);
    // The April 2025 statement cites the how-to's 2025-04-09 revision, not the what's-new archive.
    expect(md).not.toContain('whats-new-archive');
    expect(html).not.toContain('whats-new-archive');
    expect(md).toMatch(/\[[^\]]*revised 2025-04-09[^\]]*\]\(https:\/\/learn\.microsoft\.com\/en-us\/entra\/identity\/hybrid\/connect\/how-to-bypassdirsyncoverrides\)/);
  });

  it('summary.html carries the same facts, escapes them, and loads nothing', () => {
    const html = text('summary.html');
    expect(html).toContain('<a href="https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides"');
    expect(html).toContain(`<code>${scan.ids.testmobile}</code>`);
    expect(html).toContain('<code>0987654321</code>');
    expect(html).toContain('<code>1234567890</code>');
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; style-src 'sha256-/);
    expect(html).not.toMatch(/<script|<img|<link|<iframe|@import|url\(/i);
    expect(html).toMatch(/Please confirm .*DirSyncOverrides/);
  });

  it('affected-users.csv lists the same users with both values and the support flag', () => {
    const lines = text('affected-users.csv').split('\r\n');
    expect(lines[0]).toMatch(/^upn,displayName,status,supportRequest,cloudObjectId,onPremisesImmutableId,onPremMobile,cloudMobilePhone,/);
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(5);
    const tm = lines.find((l) => l.startsWith('testmobile@'))!;
    expect(tm).toContain(`testmobile@fortmillems.org,testmobile,cloud-override,yes,${scan.ids.testmobile},Oyocb15NYE+Ke5wNHi86Sw==,0987654321,1234567890,`);
    expect(lines.find((l) => l.startsWith('eve.stone@'))).toContain(',format-only,yes,');
    expect(lines.find((l) => l.startsWith('eve.stone@'))).toContain(',+1 803 555 0150,(803) 555-0150,');
  });

  it('with a user list only those users are packed, and an unknown name is refused by name', () => {
    const b = buildEvidenceFiles(scan.input, { users: ['TESTMOBILE@fortmillems.org', 'alima'], packagedAt: '2025-02-04T09:30:00Z' });
    expect([...b.files.keys()].filter((n) => n.startsWith('users/')).sort()).toEqual([`users/${scan.ids.ana}.json`, `users/${scan.ids.testmobile}.json`].sort());
    expect(b.manifest.users).toBe(2);
    expect(b.files.get('summary.md')!.toString()).toMatch(/the users the operator listed.*1 of them are in the request/);
    expect(() => buildEvidenceFiles(scan.input, { users: ['nobody@fortmillems.org'] })).toThrow(/users: no row of the report matches 'nobody@fortmillems.org'/);
  });

  it('from a report alone it builds from the rows and says so', () => {
    const b = buildEvidenceFiles(
      { ...scan.input, onPremUsers: null, cloudUsers: null, auditRecords: [], tenant: { tenantId: null, cloud: null, syncFeatures: { state: 'unknown', reason: 'not recorded' } } },
      { packagedAt: '2025-02-04T09:30:00Z' },
    );
    expect(b.manifest.dataSource).toBe('report-rows');
    const md = b.files.get('summary.md')!.toString();
    expect(md).toMatch(/Built from the drift report rows only/);
    expect(md).toContain('| bypassDirSyncOverridesEnabled | unknown: not recorded |');
    const u = JSON.parse(b.files.get(`users/${scan.ids.testmobile}.json`)!.toString()) as { onPrem: { source: string; user: null }; row: { onPrem: { value: string }; cloud: { value: string } } };
    expect(u.onPrem).toMatchObject({ source: 'report-row', user: null });
    expect([u.row.onPrem.value, u.row.cloud.value]).toEqual(['0987654321', '1234567890']);
    expect(b.files.get('transcript.txt')!.toString()).toContain("from the drift report's copy of the AD data");
  });

  it('a remediation session adds its plan, journal and verification; bad input names the field', () => {
    const session = { plan: { steps: [{ kind: 'support-case', rowKey: 'k' }] }, journal: [{ seq: 1, intent: 'x' }], verification: { done: true } };
    const b = buildEvidenceFiles({ ...scan.input, session }, { packagedAt: '2025-02-04T09:30:00Z' });
    expect(JSON.parse(b.files.get('plan.json')!.toString())).toEqual(session.plan);
    expect(JSON.parse(b.files.get('journal.json')!.toString())).toEqual(session.journal);
    expect(JSON.parse(b.files.get('verification.json')!.toString())).toEqual(session.verification);
    expect(b.manifest.session).toBe(true);
    expect(() => buildEvidenceFiles({ ...scan.input, session: { plan: 'nope', journal: [], verification: {} } })).toThrow(/session\.plan/);
    expect(() => buildEvidenceFiles({ ...scan.input, tenant: { ...scan.input.tenant, cloud: 'mars' } })).toThrow(/tenant\.cloud/);
  });
});
