import { describe, expect, it, beforeAll } from 'vitest';
import type { DriftReport, DriftRow } from '../../main/core/model';
import { buildPlan, decideBulk, parseDecideArg, parsePlan, parsePlanText, planReadiness, redecide, serializePlan, suggestDecision } from '../../main/remediation';
import { fieldReportEnv, keyOf, UPN } from '../support/remediation-env';

let report: DriftReport;
const row = (upn: string): DriftRow => report.rows.find((r) => r.upn === upn) as DriftRow;

beforeAll(async () => {
  report = await (await fieldReportEnv()).scan();
});

describe('the field report scan the plans start from', () => {
  it('classifies testmobile cloud-override and its neighbours', () => {
    expect(row(UPN.testmobile)).toMatchObject({ status: 'cloud-override', onPrem: { value: '0987654321' }, cloud: { value: '1234567890', managed: false } });
    expect(row(UPN.raj).status).toBe('onprem-missing');
    expect(row(UPN.eve).status).toBe('format-only');
    expect(row(UPN.ana).status).toBe('in-sync');
    expect(row(UPN.zoe)).toMatchObject({ status: 'cloud-override', cloud: { managed: true } });
  });
});

describe('buildPlan', () => {
  it('keep-onprem of a synced user needs the bypass and lists every other differing user as blast radius', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-onprem' }], { connectServer: 'FMEMS-SYNC01' });
    expect(plan.needsBypass).toBe(true);
    const blast = Object.fromEntries(plan.blastRadius.map((b) => [b.upn, b]));
    expect(Object.keys(blast).sort()).toEqual([UPN.eve, UPN.raj, UPN.testmobile].sort());
    expect(blast[UPN.raj]).toMatchObject({ status: 'onprem-missing', effect: expect.stringContaining('cloud value will be cleared'), selected: false, action: null });
    expect(blast[UPN.eve]).toMatchObject({ status: 'format-only', effect: expect.stringContaining('cloud text replaced'), selected: false });
    expect(blast[UPN.testmobile]).toMatchObject({ selected: true, action: 'keep-onprem' });
    // Managed (not synced) and in-sync users are out of the bypass's reach.
    expect(blast[UPN.zoe]).toBeUndefined();
    expect(blast[UPN.ana]).toBeUndefined();
    expect(plan.steps.map((s) => s.kind)).toEqual(['record-cloud-values', 'set-bypass', 'sync-cycle', 'verify']);
    expect(plan.steps[2]).toMatchObject({ instructions: expect.stringContaining('Start-ADSyncSyncCycle -PolicyType Initial') });
    expect(plan.warnings.join(' ')).toContain('AlternateMobilePhones');
    expect(plan.cannotUndo.join(' ')).toContain('+1 803 555 0177');
    expect(plan.blockers.map((b) => b.upn).sort()).toEqual([UPN.eve, UPN.raj].sort());
    expect(planReadiness(plan).ready).toBe(false);
  });

  it('counts and names the users whose AD otherMobile the bypass pushes, and says it cannot be read or verified (#17 point 11)', () => {
    // ana.lima: mobile in sync, AD otherMobile +1 803 555 0143; nobody can read her AlternateMobilePhones.
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-onprem' }], { connectServer: 'FMEMS-SYNC01' });
    expect(plan.otherMobile?.pushed).toEqual([{ rowKey: keyOf(report, UPN.ana), upn: UPN.ana, values: ['+1 803 555 0143'] }]);
    // testmobile, raj and eve are synced with an empty AD otherMobile; zoe is managed (out of reach).
    expect(plan.otherMobile?.mayClear).toBe(3);
    const warning = plan.warnings.find((w) => w.includes('otherMobile'))!;
    expect(warning).toContain(`1 synced user(s) in the scan have AD otherMobile values the bypass will push wherever the cloud differs: ${UPN.ana}.`);
    expect(warning).toContain('not readable through Graph v1.0');
    expect(warning).toMatch(/verified after the cycle/);
    expect(plan.cannotUndo.join(' ')).toContain(`AD otherMobile values: ${UPN.ana}`);
    // Pushing otherMobile does not make ana a blast-radius row to decide: her mobile does not change.
    expect(plan.blastRadius.map((b) => b.upn)).not.toContain(UPN.ana);
    expect(parsePlanText(serializePlan(plan)).otherMobile).toEqual(plan.otherMobile);
    // No bypass, no otherMobile push.
    const cloudOnly = buildPlan(report, [{ rowKey: keyOf(report, UPN.raj), action: 'keep-cloud' }]);
    expect(cloudOnly.otherMobile).toBeUndefined();
  });

  it('becomes ready once every blast-radius row has a decision; keep-cloud rows come first as AD writes', () => {
    const { decisions, selected } = decideBulk(report, {
      byStatus: { 'cloud-override': 'keep-onprem' },
      users: [UPN.testmobile],
      others: { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' },
    });
    const plan = buildPlan(report, decisions, { selected, replicaDcs: ['FMDC01'] });
    expect(plan.blockers).toEqual([]);
    expect(planReadiness(plan).ready).toBe(true);
    expect(plan.steps.map((s) => s.kind)).toEqual(['ad-write', 'await-replication', 'record-cloud-values', 'set-bypass', 'sync-cycle', 'verify']);
    expect(plan.steps[0]).toMatchObject({ kind: 'ad-write', upn: UPN.raj, expected: null, next: '+1 803 555 0177' });
    // The kept cloud value is not on the cannot-undo list any more.
    expect(plan.cannotUndo.join(' ')).not.toContain('+1 803 555 0177');
    const verify = plan.steps.at(-1);
    expect(verify?.kind === 'verify' && verify.rowKeys.length).toBe(3);
  });

  it('keep-cloud alone writes the cloud value into AD compare-and-set, without any bypass', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }]);
    expect(plan.needsBypass).toBe(false);
    expect(plan.blastRadius).toEqual([]);
    expect(plan.steps[0]).toMatchObject({ kind: 'ad-write', expected: '0987654321', next: '1234567890' });
    expect(plan.rows[0]?.intended).toEqual({ onPrem: '1234567890', cloud: '1234567890' });
  });

  it('keep-onprem of a user Graph accepts is a per-user PATCH, not the bypass', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.zoe), action: 'keep-onprem' }]);
    expect(plan.needsBypass).toBe(false);
    expect(plan.steps.map((s) => s.kind)).toEqual(['graph-patch', 'verify']);
    expect(plan.steps[0]).toMatchObject({ expected: '+1 803 555 0160', next: '+1 803 555 0161' });
  });

  it('support-case and skip write nothing; unknown rows become notes', () => {
    const plan = buildPlan(report, [
      { rowKey: keyOf(report, UPN.testmobile), action: 'support-case' },
      { rowKey: 'mobile:nowhere:0', action: 'keep-onprem' },
    ]);
    expect(plan.steps).toEqual([]);
    expect(plan.supportCase).toEqual([keyOf(report, UPN.testmobile)]);
    expect(plan.notes.join(' ')).toContain('mobile:nowhere:0');
    expect(planReadiness(plan).why).toContain('The plan writes nothing.');
  });

  it('redecide keeps earlier decisions and takes the new ones', () => {
    const first = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-onprem' }]);
    const second = redecide(first, report, [
      { rowKey: keyOf(report, UPN.raj), action: 'skip' },
      { rowKey: keyOf(report, UPN.eve), action: 'support-case' },
    ]);
    expect(second.blockers).toEqual([]);
    expect(second.rows.find((r) => r.upn === UPN.testmobile)?.action).toBe('keep-onprem');
  });
});

