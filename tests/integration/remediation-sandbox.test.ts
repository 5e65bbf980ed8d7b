/**
 * The remediation engine on the sandbox (sandbox directory, tenant store, sync simulator), replaying
 * the field report to the end: (a) keep-onprem through the bypass and a full cycle, with its blast
 * radius; (b) keep-cloud into AD and its undo; conflicts; and a crash at every journal step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../main/core/model';
import { buildPlan, buildRestorePlan, decideBulk, sameValue, sandboxCloudPort, stepStatuses, type Plan, type RemediationCloud } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { admin, fieldReportEnv, helpdesk, keyOf, UPN, DN, type FieldReportEnv } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const dirs: string[] = [];
const journalFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'sd-remediation-'));
  dirs.push(d);
  return join(d, 'journal.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function keepOnPremPlan(report: DriftReport, others: Parameters<typeof decideBulk>[1]['others']): Plan {
  const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.testmobile], others });
  return buildPlan(report, decisions, { selected, connectServer: 'FMEMS-SYNC01', replicaDcs: ['FMDC01'] });
}

describe('remediation on the sandbox: the field report to the end', () => {
  it('(a) keep-onprem via the bypass and an initial cycle leaves both sides at 0987654321; the blast radius named every other differing user', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    expect(report.rows.find((r) => r.upn === UPN.testmobile)?.status).toBe('cloud-override');
    const plan = keepOnPremPlan(report, { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' });
    expect(plan.blastRadius.map((b) => [b.upn, b.status]).sort()).toEqual(
      [
        [UPN.eve, 'format-only'],
        [UPN.raj, 'onprem-missing'],
        [UPN.testmobile, 'cloud-override'],
      ].sort(),
    );
    expect(plan.blastRadius.find((b) => b.upn === UPN.raj)?.effect).toContain('cloud value will be cleared');

    const journal = workspaceJournalAt(journalFile());
    const counts = newCounts();
    const engine = sandboxEngine(env, journal, { counts });
    const progress: string[] = [];
    const out = await engine.apply(plan, { onProgress: (e) => progress.push(e.phase) });
    expect(out.preflight?.ok).toBe(true);
    expect(out.state).toBe('completed');
    expect(out.rows.map((r) => [r.upn, r.state]).sort()).toEqual(
      [
        [UPN.eve, 'fixed'],
        [UPN.testmobile, 'fixed'],
      ].sort(),
    );
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('0987654321');
    // The onprem-missing neighbour lost its cloud value, as the blast radius said it would.
    expect(env.cloud(UPN.raj).mobilePhone).toBeNull();
    expect(env.cloud(UPN.eve).mobilePhone).toBe('+1 803 555 0150');
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(counts).toMatchObject({ bypassSets: [true], cycles: 1 });
    expect(new Set(progress)).toEqual(new Set(['preflight', 'record', 'bypass', 'sync-cycle', 'verify']));
    // Every blast-radius cloud value was journalled before the bypass intent.
    const entries = journal.entries(out.sessionId);
    const rec = entries.find((e) => e.stepId === 'record-cloud-values' && e.kind === 'result');
    const bypassIntent = entries.find((e) => e.stepId === 'bypass-on' && e.kind === 'intent');
    expect(rec && bypassIntent && rec.seq < bypassIntent.seq).toBe(true);
    expect(rec?.data).toMatchObject({ values: expect.arrayContaining([expect.objectContaining({ rowKey: keyOf(report, UPN.raj), value: '+1 803 555 0177' })]) });
    // A fresh scan agrees.
    const after = await env.scan();
    expect(after.rows.find((r) => r.upn === UPN.testmobile)?.status).toBe('in-sync');

    // Undo: the flag stays on by default and the report says why (#17 point 5: off restores no value
    // and may let the per-object overrides win again); erased cloud values come back only as AD writes.
    const undo = await engine.undo(out.sessionId);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(undo.restored).not.toContainEqual(expect.objectContaining({ side: 'tenant' }));
    expect(undo.notes).toEqual([expect.stringMatching(/^BypassDirSyncOverrides left on \(this session turned it on\)\. Turning it off restores no value/)]);
    // Why: with the bypass left on, testmobile's next AD change reaches Entra ID ...
    env.clock.advance(10);
    env.dir.modifyUser(DN.testmobile, { mobile: '8035550001' });
    env.clock.advance(10);
    await env.sync.runCycle('delta');
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('8035550001');
    // Turning it off is an explicit choice, possible later by running undo again with it.
    const off = await engine.undo(out.sessionId, { turnBypassOff: true });
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(off.restored).toContainEqual(expect.objectContaining({ side: 'tenant', message: 'BypassDirSyncOverrides turned off again (this session had turned it on).' }));
    expect(off.notes).toEqual([]);
    // ... and once it is off, the per-object override hides AD's changes again: off restored nothing.
    env.clock.advance(10);
    env.dir.modifyUser(DN.testmobile, { mobile: '8035550002' });
    env.clock.advance(10);
    const ignored = await env.sync.runCycle('delta');
    expect(ignored.ignoredDueToOverrideCount).toBe(1);
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('8035550001');
    const raj = undo.offers.find((o) => o.upn === UPN.raj);
    expect(raj).toMatchObject({ recordedCloudValue: '+1 803 555 0177', currentCloudValue: null, currentOnPremValue: null });
    expect(undo.offers.map((o) => o.upn)).toContain(UPN.testmobile);
    expect(undo.state).toBe('undo-partial');
    expect(engine.sessions()[0]).toMatchObject({ id: out.sessionId, state: 'undo-partial' });
    const restore = buildRestorePlan(undo, [raj!.rowKey]);
    const restored = await engine.apply(restore);
    expect(restored.state).toBe('completed');
    expect((await env.dir.readUser(DN.raj))?.mobile).toBe('+1 803 555 0177');
    journal.close();
  });

  it('(b) keep-cloud writes 1234567890 into AD compare-and-set; undo restores 0987654321', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }], { replicaDcs: ['FMDC01'] });
    const journal = workspaceJournalAt(journalFile());
    const counts = newCounts();
    const engine = sandboxEngine(env, journal, { counts });
    const out = await engine.apply(plan);
    expect(out.state).toBe('completed');
    expect(out.rows).toEqual([expect.objectContaining({ upn: UPN.testmobile, state: 'fixed', actual: { onPrem: '1234567890', cloud: '1234567890' } })]);
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('1234567890');
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(counts.cycles).toBe(0);

    const undo = await engine.undo(out.sessionId);
    expect(undo).toMatchObject({ state: 'undone', notRestored: [], offers: [] });
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('0987654321');
    expect(counts.adWrites.get(DN.testmobile)).toBe(2);
    journal.close();
  });

  it('waits for the Connect server DC before going on, and stops resumable when replication does not come', async () => {
    const env = await fieldReportEnv();
    env.dir.setSecondDc({ name: 'FMDC02', lagMs: 60 * 60_000 });
    const report = await env.scan();
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }], { replicaDcs: ['FMDC02'] });
    const journal = workspaceJournalAt(journalFile());
    const engine = sandboxEngine(env, journal, { timing: { replicationTimeoutMs: 30 } });
    const out = await engine.apply(plan);
    expect(out).toMatchObject({ state: 'awaiting-replication', nextStep: expect.stringContaining(`syncdrift resume ${out.sessionId}`) });
    env.clock.advance(61); // replication arrives
    const resumed = await engine.resume(out.sessionId);
    expect(resumed.state).toBe('completed');
    journal.close();
  });

  it('a value changed behind the plan becomes a conflict, never an overwrite', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }]);
    const journal = workspaceJournalAt(journalFile());
    // Changed before apply: preflight refuses, nothing is written.
    env.dir.modifyUser(DN.testmobile, { mobile: '5550001111' });
    const engine = sandboxEngine(env, journal);
    const refused = await engine.apply(plan);
    expect(refused.sessionId).toBe('');
    expect(refused.preflight?.conflicts).toEqual([expect.objectContaining({ upn: UPN.testmobile, side: 'onprem', planned: '0987654321', actual: '5550001111' })]);
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('5550001111');

    // Changed between preflight and the write: the compare-and-set refuses it.
    env.dir.modifyUser(DN.testmobile, { mobile: '0987654321' });
    const racing = sandboxEngine(env, journal, {
      hooks: {
        afterJournalAppend: (e) => {
          if (e.stepId.startsWith('ad:') && e.kind === 'intent') env.dir.modifyUser(DN.testmobile, { mobile: '5550002222' });
        },
      },
    });
    const out = await racing.apply(plan);
    expect(out.rows).toEqual([expect.objectContaining({ upn: UPN.testmobile, state: 'conflict' })]);
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('5550002222');
    journal.close();
  });

  it('cancellation stops resumable, and a verification that times out says what is pending', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = keepOnPremPlan(report, { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' });
    const journal = workspaceJournalAt(journalFile());
    const ac = new AbortController();
    // Cancel as soon as the bypass is on: the cycle has not run, nothing is verified yet.
    const engine = sandboxEngine(env, journal, { hooks: { afterJournalAppend: (e) => void (e.stepId === 'bypass-on' && e.kind === 'result' && ac.abort()) } });
    const cancelled = await engine.apply(plan, { signal: ac.signal });
    expect(cancelled).toMatchObject({ state: 'cancelled', nextStep: `syncdrift resume ${cancelled.sessionId}` });
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('1234567890');

    // The cycle runs but the sync engine exports nothing for testmobile (say, an export error): verify times out.
    const stuck = sandboxEngine(env, journal, { withCycle: false, operator: { confirmCycle: async () => true }, timing: { verifyTimeoutMs: 50 } });
    const timedOut = await stuck.resume(cancelled.sessionId);
    expect(timedOut.state).toBe('verify-timeout');
    expect(timedOut.rows.filter((r) => r.state === 'pending').map((r) => r.upn)).toContain(UPN.testmobile);
    expect(stuck.sessions()[0]?.state).toBe('verify-timeout');

    // Once the cycle has really run, resume verifies again and finishes.
    await env.sync.runCycle('initial');
    const done = await stuck.resume(cancelled.sessionId);
    expect(done.state).toBe('completed');
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');
    journal.close();
  });

  it('a user who began to differ after the scan is a blast-radius conflict, not a silent casualty', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = keepOnPremPlan(report, { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' });
    env.tenant.legacyCloudEdit(env.cloud(UPN.ana).id, '+1 803 555 9999', helpdesk);
    const journal = workspaceJournalAt(journalFile());
    const out = await sandboxEngine(env, journal).apply(plan);
    expect(out.sessionId).toBe('');
    expect(out.preflight?.conflicts).toEqual([expect.objectContaining({ upn: UPN.ana, side: 'blast-radius', actual: '+1 803 555 9999' })]);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    journal.close();
  });

  it('refuses without the permissions the steps need, naming them', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = keepOnPremPlan(report, { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' });
    const { sandboxCloudPort } = await import('../../main/remediation');
    const { admin } = await import('../support/remediation-env');
    const journal = workspaceJournalAt(journalFile());
    const engine = sandboxEngine(env, journal, { cloud: sandboxCloudPort(env.tenant, { actor: admin, missing: ['flipBypass', 'readBypass'] }) });
    const out = await engine.apply(plan);
    expect(out.sessionId).toBe('');
    expect(out.preflight?.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(expect.arrayContaining(['permission:flipBypass', 'bypass']));
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect((await env.dir.readUser(DN.raj))?.mobile).toBeNull();
    journal.close();
  });
});

describe('a Cloud Sync plan needs the right to restart the job before the bypass goes on', () => {
  it('refuses without restartSyncJob, naming it, and leaves the tenant-wide bypass off; a Connect plan does not ask for it', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.testmobile], others: { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' } });
    const cloudSyncPlan = buildPlan(report, decisions, { selected, syncEngine: 'cloud-sync', replicaDcs: ['FMDC01'] });
    expect(cloudSyncPlan.steps.some((s) => s.kind === 'sync-cycle' && s.engine === 'cloud-sync')).toBe(true);
    const { sandboxCloudPort } = await import('../../main/remediation');
    const { admin } = await import('../support/remediation-env');
    const journal = workspaceJournalAt(journalFile());
    const engine = sandboxEngine(env, journal, { cloud: sandboxCloudPort(env.tenant, { actor: admin, missing: ['restartSyncJob'] }) });
    const out = await engine.apply(cloudSyncPlan);
    expect(out.sessionId).toBe('');
    const failed = out.preflight?.checks.filter((c) => !c.ok) ?? [];
    expect(failed.map((c) => c.name)).toEqual(['permission:restartSyncJob']);
    expect(failed[0]).toMatchObject({ severity: 'blocking', message: expect.stringContaining('Restart the Cloud Sync job') });
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('1234567890');
    const connect = await engine.preflight(keepOnPremPlan(report, { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' }));
    expect(connect.checks.map((c) => c.name)).not.toContain('permission:restartSyncJob');
    journal.close();
  });
});

describe('crash safety: the process dies at every journal step in turn, then resumes', () => {
  class Death extends Error {}

  /** Raj keep-cloud (AD write), Zoe keep-onprem (Graph PATCH), testmobile keep-onprem (bypass + cycle). */
  async function scenario(): Promise<{ env: FieldReportEnv; plan: Plan }> {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const { decisions, selected } = decideBulk(report, {
      byStatus: { 'cloud-override': 'keep-onprem' },
      users: [UPN.testmobile, UPN.zoe],
      others: { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' },
    });
    return { env, plan: buildPlan(report, decisions, { selected, id: 'crash-plan' }) };
  }

  async function expectFinal(env: FieldReportEnv): Promise<void> {
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');
    expect((await env.dir.readUser(DN.raj))?.mobile).toBe('+1 803 555 0177');
    expect(env.cloud(UPN.raj).mobilePhone).toBe('+1 803 555 0177');
    expect(env.cloud(UPN.zoe).mobilePhone).toBe('+1 803 555 0161');
    expect(env.cloud(UPN.eve).mobilePhone).toBe('+1 803 555 0150');
  }

  it('a clean run for reference', async () => {
    const { env, plan } = await scenario();
    const journal = workspaceJournalAt(journalFile());
    const out = await sandboxEngine(env, journal).apply(plan);
    expect(out.state).toBe('completed');
    await expectFinal(env);
    journal.close();
  });

  it('resumes from every point with nothing lost or doubled', async () => {
    // Count the crash points of a clean run: every journal append, and every moment after an effect.
    const ref = await scenario();
    const refJournal = workspaceJournalAt(journalFile());
    let appends = 0;
    let effects = 0;
    await sandboxEngine(ref.env, refJournal, { hooks: { afterJournalAppend: () => void appends++, afterEffect: () => void effects++ } }).apply(ref.plan);
    refJournal.close();
    expect(appends).toBeGreaterThan(10);
    expect(effects).toBe(4); // AD write, PATCH, bypass, cycle

    const points = [...Array.from({ length: appends }, (_, i) => ({ at: 'append' as const, n: i + 1 })), ...Array.from({ length: effects }, (_, i) => ({ at: 'effect' as const, n: i + 1 }))];
    for (const point of points) {
      const { env, plan } = await scenario();
      const file = journalFile();
      const counts = newCounts();
      let seen = 0;
      const die = () => {
        if (++seen === point.n) throw new Death(`killed at ${point.at} #${point.n}`);
      };
      const first = workspaceJournalAt(file);
      const hooks = point.at === 'append' ? { afterJournalAppend: die } : { afterEffect: die };
      await expect(sandboxEngine(env, first, { counts, hooks }).apply(plan), `${point.at} #${point.n}`).rejects.toBeInstanceOf(Death);
      first.close();

      // A fresh engine over the same journal file: the session reopens as interrupted and resumes.
      const second = workspaceJournalAt(file);
      const engine = sandboxEngine(env, second, { counts });
      const [session] = engine.sessions();
      expect(session?.state, `${point.at} #${point.n}`).toBe('interrupted');
      const out = await engine.resume(session!.id);
      expect(out.state, `${point.at} #${point.n}: ${out.message}`).toBe('completed');
      await expectFinal(env);
      expect(counts.adWrites.get(DN.raj), `${point.at} #${point.n}`).toBe(1);
      expect(counts.graphWrites.get(env.cloud(UPN.zoe).id), `${point.at} #${point.n}`).toBe(1);
      expect(counts.bypassSets).toEqual([true]);
      expect(counts.cycles).toBeGreaterThanOrEqual(1);
      expect(counts.cycles).toBeLessThanOrEqual(2); // a cycle cut before its result runs again: it is idempotent
      // Exactly one result per write step, each applied.
      const statuses = stepStatuses(second.entries(session!.id));
      for (const s of plan.steps.filter((x) => x.kind !== 'verify')) {
        const st = statuses.get(s.id);
        expect(st?.state, `${s.id} after ${point.at} #${point.n}`).toBe('done');
        const results = second.entries(session!.id).filter((e) => e.stepId === s.id && e.kind === 'result');
        expect(results, `${s.id} after ${point.at} #${point.n}`).toHaveLength(1);
        if (s.kind === 'ad-write' || s.kind === 'graph-patch' || s.kind === 'set-bypass') expect(results[0]?.data).toMatchObject({ outcome: 'applied' });
      }
      second.close();
    }
  });
  /** Every user of the scenario, both sides, plus the tenant's bypass flag. */
  async function directories(env: FieldReportEnv): Promise<{ bypass: boolean; users: Map<string, { onPrem: string | null; cloud: string | null }> }> {
    const users = new Map<string, { onPrem: string | null; cloud: string | null }>();
    for (const k of Object.keys(UPN) as Array<keyof typeof UPN>) users.set(UPN[k], { onPrem: (await env.dir.readUser(DN[k]))?.mobile ?? null, cloud: env.cloud(UPN[k]).mobilePhone ?? null });
    return { bypass: env.tenant.features.bypassDirSyncOverridesEnabled, users };
  }

  it('undo after a kill at every point: each user ends at its original values or is named in notRestored', async () => {
    const ref = await scenario();
    const refJournal = workspaceJournalAt(journalFile());
    let appends = 0;
    let effects = 0;
    await sandboxEngine(ref.env, refJournal, { hooks: { afterJournalAppend: () => void appends++, afterEffect: () => void effects++ } }).apply(ref.plan);
    refJournal.close();

    const points = [...Array.from({ length: appends }, (_, i) => ({ at: 'append' as const, n: i + 1 })), ...Array.from({ length: effects }, (_, i) => ({ at: 'effect' as const, n: i + 1 }))];
    // Every point is tried and every broken promise collected, so one run shows the whole matrix.
    const problems: string[] = [];
    for (const point of points) {
      const where = `${point.at} #${point.n}`;
      const { env, plan } = await scenario();
      const before = await directories(env);
      const file = journalFile();
      let seen = 0;
      const die = () => {
        if (++seen === point.n) throw new Death(`killed at ${where}`);
      };
      const first = workspaceJournalAt(file);
      await expect(sandboxEngine(env, first, { hooks: point.at === 'append' ? { afterJournalAppend: die } : { afterEffect: die } }).apply(plan), where).rejects.toBeInstanceOf(Death);
      first.close();

      const second = workspaceJournalAt(file);
      const engine = sandboxEngine(env, second);
      const [session] = engine.sessions();
      // The full revert (the admin chose to turn the bypass off too): every directory back as before.
      const undo = await engine.undo(session!.id, { turnBypassOff: true });
      const after = await directories(env);
      if (after.bypass !== before.bypass) problems.push(`${where}: the bypass is ${after.bypass}, was ${before.bypass}`);
      const named = new Set(undo.notRestored.map((n) => n.upn));
      for (const [upn, was] of before.users) {
        const now = after.users.get(upn)!;
        if (named.has(upn) || (sameValue(now.onPrem, was.onPrem) && sameValue(now.cloud, was.cloud))) continue;
        problems.push(`${where}: ${upn} AD ${now.onPrem} (was ${was.onPrem}), cloud ${now.cloud} (was ${was.cloud}), not in notRestored (state ${undo.state})`);
      }
      for (const n of undo.notRestored) if (/Undo stopped/.test(n.message)) problems.push(`${where}: ${n.message}`);
      // A report that says undone has nothing it could not restore, and the other way round.
      if (undo.state !== (undo.notRestored.length === 0 ? 'undone' : 'undo-partial')) problems.push(`${where}: state ${undo.state} with ${undo.notRestored.length} not restored`);
      second.close();
    }
    expect(problems).toEqual([]);
  });

  it('an undo killed at every point finishes when run again, writing nothing twice; resume refuses a session undo has started', async () => {
    const ref = await scenario();
    const refJournal = workspaceJournalAt(journalFile());
    const refEngine = sandboxEngine(ref.env, refJournal);
    const done = await refEngine.apply(ref.plan);
    let appends = 0;
    let effects = 0;
    await sandboxEngine(ref.env, refJournal, { hooks: { afterJournalAppend: () => void appends++, afterEffect: () => void effects++ } }).undo(done.sessionId, { turnBypassOff: true });
    refJournal.close();
    expect(effects).toBe(3); // bypass off, AD restore, PATCH restore

    const problems: string[] = [];
    const points = [...Array.from({ length: appends }, (_, i) => ({ at: 'append' as const, n: i + 1 })), ...Array.from({ length: effects }, (_, i) => ({ at: 'effect' as const, n: i + 1 }))];
    for (const point of points) {
      const where = `undo ${point.at} #${point.n}`;
      const { env, plan } = await scenario();
      const before = await directories(env);
      const file = journalFile();
      const counts = newCounts();
      const first = workspaceJournalAt(file);
      const applied = await sandboxEngine(env, first, { counts }).apply(plan);
      let seen = 0;
      const die = () => {
        if (++seen === point.n) throw new Death(`killed at ${where}`);
      };
      await expect(sandboxEngine(env, first, { counts, hooks: point.at === 'append' ? { afterJournalAppend: die } : { afterEffect: die } }).undo(applied.sessionId, { turnBypassOff: true }), where).rejects.toBeInstanceOf(Death);
      first.close();

      const second = workspaceJournalAt(file);
      const engine = sandboxEngine(env, second, { counts });
      expect(engine.sessions()[0]?.state, where).toBe('interrupted');
      await expect(engine.resume(applied.sessionId), where).rejects.toMatchObject({ code: 'SESSION_NOT_RESUMABLE' });
      const undo = await engine.undo(applied.sessionId, { turnBypassOff: true });
      const after = await directories(env);
      if (after.bypass !== before.bypass) problems.push(`${where}: the bypass is ${after.bypass}`);
      const named = new Set(undo.notRestored.map((n) => n.upn));
      for (const [upn, was] of before.users) {
        const now = after.users.get(upn)!;
        if (!named.has(upn) && !(sameValue(now.onPrem, was.onPrem) && sameValue(now.cloud, was.cloud))) problems.push(`${where}: ${upn} AD ${now.onPrem} (was ${was.onPrem}), cloud ${now.cloud} (was ${was.cloud})`);
      }
      for (const n of undo.notRestored) if (/Undo stopped/.test(n.message)) problems.push(`${where}: ${n.message}`);
      if (counts.adWrites.get(DN.raj) !== 2) problems.push(`${where}: ${counts.adWrites.get(DN.raj)} AD writes to Raj (apply + undo = 2)`);
      if (counts.graphWrites.get(env.cloud(UPN.zoe).id) !== 2) problems.push(`${where}: ${counts.graphWrites.get(env.cloud(UPN.zoe).id)} PATCHes to Zoe (apply + undo = 2)`);
      if (counts.bypassSets.join() !== 'true,false') problems.push(`${where}: bypass set ${counts.bypassSets.join()}`);
      second.close();
    }
    expect(problems).toEqual([]);
  });
});

