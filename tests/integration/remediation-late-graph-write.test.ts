/**
 * Undo after a crash, when Graph's reads lag its writes longer than the read window (#16, the gap
 * "a Graph write landing after the read window is missed by undo"). The sandbox tenant accepts the
 * PATCH at once (writes are ordered), but a wrapper over its port serves the value from before the
 * write to reads for `LAG_MS`, as a lagging replica would. The process dies after the PATCH went out
 * (or just before), so the journal holds only the intent; undo's reconciliation polls for less than
 * the lag, reads the old value and used to conclude "had not landed, nothing to restore": the report
 * said undone while the cloud kept the session's value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPlan, decideBulk, sandboxCloudPort, type Plan, type RemediationCloud } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { admin, fieldReportEnv, UPN, type FieldReportEnv } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const LAG_MS = 600;
const WRITTEN = '+1 803 555 0161';

/** The real sandbox port, with reads that show a user's value from before a write for `lagMs` after it. */
function laggingReads(cloud: RemediationCloud, lagMs: number): RemediationCloud {
  const stale = new Map<string, { value: string | null; until: number }>();
  return {
    ...cloud,
    async readUsers(ids, o) {
      const m = await cloud.readUsers(ids, o);
      for (const [id, u] of m) {
        const s = stale.get(id);
        if (u && s && Date.now() < s.until) m.set(id, { ...u, mobilePhone: s.value });
      }
      return m;
    },
    async patchMobile(writes, o) {
      const before = await cloud.readUsers(writes.map((w) => w.userId), o);
      for (const w of writes) if (!stale.has(w.userId) || Date.now() >= stale.get(w.userId)!.until) stale.set(w.userId, { value: before.get(w.userId)?.mobilePhone ?? null, until: Date.now() + lagMs });
      return cloud.patchMobile(writes, o);
    },
  };
}

