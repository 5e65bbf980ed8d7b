/**
 * The remediation engine over the real sandbox tenant on HTTPS with the real CloudClient (msal-node
 * sign-in as a delegated Global Administrator, Graph $batch, the bypass resource), replaying the
 * field report, with 429 storms and 503s injected during execute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudClient } from '../../main/cloud';
import { buildPlan, cloudPortFromClient, decideBulk, stepStatuses } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { scriptedBrowser, startCloudSandbox, type CloudSandbox } from '../support/cloud-sandbox';
import { fieldReportEnv, ManualClock, REPLAY_MINUTES, UPN, DN, type FieldReportEnv } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const MOVED = 45;
let env: FieldReportEnv;
let cs: CloudSandbox;
let ga: CloudClient;
let dir: string;

beforeAll(async () => {
  // Live clock ending at real "now": tokens the sandbox issues must look current to msal.
  env = await fieldReportEnv({ clock: new ManualClock(Date.now() - (REPLAY_MINUTES + 1) * 60_000, true), extraManaged: MOVED });
  cs = await startCloudSandbox({ tenant: env.tenant });
  ga = cs.client({ retryPolicy: { baseDelayMs: 20, maxDelayMs: 200, maxRetriesPerOperation: 400 } });
  await ga.signIn({ flow: 'interactive', openBrowser: scriptedBrowser(cs.network, cs.sb.users.globalAdmin) });
  dir = mkdtempSync(join(tmpdir(), 'sd-rem-https-'));
});

afterAll(async () => {
  await cs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('remediation over HTTPS with the real cloud client', () => {
  it('keep-onprem via bypass + initial cycle and 45 per-user PATCHes survive 429 storms and 503s; every write once', async () => {
    const report = await env.scan();
    expect(report.rows.find((r) => r.upn === UPN.testmobile)?.status).toBe('cloud-override');
    const { decisions, selected } = decideBulk(report, {
      byStatus: { 'cloud-override': 'keep-onprem' },
      users: [UPN.testmobile, UPN.zoe, ...Array.from({ length: MOVED }, (_, i) => `moved.${i}@fortmillems.org`)],
      others: { 'onprem-missing': 'skip', 'format-only': 'keep-onprem' },
    });
    const plan = buildPlan(report, decisions, { selected, connectServer: 'FMEMS-SYNC01' });
    expect(plan.steps.filter((s) => s.kind === 'graph-patch')).toHaveLength(MOVED + 1);
    expect(plan.blastRadius.find((b) => b.upn === UPN.raj)?.effect).toContain('cloud value will be cleared');

    const journal = workspaceJournalAt(join(dir, 'journal.db'));
    const counts = newCounts();
    const engine = sandboxEngine(env, journal, { counts, cloud: cloudPortFromClient(ga), timing: { verifyTimeoutMs: 30_000, resumeReadWindowMs: 2000, pollMs: 100 } });
    const pre = await engine.preflight(plan);
    expect(pre.checks.filter((c) => !c.ok)).toEqual([]);
    expect(pre.bypassWasOn).toBe(false);

    // Storms from here on: a small identity bucket (429 with Retry-After) and one request in four a 503.
    cs.sb.setKnobs({ throttle: { identityUnitsPer10s: 120 }, faults: { errorRate: 0.25, errorStatus: 503, seed: 7 } });
    const retries: number[] = [];
    let out = await engine.apply(plan, { onProgress: (e) => e.phase === 'graph-write' && e.retries !== undefined && retries.push(e.retries) });
    // A storm may exhaust a retry budget: the session then stops resumable, and resume finishes it.
    for (let i = 0; i < 3 && out.state === 'interrupted'; i++) out = await engine.resume(out.sessionId);
    cs.sb.setKnobs({ throttle: { identityUnitsPer10s: null }, faults: { errorRate: 0 } });
    expect(out.state, out.message ?? '').toBe('completed');
    expect(Math.max(0, ...retries)).toBeGreaterThan(0);

    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('0987654321');
    expect(env.cloud(UPN.raj).mobilePhone).toBeNull();
    expect(env.cloud(UPN.zoe).mobilePhone).toBe('+1 803 555 0161');
    for (let i = 0; i < MOVED; i++) expect(env.cloud(`moved.${i}@fortmillems.org`).mobilePhone).toBe(`+1 803 555 ${5000 + i}`);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    // Nothing doubled: each user written once, each step one applied result.
    expect([...counts.graphWrites.values()].every((n) => n === 1)).toBe(true);
    expect(counts.graphWrites.size).toBe(MOVED + 1);
    const statuses = stepStatuses(journal.entries(out.sessionId));
    for (const s of plan.steps.filter((x) => x.kind === 'graph-patch')) expect(statuses.get(s.id)).toMatchObject({ state: 'done', result: { data: { outcome: 'applied' } } });

    // Over HTTPS too: the admin's explicit choice turns the bypass off (the default leaves it on, #17 point 5).
    const undo = await engine.undo(out.sessionId, { turnBypassOff: true });
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
    expect(env.cloud(UPN.zoe).mobilePhone).toBe('+1 803 555 0160');
    expect(undo.offers.map((o) => o.upn)).toEqual(expect.arrayContaining([UPN.raj, UPN.testmobile]));
    journal.close();
  });
});
