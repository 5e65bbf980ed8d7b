import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { claimOwner, effectiveState, releaseOwner, stepStatuses, type JournalEntry } from '../../main/remediation';
import { workspaceJournalAt } from '../../main/remediation/journal-workspace';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sd-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const e = (seq: number, stepId: string, kind: 'intent' | 'result', data: unknown = {}): JournalEntry => ({ seq, sessionId: 's', stepId, kind, at: '2025-02-03T14:00:00.000Z', data });

describe('step statuses from the journal', () => {
  it('pending without entries, uncertain after an intent, done after its result', () => {
    const m = stepStatuses([e(1, 'ad:a', 'intent'), e(2, 'ad:a', 'result', { outcome: 'applied' }), e(3, 'ad:b', 'intent')]);
    expect(m.get('ad:a')).toMatchObject({ state: 'done', intent: { seq: 1 }, result: { seq: 2 } });
    expect(m.get('ad:b')).toMatchObject({ state: 'uncertain', intent: { seq: 3 } });
    expect(m.get('ad:c')).toBeUndefined();
  });

  it('a re-run step (verify again) is uncertain again until its new result', () => {
    const m = stepStatuses([e(1, 'verify', 'intent'), e(2, 'verify', 'result'), e(3, 'verify', 'intent')]);
    expect(m.get('verify')?.state).toBe('uncertain');
  });
});

describe('session liveness', () => {
  it('an active session whose owner is gone reopens as interrupted', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const meta = { owner: { pid: Number(dead), host: claimOwner('probe').host, token: 't' }, message: null, undo: null };
    releaseOwner('probe');
    expect(effectiveState({ state: 'running', meta })).toBe('interrupted');
    expect(effectiveState({ state: 'awaiting-cycle', meta })).toBe('awaiting-cycle');
    const mine = { owner: claimOwner('live'), message: null, undo: null };
    expect(effectiveState({ state: 'running', meta: mine })).toBe('running');
    releaseOwner('live');
    expect(effectiveState({ state: 'running', meta: mine })).toBe('interrupted');
  });
});

describe('the journal over a workspace file', () => {
  it('keeps sessions and entries across reopen, in WAL with synchronous=FULL', () => {
    const file = join(tmp(), 'journal.db');
    const a = workspaceJournalAt(file);
    a.createSession({ id: 's1', state: 'running', createdAt: '2025-02-03T14:00:00.000Z', plan: { any: 'plan' }, meta: { owner: null, message: null, undo: null } });
    expect(a.append({ sessionId: 's1', stepId: 'ad:x', kind: 'intent', at: '2025-02-03T14:00:01.000Z', data: { expected: null, next: '1' } })).toBe(1);
    a.append({ sessionId: 's1', stepId: 'ad:x', kind: 'result', at: '2025-02-03T14:00:02.000Z', data: { outcome: 'applied' } });
    a.updateSession('s1', { state: 'completed', at: '2025-02-03T14:00:03.000Z' });
    a.close();
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const b = workspaceJournalAt(file);
    expect(b.getSession('s1')).toMatchObject({ state: 'completed', updatedAt: '2025-02-03T14:00:03.000Z', plan: { any: 'plan' } });
    expect(b.entries('s1').map((x) => [x.stepId, x.kind, x.data])).toEqual([
      ['ad:x', 'intent', { expected: null, next: '1' }],
      ['ad:x', 'result', { outcome: 'applied' }],
    ]);
    expect(b.listSessions().map((s) => s.id)).toEqual(['s1']);
    expect(() => b.updateSession('nope', { at: 'x' })).toThrow(/No remediation session nope/);
    b.close();
  });

  it('refuses an unreadable stored session with a clear error instead of guessing', () => {
    const file = join(tmp(), 'journal.db');
    const a = workspaceJournalAt(file);
    a.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO sessions (id, state, created_at, updated_at, json) VALUES ('bad', 'flying', 'x', 'x', '{}')").run();
    raw.close();
    const b = workspaceJournalAt(file);
    expect(() => b.getSession('bad')).toThrow(/unreadable session/);
    b.close();
  });
});
