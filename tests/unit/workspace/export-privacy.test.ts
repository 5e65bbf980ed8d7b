/**
 * A masked workspace export promises masked phone numbers: a support partner who receives the file
 * must not find one real number in it. The workspace here is built through the paths the app uses
 * (the sandbox demo through the service side every host composes): a scan with its audit index, a
 * bypass plan applied and undone (plan, session, journal, outcome, undo report), the restore plan
 * built from the undo, a plan never applied, a decision with a number in its reason, the app's
 * layout preference and a Connect import. Every number the workspace holds is then looked for in the
 * file's bytes, raw and as digits only, whatever table it would leak from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { DriftRow } from '../../../main/core/model';
import type { EngineObject } from '../../../main/core/engine-view';
import { affectedUserCount, type Plan } from '../../../main/remediation';
import { servicesHarness, type ServicesHarness } from '../../support/services-harness';

/** A number typed by the admin into a decision's reason (free text), held nowhere else. */
const TYPED = '+1 803 555 0199';
const TYPED_LOCAL = '(803) 555-0198';

const a = servicesHarness('sd-export-privacy-a-');
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

/** Where each form appears in the file: `table key-or-line: form (the number)`. */
function leaks(f: string, numbers: ReadonlySet<string>): string[] {
  const lines = linesOf(f);
  const forms = [...numbers].flatMap((n) => formsOf(n).map((form) => ({ form, n })));
  const out: string[] = [];
  lines.forEach((l, i) => {
    const text = JSON.stringify(l.r);
    for (const { form, n } of forms) if (text.includes(form)) out.push(`${l.t} ${typeof l.r.key === 'string' ? l.r.key : `line ${i + 2}`}: ${form}${form === n ? '' : ` (${n})`}`);
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
