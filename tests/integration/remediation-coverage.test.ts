/**
 * The bypass's reach beyond the scan (#17 point 4), on the sandbox tenant: BypassDirSyncOverrides
 * plus a full cycle lets AD win for every synced user, including one in an OU the scan did not read.
 * The plan counts that user, apply refuses without the admin's acceptance (preflight counts again,
 * live), and verification's whole-tenant read after the cycle names the user whose value changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../main/core/model';
import { pagesOf, runScan } from '../../main/drift/pipeline';
import type { OnPremDirectory } from '../../main/onprem/port';
import { buildPlan, decideBulk, type Plan } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { BASE, cloudUserOf, fieldReportEnv, helpdesk, UPN, type FieldReportEnv } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const SALES = 'OU=Sales,OU=Rock Hill,DC=corp,DC=fortmillems,DC=org';
const SAM = { dn: `CN=Sam Reyes,${SALES}`, upn: 'sam.reyes@fortmillems.org' };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The sandbox directory as a scan of one OU sees it (an admin who scanned only Fort Mill). */
function onlyUnder(dir: OnPremDirectory, base: string): OnPremDirectory {
  const under = (dn: string) => dn.toLowerCase().endsWith(base.toLowerCase());
  return {
    describe: () => ({ ...dir.describe(), searchBases: [base] }),
    async *scan(o) {
      const it = dir.scan(o);
      for (;;) {
        const step = await it.next();
        if (step.done) return step.value;
        yield step.value.filter((u) => under(u.dn));
      }
    },
    readUser: (dn, o) => dir.readUser(dn, o),
    writeMobile: (w, o) => dir.writeMobile(w, o),
    replicaStates: (dn, dcs) => dir.replicaStates(dn, dcs),
    close: () => dir.close(),
  };
}

/** Field report plus Sam in Rock Hill's Sales OU: synced, cloud-edited before 2025 (override), AD moved on. */
async function envWithUnscannedUser(): Promise<{ env: FieldReportEnv; scan: () => Promise<DriftReport> }> {
  const env = await fieldReportEnv();
  env.dir.addUser({ dn: SAM.dn, samAccountName: 'sreyes', upn: SAM.upn, displayName: 'Sam Reyes', mobile: '+1 803 555 0300', c: 'US' });
  await env.sync.runCycle('delta');
  env.tenant.legacyCloudEdit(env.cloud(SAM.upn).id, '+1 803 555 0399', helpdesk);
  env.dir.modifyUser(SAM.dn, { mobile: '+1 803 555 0301' });
  await env.sync.runCycle('delta'); // the override holds: the cloud keeps 0399
  expect(env.cloud(SAM.upn).mobilePhone).toBe('+1 803 555 0399');
  const scoped = onlyUnder(env.dir, BASE);
  const scan = async () => {
    const users = [...env.tenant.listUsers()].filter((u) => u.onPremisesSyncEnabled !== null).map((u) => cloudUserOf(env.tenant, u));
    return (await runScan({ onPrem: [scoped], cloudUsers: pagesOf([users]), profileName: 'fortmillems', defaultRegion: 'US', clock: env.clock })).report;
  };
  return { env, scan };
}

function bypassPlan(report: DriftReport): Plan {
  const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.testmobile], others: { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' } });
  return buildPlan(report, decisions, { selected, connectServer: 'FMEMS-SYNC01' });
}

function journal() {
  const d = mkdtempSync(join(tmpdir(), 'sd-coverage-'));
  dirs.push(d);
  return workspaceJournalAt(join(d, 'journal.db'));
}

