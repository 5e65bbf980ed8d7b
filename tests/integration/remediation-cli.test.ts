/**
 * `syncdrift demo` → `plan` → `apply --yes` → `sessions` → `undo` in-process through main(), with
 * the real wiring: the workspace's sandbox demo over HTTPS, msal device code as its Global
 * Administrator, the simulator's full cycle, the journal next to the workspace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/syncdrift';
import type { DriftReport } from '../../main/core/model';

const dir = mkdtempSync(join(tmpdir(), 'sd-rem-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { HOME: dir, XDG_DATA_HOME: dir }, cwd: dir, isTTY: false });
  return { code, out, err };
}

describe('syncdrift remediation commands on the sandbox demo', () => {
  it('plans, applies with the bypass and a full cycle, lists the session and undoes it', async () => {
    const ws = ['--workspace', join(dir, 'workspace.db')];
    expect((await run('demo', '--format', 'json', '--out', 'report.json', ...ws)).code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DriftReport;
    // The CLI's demo joins the engine's view as the app's does: the custom E.164 rule's users (Pune)
    // are rule-formatted, not format-only drift a keep-onprem plan could never make stick.
    // (The report's rows are the ones needing attention; rule-formatted ones are counted in its summary.)
    expect(report.summary.byStatus['rule-formatted']).toBeGreaterThan(2);
    expect(report.rows.filter((r) => r.onPrem?.dn.includes('OU=Pune,') && r.status === 'format-only')).toEqual([]);
    const target = report.rows.find((r) => r.status === 'cloud-override' && r.cloud && !r.cloud.managed);
    expect(target).toBeTruthy();
    const others = ['cloud-override=skip', 'format-only=keep-onprem', 'cloud-missing=keep-onprem', 'onprem-missing=keep-cloud', 'pending-sync=skip'].flatMap((o) => ['--others', o]);
    const plan = await run('plan', '--report', 'report.json', '--decide', 'cloud-override=keep-onprem', '--users', target!.upn, ...others, ...ws, '--out', 'plan.json');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.err).toContain('BLAST RADIUS');

    // The demo tenant has 2 synced users the scan cannot join to an AD object: the bypass reaches them too.
    expect(plan.err).toContain('NOT SCANNED: 2 synced user(s) in the tenant were not scanned');
    expect(plan.err).toContain('Apply needs: --accept-unscanned 2');

    const refused = await run('apply', 'plan.json', ...ws);
    expect(refused.code).toBe(8);
    const unaccepted = await run('apply', 'plan.json', '--yes', ...ws);
    expect(unaccepted.code).toBe(8);
    expect(unaccepted.err).toContain('reaches 2 synced user(s) the scan did not read');
    expect(unaccepted.err).toContain('Nothing was written.');
    const bad = await run('apply', 'plan.json', '--yes', '--accept-unscanned', 'two', ...ws);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--accept-unscanned');
    expect(JSON.parse((await run('sessions', '--json', ...ws)).out)).toEqual([]);

    const applied = await run('apply', 'plan.json', '--yes', '--accept-unscanned', '2', ...ws);
    expect(applied.code, applied.err + applied.out).toBe(0);
    expect(applied.out).toMatch(new RegExp(`fixed\\s+${target!.upn.replace(/[.]/g, '\\.')}: AD (.+), cloud \\1`));
    expect(applied.err).toContain('coverage: Graph counts 313 synced user(s) in the tenant now'); // $count over HTTPS, live
    expect(applied.out).toContain('The whole tenant read after the cycle:');

    const sessions = await run('sessions', '--json', ...ws);
    const [s] = JSON.parse(sessions.out) as Array<{ id: string; state: string }>;
    expect(s?.state).toBe('completed');

    const undo = await run('undo', s!.id, '--yes', ...ws);
    expect(undo.code, undo.err).toBe(7); // undone, but values the bypass erased can only come back as AD writes
    expect(undo.out).toContain("can come back only as AD writes");
    expect(undo.out).toContain('note: BypassDirSyncOverrides left on (this session turned it on)');
  });
});
