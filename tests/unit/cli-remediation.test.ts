import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspaceJournal, runApplyCommand, runPlanCommand, runResumeCommand, runSessionsCommand, runUndoCommand, type RemediationCommandDeps, type RemediationCommandIo } from '../../main/cli/remediation-commands';
import { fieldReportEnv, UPN, DN, type FieldReportEnv } from '../support/remediation-env';
import { sandboxEngine } from '../support/remediation-engine';

let dir: string;
let env: FieldReportEnv;
let io: RemediationCommandIo & { out: string[]; err: string[] };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sd-cli-rem-'));
  env = await fieldReportEnv();
  writeFileSync(join(dir, 'report.json'), JSON.stringify(await env.scan()));
  const out: string[] = [];
  const err: string[] = [];
  io = { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { HOME: dir, XDG_DATA_HOME: dir }, cwd: dir, isTTY: false };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const deps = (withCycle = true): RemediationCommandDeps => ({
  openEngine: async ({ workspaceFile, operator }) => {
    const journal = openWorkspaceJournal(workspaceFile);
    return { engine: sandboxEngine(env, journal, { operator, withCycle }), close: async () => journal.close() };
  },
});

describe('syncdrift plan / apply / sessions / resume / undo', () => {
  it('plans keep-onprem for testmobile, refuses until the blast radius is decided, then applies and undoes', async () => {
    const base = ['--report', 'report.json', '--decide', 'cloud-override=keep-onprem', '--users', UPN.testmobile, '--connect-server', 'FMEMS-SYNC01', '--workspace', 'ws'];
    expect(await runPlanCommand([...base, '--out', 'blocked.json'], io)).toBe(8);
    expect(io.err.join('')).toMatch(/UNDECIDED: cloud value will be cleared/);

    writeFileSync(join(dir, 'users.txt'), `# the case\n${UPN.testmobile}\n`);
    const full = ['--report', 'report.json', '--decide', 'cloud-override=keep-onprem', '--users', '@users.txt', '--others', 'onprem-missing=skip', '--others', 'format-only=keep-onprem', '--workspace', 'ws', '--out', 'plan.json'];
    expect(await runPlanCommand(full, io)).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'))).toMatchObject({ format: 'syncdrift-remediation-plan', schemaVersion: 1, needsBypass: true });

    io.out.length = 0;
    expect(await runApplyCommand(['plan.json', '--dry-run', '--workspace', 'ws'], io, deps())).toBe(0);
    expect(io.out.join('')).toContain('BLAST RADIUS: 3 user(s)');
    expect(io.out.join('')).toContain(`${UPN.raj}`);
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);

    // No terminal and no --yes: refused, nothing written.
    expect(await runApplyCommand(['plan.json', '--workspace', 'ws'], io, deps())).toBe(8);
    expect(io.err.join('')).toContain('refusing to write without confirmation');
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);

    io.out.length = 0;
    expect(await runApplyCommand(['plan.json', '--yes', '--workspace', 'ws'], io, deps())).toBe(0);
    expect(io.out.join('')).toMatch(/: completed/);
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');

    io.out.length = 0;
    expect(await runSessionsCommand(['--workspace', 'ws', '--json'], io)).toBe(0);
    const sessions = JSON.parse(io.out.join('')) as Array<{ id: string; state: string }>;
    expect(sessions).toEqual([expect.objectContaining({ state: 'completed' })]);

    io.out.length = 0;
    expect(await runUndoCommand([sessions[0]!.id, '--yes', '--workspace', 'ws', '--restore-out', 'restore.json'], io, deps())).toBe(7);
    expect(io.out.join('')).toContain('can come back only as AD writes');
    expect(existsSync(join(dir, 'restore.json'))).toBe(true);
    // The restore plan carries the session's engine and profile, not fixed defaults.
    const restorePlan = JSON.parse(readFileSync(join(dir, 'restore.json'), 'utf8')) as { syncEngine: string; source: { profile: string } };
    expect(restorePlan.syncEngine).toBe('connect');
    expect(restorePlan.source.profile).not.toBe('restore');
    // Undo leaves the bypass on by default and says why (#17 point 5); off is the admin's explicit choice.
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(true);
    expect(io.out.join('')).toContain('note: BypassDirSyncOverrides left on (this session turned it on). Turning it off restores no value');
    expect(io.out.join('')).toContain(`syncdrift undo ${sessions[0]!.id} --turn-bypass-off`);

    io.out.length = 0;
    expect(await runUndoCommand([sessions[0]!.id, '--yes', '--turn-bypass-off', '--workspace', 'ws'], io, deps())).toBe(7);
    expect(io.out.join('')).toContain('BypassDirSyncOverrides turned off again (this session had turned it on).');
    expect(io.out.join('')).not.toContain('left on');
    expect(env.tenant.features.bypassDirSyncOverridesEnabled).toBe(false);
  });

  it('without a cycle port the session waits with the copyable command, and resume --cycle-done finishes it', async () => {
    expect(await runPlanCommand(['--report', 'report.json', '--decide', 'cloud-override=keep-onprem', '--users', UPN.testmobile, '--others', 'onprem-missing=keep-cloud', '--others', 'format-only=keep-onprem', '--replica-dc', 'FMDC01', '--out', 'p.json'], io)).toBe(0);
    expect(await runApplyCommand(['p.json', '--yes'], io, deps(false))).toBe(7);
    expect(io.out.join('')).toContain('Start-ADSyncSyncCycle -PolicyType Initial');
    expect((await env.dir.readUser(DN.raj))?.mobile).toBe('+1 803 555 0177');
    const id = /Session (\S+): awaiting-cycle/.exec(io.out.join(''))?.[1];
    expect(id).toBeTruthy();
    // The admin runs the cycle on the Connect server (here: the simulator), then confirms.
    await env.sync.runCycle('initial');
    io.out.length = 0;
    expect(await runResumeCommand([id!, '--cycle-done'], io, deps(false))).toBe(0);
    expect(io.out.join('')).toMatch(/: completed/);
    expect(env.cloud(UPN.testmobile).mobilePhone).toBe('0987654321');
  });

  it('names the bad argument', async () => {
    expect(await runPlanCommand(['--report', 'report.json', '--decide', 'cloud-override=overwrite', '--out', 'x.json'], io)).toBe(2);
    expect(io.err.join('')).toContain('--decide: unknown action "overwrite"');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ format: 'syncdrift-remediation-plan', schemaVersion: 1, id: 'x' }));
    expect(await runApplyCommand(['bad.json', '--dry-run'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/bad\.json\.\w+/);
    expect(await runResumeCommand(['nope'], io)).toBe(2);
    expect(io.err.join('')).toContain('no engine wiring');
    // Before the plan file is even read.
    expect(await runApplyCommand(['absent.json', '--connect-export', ''], io)).toBe(2);
    expect(io.err.join('')).toContain('--connect-export: needs a file name (occurrence 1 is empty)');
  });

  describe('plan files carry an integrity check (#16 finding 2)', () => {
    const planKeepCloud = async (ws = 'ws') => {
      const args = ['--report', 'report.json', '--decide', 'cloud-override=keep-cloud', '--users', UPN.testmobile, '--others', 'onprem-missing=skip', '--others', 'format-only=skip', '--workspace', ws, '--out', 'plan.json'];
      expect(await runPlanCommand(args, io)).toBe(0);
      return JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Record<string, unknown> & {
        steps: Array<{ kind: string; next?: string | null }>;
        rows: Array<{ intended: { onPrem: string | null } | null }>;
        integrity?: unknown;
      };
    };

    it('a hand-edited AD write (the cloud value swapped for an attacker number) is refused, nothing written', async () => {
      const before = (await env.dir.readUser(DN.testmobile))?.mobile;
      const plan = await planKeepCloud();
      const write = plan.steps.find((s) => s.kind === 'ad-write');
      expect(write).toBeTruthy();
      // Structurally valid: step and row agree, so only the integrity check can catch it.
      write!.next = '+1 555 0100 666';
      for (const r of plan.rows) if (r.intended) r.intended.onPrem = '+1 555 0100 666';
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
      expect(await runApplyCommand(['plan.json', '--yes', '--workspace', 'ws'], io, deps())).toBe(2);
      expect(io.err.join('')).toContain('plan.json: was changed after syncdrift plan wrote it');
      expect((await env.dir.readUser(DN.testmobile))?.mobile).toBe(before);
      // The dry run refuses it too: an admin reviewing a tampered plan must not be told it is ready.
      expect(await runApplyCommand(['plan.json', '--dry-run', '--workspace', 'ws'], io, deps())).toBe(2);
    });

    it('an unsigned plan and one signed by another workspace are refused, naming why', async () => {
      const plan = await planKeepCloud('ws1');
      writeFileSync(join(dir, 'plan.json'), JSON.stringify({ ...plan, integrity: undefined }));
      expect(await runApplyCommand(['plan.json', '--yes', '--workspace', 'ws1'], io, deps())).toBe(2);
      expect(io.err.join('')).toContain('plan.json.integrity: is missing');
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
      expect(await runApplyCommand(['plan.json', '--yes', '--workspace', 'ws2'], io, deps())).toBe(2);
      expect(io.err.join('')).toMatch(/plan\.json\.integrity\.keyId: is [0-9a-f]{16}: the plan was signed by another workspace/);
      // Re-indenting the file is not tampering: the check is over the plan's content.
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
      io.out.length = 0;
      expect(await runApplyCommand(['plan.json', '--yes', '--workspace', 'ws1'], io, deps())).toBe(0);
      expect(io.out.join('')).toMatch(/: completed/);
    });
  });
});
