/**
 * A masked workspace export promises masked phone numbers: a support partner who receives the file
 * must not find one real number in it. The workspace here is built through the paths the app uses
 * (the sandbox demo through the service side every host composes): a scan with its audit index, a
 * bypass plan applied and undone (plan, session, journal, outcome, undo report), the restore plan
 * built from the undo, a plan never applied, a decision with a number in its reason, the app's
 * layout preference and a Connect import. Every number the workspace holds is then looked for in the
 * file's bytes, raw and as digits only, whatever table it would leak from.
 *
 * The masked file imported on another workstation (with its own sandbox, the profile the plans name)
 * must not let those masked plans and sessions run: their values are bullets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import type { DriftRow } from '../../../main/core/model';
import type { EngineObject } from '../../../main/core/engine-view';
import { RemediationEngine, affectedUserCount, workspaceJournalStore, type Plan } from '../../../main/remediation';
import { openWorkspace } from '../../../main/workspace/workspace';
import { servicesHarness, type ServicesHarness } from '../../support/services-harness';

/** A number typed by the admin into a decision's reason (free text), held nowhere else. */
const TYPED = '+1 803 555 0199';
const TYPED_LOCAL = '(803) 555-0198';

const a = servicesHarness('sd-export-privacy-a-');
const b = servicesHarness('sd-export-privacy-b-');
let file: string;
let plainFile: string;
let sessionId: string;
let appliedPlan: Plan;
let unappliedPlan: Plan;
let restorePlan: Plan;

beforeAll(async () => {
  await a.open();
  const { scanId, rows } = await a.scan();
  await a.waitFor('audit.progress', (p) => (p as { state: string }).state === 'complete');
  const tm = rows.find((r) => r.onPrem?.samAccountName === 'testmobile')!;
  // keep-onprem through the bypass: record-cloud-values (the whole tenant's cloud values), the blast
  // radius, the otherMobile values the bypass pushes, the sweep after the cycle.
  const others = rows.filter((r) => r.key !== tm.key).map((r) => ({ rowKey: r.key, action: 'skip' as const }));
  const built = await a.call<{ plan: Plan }>('remediation.plan', { scanId, selected: [tm.key], decisions: [{ rowKey: tm.key, action: 'keep-onprem', reason: `the user confirmed ${TYPED} by phone` }, ...others] });
  appliedPlan = built.plan;
  const { operationId } = await a.call<{ operationId: string }>('remediation.apply', { plan: appliedPlan, confirmUsers: affectedUserCount(appliedPlan), acceptNotScanned: 'unknown' });
  const done = (await a.waitFor('remediation.finished', (p) => (p as { operationId: string }).operationId === operationId)) as { outcome: { sessionId: string; state: string } };
  expect(done.outcome.state).toBe('completed');
  sessionId = done.outcome.sessionId;
  const undo = await a.call<{ operationId: string }>('remediation.undo', { sessionId });
  await a.waitFor('remediation.undone', (p) => (p as { operationId: string }).operationId === undo.operationId);
  restorePlan = (await a.call<{ plan: Plan }>('remediation.restorePlan', { sessionId, rowKeys: 'all' })).plan;
  // A plan built and never applied: a per-user Graph write for a cloud-managed user.
  const managed = rows.find((r) => r.cloud?.managed && r.status !== 'in-sync' && r.onPrem?.value)!;
  unappliedPlan = (await a.call<{ plan: Plan }>('remediation.plan', { scanId, selected: [managed.key], decisions: [{ rowKey: managed.key, action: 'keep-onprem' }] })).plan;
  const ws = a.services.workspace;
  ws.decisions.set(sessionId, [{ rowKey: tm.key, action: 'keep-onprem', reason: `new number ${TYPED}, the old one ${TYPED_LOCAL} is gone` }]);
  await a.call('prefs.set', { scope: 'layout', value: { screen: 'grid', profileId: 'sandbox', drawerWidth: 420 } });
  ws.engineImports.put('sandbox', { importedAt: '2025-02-28T11:00:00.000Z', objects: 1, files: [{ file: 'cs-export.xml', kind: 'cs-xml', bytes: 4096 }], stats: { aadUsers: 1, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 1 } }, [
    engineObject(tm),
  ]);
  file = join(a.dir, 'masked.sdx');
  plainFile = join(a.dir, 'plain.sdx');
  await ws.export(file);
  await ws.export(plainFile, { mask: false });
}, 120_000);

