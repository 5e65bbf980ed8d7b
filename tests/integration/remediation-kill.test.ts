/**
 * A real crash: a child process applies a plan of per-user Graph writes against the HTTPS sandbox
 * and is SIGKILLed right after the $batch went out, before any result reached the journal. A fresh
 * engine in this process finds the session interrupted (dead pid), re-reads the cloud, and records
 * every write as applied without sending any of them again; and an undo after the same kill finds
 * the writes that landed (though the journal holds only their intents) and reverts them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudClient } from '../../main/cloud';
import { buildPlan, cloudPortFromClient, decideBulk, serializePlan, stepStatuses, type Plan } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { startCloudSandbox, type CloudSandbox } from '../support/cloud-sandbox';
import { fieldReportEnv, ManualClock, REPLAY_MINUTES, UPN, type FieldReportEnv } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const MOVED = 8;
let env: FieldReportEnv;
let cs: CloudSandbox;
let writer: CloudClient;
let dir: string;

// Each test gets its own tenant and HTTPS sandbox: the child's writes change the tenant for good.
beforeEach(async () => {
  env = await fieldReportEnv({ clock: new ManualClock(Date.now() - (REPLAY_MINUTES + 1) * 60_000, true), extraManaged: MOVED });
  cs = await startCloudSandbox({ tenant: env.tenant, caDir: (dir = mkdtempSync(join(tmpdir(), 'sd-rem-kill-'))) });
  const w = cs.sb.apps.writer;
  writer = cs.client({ clientId: w.appId, appRoles: w.appRoles, secrets: { getClientSecret: async () => w.clientSecret ?? '' } });
  await writer.signIn({ flow: 'client-credentials' });
});
afterEach(async () => {
  await cs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runChild(planFile: string, journalFile: string, killAt: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const w = cs.sb.apps.writer;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('tests/support/remediation-child.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        SD_KILL_AT: killAt,
        SD_CA_FILE: cs.sb.caFile ?? '',
        SD_TENANT: cs.sb.tenantId,
        SD_APP_ID: w.appId,
        SD_APP_ROLES: w.appRoles.join(','),
        SD_APP_SECRET: w.clientSecret ?? '',
        SD_ORIGIN: cs.sb.origin,
        SD_MOVED: String(MOVED),
        SD_PLAN: planFile,
        SD_JOURNAL: journalFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code, signal) => done({ code, signal, out }));
  });
}

describe('a remediation process killed for real', () => {
  it('resumes after SIGKILL between the $batch and its results: nothing lost, nothing sent twice', async () => {
    expect(cs.sb.apps.writer.clientSecret, 'the sandbox writer app needs a client secret').toBeTruthy();
    const report = await env.scan();
    const users = [UPN.zoe, ...Array.from({ length: MOVED }, (_, i) => `moved.${i}@fortmillems.org`)];
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users });
    const plan: Plan = buildPlan(report, decisions, { selected });
    expect(plan.needsBypass).toBe(false);
    expect(plan.steps.filter((s) => s.kind === 'graph-patch')).toHaveLength(MOVED + 1);
    const planFile = join(dir, 'plan.json');
    const journalFile = join(dir, 'journal.db');
    writeFileSync(planFile, serializePlan(plan));

    const child = await runChild(planFile, journalFile, 'effect:1');
    expect(child.signal, child.out).toBe('SIGKILL');
    // The writes landed before the kill; the journal holds only their intents.
    expect(env.cloud(UPN.zoe).mobilePhone).toBe('+1 803 555 0161');
    const journal = workspaceJournalAt(journalFile);
    const [session] = journal.listSessions();
    expect(stepStatuses(journal.entries(session!.id)).get(`graph:${plan.rows.find((r) => r.upn === UPN.zoe)?.key}`)?.state).toBe('uncertain');

    const counts = newCounts();
    const engine = sandboxEngine(env, journal, { counts, cloud: cloudPortFromClient(writer), timing: { resumeReadWindowMs: 3000, pollMs: 50 } });
    expect(engine.sessions()[0]?.state).toBe('interrupted');
    const out = await engine.resume(session!.id);
    expect(out.state, out.message ?? '').toBe('completed');
    expect(counts.graphWrites.size).toBe(0);
    const results = journal.entries(session!.id).filter((e) => e.stepId.startsWith('graph:') && e.kind === 'result');
    expect(results).toHaveLength(MOVED + 1);
    for (const r of results) expect(r.data).toMatchObject({ outcome: 'applied', foundOnResume: true });
    for (let i = 0; i < MOVED; i++) expect(env.cloud(`moved.${i}@fortmillems.org`).mobilePhone).toBe(`+1 803 555 ${5000 + i}`);
    journal.close();
  });

  it('undo after SIGKILL between the $batch and its results reverts every write that landed', async () => {
    const report = await env.scan();
    const users = [UPN.zoe, ...Array.from({ length: MOVED }, (_, i) => `moved.${i}@fortmillems.org`)];
    const original = new Map(users.map((u) => [u, env.cloud(u).mobilePhone]));
    const { decisions, selected } = decideBulk(report, { byStatus: { 'cloud-override': 'keep-onprem' }, users });
    const plan: Plan = buildPlan(report, decisions, { selected });
    const planFile = join(dir, 'plan.json');
    const journalFile = join(dir, 'journal.db');
    writeFileSync(planFile, serializePlan(plan));

    const child = await runChild(planFile, journalFile, 'effect:1');
    expect(child.signal, child.out).toBe('SIGKILL');
    expect(env.cloud(UPN.zoe).mobilePhone).toBe('+1 803 555 0161');

    const journal = workspaceJournalAt(journalFile);
    const [session] = journal.listSessions();
    const counts = newCounts();
    const engine = sandboxEngine(env, journal, { counts, cloud: cloudPortFromClient(writer), timing: { resumeReadWindowMs: 3000, pollMs: 50 } });
    const undo = await engine.undo(session!.id);
    expect(undo.notRestored).toEqual([]);
    expect(undo.state).toBe('undone');
    expect(undo.restored.map((r) => r.upn).sort()).toEqual([...users].sort());
    for (const u of users) expect(env.cloud(u).mobilePhone, u).toBe(original.get(u));
    // One PATCH back per user: the writes the dead process made, and nothing sent twice.
    expect([...counts.graphWrites.values()]).toEqual(users.map(() => 1));
    journal.close();
  });
});
