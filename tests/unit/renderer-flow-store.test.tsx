// @vitest-environment jsdom
/**
 * The guided flow's stores against a fake service whose plans come from the real (pure) plan
 * builder: decisions rebuild the plan, the apply names the plan's user count, progress and the end
 * are taken only from the flow's own operation, an attached session is followed by its id, and the
 * start-up offer picks the session that still needs the admin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../renderer/src/stores/app-store';
import { useFlowStore } from '../../renderer/src/stores/remediation-store';
import { sessionToOffer, useSessionsStore } from '../../renderer/src/stores/sessions-store';
import { affectedUserCount, type AppInfo, type DriftRow, type Plan, type SessionSummaryWire } from '../../preload/contract';
import { FakeApi } from '../support/fake-api';
import { demoRows, flowApi, outcomeFor, summary } from '../support/flow-fixtures';

const INFO: AppInfo = {
  name: 'SyncDrift Workbench',
  version: '0.1.0',
  host: 'test',
  sandbox: true,
  platform: 'linux',
  versions: {},
  workspacePath: '/tmp/x',
};

let api: FakeApi;
let rows: DriftRow[];
let detach: () => void = () => {};
beforeEach(() => {
  rows = demoRows();
  api = flowApi(new FakeApi(), rows);
  useAppStore.setState({ api, info: INFO, status: 'ready', profileId: 'sandbox', notices: [] });
  useFlowStore.getState().close();
  useSessionsStore.setState({ sessions: [], offer: null, offerChecked: false, error: null });
  detach = useFlowStore.getState().attach(api);
});
afterEach(() => {
  detach();
  useFlowStore.getState().close();
});

const tick = () => new Promise((r) => setTimeout(r, 0));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('the flow store', () => {
  it('starts with the suggested decisions and their reasons, and rebuilds the plan on every decision', async () => {
    const testmobile = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    await useFlowStore.getState().begin('scan-1', [testmobile]);
    await settle();
    const s = useFlowStore.getState();
    expect(s.suggestions[testmobile.key]?.reason).toBeTruthy();
    expect(s.decisions[testmobile.key]).toBe(s.suggestions[testmobile.key]!.action);
    expect(s.plan).not.toBeNull();

    useFlowStore.getState().decide([testmobile.key], 'keep-onprem');
    await settle();
    const plan = useFlowStore.getState().plan!;
    expect(plan.needsBypass).toBe(true);
    // Every other differing user is in the blast radius, undecided, and blocks the plan.
    expect(plan.blastRadius.length).toBeGreaterThan(1);
    expect(useFlowStore.getState().readiness?.ready).toBe(false);
    const last = api.callsOf('remediation.plan').at(-1) as { decisions: { rowKey: string; action: string }[] };
    expect(last.decisions).toContainEqual({ rowKey: testmobile.key, action: 'keep-onprem' });
    // Suggestions for the blast-radius rows outside the selection were fetched once.
    for (const b of plan.blastRadius) expect(useFlowStore.getState().suggestions[b.rowKey]).toBeDefined();

    useFlowStore.getState().useSuggestions(
      plan.blastRadius.map((b) => b.rowKey),
      true,
    );
    await settle();
    expect(useFlowStore.getState().plan!.blockers).toEqual([]);
    expect(useFlowStore.getState().readiness?.ready).toBe(true);
    // The explicit decision was kept (only the undecided took the suggestion).
    expect(useFlowStore.getState().decisions[testmobile.key]).toBe('keep-onprem');
  });

  it('applies with the plan’s user count, follows only its own operation, and lands on the report', async () => {
    const testmobile = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    await useFlowStore.getState().begin('scan-1', [testmobile]);
    useFlowStore.getState().decide([testmobile.key], 'keep-cloud');
    await settle();
    const plan = useFlowStore.getState().plan!;
    await useFlowStore.getState().apply(affectedUserCount(plan));
    expect(api.callsOf('remediation.apply')).toEqual([{ plan, confirmUsers: 1 }]);
    expect(useFlowStore.getState().step).toBe('apply');

    api.emit('op.progress', { operationId: 'other-op', phase: 'ad-write', done: 9, total: 9 });
    api.emit('op.progress', { operationId: 'op-apply', phase: 'ad-write', done: 1, total: 1 });
    expect(useFlowStore.getState().phases['ad-write']?.done).toBe(1);
    api.emit('op.progress', { operationId: 'op-apply', phase: 'verify', done: 0, total: 1 });
    expect(useFlowStore.getState().step).toBe('verify');

    api.emit('remediation.finished', { operationId: 'other-op', outcome: outcomeFor('other-session', plan, 'completed') });
    expect(useFlowStore.getState().outcome).toBeNull();
    api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-1', plan, 'completed') });
    const s = useFlowStore.getState();
    expect(s.sessionId).toBe('s-1');
    expect(s.step).toBe('report');
    expect(s.operation).toBeNull();
    expect(s.outcome?.rows[0]?.state).toBe('fixed');
  });

  it('goes back to preflight with the conflicts when the engine’s own preflight refuses (no session, nothing written)', async () => {
    const testmobile = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    await useFlowStore.getState().begin('scan-1', [testmobile]);
    useFlowStore.getState().decide([testmobile.key], 'keep-cloud');
    await settle();
    await useFlowStore.getState().apply(1);
    const preflight = {
      ok: false,
      checks: [{ name: 'onprem', ok: true, severity: 'blocking' as const, message: 'Read 1 AD value(s).' }],
      conflicts: [
        {
          rowKey: testmobile.key,
          upn: testmobile.upn,
          side: 'onprem' as const,
          planned: '0987654321',
          actual: '5550000',
          message: 'AD changed since the scan.',
        },
      ],
      bypassWasOn: null,
    };
    api.emit('remediation.finished', {
      operationId: 'op-apply',
      outcome: {
        sessionId: '',
        state: 'failed',
        message: 'Preflight failed: nothing was written.',
        nextStep: 'Re-decide the conflicting rows and apply again.',
        rows: [],
        preflight,
        writes: { ad: 0, graph: 0, bypass: 0, cycles: 0 },
      },
    });
    const s = useFlowStore.getState();
    expect(s.step).toBe('preflight');
    expect(s.sessionId).toBeNull();
    expect(s.operation).toBeNull();
    expect(s.preflight?.conflicts).toHaveLength(1);
    expect(s.error).toMatch(/nothing was written/);
  });

  it('refuses nothing silently: a stale confirmation comes back as an error and the wizard stays at preflight', async () => {
    const testmobile = rows.find((r) => r.upn.startsWith('testmobile@'))!;
    await useFlowStore.getState().begin('scan-1', [testmobile]);
    useFlowStore.getState().decide([testmobile.key], 'keep-cloud');
    await settle();
    await useFlowStore.getState().apply(7);
    expect(useFlowStore.getState().error).toMatch(/confirmation named 7/);
    expect(useFlowStore.getState().step).toBe('preflight');
    expect(useFlowStore.getState().operation).toBeNull();
  });

  it('attaches to a session still running in the service (after a reload) and follows it by its id', async () => {
    const plan = await readyPlan(rows);
    api.handle('remediation.session', ({ sessionId }) => ({
      summary: summary(sessionId, 'running', plan),
      plan,
      scanId: 'scan-1',
      journalEntries: 3,
      lastOutcome: null,
    }));
    await useFlowStore.getState().openSession('s-9');
    let s = useFlowStore.getState();
    expect(s.operation).toBe('resume');
    expect(s.step).toBe('apply');
    expect(s.plan?.id).toBe(plan.id);

    // Its operation id is unknown: its session's remediation phases are taken; a scan's, and
    // another session's, are not.
    api.emit('op.progress', { operationId: 'scan-op', phase: 'cloud', done: 5 });
    api.emit('op.progress', { operationId: 'op-y', sessionId: 's-other', phase: 'ad-write', done: 3, total: 3 });
    api.emit('op.progress', { operationId: 'op-x', sessionId: 's-9', phase: 'sync-cycle', done: 0, total: 1 });
    expect(Object.keys(useFlowStore.getState().phases)).toEqual(['sync-cycle']);

    api.emit('remediation.finished', { operationId: 'op-x', outcome: outcomeFor('s-other', plan, 'completed') });
    expect(useFlowStore.getState().outcome).toBeNull();
    api.emit('remediation.finished', { operationId: 'op-x', outcome: outcomeFor('s-9', plan, 'completed') });
    s = useFlowStore.getState();
    expect(s.outcome?.sessionId).toBe('s-9');
    expect(s.step).toBe('report');
  });

  it('undoes a session and keeps the undo report', async () => {
    const plan = await readyPlan(rows);
    api.handle('remediation.session', ({ sessionId }) => ({
      summary: summary(sessionId, 'completed', plan),
      plan,
      scanId: 'scan-1',
      journalEntries: 5,
      lastOutcome: outcomeFor(sessionId, plan, 'completed'),
    }));
    await useFlowStore.getState().openSession('s-2');
    expect(useFlowStore.getState().step).toBe('report');
    await useFlowStore.getState().undo();
    expect(api.callsOf('remediation.undo')).toEqual([{ sessionId: 's-2' }]);
    api.emit('remediation.undone', {
      operationId: 'op-undo',
      report: {
        sessionId: 's-2',
        state: 'undone',
        restored: [
          {
            rowKey: plan.rows[0]!.key,
            upn: plan.rows[0]!.upn,
            side: 'onprem',
            value: '0987654321',
            message: 'AD mobile restored',
          },
        ],
        notRestored: [],
        offers: [],
      },
    });
    expect(useFlowStore.getState().undoReport?.restored).toHaveLength(1);
    expect(useFlowStore.getState().sessionState).toBe('undone');
  });
});

describe('the start-up offer', () => {
  const s = (id: string, state: SessionSummaryWire['state'], updatedAt: string): SessionSummaryWire => ({
    id,
    state,
    createdAt: updatedAt,
    updatedAt,
    planId: 'p',
    profile: 'Sandbox',
    rows: 1,
    steps: 3,
    stepsDone: 1,
    message: null,
    live: false,
  });

  it('offers the newest session that still needs the admin, never a finished one', () => {
    expect(sessionToOffer([s('a', 'completed', '2026-01-03T00:00:00Z'), s('b', 'undone', '2026-01-04T00:00:00Z')])).toBeNull();
    expect(
      sessionToOffer([
        s('a', 'interrupted', '2026-01-01T00:00:00Z'),
        s('b', 'awaiting-cycle', '2026-01-02T00:00:00Z'),
        s('c', 'completed', '2026-01-05T00:00:00Z'),
      ])?.id,
    ).toBe('b');
    expect(sessionToOffer([s('a', 'running', '2026-01-01T00:00:00Z')])?.id).toBe('a');
  });

  it('asks the service once per start', async () => {
    api.handle('remediation.sessions', () => ({ sessions: [s('x', 'interrupted', '2026-01-01T00:00:00Z')] }));
    await useSessionsStore.getState().checkOffer();
    await useSessionsStore.getState().checkOffer();
    expect(api.callsOf('remediation.sessions')).toHaveLength(1);
    expect(useSessionsStore.getState().offer?.id).toBe('x');
  });
});

async function readyPlan(all: DriftRow[]): Promise<Plan> {
  const testmobile = all.find((r) => r.upn.startsWith('testmobile@'))!;
  await useFlowStore.getState().begin('scan-1', [testmobile]);
  useFlowStore.getState().decide([testmobile.key], 'keep-cloud');
  await settle();
  const plan = useFlowStore.getState().plan!;
  useFlowStore.getState().close();
  return plan;
}