describe('decisions', () => {
  it('suggests from the timeline: ask when the cloud was edited after AD, keep AD when AD is newer', () => {
    const base = row(UPN.testmobile);
    const cloudNewer = { ...base, onPrem: { ...base.onPrem!, changedAt: '2025-01-01T00:00:00Z' }, cloud: { ...base.cloud!, changedAt: '2025-02-01T00:00:00Z', changedBy: 'helpdesk@fortmillems.org', changeState: 'known' as const } };
    expect(suggestDecision(cloudNewer)).toMatchObject({ action: 'skip', ask: true, reason: expect.stringContaining('helpdesk@fortmillems.org') });
    const adNewer = { ...cloudNewer, onPrem: { ...cloudNewer.onPrem, changedAt: '2025-03-01T00:00:00Z' } };
    expect(suggestDecision(adNewer)).toMatchObject({ action: 'keep-onprem', ask: false });
    expect(suggestDecision(row(UPN.raj)).action).toBe('keep-cloud');
    expect(suggestDecision(row(UPN.eve)).action).toBe('keep-onprem');
    expect(suggestDecision(row(UPN.ana)).action).toBe('skip');
  });

  it('bulk by status and list: reports users the report does not know', () => {
    const r = decideBulk(report, { byStatus: { 'cloud-override': 'suggested', 'onprem-missing': 'keep-cloud' }, users: [UPN.testmobile, 'nobody@fortmillems.org'] });
    expect(r.selected).toEqual([keyOf(report, UPN.testmobile)]);
    expect(r.decisions).toHaveLength(1);
    expect(r.decisions[0]?.reason).toMatch(/^suggested: /);
    expect(r.unknownUsers).toEqual(['nobody@fortmillems.org']);
  });

  it('parses STATUS=ACTION and names the argument when wrong', () => {
    expect(parseDecideArg('cloud-override=keep-onprem')).toEqual(['cloud-override', 'keep-onprem']);
    expect(() => parseDecideArg('cloud-override=overwrite')).toThrow(/--decide: unknown action "overwrite"/);
    expect(() => parseDecideArg('bogus=skip')).toThrow(/unknown status "bogus"/);
    expect(() => parseDecideArg('keep-onprem')).toThrow(/STATUS=ACTION/);
  });
});