describe('per-user writes under a long throttling storm', () => {
  const MOVED = 30;
  const users = Array.from({ length: MOVED }, (_, i) => `moved.${i}@fortmillems.org`);

  /** The sandbox's cloud port, except that each call lands at most `land` items and answers 429 for the rest. */
  function storm(env: FieldReportEnv, land: number): RemediationCloud & { calls: number } {
    const real = sandboxCloudPort(env.tenant, { actor: admin });
    const port = {
      ...real,
      calls: 0,
      async patchMobile(writes: Parameters<RemediationCloud['patchMobile']>[0], o?: Parameters<RemediationCloud['patchMobile']>[1]) {
        port.calls++;
        const r = await real.patchMobile(writes.slice(0, land), o);
        const refused = writes.slice(land).map((w) => ({ userId: w.userId, ok: false, status: 429, error: { kind: 'throttled' as const, code: 'GRAPH_THROTTLED', message: 'Graph kept throttling the requests (HTTP 429).' }, attempts: 1 }));
        return { results: [...r.results, ...refused], requests: r.requests + 1, retries: r.retries };
      },
    };
    return port;
  }

  async function planFor(env: FieldReportEnv): Promise<Plan> {
    const report = await env.scan();
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users, others: {} });
    const plan = buildPlan(report, decisions, { selected, connectServer: 'FMEMS-SYNC01' });
    expect(plan.steps.filter((s) => s.kind === 'graph-patch')).toHaveLength(MOVED);
    return plan;
  }

  it('slows the run, it does not fail it: one write landing per round still finishes every user', async () => {
    const env = await fieldReportEnv({ extraManaged: MOVED });
    const cloud = storm(env, 1);
    const engine = sandboxEngine(env, workspaceJournalAt(journalFile()), { cloud, withCycle: false });
    const out = await engine.apply(await planFor(env));
    expect(out.state, out.message ?? '').toBe('completed');
    // 30 rounds: more than a fixed cap of 20 rounds would have allowed.
    expect(cloud.calls).toBe(MOVED);
    users.forEach((u, i) => expect(env.cloud(u).mobilePhone).toBe(`+1 803 555 ${5000 + i}`));
  });

  it('gives the items up once rounds stop landing anything', async () => {
    const env = await fieldReportEnv({ extraManaged: MOVED });
    const cloud = storm(env, 0);
    const waits: number[] = [];
    const engine = sandboxEngine(env, workspaceJournalAt(journalFile()), { cloud, withCycle: false, sleep: async (ms) => void waits.push(ms) });
    const out = await engine.apply(await planFor(env));
    expect(out.state).not.toBe('completed');
    expect(cloud.calls).toBe(6);
    // Back-off between rounds that landed nothing: 2, 4, 8, 16, 30 s (the sixth gives up).
    expect(waits.filter((ms) => ms >= 2000)).toEqual([2000, 4000, 8000, 16_000, 30_000]);
    expect(out.rows.filter((r) => users.includes(r.upn)).every((r) => r.state !== 'fixed')).toBe(true);
    expect(env.cloud(users[0]!).mobilePhone).not.toBe('+1 803 555 5000');
  });
});