describe('a bypass plan whose scan did not read every synced user', () => {
  it('states how many synced users were not scanned, and none when the scan read them all', async () => {
    const { env, scan } = await envWithUnscannedUser();
    const report = await scan();
    expect(report.rows.map((r) => r.upn)).not.toContain(SAM.upn); // outside the scanned OU: no row at all
    expect(report.summary.synced).toEqual({ inCloudRead: 5, joined: 4 }); // testmobile, ana, raj, eve + Sam (zoe left sync)
    const plan = bypassPlan(report);
    expect(plan.needsBypass).toBe(true);
    expect(plan.coverage).toMatchObject({ syncedInTenant: 5, countedBy: 'scan-read', scanned: 4, notScanned: 1 });
    expect(plan.warnings.join('\n')).toContain('1 synced user(s) in the tenant were not scanned');

    const whole = bypassPlan(await env.scan());
    expect(whole.coverage).toMatchObject({ notScanned: 0 });
    expect(whole.warnings.join('\n')).not.toContain('were not scanned');
    // A plan that does not turn the bypass on has nothing to count.
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'skip' }, users: [UPN.testmobile], others: { 'onprem-missing': 'keep-cloud' } });
    expect(buildPlan(report, decisions, { selected }).coverage).toBeUndefined();
  });

  it('refuses to apply until the admin accepts them, and nothing is written', async () => {
    const { env, scan } = await envWithUnscannedUser();
    const plan = bypassPlan(await scan());
    const counts = newCounts();
    const engine = sandboxEngine(env, journal(), { counts, rescan: scan });
    const out = await engine.apply(plan);
    expect(out.state).toBe('failed');
    const check = out.preflight?.checks.find((c) => c.name === 'coverage');
    expect(check).toMatchObject({ ok: false, severity: 'blocking' });
    expect(check?.message).toContain('Graph counts 5 synced user(s) in the tenant now; the plan\u2019s scan joined 4'.replace('\u2019', "'"));
    expect(check?.message).toContain('--accept-unscanned 1');
    expect(counts.bypassSets).toEqual([]);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(env.cloud(SAM.upn).mobilePhone).toBe('+1 803 555 0399');
  });

  it('counts again at apply: a synced user added since the plan is not covered by the earlier acceptance', async () => {
    const { env, scan } = await envWithUnscannedUser();
    const plan = bypassPlan(await scan());
    env.dir.addUser({ dn: `CN=Lee Moss,${SALES}`, samAccountName: 'lmoss', upn: 'lee.moss@fortmillems.org', displayName: 'Lee Moss', mobile: '+1 803 555 0310', c: 'US' });
    await env.sync.runCycle('delta');
    const out = await sandboxEngine(env, journal(), { rescan: scan }).apply(plan, { acceptNotScanned: 1 });
    expect(out.state).toBe('failed');
    expect(out.preflight?.checks.find((c) => c.name === 'coverage')?.message).toContain('2 synced user(s) were not scanned');
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
  });

  it('a plan without a count (made before coverage existed) needs the unknown accepted', async () => {
    const { env, scan } = await envWithUnscannedUser();
    const { coverage: _dropped, ...old } = bypassPlan(await scan());
    const engine = sandboxEngine(env, journal(), { rescan: scan });
    const refused = await engine.apply(old as Plan, { acceptNotScanned: 5 });
    expect(refused.state).toBe('failed'); // scanned is unknown too: all 5 counted ones are unaccounted for
    const ok = await sandboxEngine(env, journal(), { rescan: scan }).apply(old as Plan, { acceptNotScanned: 'unknown' });
    expect(ok.state).toBe('completed');
  });

  it('with the acceptance it runs, and verification reads the whole tenant and names the unscanned user the cycle changed', async () => {
    const { env, scan } = await envWithUnscannedUser();
    const plan = bypassPlan(await scan());
    const engine = sandboxEngine(env, journal(), { rescan: scan });
    const out = await engine.apply(plan, { acceptNotScanned: 1 });
    expect(out.state).toBe('completed');
    expect(out.preflight?.checks.find((c) => c.name === 'coverage')).toMatchObject({ ok: true, severity: 'warning' });
    // What the bypass does, as Microsoft documents it: AD wins for Sam too, unseen by the plan.
    expect(env.cloud(SAM.upn).mobilePhone).toBe('+1 803 555 0301');
    expect(out.sweep).toMatchObject({ changedCount: 1, gone: 0, changed: [{ upn: SAM.upn, before: '+1 803 555 0399', after: '+1 803 555 0301' }] });
    expect(out.sweep!.read).toBe(out.sweep!.recorded);
    expect(out.message).toContain(`1 synced user(s) outside the plan changed (${SAM.upn})`);

    // Undo cannot bring Sam's cloud value back (synced: Graph refuses; no AD object in the plan): it says so, by name.
    const undo = await engine.undo(out.sessionId);
    expect(undo.state).toBe('undo-partial');
    const sam = undo.notRestored.find((n) => n.upn === SAM.upn);
    expect(sam?.message).toContain('outside the plan (not scanned): mobilePhone was "+1 803 555 0399" before the bypass and is now "+1 803 555 0301"');
  });
});
