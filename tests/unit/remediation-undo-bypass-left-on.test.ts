/**
 * Undo that leaves the bypass on (the default, #17 point 5) must not restore a keep-cloud row's AD
 * value where that would let the next sync cycle write it over the cloud value the session kept:
 * before the session the override held the cloud value; with the bypass on nothing does. Found by
 * driving a whole Cloud Sync session through the services (tests/integration/remediation-cloud-sync-session.test.ts):
 * undo said "AD mobile restored to (empty)", and Cloud Sync's next run then cleared the user's only number.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPlan, decideBulk } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { DN, fieldReportEnv, UPN } from '../support/remediation-env';
import { sandboxEngine } from '../support/remediation-engine';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function appliedSession() {
  const env = await fieldReportEnv();
  const report = await env.scan();
  // testmobile keep-onprem (the bypass and a full cycle); Raj (AD empty, cloud +1 803 555 0177) keep-cloud: written into AD first.
  const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.testmobile], others: { 'onprem-missing': 'keep-cloud', 'format-only': 'keep-onprem' } });
  const plan = buildPlan(report, decisions, { selected });
  expect(plan.steps.find((s) => s.kind === 'ad-write')).toMatchObject({ upn: UPN.raj, expected: null, next: '+1 803 555 0177' });
  const d = mkdtempSync(join(tmpdir(), 'sd-undo-on-'));
  dirs.push(d);
  const engine = sandboxEngine(env, workspaceJournalAt(join(d, 'journal.db')));
  const out = await engine.apply(plan);
  expect(out.state).toBe('completed');
  expect((await env.dir.readUser(DN.raj))?.mobile).toBe('+1 803 555 0177');
  return { env, engine, sessionId: out.sessionId };
}

describe('undo of a keep-cloud row while the bypass stays on', () => {
  it('leaves AD at the kept value and says why, so the next cycle keeps the cloud value', async () => {
    const { env, engine, sessionId } = await appliedSession();
    const undo = await engine.undo(sessionId);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect((await env.dir.readUser(DN.raj))?.mobile).toBe('+1 803 555 0177');
    expect(undo.restored.find((r) => r.upn === UPN.raj)).toBeUndefined();
    const raj = undo.notRestored.find((n) => n.upn === UPN.raj);
    expect(raj?.message).toMatch(/left at "\+1 803 555 0177".*bypass.*stays on.*next sync cycle.*over "\+1 803 555 0177".*turn.*bypass off/i);
    expect(undo.state).toBe('undo-partial');
    await env.sync.runCycle('delta');
    await env.sync.runCycle('initial');
    expect(env.cloud(UPN.raj).mobilePhone).toBe('+1 803 555 0177');
  });

  it('restores it when the bypass is turned off, at once or by the later "turn the bypass off" undo', async () => {
    for (const twoSteps of [false, true]) {
      const { env, engine, sessionId } = await appliedSession();
      if (twoSteps) await engine.undo(sessionId);
      const undo = await engine.undo(sessionId, { turnBypassOff: true });
      expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
      expect((await env.dir.readUser(DN.raj))?.mobile ?? null, `twoSteps ${twoSteps}`).toBeNull();
      expect(undo.restored.find((r) => r.upn === UPN.raj)?.message).toBe('AD mobile restored to (empty)');
      // The override holds the cloud value again: the pre-session state, and it stays.
      await env.sync.runCycle('initial');
      expect(env.cloud(UPN.raj).mobilePhone).toBe('+1 803 555 0177');
    }
  });
});