class Death extends Error {}
let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function zoePlan(): Promise<{ env: FieldReportEnv; plan: Plan }> {
  const env = await fieldReportEnv();
  const report = await env.scan();
  const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users: [UPN.zoe] });
  const plan = buildPlan(report, decisions, { selected });
  expect(plan.steps.map((s) => s.kind)).toContain('graph-patch');
  expect(plan.needsBypass).toBe(false);
  return { env, plan };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('undo after a crash when Graph reads lag the write longer than the read window', () => {
  for (const killed of ['after the PATCH went out', 'after its intent, before the PATCH'] as const) {
    it(`killed ${killed}: the cloud ends at the value before the session, also once the lag has passed`, async () => {
      const { env, plan } = await zoePlan();
      const BEFORE = env.cloud(UPN.zoe).mobilePhone;
      expect(BEFORE).not.toBe(WRITTEN);
      dir = mkdtempSync(join(tmpdir(), 'sd-late-graph-'));
      const file = join(dir, 'journal.db');
      const cloud = laggingReads(sandboxCloudPort(env.tenant, { actor: admin }), LAG_MS);
      const first = workspaceJournalAt(file);
      const hooks =
        killed === 'after the PATCH went out'
          ? { afterEffect: () => { throw new Death('killed after the PATCH'); } }
          : { afterJournalAppend: (e: { stepId: string; kind: string }) => { if (e.stepId.startsWith('graph:') && e.kind === 'intent') throw new Death('killed after the intent'); } };
      await expect(sandboxEngine(env, first, { cloud, hooks, withCycle: false }).apply(plan)).rejects.toBeInstanceOf(Death);
      first.close();
      if (killed === 'after the PATCH went out') expect(env.cloud(UPN.zoe).mobilePhone).toBe(WRITTEN);

      const second = workspaceJournalAt(file);
      const counts = newCounts();
      // The read window (50 ms) is far shorter than the lag: reconciliation reads the old value.
      const engine = sandboxEngine(env, second, { cloud, counts, withCycle: false, timing: { resumeReadWindowMs: 50, pollMs: 10 } });
      const [session] = engine.sessions();
      const undo = await engine.undo(session!.id);
      await wait(LAG_MS + 50);
      expect(env.cloud(UPN.zoe).mobilePhone).toBe(BEFORE);
      expect((await cloud.readUsers([env.cloud(UPN.zoe).id])).get(env.cloud(UPN.zoe).id)?.mobilePhone).toBe(BEFORE);
      expect(undo.state).toBe('undone');
      expect(undo.notRestored).toEqual([]);
      const zoe = undo.restored.find((r) => r.upn === UPN.zoe);
      expect(zoe?.message).toMatch(/written back/);
      // One write back, whether or not the interrupted PATCH had gone out: it supersedes a write Graph accepted.
      expect([...counts.graphWrites.values()]).toEqual([1]);
      // Undo run again has nothing left to do.
      const again = await engine.undo(session!.id);
      expect(again.state).toBe('undone');
      expect([...counts.graphWrites.values()]).toEqual([1]);
      second.close();
    });
  }

  it('a lag inside the read window is found as landed and reverted as before (one PATCH back)', async () => {
    const { env, plan } = await zoePlan();
    const BEFORE = env.cloud(UPN.zoe).mobilePhone;
    dir = mkdtempSync(join(tmpdir(), 'sd-late-graph-'));
    const file = join(dir, 'journal.db');
    const cloud = laggingReads(sandboxCloudPort(env.tenant, { actor: admin }), 100);
    const first = workspaceJournalAt(file);
    await expect(
      sandboxEngine(env, first, { cloud, withCycle: false, hooks: { afterEffect: () => { throw new Death('killed after the PATCH'); } } }).apply(plan),
    ).rejects.toBeInstanceOf(Death);
    first.close();
    const second = workspaceJournalAt(file);
    const counts = newCounts();
    const engine = sandboxEngine(env, second, { cloud, counts, withCycle: false, timing: { resumeReadWindowMs: 2000, pollMs: 20 } });
    const undo = await engine.undo(engine.sessions()[0]!.id);
    expect(undo.state).toBe('undone');
    expect(undo.restored.find((r) => r.upn === UPN.zoe)?.message).toMatch(/restored to/);
    expect(env.cloud(UPN.zoe).mobilePhone).toBe(BEFORE);
    expect([...counts.graphWrites.values()]).toEqual([1]);
    second.close();
  });

  it('a write-back Graph refuses leaves the user named in notRestored and the step open for the next undo', async () => {
    const { env, plan } = await zoePlan();
    const BEFORE = env.cloud(UPN.zoe).mobilePhone;
    dir = mkdtempSync(join(tmpdir(), 'sd-late-graph-'));
    const file = join(dir, 'journal.db');
    const lagging = laggingReads(sandboxCloudPort(env.tenant, { actor: admin }), LAG_MS);
    let refuse = false;
    const cloud: RemediationCloud = {
      ...lagging,
      patchMobile: (writes, o) =>
        refuse
          ? Promise.resolve({ results: writes.map((w) => ({ userId: w.userId, ok: false, status: 503, error: { kind: 'connection', code: 'ServiceUnavailable', message: 'try later' } })), requests: 1, retries: 0 } as Awaited<ReturnType<RemediationCloud['patchMobile']>>)
          : lagging.patchMobile(writes, o),
    };
    const first = workspaceJournalAt(file);
    await expect(
      sandboxEngine(env, first, { cloud, withCycle: false, hooks: { afterEffect: () => { throw new Death('killed after the PATCH'); } } }).apply(plan),
    ).rejects.toBeInstanceOf(Death);
    first.close();
    const second = workspaceJournalAt(file);
    const engine = sandboxEngine(env, second, { cloud, withCycle: false, timing: { resumeReadWindowMs: 50, pollMs: 10 } });
    const id = engine.sessions()[0]!.id;
    refuse = true;
    const partial = await engine.undo(id);
    expect(partial.state).toBe('undo-partial');
    expect(partial.notRestored).toEqual([expect.objectContaining({ upn: UPN.zoe, message: expect.stringMatching(/may still show up .*writing .* back failed .*run undo again/) })]);
    refuse = false;
    const again = await engine.undo(id);
    expect(again.state).toBe('undone');
    await wait(LAG_MS + 50);
    expect(env.cloud(UPN.zoe).mobilePhone).toBe(BEFORE);
    second.close();
  });
});
