/**
 * otherMobile through a bypass plan on the sandbox tenant (#17 point 11): the plan counts and names
 * the users whose AD otherMobile the bypass pushes, the sandbox's sync honours AD's otherMobile over
 * an AlternateMobilePhones cloud edit once the bypass is on and a full cycle ran (as Microsoft
 * documents), and nothing in between could read the cloud's values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPlan, decideBulk } from '../../main/remediation';
import { renderUndo } from '../../main/cli/remediation-render';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { fieldReportEnv, helpdesk, keyOf, UPN } from '../support/remediation-env';
import { sandboxEngine } from '../support/remediation-engine';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('otherMobile in a bypass plan on the sandbox tenant', () => {
  it('names the users whose AD otherMobile the bypass pushes; after bypass + initial cycle the cloud holds AD\u2019s values', async () => {
    const env = await fieldReportEnv();
    // A pre-2025 cloud edit of ana's AlternateMobilePhones: an override of otherMobile.
    env.tenant.legacyCloudEdit(env.cloud(UPN.ana).id, null, helpdesk, { property: 'alternateMobilePhones', alternateMobilePhones: ['+1 803 555 0777'] });
    await env.sync.runCycle('delta');
    expect(env.cloud(UPN.ana).alternateMobilePhones).toEqual(['+1 803 555 0777']); // the override holds
    const report = await env.scan();
    const ana = report.rows.find((r) => r.upn === UPN.ana)!;
    expect(ana.status).toBe('in-sync'); // mobile: nothing the scan can see differs
    expect(ana.otherMobile).toMatchObject({ onPrem: ['+1 803 555 0143'], normalized: ['+18035550143'], cloud: 'not-readable', verdict: 'bypass-pushes' });

    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.testmobile], others: { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' } });
    const plan = buildPlan(report, decisions, { selected, connectServer: 'FMEMS-SYNC01', replicaDcs: ['FMDC01'] });
    expect(plan.otherMobile?.pushed.map((p) => p.upn)).toEqual([UPN.ana]);
    expect(plan.warnings.join('\n')).toContain(`the bypass will push wherever the cloud differs: ${UPN.ana}.`);
    expect(plan.steps.find((s) => s.kind === 'record-cloud-values')).toMatchObject({ rowKeys: expect.not.arrayContaining([keyOf(report, UPN.ana)]) });

    const d = mkdtempSync(join(tmpdir(), 'sd-othermobile-'));
    dirs.push(d);
    const out = await sandboxEngine(env, workspaceJournalAt(join(d, 'journal.db'))).apply(plan);
    expect(out.state).toBe('completed');
    // What Microsoft documents: with the bypass the AD values win for OtherMobile too.
    expect(env.cloud(UPN.ana).alternateMobilePhones).toEqual(['+1 803 555 0143']);
    // Verification read what Graph can read: ana is no verified row (her mobile was never in question),
    // and the outcome says that her otherMobile could not be checked.
    expect(out.rows.map((r) => r.upn)).not.toContain(UPN.ana);
    expect(out.message).toContain(`AD otherMobile of 1 user(s) (${UPN.ana}) went out with the bypass wherever the cloud differed`);
    expect(out.message).toContain('this verification could not check it');

    // Undo cannot bring AlternateMobilePhones back (nothing could read it before the bypass): the
    // not-restored line names whose AD otherMobile went out, not only that some did.
    const undo = await sandboxEngine(env, workspaceJournalAt(join(d, 'journal.db'))).undo(out.sessionId);
    const line = undo.notRestored.find((n) => n.message.includes('AlternateMobilePhones'));
    expect(line).toMatchObject({ rowKey: null, upn: null, users: [UPN.ana] });
    expect(line!.message).toContain(`1 user(s) whose AD otherMobile values the bypass pushed wherever the cloud differed: ${UPN.ana}.`);
    expect(line!.message).toContain('cannot be restored');
    expect(line!.message).not.toContain('0143'); // names, never the values
    expect(renderUndo(undo)).toContain(`NOT restored ${line!.message}`);
    expect(renderUndo(undo)).toContain(`      ${UPN.ana}\n`);
  });
});