afterAll(async () => {
  await a.close({ removeDir: true });
  await b.close({ removeDir: true });
});

function engineObject(row: DriftRow): EngineObject {
  return {
    engine: 'connect',
    sourceAnchor: row.onPrem!.sourceAnchor,
    onPremDn: row.onPrem!.dn,
    cloudId: null,
    state: 'error',
    exported: { mobile: row.onPrem!.value, otherMobile: [] },
    exportedAt: '2025-02-28T10:00:00Z',
    rule: null,
    reason: `the export of ${row.onPrem!.value} failed`,
    evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs-export.xml', line: 10 }],
  };
}

type Line = { t: string; r: Record<string, unknown> };
const linesOf = (f: string): Line[] =>
  gunzipSync(readFileSync(f))
    .toString('utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);

/** Every string under a key in `keys` anywhere in `value` (arrays of strings included). */
function valuesUnder(value: unknown, keys: ReadonlySet<string>, out: Set<string>, key?: string): void {
  if (typeof value === 'string') {
    if (key !== undefined && keys.has(key)) out.add(value);
  } else if (Array.isArray(value)) for (const v of value) valuesUnder(v, keys, out, key);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) valuesUnder(v, keys, out, k);
}

/**
 * Every phone number the workspace holds, read from its database: the AD and cloud values of the
 * snapshots and rows, the audit changes' old and new values, the values of every plan (settings and
 * sessions), what the journal recorded (the tenant-wide cloud values too) and the admin's typed ones.
 */
function numbersOfWorkspace(h: ServicesHarness): Set<string> {
  const db = h.services.workspace.db;
  const out = new Set<string>([TYPED, TYPED_LOCAL]);
  const json = (sql: string) => (db.prepare(sql).pluck().all() as string[]).map((j) => JSON.parse(j) as unknown);
  const phoneKeys = new Set(['mobile', 'otherMobile', 'telephoneNumber', 'mobilePhone', 'businessPhones']);
  for (const u of json('SELECT json FROM snapshot_onprem')) valuesUnder(u, phoneKeys, out);
  for (const u of json('SELECT json FROM snapshot_cloud')) valuesUnder(u, phoneKeys, out);
  for (const r of json('SELECT json FROM drift_rows') as DriftRow[]) {
    for (const v of [r.onPrem?.value, r.cloud?.value, r.normalized.onPrem, r.normalized.cloud, ...(r.onPrem?.otherMobile ?? []), ...(r.otherMobile?.normalized ?? [])]) if (v) out.add(v);
  }
  for (const v of db.prepare('SELECT old_value FROM audit_changes UNION SELECT new_value FROM audit_changes').pluck().all() as Array<string | null>) if (v) out.add(v);
  const planValues = (p: Plan) => {
    for (const r of p.rows) for (const v of [r.onPrem?.value, r.cloud?.value, r.intended?.onPrem, r.intended?.cloud, ...(r.onPrem?.otherMobile ?? [])]) if (v) out.add(v);
    for (const s of p.steps) if (s.kind === 'ad-write' || s.kind === 'graph-patch') for (const v of [s.expected, s.next]) if (v) out.add(v);
    for (const b of p.blastRadius) for (const v of [b.onPremValue, b.cloudValue]) if (v) out.add(v);
    for (const x of p.otherMobile?.pushed ?? []) for (const v of x.values) out.add(v);
  };
  for (const [key, value] of (db.prepare('SELECT key, json FROM settings').all() as Array<{ key: string; json: string }>).map((s) => [s.key, JSON.parse(s.json)] as const)) {
    if (key.startsWith('remediation:plan:')) planValues(value as Plan);
  }
  for (const s of json('SELECT json FROM sessions') as Array<{ remediation: { plan: Plan } }>) planValues(s.remediation.plan);
  for (const e of json('SELECT json FROM journal') as Array<Record<string, unknown>>) {
    valuesUnder(e, new Set(['expected', 'next', 'previous', 'written', 'value', 'before', 'after']), out);
    for (const [, , v] of (e.tenant as Array<[string, string, string | null]> | undefined) ?? []) if (v) out.add(v);
  }
  for (const p of [appliedPlan, unappliedPlan, restorePlan]) planValues(p);
  return out;
}

