import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openWorkspace, type Workspace } from '../../../main/workspace/workspace';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../../main/workspace/migrations';
import { maskPhone, maskPhonesDeep, maskPhonesInText, maskRecordPhones } from '../../../main/workspace/mask';
import { parseDuration } from '../../../main/workspace/retention';
import { computeDrift } from '../../../main/drift/engine';
import { parseDirectoryAudits } from '../../../main/drift/audit';
import { ValidationError } from '../../../main/core/errors';
import type { Clock } from '../../../main/core/ports';
import type { EngineObject } from '../../../main/core/engine-view';
import type { ConnectImportInfo } from '../../../main/core/engine-import';
import { encodeEngineImport } from '../../../main/core/engine-import-format';
import type { ExportFileStamp } from '../../../main/workspace/connect-export-cache';
import { createLogger } from '../../../main/core/logger';
import { ConnectImportService } from '../../../main/api/connect-import-service';
import { Operations } from '../../../main/api/operations';
import { adUser, entraTwin } from '../drift/fixtures';

let dir: string;
let now = new Date('2025-03-01T12:00:00Z');
const clock: Clock = { now: () => now };
const open = (name = 'workspace.db') => openWorkspace(join(dir, name), { clock });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdrift-ws-'));
  now = new Date('2025-03-01T12:00:00Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A small Contoso scan: one of each interesting status. */
function contosoScan() {
  const users = [
    adUser(101, { given: 'Adele', sn: 'Vance', mobile: '+1 803 555 0112' }),
    adUser(102, { given: 'Alex', sn: 'Wilber', mobile: '+1 425 555 0101' }),
    adUser(103, { given: 'Diego', sn: 'Siciliani', mobile: null }),
    adUser(104, { given: 'Grady', sn: 'Archie', mobile: '+1 425 555 0103' }),
    adUser(105, { given: 'Henrietta', sn: 'Mueller', mobile: '+1 425 555 0104' }),
  ];
  const clouds = [
    entraTwin(users[0]!),
    entraTwin(users[1]!, { mobilePhone: '(425) 555-0101' }),
    entraTwin(users[2]!, { mobilePhone: '+1 206 555 0177' }),
    entraTwin(users[3]!, { mobilePhone: '+1 206 555 0178' }),
  ];
  const drift = computeDrift(users, clouds, { defaultRegion: 'US' });
  return { users, clouds, drift };
}

function record(ws: Workspace, startedAt = '2025-03-01T11:00:00Z') {
  const { users, clouds, drift } = contosoScan();
  return ws.scans.record({
    profileName: 'Contoso',
    kind: 'import',
    startedAt,
    finishedAt: startedAt.replace('11:00', '11:05'),
    summary: drift.summary,
    rows: drift.rows,
    onPremUsers: users,
    cloudUsers: clouds,
  });
}

describe('opening a workspace', () => {
  it('applies migrations once, uses WAL with synchronous=FULL and a busy timeout', () => {
    const ws = open();
    expect(ws.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(ws.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ws.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(Number(ws.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    record(ws);
    ws.close();
    const again = open();
    expect(again.scans.list()).toHaveLength(1);
    again.close();
  });

  it('applies a new migration on top of an existing database and refuses a newer one', () => {
    const path = join(dir, 'm.db');
    const db = new Database(path);
    migrate(db);
    const v2 = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'test', sql: 'CREATE TABLE extra (x TEXT);' }];
    expect(migrate(db, v2)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeTruthy();
    expect(() => migrate(db)).toThrow(/newer SyncDrift Workbench/);
    db.close();
  });

  it.skipIf(process.platform === 'win32')('creates the database and its -wal/-shm files owner-only (POSIX modes; Windows uses ACLs)', () => {
    const old = process.umask(0o022);
    try {
      const ws = openWorkspace(join(dir, 'sub', 'ws.db'), { clock });
      record(ws);
      for (const f of ['ws.db', 'ws.db-wal', 'ws.db-shm']) {
        const p = join(dir, 'sub', f);
        expect(existsSync(p), f).toBe(true);
        expect((statSync(p).mode & 0o777).toString(8), f).toBe('600');
      }
      expect((statSync(join(dir, 'sub')).mode & 0o777).toString(8)).toBe('700');
      ws.close();
    } finally {
      process.umask(old);
    }
  });
});

describe('profiles', () => {
  it('stores a profile and refuses one carrying a secret, naming the field', () => {
    const ws = open();
    const p = ws.profiles.save({ name: 'Contoso', profile: { name: 'Contoso', onPrem: { passwordEnv: 'SYNCDRIFT_LDAP_PASSWORD' }, cloud: { auth: { type: 'clientSecret', secretEnv: 'X' } } } });
    expect(ws.profiles.get(p.id)?.name).toBe('Contoso');
    expect(() => ws.profiles.save({ name: 'Bad', profile: { cloud: { auth: { type: 'clientSecret', clientSecret: 'abc~123' } } } })).toThrow(/profile\.cloud\.auth\.clientSecret/);
    ws.close();
  });
});

describe('scans and rows', () => {
  it('keeps snapshots raw enough to rebuild the same rows offline', () => {
    const ws = open();
    const scan = record(ws);
    const again = computeDrift(ws.scans.onPremSnapshot(scan.id), ws.scans.cloudSnapshot(scan.id), { defaultRegion: 'US' });
    const byKey = (rows: Array<{ key: string; status: string }>) => Object.fromEntries(rows.map((r) => [r.key, r.status]));
    expect(byKey(again.rows)).toEqual(byKey(ws.rows.all(scan.id)));
    ws.close();
  });

  it('filters, sorts and pages rows, counts by status and gives a trend across scans', () => {
    const ws = open();
    const first = record(ws, '2025-02-01T11:00:00Z');
    const scan = record(ws);
    const counts = ws.rows.counts(scan.id);
    expect(counts).toMatchObject({ 'in-sync': 1, 'format-only': 1, 'onprem-missing': 1, 'cloud-override': 1, 'unmatched-onprem': 1 });
    const attention = ws.rows.query(scan.id, { statuses: ['format-only', 'cloud-override', 'onprem-missing'], sort: 'upn', limit: 2 });
    expect(attention.total).toBe(3);
    expect(attention.rows.map((r) => r.upn)).toEqual(['alex.wilber@contoso.com', 'diego.siciliani@contoso.com']);
    const page2 = ws.rows.query(scan.id, { statuses: ['format-only', 'cloud-override', 'onprem-missing'], sort: 'upn', limit: 2, offset: 2 });
    expect(page2.rows.map((r) => r.upn)).toEqual(['grady.archie@contoso.com']);
    expect(ws.rows.query(scan.id, { search: 'ADELE' }).rows.map((r) => r.status)).toEqual(['in-sync']);
    expect(ws.rows.query(scan.id, { sort: 'status' }).rows[0]!.status).toBe('unmatched-onprem');
    expect(ws.rows.query(scan.id, { search: '%' }).total).toBe(0);
    const trend = ws.rows.trend({ profileName: 'Contoso' });
    expect(trend.map((t) => t.scanId)).toEqual([first.id, scan.id]);
    expect(trend[1]!.byStatus['format-only']).toBe(1);
    ws.close();
  });
});

describe('audit index', () => {
  const rec = (id: string, user: string, at: string, actor: string) => ({
    id,
    activityDisplayName: 'Update user',
    activityDateTime: at,
    initiatedBy: { user: { userPrincipalName: actor } },
    targetResources: [{ id: user, modifiedProperties: [{ displayName: 'MobilePhone', oldValue: '[]', newValue: '["+1 206 555 0100"]' }] }],
  });

  it('ignores duplicates, keeps a per-tenant high-water mark and answers per user', () => {
    const ws = open();
    const page1 = parseDirectoryAudits([rec('r1', 'u1', '2025-02-10T08:00:00Z', 'a@contoso.com'), rec('r2', 'u1', '2025-02-12T08:00:00Z', 'b@contoso.com')]);
    expect(ws.audit.add('t1', page1.changes, { highWater: '2025-02-12T08:00:00Z' }).inserted).toBe(2);
    // The next fetch starts at the mark (inclusive) and returns r2 again.
    const page2 = parseDirectoryAudits([rec('r2', 'u1', '2025-02-12T08:00:00Z', 'b@contoso.com'), rec('r3', 'u2', '2025-02-13T08:00:00Z', 'c@contoso.com')]);
    expect(ws.audit.add('t1', page2.changes, { highWater: '2025-02-13T08:00:00Z' }).inserted).toBe(1);
    expect(ws.audit.mark('t1')?.highWater).toBe('2025-02-13T08:00:00Z');
    expect(ws.audit.mark('t2')).toBeNull();
    expect(ws.audit.latestForUser('t1', 'u1')?.actor).toBe('b@contoso.com');
    expect(ws.audit.latestForUser('t2', 'u1')).toBeNull();
    expect(ws.audit.lookup('t1')('u9').state).toBe('loading');
    ws.audit.add('t1', [], { coveredFrom: '2025-01-30T00:00:00Z' });
    expect(ws.audit.lookup('t1')('u9').state).toBe('outside-retention');
    expect(ws.audit.lookup('t1')('u2')).toMatchObject({ state: 'known', actor: 'c@contoso.com' });
    ws.close();
  });
});

describe('journal', () => {
  it('refuses a result without an intent and lists intents left open', () => {
    const ws = open();
    const s = ws.sessions.create({ state: 'executing' });
    expect(() => ws.journal.appendResult(s.id, 'step-1', { ok: true })).toThrow(ValidationError);
    ws.journal.appendIntent(s.id, 'step-1', { dn: 'CN=Adele Vance,OU=Staff,DC=contoso,DC=com', expected: null, next: '+1 425 555 0100' });
    ws.journal.appendIntent(s.id, 'step-2', { userId: 'u2' });
    ws.journal.appendResult(s.id, 'step-1', { ok: true });
    expect(ws.journal.openIntents(s.id).map((e) => e.stepId)).toEqual(['step-2']);
    expect(ws.journal.entries(s.id).map((e) => `${e.stepId}:${e.kind}`)).toEqual(['step-1:intent', 'step-2:intent', 'step-1:result']);
    ws.close();
  });

  it('keeps an intent that was committed when the process is killed right after', () => {
    const path = join(dir, 'crash.db');
    const ws = openWorkspace(path, { clock });
    const s = ws.sessions.create({ state: 'executing' });
    ws.close();
    const mod = fileURLToPath(new URL('../../../main/workspace/workspace.ts', import.meta.url));
    const script = join(dir, 'crash.ts');
    writeFileSync(
      script,
      `import { openWorkspace } from ${JSON.stringify(mod)};
       const ws = openWorkspace(${JSON.stringify(path)});
       ws.journal.appendIntent(${JSON.stringify(s.id)}, 'write-mobile', { dn: 'CN=Alex Wilber,OU=Staff,DC=contoso,DC=com' });
       process.kill(process.pid, 'SIGKILL');`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBe('SIGKILL');
    const after = openWorkspace(path, { clock });
    expect(after.journal.openIntents(s.id).map((e) => e.stepId)).toEqual(['write-mobile']);
    after.close();
  });
});

describe('decisions, sessions, blobs, settings', () => {
  it('upserts decisions per row and keeps blobs and retention', () => {
    const ws = open();
    const s = ws.sessions.create({ scanId: null });
    ws.decisions.set(s.id, [{ rowKey: 'mobile:contoso-dc01:a', action: 'keep-onprem' }, { rowKey: 'mobile:contoso-dc01:b', action: 'skip', reason: 'leaver' }]);
    ws.decisions.set(s.id, [{ rowKey: 'mobile:contoso-dc01:a', action: 'keep-cloud' }]);
    expect(ws.decisions.list(s.id).map((d) => `${d.rowKey}=${d.action}`)).toEqual(['mobile:contoso-dc01:a=keep-cloud', 'mobile:contoso-dc01:b=skip']);
    ws.blobs.put('sandbox/state', Buffer.from([1, 2, 3]));
    expect([...ws.blobs.get('sandbox/state')!]).toEqual([1, 2, 3]);
    expect(ws.settings.retention()).toEqual({ keep: null });
    ws.settings.setRetention({ keep: '90d' });
    expect(ws.settings.retention()).toEqual({ keep: '90d' });
    ws.close();
  });
});

/**
 * The Contoso profile with the Connect export its admin imported (#18): the engine exported AD's value
 * for Adele (in sync) and Grady (Entra ID keeps another: a joined scan confirms his override), and
 * failed on Henrietta with her number in the error text.
 */
function withConnectImport(ws: Workspace): { profileId: string; info: ConnectImportInfo; objects: EngineObject[] } {
  const { users } = contosoScan();
  const profile = ws.profiles.save({ name: 'Contoso', profile: { name: 'Contoso' } });
  const object = (i: number, over: Partial<EngineObject> = {}): EngineObject => ({
    engine: 'connect',
    sourceAnchor: users[i]!.sourceAnchor,
    onPremDn: users[i]!.dn,
    cloudId: null,
    state: 'exported',
    exported: { mobile: users[i]!.mobile, otherMobile: [] },
    exportedAt: '2025-02-28T10:00:00Z',
    rule: { name: 'Out to AAD - User Join', precedence: 100, expression: 'direct', sources: ['mobile'], connector: 'contoso.com' },
    reason: null,
    evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs-export.xml', line: 10 + i }],
    ...over,
  });
  const objects = [
    object(0, { exported: { mobile: '+1 803 555 0112', otherMobile: ['+44 20 7946 0958'] } }),
    object(3),
    object(4, { state: 'error', reason: 'the last export of this object failed: the value +1 425 555 0104 was refused' }),
  ];
  const info: ConnectImportInfo = {
    importedAt: '2025-02-28T11:00:00.000Z',
    objects: objects.length,
    files: [{ file: 'cs-export.xml', kind: 'cs-xml', bytes: 4096 }],
    stats: { aadUsers: 3, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 1 },
  };
  ws.engineImports.put(profile.id, info, objects);
  return { profileId: profile.id, info, objects };
}

/** What the app's scans of a profile join: the service every host composes, over this workspace. */
const connectImports = (ws: Workspace) =>
  new ConnectImportService({ workspace: ws, logger: createLogger(() => {}), clock, emit: () => {}, ops: new Operations(), assertProfile: () => {} });

const exportLines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n');
const rewrite = (file: string, lines: string[]) => writeFileSync(file, gzipSync(lines.join('\n')));

describe('export and import', () => {
  it('round-trips a workspace to another workstation unmasked', async () => {
    const a = open('a.db');
    const scan = record(a);
    const s = a.sessions.create({ scanId: scan.id });
    a.journal.appendIntent(s.id, 'x', { next: '+1 425 555 0100' });
    const file = join(dir, 'contoso.sdx');
    const ex = await a.export(file, { mask: false });
    expect(ex.counts.drift_rows).toBe(5);
    if (process.platform !== 'win32') expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const b = open('b.db');
    const im = await b.import(file);
    expect(im.header.masked).toBe(false);
    expect(b.rows.all(scan.id)).toEqual(a.rows.all(scan.id));
    expect(b.scans.onPremSnapshot(scan.id)).toEqual(a.scans.onPremSnapshot(scan.id));
    expect(b.journal.entries(s.id)[0]!.payload).toEqual({ next: '+1 425 555 0100' });
    // Importing twice adds nothing.
    const again = await b.import(file);
    expect(again.inserted.drift_rows).toBeUndefined();
    expect(again.skipped).toBeGreaterThan(0);
    a.close();
    b.close();
  });

  it('masks phone numbers in a one-scan export by default', async () => {
    const a = open('a.db');
    record(a, '2025-02-01T11:00:00Z');
    const scan = record(a);
    const file = join(dir, 'scan.sdx');
    await a.export(file, { scanId: scan.id });
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    expect(text).not.toMatch(/555.?0112/);
    expect(text).toContain('+1 803 \u2022\u2022\u2022 \u2022\u20221' + '2');
    const b = open('b.db');
    await b.import(file);
    expect(b.scans.list().map((x) => x.id)).toEqual([scan.id]);
    expect(b.scans.get(scan.id)?.meta.masked).toBe(true);
    const adele = b.rows.query(scan.id, { search: 'adele' }).rows[0]!;
    expect(adele.onPrem?.value).toBe('+1 803 \u2022\u2022\u2022 \u2022\u202212');
    a.close();
    b.close();
  });

  it('masks the settings it knows, keeps preferences and retention, and leaves out (naming it) a setting it cannot mask', async () => {
    const a = open('a.db');
    a.settings.set('prefs:layout', { screen: 'grid', profileId: 'sandbox', drawerWidth: 420 });
    a.settings.setRetention({ keep: '90d' });
    a.settings.set('remediation:outcome:s1', { sessionId: 's1', state: 'completed', message: 'mobilePhone is now "0987654321"', rows: [{ rowKey: 'k', intended: { onPrem: '0987654321', cloud: '0987654321' }, actual: null }] });
    a.settings.set('remediation:plan-owner:p1', { scanId: 'x', profileId: 'sandbox' });
    a.settings.set('feature-x:state', { last: '+1 803 555 0112' });
    const file = join(dir, 'x.sdx');
    const ex = await a.export(file);
    expect(ex.leftOut).toEqual([{ table: 'settings', key: 'feature-x:state', why: 'a setting this build does not know how to mask' }]);
    expect(ex.counts.settings).toBe(4);
    const settings = new Map(
      exportLines(file)
        .filter((l) => l.includes('"t":"settings"'))
        .map((l) => JSON.parse(l) as { r: { key: string; json: string } })
        .map((l) => [l.r.key, JSON.parse(l.r.json) as unknown]),
    );
    expect(settings.get('prefs:layout')).toEqual({ screen: 'grid', profileId: 'sandbox', drawerWidth: 420 });
    expect(settings.get('retention')).toEqual({ keep: '90d' });
    expect(settings.get('remediation:plan-owner:p1')).toEqual({ scanId: 'x', profileId: 'sandbox', masked: true });
    expect(JSON.stringify(settings.get('remediation:outcome:s1'))).not.toContain('0987654321');
    expect(settings.has('feature-x:state')).toBe(false);
    // Unmasked, every setting travels as it is.
    const plain = await a.export(file, { mask: false });
    expect(plain.leftOut).toEqual([]);
    expect(plain.counts.settings).toBe(5);
    a.close();
  });

  it('refuses a damaged export naming file and line, leaving the workspace untouched', async () => {
    const a = open('a.db');
    record(a);
    const file = join(dir, 'x.sdx');
    await a.export(file, { mask: false });
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"t":"drift_rows"'));
    lines[i] = lines[i]!.replace('"status\\":\\"', '"status\\":\\"bogus-');
    writeFileSync(file, gzipSync(lines.join('\n')));
    const b = open('b.db');
    await expect(b.import(file)).rejects.toThrow(new RegExp(`x\\.sdx:${i + 1}: drift_rows\\.json: status`));
    expect(b.scans.list()).toHaveLength(0);
    a.close();
    b.close();
  });
  it('carries each profile\u2019s Connect import, and a scan of the restored profile joins it (#18)', async () => {
    const a = open('a.db');
    record(a);
    const imp = withConnectImport(a);
    const file = join(dir, 'contoso.sdx');
    const ex = await a.export(file, { mask: false });
    expect(ex.counts).toMatchObject({ connect_imports: 1, connect_import_objects: 3 });
    expect(ex.header.formatVersion).toBe(2);
    const b = open('b.db');
    const im = await b.import(file);
    expect(im.inserted).toMatchObject({ connect_imports: 1, connect_import_objects: 3 });
    expect(b.engineImports.get(imp.profileId)).toEqual({ info: imp.info, objects: imp.objects });
    // What a scan of the profile joins in the receiving workspace: Grady's override is confirmed.
    const joined = connectImports(b).objects(imp.profileId);
    expect(joined).toEqual(imp.objects);
    const { users, clouds } = contosoScan();
    const rows = computeDrift(users, clouds, { defaultRegion: 'US', engineObjects: joined! }).rows;
    const grady = rows.find((r) => r.upn === 'grady.archie@contoso.com')!;
    expect(grady.flags).toContain('override-confirmed');
    expect(grady.engine?.evidence[0]).toMatchObject({ origin: 'cs-export.xml', line: 13 });
    // Importing twice keeps what is there.
    const again = await b.import(file);
    expect(again.inserted.connect_imports).toBeUndefined();
    expect(again.inserted.connect_import_objects).toBeUndefined();
    expect(b.engineImports.get(imp.profileId)).toEqual({ info: imp.info, objects: imp.objects });
    a.close();
    b.close();
  });

  it('keeps the Connect import the target already holds for the profile', async () => {
    const a = open('a.db');
    const imp = withConnectImport(a);
    const file = join(dir, 'contoso.sdx');
    await a.export(file, { mask: false });
    const b = open('b.db');
    const own = { ...imp.info, importedAt: '2025-03-01T09:00:00.000Z', objects: 1 };
    b.engineImports.put(imp.profileId, own, [imp.objects[1]!]);
    const im = await b.import(file);
    expect(im.inserted.connect_imports).toBeUndefined();
    expect(im.skipped).toBeGreaterThanOrEqual(4);
    expect(b.engineImports.get(imp.profileId)).toEqual({ info: own, objects: [imp.objects[1]] });
    a.close();
    b.close();
  });

  it('masks the engine view\u2019s exported values by default, and the masked import is shown but never joined', async () => {
    const a = open('a.db');
    const imp = withConnectImport(a);
    const file = join(dir, 'masked.sdx');
    await a.export(file);
    const text = exportLines(file).join('\n');
    expect(text).not.toMatch(/555.?0112|7946.?0958|555.?0104|555.?0103/);
    const objects = exportLines(file)
      .filter((l) => l.includes('"t":"connect_import_objects"'))
      .map((l) => JSON.parse((JSON.parse(l) as { r: { json: string } }).r.json) as EngineObject);
    expect(objects.map((o) => o.exported)).toEqual([
      { mobile: '+1 803 \u2022\u2022\u2022 \u2022\u202212', otherMobile: ['+44 20 \u2022\u2022\u2022\u2022 \u2022\u202258'] },
      { mobile: '+1 425 \u2022\u2022\u2022 \u2022\u202203', otherMobile: [] },
      { mobile: '+1 425 \u2022\u2022\u2022 \u2022\u202204', otherMobile: [] },
    ]);
    expect(objects[2]!.reason).toBe('the last export of this object failed: the value +1 425 \u2022\u2022\u2022 \u2022\u202204 was refused');
    // Nothing but the phone values changes: the join keys, rules and evidence travel as they are.
    expect(objects.map((o) => [o.sourceAnchor, o.rule, o.evidence])).toEqual(imp.objects.map((o) => [o.sourceAnchor, o.rule, o.evidence]));
    const b = open('b.db');
    await b.import(file);
    const stored = b.engineImports.get(imp.profileId)!;
    expect(stored.info).toEqual({ ...imp.info, masked: true });
    expect(stored.objects).toEqual(objects);
    // Bullets never equal a real value: a scan joining them would misjudge every exported user.
    const service = connectImports(b);
    expect(service.info(imp.profileId)).toEqual({ ...imp.info, masked: true });
    expect(service.objects(imp.profileId)).toBeNull();
    // A hand edit that drops the marks does not make bullets joinable.
    const lines = exportLines(file);
    lines[0] = lines[0]!.replace('"masked":true', '"masked":false');
    const head = lines.findIndex((l) => l.includes('"t":"connect_imports"'));
    lines[head] = lines[head]!.replace(',\\"masked\\":true', '');
    expect(lines[head]).not.toContain('masked');
    rewrite(file, lines);
    const c = open('c.db');
    await c.import(file);
    expect(c.engineImports.get(imp.profileId)?.info.masked).toBe(true);
    expect(connectImports(c).objects(imp.profileId)).toBeNull();
    a.close();
    b.close();
    c.close();
  });

  it('leaves the Connect import out of a one-scan export: its rows carry what the scan joined', async () => {
    const a = open('a.db');
    withConnectImport(a);
    const scan = record(a);
    const file = join(dir, 'scan.sdx');
    const ex = await a.export(file, { scanId: scan.id });
    expect(ex.counts.connect_imports).toBeUndefined();
    expect(ex.header.formatVersion).toBe(1);
    expect(exportLines(file).join('\n')).not.toMatch(/connect_import|engine-import/);
    a.close();
  });

  it('refuses a tampered Connect import naming file, line and field, and writes nothing', async () => {
    const a = open('a.db');
    record(a);
    const imp = withConnectImport(a);
    const file = join(dir, 'x.sdx');
    await a.export(file, { mask: false });
    const good = exportLines(file);
    const head = good.findIndex((l) => l.includes('"t":"connect_imports"'));
    const first = good.findIndex((l) => l.includes('"t":"connect_import_objects"'));
    const editObject = (edit: (o: Record<string, unknown>) => void) => {
      const lines = [...good];
      const rec = JSON.parse(lines[first]!) as { t: string; r: { json: string } };
      const o = JSON.parse(rec.r.json) as Record<string, unknown>;
      edit(o);
      rec.r.json = JSON.stringify(o);
      lines[first] = JSON.stringify(rec);
      return lines;
    };
    const editHead = (edit: (r: Record<string, unknown>) => void) => {
      const lines = [...good];
      const rec = JSON.parse(lines[head]!) as { t: string; r: Record<string, unknown> };
      edit(rec.r);
      lines[head] = JSON.stringify(rec);
      return lines;
    };
    const cases: Array<[string[], RegExp]> = [
      [editObject((o) => ((o.exported as { mobile: unknown }).mobile = 18035550112)), new RegExp(`^x\\.sdx:${first + 1}: connect_import_objects\\.json: exported\\.mobile: `)],
      [editObject((o) => ((o.exported as Record<string, unknown>).mobilePhone = '+1 803 555 0112')), new RegExp(`^x\\.sdx:${first + 1}: connect_import_objects\\.json: exported: .*mobilePhone`)],
      [editObject((o) => (o.state = 'gone')), new RegExp(`^x\\.sdx:${first + 1}: connect_import_objects\\.json: state: `)],
      [editObject((o) => delete o.evidence), new RegExp(`^x\\.sdx:${first + 1}: connect_import_objects\\.json: evidence: `)],
      [editHead((r) => (r.info_json = JSON.stringify({ ...imp.info, objects: -3 }))), new RegExp(`^x\\.sdx:${head + 1}: connect_imports\\.info_json: objects: `)],
      [editHead((r) => (r.profile_id = '')), new RegExp(`^x\\.sdx:${head + 1}: connect_imports\\.profile_id: `)],
      [editHead((r) => (r.extra = 'x')), new RegExp(`^x\\.sdx:${head + 1}: unknown column connect_imports\\.extra`)],
      // A line gone (a truncated or hand-trimmed file): the import would be restored short.
      [good.filter((_, i) => i !== first), new RegExp(`^x\\.sdx:${head + 1}: connect_imports\\.objects: 3 engine objects announced, 2 follow`)],
      // An object with no import before it.
      [good.map((l, i) => (i === head ? '' : l)), new RegExp(`^x\\.sdx:${first + 1}: connect_import_objects\\.profile_id: no connect_imports record for this profile before this line`)],
    ];
    const b = open('b.db');
    for (const [lines, message] of cases) {
      rewrite(file, lines);
      await expect(b.import(file)).rejects.toThrow(message);
      expect(b.scans.list()).toHaveLength(0);
      expect(b.profiles.list()).toHaveLength(0);
      expect(b.engineImports.get(imp.profileId)).toBeNull();
      expect(b.db.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(0);
    }
    a.close();
    b.close();
  });

  it('refuses a file from a newer export format, saying to update', async () => {
    const a = open('a.db');
    record(a);
    const file = join(dir, 'new.sdx');
    await a.export(file);
    const lines = exportLines(file);
    lines[0] = lines[0]!.replace('"formatVersion":1', '"formatVersion":9');
    rewrite(file, lines);
    const b = open('b.db');
    await expect(b.import(file)).rejects.toThrow(/new\.sdx was exported by a newer SyncDrift Workbench \(export format 9\); update this installation first/);
    a.close();
    b.close();
  });
});

describe('masking', () => {
  it('keeps the country code, the first group and the last two digits', () => {
    expect(maskPhone('+1 803 555 0112')).toBe('+1 803 \u2022\u2022\u2022 \u2022\u202212');
    expect(maskPhone('+14255550100;ext=123')).toBe('+1 425 \u2022\u2022\u2022 \u2022\u202200 ext. \u2022\u2022\u2022');
    expect(maskPhone('(425) 555-0100')).toBe('(\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202200');
    expect(maskPhone('n/a')).toBe('n/a');
  });

  it('masks phone fields deep inside rows and snapshots, nothing else', () => {
    const { drift } = contosoScan();
    const masked = maskPhonesDeep(drift.rows[0]) as typeof drift.rows[0];
    expect(masked.onPrem?.value).toMatch(/\u2022/);
    expect(masked.normalized.onPrem).toMatch(/\u2022/);
    expect(masked.onPrem?.dn).toBe(drift.rows[0]!.onPrem?.dn);
    expect(masked.upn).toBe(drift.rows[0]!.upn);
  });

  it('masks a row’s otherMobile values, the normalized forms too, and keeps its note (#17 point 11)', () => {
    const row = { ...contosoScan().drift.rows[0]!, otherMobile: { onPrem: ['+1 425 555 0143'], normalized: ['+14255550143'], changedAt: null, cloud: 'not-readable' as const, verdict: 'bypass-pushes' as const, note: 'AD otherMobile holds 1 value.' } };
    const masked = maskPhonesDeep(row) as typeof row;
    expect(masked.otherMobile.onPrem).toEqual(['+1 425 \u2022\u2022\u2022 \u2022\u202243']);
    expect(masked.otherMobile.normalized).toEqual(['+1 425 \u2022\u2022\u2022 \u2022\u202243']);
    expect(masked.otherMobile.note).toBe('AD otherMobile holds 1 value.');
    expect(masked.otherMobile.cloud).toBe('not-readable');
  });

  it('masks numbers in free text where they stand, and leaves dates, addresses, ids and counts', () => {
    const B = '\u2022';
    expect(maskPhonesInText('AD mobile is now "0987654321", neither "1234567890" nor (empty)')).toBe(`AD mobile is now "${B.repeat(8)}21", neither "${B.repeat(8)}90" nor (empty)`);
    expect(maskPhonesInText('call +1 803 555 0142 or (803) 555-0150.')).toBe(`call +1 803 ${B.repeat(3)} ${B.repeat(2)}42 or (${B.repeat(3)}) ${B.repeat(3)}-${B.repeat(2)}50.`);
    expect(maskPhonesInText('two numbers 0987654321 1234567890')).not.toMatch(/0987654321|1234567890/);
    const untouched = [
      'Microsoft\u2019s how-to (2025-04-09) at 2025-02-03 14:00 UTC, 2025-02-03T14:00:00.000Z, 28.02.2025, host 10.0.0.12',
      'syncdrift resume 12345678-abcd-4e95-9290-b3c641b207cb --take-over',
      'pid 12345 on FMEMS-SYNC01, 313 user(s), S-1-5-21-2127521184-1604012920-1887927527-4105, CN=Moved 0,OU=Staff',
    ];
    for (const t of untouched) expect(maskPhonesInText(t)).toBe(t);
  });

  it('masks a remediation record by the keys its shape names, free text too, and the tenant-wide cloud values', () => {
    const B = '\u2022';
    const record = {
      rows: [{ key: 'mobile:dc:1', upn: 'ana@contoso.com', onPrem: { dn: 'CN=Ana', value: '+1 803 555 0142', otherMobile: ['+1 803 555 0143'] }, cloud: { id: 'u1', value: '0987654321' }, reason: 'confirmed 0987654321 by phone' }],
      steps: [{ id: 'ad:1', kind: 'ad-write', expected: '+1 803 555 0142', next: '0987654321' }],
      blastRadius: [{ rowKey: 'mobile:dc:2', onPremValue: '+1 803 555 0160', cloudValue: null, effect: 'the cloud value "+1 803 555 0161" is replaced' }],
      cannotUndo: ['ana@contoso.com: cloud value "085 111 2222" is overwritten'],
      tenant: [['u9', 'zoe@contoso.com', '+1 803 555 0170']],
      sweep: { changed: [{ userId: 'u9', upn: 'zoe@contoso.com', before: '+1 803 555 0170', after: null }] },
      enabled: true,
      at: '2025-03-01T12:00:00.000Z',
    };
    const masked = JSON.stringify(maskRecordPhones(record));
    for (const n of ['555 0142', '555 0143', '0987654321', '555 0160', '555 0161', '111 2222', '555 0170']) expect(masked).not.toContain(n);
    const m = maskRecordPhones(record) as typeof record;
    expect(m.steps[0]).toEqual({ id: 'ad:1', kind: 'ad-write', expected: `+1 803 ${B.repeat(3)} ${B.repeat(2)}42`, next: `${B.repeat(8)}21` });
    expect(m.tenant).toEqual([['u9', 'zoe@contoso.com', `+1 803 ${B.repeat(3)} ${B.repeat(2)}70`]]);
    expect(m.rows[0]!.onPrem.dn).toBe('CN=Ana');
    expect(m.rows[0]!.cloud.id).toBe('u1');
    expect(m.at).toBe(record.at);
    expect(m.enabled).toBe(true);
  });
});

describe('retention', () => {
  it('parses durations and names the bad one', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('P2W')).toBe(14 * 86_400_000);
    expect(() => parseDuration('soon', '--older-than')).toThrow(/--older-than: 'soon' is not a duration/);
  });

  it('purges scans, audit changes and finished sessions older than the duration, keeping executing ones', () => {
    const ws = open();
    const old = record(ws, '2024-10-01T11:00:00Z');
    const recent = record(ws, '2025-02-25T11:00:00Z');
    now = new Date('2024-10-01T12:00:00Z');
    const done = ws.sessions.create({ state: 'done' });
    const running = ws.sessions.create({ state: 'executing' });
    ws.journal.appendIntent(running.id, 's', {});
    now = new Date('2025-03-01T12:00:00Z');
    ws.audit.add('t1', parseDirectoryAudits([{ id: 'r', activityDisplayName: 'Update user', activityDateTime: '2024-09-01T00:00:00Z', targetResources: [{ id: 'u', modifiedProperties: [{ displayName: 'Mobile', newValue: '["1"]' }] }] }]).changes);
    const counts = ws.purgeOlderThan(parseDuration('90d'));
    expect(counts).toMatchObject({ scans: 1, auditChanges: 1, sessions: 1 });
    expect(ws.scans.get(old.id)).toBeNull();
    expect(ws.scans.onPremSnapshot(old.id)).toHaveLength(0);
    expect(ws.rows.counts(old.id)['in-sync']).toBe(0);
    expect(ws.scans.get(recent.id)).not.toBeNull();
    expect(ws.sessions.get(done.id)).toBeNull();
    expect(ws.journal.openIntents(running.id)).toHaveLength(1);
    ws.close();
  });

  it('applies the retention setting when asked, and nothing without one', () => {
    const ws = open();
    record(ws, '2024-10-01T11:00:00Z');
    expect(ws.applyRetention()).toBeNull();
    ws.settings.setRetention({ keep: '30d' });
    expect(ws.applyRetention()).toMatchObject({ scans: 1, cutoff: '2025-01-30T12:00:00.000Z' });
    ws.close();
  });
});

describe('the CLI\u2019s kept read of Connect exports (#18)', () => {
  const stamp = (over: Partial<ExportFileStamp> = {}): ExportFileStamp => ({ path: '/x/cs.xml', dev: '2049', ino: '131', size: '4096', mtimeNs: '1740823200123456789', ctimeNs: '1740823200123456789', ...over });
  const READER = 'syncdrift 1.2.3 syncdrift-connect-import/4';

  it('gives the objects back only for the same stamps, in the same order, by the same reader', () => {
    const ws = open();
    const imp = withConnectImport(ws);
    const stamps = [stamp(), stamp({ path: '/x/rules.json', ino: '132' })];
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'none' });
    ws.connectExportCache.put(stamps, READER, imp.info, encodeEngineImport(imp.objects));
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ info: imp.info, objects: imp.objects });
    for (const changed of [
      [stamp({ ctimeNs: '1740823200123456790' }), stamps[1]!],
      [stamp({ mtimeNs: '1' }), stamps[1]!],
      [stamp({ size: '4097' }), stamps[1]!],
      [stamp({ ino: '999' }), stamps[1]!],
      [stamp({ dev: '1' }), stamps[1]!],
      [stamps[1]!, stamps[0]!],
      [stamps[0]!],
    ]) expect(ws.connectExportCache.get(changed, READER)).toEqual({ miss: 'changed' });
    expect(ws.connectExportCache.get(stamps, 'syncdrift 1.2.4 syncdrift-connect-import/4')).toEqual({ miss: 'changed' });
    // A newer read replaces it.
    ws.connectExportCache.put([stamp({ ino: '7' })], READER, { ...imp.info, objects: 1 }, encodeEngineImport([imp.objects[0]!]));
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'changed' });
    expect(ws.connectExportCache.get([stamp({ ino: '7' })], READER)).toMatchObject({ objects: [imp.objects[0]] });
    expect(ws.connectExportCache.clear()).toBe(true);
    expect(ws.connectExportCache.get([stamp({ ino: '7' })], READER)).toEqual({ miss: 'none' });
    ws.close();
  });

  it('does not trust a kept read that no longer checks', () => {
    const ws = open();
    const imp = withConnectImport(ws);
    const stamps = [stamp()];
    const body = encodeEngineImport(imp.objects);
    ws.connectExportCache.put(stamps, READER, imp.info, body);
    ws.blobs.put('connect-export-cache:meta', '{"cache":"syncdrift-connect-export-cache/1"');
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'unreadable' });
    ws.connectExportCache.put(stamps, READER, imp.info, body);
    const meta = JSON.parse(ws.blobs.get('connect-export-cache:meta')!.toString('utf8')) as { stamps: Array<Record<string, unknown>> };
    meta.stamps[0]!['size'] = '-1';
    ws.blobs.put('connect-export-cache:meta', JSON.stringify(meta));
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'unreadable' });
    // Objects that decode but are not as many as the read said.
    ws.connectExportCache.put(stamps, READER, { ...imp.info, objects: 4 }, body);
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'unreadable' });
    ws.connectExportCache.put(stamps, READER, imp.info, body);
    ws.blobs.delete('connect-export-cache:objects');
    expect(ws.connectExportCache.get(stamps, READER)).toEqual({ miss: 'unreadable' });
    expect(() => ws.connectExportCache.put([], READER, imp.info, body)).toThrow();
    ws.close();
  });

  it('is not carried by export-workspace, and retention drops it with the other personal data', async () => {
    const a = open('a.db');
    const imp = withConnectImport(a);
    a.connectExportCache.put([stamp()], READER, imp.info, encodeEngineImport(imp.objects));
    const file = join(dir, 'a.sdx');
    await a.export(file, { mask: false });
    expect(gunzipSync(readFileSync(file)).toString('utf8')).not.toContain('connect-export-cache');
    const b = open('b.db');
    await b.import(file);
    expect(b.blobs.keys('connect-export-cache:')).toEqual([]);
    b.close();
    now = new Date('2025-05-01T12:00:00Z');
    a.purgeOlderThan(30 * 86_400_000);
    expect(a.blobs.keys('connect-export-cache:')).toEqual([]);
    a.close();
  });
});
