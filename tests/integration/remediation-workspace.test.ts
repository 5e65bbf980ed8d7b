/**
 * The engine's journal inside the workspace database (main/workspace repositories): a session cut
 * after its AD write's intent reopens from the workspace file as interrupted and resumes; the
 * workspace's own view of the session follows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, workspaceJournalStore } from '../../main/remediation';
import { openWorkspace } from '../../main/workspace/workspace';
import { fieldReportEnv, keyOf, UPN, DN } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const dir = mkdtempSync(join(tmpdir(), 'sd-rem-ws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('remediation journal in the workspace database', () => {
  it('survives a cut after the intent and resumes from a reopened workspace, writing once', async () => {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }]);
    const file = join(dir, 'workspace.db');
    const counts = newCounts();
    const ws1 = openWorkspace(file);
    class Death extends Error {}
    const dying = sandboxEngine(env, workspaceJournalStore(ws1), { counts, hooks: { afterEffect: () => { throw new Death('cut'); } } });
    await expect(dying.apply(plan)).rejects.toBeInstanceOf(Death);
    ws1.close();

    const ws2 = openWorkspace(file);
    const engine = sandboxEngine(env, workspaceJournalStore(ws2), { counts });
    const [s] = engine.sessions();
    expect(s?.state).toBe('interrupted');
    expect(ws2.sessions.get(s!.id)?.state).toBe('executing');
    const out = await engine.resume(s!.id);
    expect(out.state).toBe('completed');
    expect(counts.adWrites.get(DN.testmobile)).toBe(1);
    expect(ws2.sessions.get(s!.id)?.state).toBe('done');
    expect(ws2.journal.openIntents(s!.id).filter((e) => e.stepId.startsWith('ad:'))).toEqual([]);
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('1234567890');
    ws2.close();
  });
});