const digits = (s: string) => s.replace(/\D/g, '');

/** The forms a number can take in a file: as stored, its digits, and its E.164 and national digits. */
function formsOf(n: string): string[] {
  const forms = new Set<string>();
  if (digits(n).length < 7) return [];
  forms.add(n.trim());
  forms.add(digits(n));
  const p = parsePhoneNumberFromString(n, { defaultCountry: 'US' });
  if (p?.isPossible()) {
    forms.add(digits(p.number));
    forms.add(p.nationalNumber);
  }
  return [...forms];
}

/**
 * Where each form appears in the file: `table key-or-line: form (the number)`. A form of digits only
 * counts where it stands on its own (not inside a longer run of digits or letters): a random id's hex
 * could hold one by chance, and a number inside its E.164 form is found as that form.
 */
function leaks(f: string, numbers: ReadonlySet<string>): string[] {
  const lines = linesOf(f);
  const forms = [...numbers].flatMap((n) => formsOf(n).map((form) => ({ form, n, alone: /^\d+$/.test(form) ? new RegExp(`(?<![0-9A-Za-z])${form}(?![0-9A-Za-z])`) : null })));
  const out: string[] = [];
  lines.forEach((l, i) => {
    const text = JSON.stringify(l.r);
    for (const { form, n, alone } of forms) {
      if (alone ? alone.test(text) : text.includes(form)) out.push(`${l.t} ${typeof l.r.key === 'string' ? l.r.key : `line ${i + 2}`}: ${form}${form === n ? '' : ` (${n})`}`);
    }
  });
  return [...new Set(out)];
}

describe('a masked workspace export', () => {
  it('holds no phone number of the workspace anywhere, in any table or record, raw or as digits', () => {
    const numbers = numbersOfWorkspace(a);
    // The workspace does hold them (the unmasked file shows each table that carries them).
    expect(numbers.size).toBeGreaterThan(300);
    const plain = leaks(plainFile, numbers);
    for (const t of ['snapshot_onprem', 'snapshot_cloud', 'drift_rows', 'audit_changes', 'sessions', 'journal', 'decisions', 'connect_import_objects']) expect(plain.some((l) => l.startsWith(`${t} `)), t).toBe(true);
    for (const k of ['remediation:plan:', 'remediation:outcome:', 'remediation:undo:']) expect(plain.some((l) => l.startsWith(`settings ${k}`)), k).toBe(true);
    expect(leaks(file, numbers)).toEqual([]);
  });
});

const BULLET = '\u2022';

/** An engine over a workspace with ports that fail the test if touched: a refusal must come first. */
function untouchableEngine(ws: ReturnType<typeof openWorkspace>): RemediationEngine {
  const touched = () => {
    throw new Error('a port was touched');
  };
  return new RemediationEngine({ journal: workspaceJournalStore(ws), onPrem: touched, cloud: new Proxy({}, { get: () => touched }) as never });
}