describe('the plan file', () => {
  it('round-trips and names the offending field when edited badly', () => {
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }]);
    expect(parsePlanText(serializePlan(plan))).toEqual(plan);
    const bad = JSON.parse(serializePlan(plan)) as { steps: Array<Record<string, unknown>> };
    delete bad.steps[0]!.dn;
    expect(() => parsePlan(bad, 'fix.json')).toThrow(/fix\.json\.steps\[0\]\.dn/);
    expect(() => parsePlan({ ...plan, schemaVersion: 9 }, 'fix.json')).toThrow(/fix\.json\.schemaVersion: is 9/);
    expect(() => parsePlan({ ...plan, format: 'x' })).toThrow(/plan\.format/);
    expect(() => parsePlanText('{', 'p.json')).toThrow(/p\.json: is not valid JSON/);
  });
});

describe('plan structure (a plan no builder made is refused whole)', () => {
  it('refuses steps no row accounts for, and counts confirmed users from the steps', async () => {
    const { planStructureProblems, affectedUserCount, assertPlanStructure } = await import('../../main/remediation/plan-schema');
    const skip = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'skip' }]);
    expect(planStructureProblems(skip)).toEqual([]);
    const forged = { ...skip, needsBypass: false, rows: [], steps: [{ id: 'bypass-on', kind: 'set-bypass' as const, enabled: true }] };
    expect(affectedUserCount(forged)).toBe(0);
    const problems = planStructureProblems(forged);
    expect(problems.join('\n')).toMatch(/steps\[0\].*no row of the plan is routed through it/);
    expect(problems.join('\n')).toMatch(/needsBypass is false, but the steps do turn the bypass on/);
    expect(() => assertPlanStructure(forged)).toThrow(/plan\.steps\[0\]: is not a plan SyncDrift built/);
    const keep = buildPlan(report, [{ rowKey: keyOf(report, UPN.raj), action: 'keep-cloud' }]);
    expect(planStructureProblems(keep)).toEqual([]);
    expect(affectedUserCount(keep)).toBe(1);
    expect(planStructureProblems({ ...keep, steps: keep.steps.filter((s) => s.kind !== 'ad-write') }).join()).toMatch(/routed ad-write but no step writes it/);
  });
});
