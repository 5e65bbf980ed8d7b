/**
 * Session ownership and takeover: a session whose recorded owner is gone (dead pid) or whose pid now
 * belongs to another process (pid reuse: a different start time, or another program) is taken
 * over by resume/undo, and the takeover names the old owner in the journal and the outcome. A live
 * genuine owner still blocks with an error that names it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPlan, effectiveState, ownerStatus, processIdentity, type JournalStore, type SessionOwner } from '../../main/remediation';
import { parseWindowsStartTime, windowsStartTimeCommand } from '../../main/remediation/journal';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';
import { runResumeCommand, runUndoCommand } from '../../main/cli/remediation-commands';
import { fieldReportEnv, keyOf, UPN, DN } from '../support/remediation-env';
import { newCounts, sandboxEngine } from '../support/remediation-engine';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const linux = process.platform === 'linux';
const parent = process.ppid;
const owner = (o: Partial<SessionOwner> & { pid: number }): SessionOwner => ({ host: hostname(), token: 'forged', ...o });

/** A live process that is not this program (a shell's sleep): what a reused pid looks like. */
function otherProgram(): number {
  const c = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

describe('who owns a session', () => {
  it('a live owner whose recorded start matches is alive; the same pid with another start time is a reused pid', () => {
    const real = processIdentity(parent);
    expect(real, 'the parent process has an identity on this platform').not.toBeNull();
    expect(ownerStatus(owner({ pid: parent, started: real!.started }))).toEqual({ alive: true });
    const reused = ownerStatus(owner({ pid: parent, started: 'linux:00000000-0000-0000-0000-000000000000:1', startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(reused).toMatchObject({ alive: false, reason: expect.stringMatching(new RegExp(`pid ${parent} .*another process`)) });
    expect(effectiveState({ state: 'running', meta: { owner: owner({ pid: parent, started: 'bogus' }), message: null, undo: null } })).toBe('interrupted');
  });

  it('an owner recorded without a start time (older journals) whose pid now runs another program is gone', { skip: !linux }, () => {
    const pid = otherProgram();
    expect(ownerStatus(owner({ pid }))).toMatchObject({ alive: false, reason: expect.stringContaining('sleep') });
    // ... but a pid that runs node may be the owner: it blocks rather than risk two writers.
    expect(ownerStatus(owner({ pid: parent }))).toEqual({ alive: true });
  });

  it('a dead pid is gone', () => {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    expect(ownerStatus(owner({ pid: dead }))).toMatchObject({ alive: false, reason: `pid ${dead} is not running` });
  });
});

describe('who owns a session on Windows (the decision with a fake probe; the PowerShell probe itself runs only on Windows, untested here)', () => {
  const win = (startTime: string | null, calls: number[] = []) => ({ platform: 'win32' as const, windowsStartTime: (pid: number) => (calls.push(pid), startTime) });

  it('records the start time PowerShell reports and tells a reused pid from the owner by it', () => {
    const calls: number[] = [];
    const id = processIdentity(parent, win('2026-12-07T08:00:00.1234567Z', calls));
    expect(id).toEqual({ started: 'win:2026-12-07T08:00:00.1234567Z', startedAt: '2026-12-07T08:00:00.1234567Z' });
    expect(calls).toEqual([parent]);
    const recorded = owner({ pid: parent, started: id!.started });
    expect(ownerStatus(recorded, win('2026-12-07T08:00:00.1234567Z'))).toEqual({ alive: true });
    // Same pid, another start time: Windows reused the pid; the session is interrupted, not busy.
    expect(ownerStatus(recorded, win('2026-12-07T09:30:00.0000000Z'))).toMatchObject({ alive: false, reason: expect.stringMatching(new RegExp(`pid ${parent} now belongs to another process.*started 2026-12-07T09:30:00.0000000Z`)) });
  });

  it('a probe that cannot answer (timeout, access denied, no PowerShell) falls back to liveness: never a takeover on a guess', () => {
    expect(processIdentity(parent, win(null))).toBeNull();
    expect(ownerStatus(owner({ pid: parent, started: 'win:2026-12-07T08:00:00.1234567Z' }), win(null))).toEqual({ alive: true });
  });

  it('reads only an ISO time from PowerShell\u2019s output and only probes positive integer pids', () => {
    expect(parseWindowsStartTime('2026-12-07T08:00:00.1234567Z\r\n')).toBe('2026-12-07T08:00:00.1234567Z');
    for (const junk of ['', 'Get-Process : Cannot find a process with the process identifier 4242.', '12/07/2026 08:00:00', '2026-12-07T08:00:00Z; rm -rf /']) expect(parseWindowsStartTime(junk)).toBeNull();
    expect(windowsStartTimeCommand(4242)).toEqual({ file: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', "(Get-Process -Id 4242 -ErrorAction Stop).StartTime.ToUniversalTime().ToString('o')"] });
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 32]) expect(() => windowsStartTimeCommand(bad)).toThrow(/pid/);
  });
});

describe('taking over a session', () => {
  class Death extends Error {}

  /** A keep-cloud session cut right after its AD intent, then forged to name `o` as its owner. */
  async function forged(o: SessionOwner): Promise<{ journal: JournalStore; id: string; env: Awaited<ReturnType<typeof fieldReportEnv>> }> {
    const env = await fieldReportEnv();
    const report = await env.scan();
    const plan = buildPlan(report, [{ rowKey: keyOf(report, UPN.testmobile), action: 'keep-cloud' }]);
    const d = mkdtempSync(join(tmpdir(), 'sd-takeover-'));
    dirs.push(d);
    const journal = workspaceJournalAt(join(d, 'journal.db'));
    const dying = sandboxEngine(env, journal, { hooks: { afterJournalAppend: () => { throw new Death('killed'); } } });
    await expect(dying.apply(plan)).rejects.toBeInstanceOf(Death);
    const s = journal.listSessions()[0]!;
    journal.updateSession(s.id, { meta: { ...s.meta, owner: o }, at: new Date().toISOString() });
    return { journal, id: s.id, env };
  }

  it('resume takes over from a reused pid and names the old owner in the journal and the outcome', async () => {
    const old = owner({ pid: parent, started: 'linux:00000000-0000-0000-0000-000000000000:1', startedAt: '2026-01-01T00:00:00.000Z' });
    const { journal, id, env } = await forged(old);
    const engine = sandboxEngine(env, journal);
    expect(engine.sessions()[0]?.state).toBe('interrupted');
    const out = await engine.resume(id);
    expect(out.state).toBe('completed');
    expect(out.takeover).toMatchObject({ from: { pid: parent, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }, reason: expect.stringContaining(`pid ${parent}`) });
    expect(out.message).toContain(`took over from pid ${parent} on ${hostname()} (started 2026-01-01T00:00:00.000Z)`);
    const entry = journal.entries(id).find((e) => e.stepId === 'takeover' && e.kind === 'intent');
    expect(entry?.data).toMatchObject({ from: { pid: parent, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }, by: { pid: process.pid } });
    expect(journal.getSession(id)?.meta.takeovers).toEqual([expect.objectContaining({ from: expect.objectContaining({ pid: parent }) })]);
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('1234567890');
    journal.close();
  });

  it('undo takes over from an owner running another program (older journal, no start time)', { skip: !linux }, async () => {
    const pid = otherProgram();
    const { journal, id, env } = await forged(owner({ pid }));
    const report = await sandboxEngine(env, journal).undo(id);
    expect(report.takeover).toMatchObject({ from: { pid, startedAt: null }, reason: expect.stringContaining('sleep') });
    expect(report.state).toBe('undone');
    expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe('0987654321');
    journal.close();
  });

  it('syncdrift undo prints whom it took the session over from', async () => {
    const old = owner({ pid: parent, started: 'linux:00000000-0000-0000-0000-000000000000:1', startedAt: '2026-01-01T00:00:00.000Z' });
    const { journal, id, env } = await forged(old);
    const out: string[] = [];
    const io = { stdout: { write: (x: string) => void out.push(x) }, stderr: { write: () => undefined }, env: {}, cwd: dirs[0]!, isTTY: false };
    const code = await runUndoCommand([id, '--yes', '--workspace', 'ws'], io, { openEngine: async () => ({ engine: sandboxEngine(env, journal), close: async () => undefined }) });
    expect(code).toBe(0);
    expect(out.join('')).toContain(`took over from pid ${parent} on ${hostname()} (started 2026-01-01T00:00:00.000Z): pid ${parent} now belongs to another process`);
    journal.close();
  });

  it('two processes taking over one session: the one that read it before the other claimed it is refused and writes nothing', async () => {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    const { journal, id, env } = await forged(owner({ pid: dead }));
    const stale = journal.getSession(id)!;
    // The other process wins the claim between this one's read and its claim.
    const winner = owner({ pid: parent, token: 'winner', started: processIdentity(parent)!.started, startedAt: '2026-12-06T11:00:00.000Z' });
    expect(journal.claimSession(id, { ownerToken: 'forged' }, { state: 'running', meta: { ...stale.meta, owner: winner }, at: new Date().toISOString() })).toBe(true);
    let reads = 0;
    const late: JournalStore = { ...journal, getSession: (x) => (x === id && reads++ === 0 ? stale : journal.getSession(x)) };
    const counts = newCounts();
    await expect(sandboxEngine(env, late, { counts }).resume(id)).rejects.toMatchObject({ code: 'SESSION_BUSY', message: expect.stringContaining(`claimed by another process a moment ago (pid ${parent} on ${hostname()}`) });
    expect(counts.adWrites.size).toBe(0);
    expect(journal.entries(id).some((e) => e.stepId === 'takeover')).toBe(false);
    expect(journal.getSession(id)?.meta.owner?.token).toBe('winner');
    journal.close();
  });

  it('a live genuine owner still blocks resume and undo, naming its pid, host and start', async () => {
    const real = processIdentity(parent)!;
    const startedAt = '2026-12-06T11:00:00.000Z';
    const { journal, id, env } = await forged(owner({ pid: parent, started: real.started, startedAt }));
    const engine = sandboxEngine(env, journal);
    expect(engine.sessions()[0]?.state).toBe('running');
    const busy = { code: 'SESSION_BUSY', message: expect.stringContaining(`pid ${parent} on ${hostname()}, started ${startedAt}`) };
    await expect(engine.resume(id)).rejects.toMatchObject(busy);
    await expect(engine.undo(id)).rejects.toMatchObject(busy);
    expect(journal.entries(id).some((e) => e.stepId === 'takeover')).toBe(false);
    journal.close();
  });
  describe('an owner on another machine (assumed alive: nothing here can check it)', () => {
    const foreign = owner({ pid: 4242, host: 'ops-laptop-7', token: 'elsewhere', started: 'linux:x:1', startedAt: '2026-12-06T09:30:00.000Z' });

    it('blocks until the admin explicitly takes it over; the takeover is recorded as forced by the admin', async () => {
      const { journal, id, env } = await forged(foreign);
      const engine = sandboxEngine(env, journal);
      const s = engine.sessions()[0]!;
      expect(s.state).toBe('running');
      expect(s.owner).toEqual({ pid: 4242, host: 'ops-laptop-7', startedAt: '2026-12-06T09:30:00.000Z', elsewhere: true });
      await expect(engine.resume(id)).rejects.toMatchObject({ code: 'SESSION_BUSY', message: expect.stringContaining('--take-over') });
      await expect(engine.undo(id)).rejects.toMatchObject({ code: 'SESSION_BUSY' });
      expect(journal.entries(id).some((e) => e.stepId === 'takeover')).toBe(false);
      const out = await engine.resume(id, { takeOver: true });
      expect(out.state).toBe('completed');
      expect(out.takeover).toMatchObject({ forced: true, from: { pid: 4242, host: 'ops-laptop-7', startedAt: '2026-12-06T09:30:00.000Z' }, reason: expect.stringMatching(/^forced by the admin/) });
      const entry = journal.entries(id).find((e) => e.stepId === 'takeover');
      expect(entry?.data).toMatchObject({ forced: true, reason: expect.stringContaining('forced by the admin'), from: { host: 'ops-laptop-7' } });
      expect(engine.sessions()[0]?.takeovers).toEqual([expect.objectContaining({ forced: true })]);
      journal.close();
    });

    it('the override never applies to an owner on this machine that is alive', async () => {
      const real = processIdentity(parent)!;
      const { journal, id, env } = await forged(owner({ pid: parent, started: real.started }));
      await expect(sandboxEngine(env, journal).resume(id, { takeOver: true })).rejects.toMatchObject({ code: 'SESSION_BUSY' });
      await expect(sandboxEngine(env, journal).undo(id, { takeOver: true })).rejects.toMatchObject({ code: 'SESSION_BUSY' });
      expect(journal.entries(id).some((e) => e.stepId === 'takeover')).toBe(false);
      journal.close();
    });

    it('syncdrift resume --take-over asks first, then says whom it took over from and that the admin forced it', async () => {
      const { journal, id, env } = await forged(foreign);
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (x: string) => void out.push(x) }, stderr: { write: (x: string) => void err.push(x) }, env: {}, cwd: dirs[0]!, isTTY: true };
      const deps = { openEngine: async () => ({ engine: sandboxEngine(env, journal), close: async () => undefined }) };
      const questions: string[] = [];
      // Not confirmed: nothing happens.
      expect(await runResumeCommand([id, '--take-over', '--workspace', 'ws'], io, { ...deps, ask: async (q: string) => (questions.push(q), 'no') })).toBe(8);
      expect(questions.join('')).toContain('both may write');
      expect(journal.entries(id).some((e) => e.stepId === 'takeover')).toBe(false);
      // Without a terminal the flag alone is not a confirmation.
      expect(await runResumeCommand([id, '--take-over', '--workspace', 'ws'], { ...io, isTTY: false }, deps)).toBe(8);
      expect(await runResumeCommand([id, '--take-over', '--yes', '--workspace', 'ws'], { ...io, isTTY: false }, deps)).toBe(0);
      expect(out.join('')).toContain('This run took over from pid 4242 on ops-laptop-7 (started 2026-12-06T09:30:00.000Z): forced by the admin');
      journal.close();
    });
  });
});