describe('importing a masked workspace export', () => {
  it('keeps its sessions and plans readable, marked as masked copies', async () => {
    await b.open();
    const r = await b.services.workspace.import(file);
    expect(r.header.masked).toBe(true);
    // One session; the owners of the three plans (applied, restore, never applied).
    expect(r.maskedCopies).toEqual({ sessions: 1, plans: 3 });
    const { sessions } = await b.call<{ sessions: Array<{ id: string; message: string | null; planId: string }> }>('remediation.sessions', {});
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: sessionId, planId: appliedPlan.id, message: expect.stringMatching(/^Masked copy from a workspace export: read only/) });
    const one = await b.call<{ plan: Plan }>('remediation.session', { sessionId });
    expect(one.plan.rows.find((x) => x.selected)?.onPrem?.value).toContain(BULLET);
  });

  it('refuses to resume, undo or build a restore plan from the masked session, before anything runs', async () => {
    const before = b.services.workspace.journal.entries(sessionId).length;
    for (const [channel, payload] of [
      ['remediation.resume', { sessionId }],
      ['remediation.undo', { sessionId }],
      ['remediation.undo', { sessionId, takeOver: true }],
      ['remediation.restorePlan', { sessionId, rowKeys: 'all' }],
    ] as const) {
      const r = await b.callRaw(channel, payload);
      expect(r.ok, channel).toBe(false);
      expect(r.error, channel).toMatchObject({ code: 'SESSION_MASKED', message: expect.stringMatching(/came from a masked workspace export/) });
    }
    expect(b.services.workspace.journal.entries(sessionId)).toHaveLength(before);
    expect(b.events.some((e) => e.event === 'remediation.undone' || e.event === 'remediation.finished')).toBe(false);
  });

  it('refuses to preflight or apply a masked plan, and one built from the masked scan', async () => {
    const stored = (id: string) => b.services.workspace.settings.get(`remediation:plan:${id}`, z.unknown()) as Plan;
    for (const plan of [stored(unappliedPlan.id), stored(appliedPlan.id), stored(restorePlan.id)]) {
      expect(JSON.stringify(plan)).toContain(BULLET);
      const pre = await b.callRaw('remediation.preflight', { plan, acceptNotScanned: 'unknown' });
      expect(pre.error, plan.id).toMatchObject({ code: 'PLAN_MASKED' });
      const ap = await b.callRaw('remediation.apply', { plan, confirmUsers: affectedUserCount(plan), acceptNotScanned: 'unknown' });
      expect(ap.error, plan.id).toMatchObject({ code: 'PLAN_MASKED' });
    }
    // The imported scan's rows are masked too: a plan built from them is refused by its values.
    const scanId = b.services.workspace.scans.list().find((x) => x.meta.masked === true)!.id;
    const row = b.services.workspace.rows.all(scanId).find((x) => x.cloud?.managed && x.status !== 'in-sync' && x.onPrem?.value)!;
    const { plan } = await b.call<{ plan: Plan }>('remediation.plan', { scanId, selected: [row.key], decisions: [{ rowKey: row.key, action: 'keep-onprem' }] });
    const ap = await b.callRaw('remediation.apply', { plan, confirmUsers: affectedUserCount(plan) });
    expect(ap.error).toMatchObject({ code: 'PLAN_MASKED' });
    expect((await b.call<{ sessions: unknown[] }>('remediation.sessions', {})).sessions).toHaveLength(1);
  });

  it('refuses them in the engine too (the CLI\u2019s resume, undo and apply), even when a hand-edited file says it is not masked', async () => {
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    // The marks gone: the header says unmasked, the session and the owners no longer say masked.
    const edited = [JSON.stringify({ ...header, masked: false }), ...lines.slice(1).map((l) => l.replace(/,\\"masked\\":true/g, ''))];
    expect(edited.join('\n')).not.toMatch(/\\"masked\\":true/);
    const forged = join(b.dir, 'forged.sdx');
    writeFileSync(forged, gzipSync(edited.join('\n')));
    const ws = openWorkspace(join(b.dir, 'cli.db'));
    try {
      const r = await ws.import(forged);
      expect(r.header.masked).toBe(false);
      // Bullets in the session: still marked.
      expect(r.maskedCopies.sessions).toBe(1);
      const engine = untouchableEngine(ws);
      await expect(engine.resume(sessionId)).rejects.toMatchObject({ code: 'SESSION_MASKED' });
      await expect(engine.undo(sessionId, { takeOver: true })).rejects.toMatchObject({ code: 'SESSION_MASKED' });
      const plan = ws.settings.get(`remediation:plan:${unappliedPlan.id}`, z.unknown()) as Plan;
      await expect(engine.apply(plan)).rejects.toMatchObject({ code: 'PLAN_MASKED' });
      await expect(engine.preflight(plan)).rejects.toMatchObject({ code: 'PLAN_MASKED' });
      expect(engine.sessions()[0]?.message).toMatch(/^Masked copy/);
    } finally {
      ws.close();
    }
  });

  it('keeps an unmasked file\u2019s values, but its sessions and plans are read only: an edited journal or plan must not run here', async () => {
    const lines = gunzipSync(readFileSync(plainFile)).toString('utf8').split('\n');
    // An edit on the way: the session's plan now says AD held another number (what undo and a restore would go by).
    const forgedNumber = '+1 803 555 0666';
    const edited = lines.map((l, i) => {
      if (i === 0 || l.trim() === '') return l;
      const rec = JSON.parse(l) as { t: string; r: { json?: string } };
      if (rec.t !== 'sessions' || typeof rec.r.json !== 'string') return l;
      const doc = JSON.parse(rec.r.json) as { remediation: { plan: Plan } };
      for (const row of doc.remediation.plan.rows) if (row.selected && row.onPrem) row.onPrem.value = forgedNumber;
      return JSON.stringify({ ...rec, r: { ...rec.r, json: JSON.stringify(doc) } });
    });
    const forged = join(b.dir, 'plain-edited.sdx');
    writeFileSync(forged, gzipSync(edited.join('\n')));
    const ws = openWorkspace(join(b.dir, 'plain.db'));
    try {
      const r = await ws.import(forged);
      expect(r.maskedCopies).toEqual({ sessions: 0, plans: 0 });
      const session = workspaceJournalStore(ws).getSession(sessionId);
      expect(session?.masked).toBeUndefined();
      expect(session?.imported).toBe(true);
      expect(JSON.stringify(session?.plan)).not.toContain(BULLET);
      expect(JSON.stringify(session?.plan)).toContain(forgedNumber);
      const engine = untouchableEngine(ws);
      expect(engine.sessions()[0]?.message).toMatch(/^Copy from a workspace export: read only/);
      await expect(engine.resume(sessionId)).rejects.toMatchObject({ code: 'SESSION_IMPORTED' });
      await expect(engine.undo(sessionId, { takeOver: true })).rejects.toMatchObject({ code: 'SESSION_IMPORTED' });
    } finally {
      ws.close();
    }
    // Through the app's channels: the imported session and plans are refused before anything runs.
    const fresh = servicesHarness('sd-plain-import-');
    await fresh.open();
    try {
      await fresh.services.workspace.import(forged);
      const journalBefore = fresh.services.workspace.journal.entries(sessionId).length;
      for (const [channel, payload] of [
        ['remediation.resume', { sessionId }],
        ['remediation.undo', { sessionId, takeOver: true }],
        ['remediation.restorePlan', { sessionId, rowKeys: 'all' }],
      ] as const) {
        const res = await fresh.callRaw(channel, payload);
        expect(res.error, channel).toMatchObject({ code: 'SESSION_IMPORTED' });
      }
      const plan = fresh.services.workspace.settings.get(`remediation:plan:${unappliedPlan.id}`, z.unknown()) as Plan;
      expect(JSON.stringify(plan)).not.toContain(BULLET);
      const ap = await fresh.callRaw('remediation.apply', { plan, confirmUsers: affectedUserCount(plan), acceptNotScanned: 'unknown' });
      expect(ap.error).toMatchObject({ code: 'PLAN_IMPORTED' });
      const pre = await fresh.callRaw('remediation.preflight', { plan, acceptNotScanned: 'unknown' });
      expect(pre.error).toMatchObject({ code: 'PLAN_IMPORTED' });
      expect(fresh.services.workspace.journal.entries(sessionId)).toHaveLength(journalBefore);
    } finally {
      await fresh.close();
    }
  });
});
