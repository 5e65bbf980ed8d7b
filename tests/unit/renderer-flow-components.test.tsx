// @vitest-environment jsdom
/**
 * The guided flow's screens with a fake service (plans from the real plan builder): the blast radius
 * blocks the plan until decided, preflight says pass/fail and what to do, the confirmation names the
 * user count and takes the focus away from the harmful button, a waiting session shows the Connect
 * command to copy, and an interrupted session is offered when the app starts.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useAppStore } from '../../renderer/src/stores/app-store';
import { useFlowStore } from '../../renderer/src/stores/remediation-store';
import { useSessionsStore } from '../../renderer/src/stores/sessions-store';
import { useGridStore } from '../../renderer/src/stores/grid-store';
import { useDetailsStore } from '../../renderer/src/stores/details-store';
import { useScanStore } from '../../renderer/src/stores/scan-store';
import { GuidedFlow } from '../../renderer/src/components/GuidedFlow';
import { DetailsDrawer } from '../../renderer/src/components/DetailsDrawer';
import { Sessions } from '../../renderer/src/components/Sessions';
import { MismatchGrid } from '../../renderer/src/components/MismatchGrid';
import { Workbench } from '../../renderer/src/app/App';
import { DEFAULT_COLUMNS } from '../../renderer/src/grid/model';
import { UndoReportWire, type AppInfo, type DriftRow, type Plan } from '../../preload/contract';
import { FakeApi } from '../support/fake-api';
import { suggestDecision } from '../../main/remediation/decisions';
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

beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue({
    x: 0,
    y: 0,
    top: 0,
    left: 0,
    bottom: 600,
    right: 1200,
    width: 1200,
    height: 600,
    toJSON: () => ({}),
  });
  for (const [prop, v] of [
    ['offsetHeight', 600],
    ['offsetWidth', 1200],
    ['clientHeight', 600],
    ['clientWidth', 1200],
  ] as const)
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => v });
  HTMLElement.prototype.scrollTo = () => {};
});

let api: FakeApi;

/** The flow's fake service over the demo rows, with the prefs channels the screens touch. */
function demoApi(o: Parameters<typeof flowApi>[2] = {}): FakeApi {
  return flowApi(new FakeApi(), rows, o)
    .handle('prefs.set', () => ({ saved: true }))
    .handle('prefs.get', () => ({ value: null }));
}

/** Swaps in another fake service (e.g. a Cloud Sync plan) for one test, events attached. */
function useApi(next: FakeApi): void {
  api = next;
  useAppStore.setState({ api });
  detach();
  detach = useFlowStore.getState().attach(api);
}
let rows: DriftRow[];
let detach: () => void = () => {};
beforeEach(() => {
  rows = demoRows();
  api = demoApi();
  useAppStore.setState({
    api,
    info: { ...INFO, sandbox: false },
    status: 'ready',
    profileId: 'sandbox',
    notices: [],
    screen: 'flow',
  });
  useFlowStore.getState().close();
  useSessionsStore.setState({ sessions: [], offer: null, offerChecked: false, error: null });
  useGridStore.setState({
    search: '',
    filters: {},
    tab: 'attention',
    sort: null,
    columns: [...DEFAULT_COLUMNS],
    prefsScope: null,
  });
  useGridStore.getState().setRows([], null);
  useDetailsStore.getState().close();
  useScanStore.getState().reset();
  detach = useFlowStore.getState().attach(api);
});
afterEach(() => {
  cleanup();
  detach();
  useFlowStore.getState().close();
});

async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 6; i++) await new Promise((r) => setTimeout(r, 0));
  });
}

const testmobile = () => rows.find((r) => r.upn.startsWith('testmobile@'))!;

async function toPlanWithBypass(): Promise<void> {
  render(<GuidedFlow />);
  await act(async () => {
    await useFlowStore.getState().begin('scan-1', [testmobile()]);
  });
  await settle();
  // The suggestion and its reason, and the decision starts as the suggestion.
  const suggested = suggestDecision(testmobile());
  expect(screen.getByTestId('decide-table').textContent).toContain(suggested.reason);
  expect((screen.getByLabelText('Decision for testmobile@contoso.com') as HTMLSelectElement).value).toBe(suggested.action);
  fireEvent.change(screen.getByLabelText('Decision for testmobile@contoso.com'), { target: { value: 'keep-onprem' } });
  await settle();
  fireEvent.click(screen.getByTestId('flow-next'));
  await settle();
}

/** testmobile's keep-cloud plan as the service builds it, the wizard closed again (for session fixtures). */
async function keepCloudPlan(): Promise<Plan> {
  await useFlowStore.getState().begin('scan-1', [testmobile()]);
  useFlowStore.getState().decide(['row-testmobile'], 'keep-cloud');
  await settle();
  const p = useFlowStore.getState().plan!;
  useFlowStore.getState().close();
  return p;
}

/** Decides the blast radius as suggested and applies the plan through the confirmation; returns the plan. */
async function applyBypassPlan(): Promise<Plan> {
  await toPlanWithBypass();
  fireEvent.click(screen.getByTestId('blast-suggested'));
  await settle();
  const plan = useFlowStore.getState().plan!;
  fireEvent.click(screen.getByTestId('flow-next'));
  await settle();
  fireEvent.click(screen.getByTestId('flow-apply'));
  fireEvent.click(within(screen.getByRole('alertdialog')).getByTestId('confirm-ok'));
  await settle();
  return plan;
}

describe('the guided flow', () => {
  it('a bypass plan whose scan missed synced users asks for their acceptance before preflight, and apply carries it (#17 point 4)', async () => {
    useApi(demoApi({ unscanned: 3 }));
    await toPlanWithBypass();
    fireEvent.click(screen.getByTestId('blast-suggested'));
    await settle();
    expect(screen.getByTestId('plan-not-scanned').textContent).toBe('3');
    expect(screen.getByTestId('plan-unscanned').textContent).toContain('3 synced user(s) in the tenant were not scanned');
    const next = screen.getByTestId('flow-next') as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    fireEvent.click(screen.getByTestId('plan-accept-unscanned'));
    await settle();
    expect(next.disabled).toBe(false);
    fireEvent.click(next);
    await settle();
    expect(api.callsOf('remediation.preflight').at(-1)).toMatchObject({ acceptNotScanned: 3 });
    fireEvent.click(screen.getByTestId('flow-apply'));
    const dialog = screen.getByRole('alertdialog');
    expect(within(dialog).getByTestId('confirm-not-scanned').textContent).toContain('The bypass also reaches 3 synced user(s)');
    fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.apply')).toEqual([{ plan: useFlowStore.getState().plan, confirmUsers: useFlowStore.getState().affectedUsers(), acceptNotScanned: 3 }]);
    expect(screen.getByTestId('flow').getAttribute('data-step')).toBe('apply');
  });

  it('offers provision on demand per planned user for a Cloud Sync plan, and shows what Entra ID holds afterwards (#18)', async () => {
    useApi(
      demoApi({ syncEngine: 'cloud-sync' }).handle('remediation.provisionOnDemand', ({ rowKey }) => ({
        verdict: 'not-verified',
        provisioningStatus: 'success',
        objectId: '2b3c4d5e-0000-4000-8000-000000000004',
        targetId: `cloud-${rowKey}`,
        exportedMobile: '0987654321',
        sentMobile: true,
        entraMobile: '1234567890',
        jobId: 'AD2AADProvisioning.x.y',
        ruleId: 'AD2AADProvisioning.UserRule',
        steps: [],
        message: 'Cloud Sync exported mobile 0987654321 but Entra ID still holds 1234567890: a confirmed override.',
      })),
    );
    const plan = await applyBypassPlan();
    expect(plan.syncEngine).toBe('cloud-sync');
    act(() => api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-1', plan, 'completed') }));
    await settle();
    useFlowStore.getState().goto('report');
    await settle();
    const row = screen.getAllByTestId('on-demand-row').find((r) => r.getAttribute('data-upn') === 'testmobile@contoso.com')!;
    fireEvent.click(within(row).getByTestId('on-demand-run'));
    await settle();
    expect(api.callsOf('remediation.provisionOnDemand')).toEqual([{ scanId: 'scan-1', rowKey: 'row-testmobile' }]);
    expect(row.getAttribute('data-verdict')).toBe('not-verified');
    expect(row.textContent).toContain('Not verified (confirmed override)');
    expect(row.textContent).toContain('Entra ID still holds 1234567890');
  });

  it('has no provision on demand for a Connect plan', async () => {
    const plan = await applyBypassPlan();
    act(() => api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-1', plan, 'completed') }));
    await settle();
    useFlowStore.getState().goto('report');
    await settle();
    expect(screen.queryByTestId('on-demand')).toBeNull();
  });

  it('names the synced users outside the plan that the cycle changed, from verification\u2019s whole-tenant read', async () => {
    const plan = await applyBypassPlan();
    act(() =>
      api.emit('remediation.finished', {
        operationId: 'op-apply',
        outcome: { ...outcomeFor('s-1', plan, 'completed'), sweep: { recorded: 40, read: 40, changedCount: 1, changed: [{ userId: 'u-9', upn: 'sam.reyes@contoso.com', before: '+1 803 555 0399', after: '+1 803 555 0301' }], gone: 0 } },
      }),
    );
    await settle();
    useFlowStore.getState().goto('report');
    await settle();
    expect(screen.getByTestId('sweep-summary').textContent).toContain('1 of 40 synced user(s) outside the plan changed');
    expect(screen.getByTestId('sweep-changed').textContent).toContain('sam.reyes@contoso.com');
    expect(screen.getByTestId('sweep-changed').textContent).toContain('+1 803 555 0301');
  });

  it('shows each suggestion with its reason, then a blast radius that blocks the plan until every row is decided', async () => {
    await toPlanWithBypass();
    const blast = screen.getByTestId('blast-radius');
    expect(blast.textContent).toMatch(/Blast radius: \d+ users the bypass touches/);
    // Counts per kind, and the effect of each kind.
    const omissing = screen.getByTestId('blast-kind-onprem-missing');
    expect(within(omissing).getByTestId('blast-kind-count').textContent).toBe('2');
    expect(omissing.textContent).toContain('cloud value will be cleared');
    expect(screen.getByTestId('blast-undecided').textContent).toMatch(/undecided: nothing proceeds/);
    expect((screen.getByTestId('flow-next') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('plan-cannot-undo').textContent).toContain('AlternateMobilePhones');

    fireEvent.change(screen.getByTestId('blast-bulk-onprem-missing'), { target: { value: 'keep-cloud' } });
    await settle();
    const last = api.callsOf('remediation.plan').at(-1) as { decisions: { rowKey: string; action: string }[] };
    expect(last.decisions.filter((d) => d.action === 'keep-cloud')).toHaveLength(2);
    expect(screen.getByTestId('blast-kind-onprem-missing').textContent).toContain(
      'kept: the cloud value is written into AD first',
    );

    fireEvent.click(screen.getByTestId('blast-suggested'));
    await settle();
    expect(screen.getByTestId('blast-undecided').textContent).toContain('Every blast-radius row is decided');
    expect((screen.getByTestId('flow-next') as HTMLButtonElement).disabled).toBe(false);
    // Every write of the plan is listed, the Connect command among them.
    expect(screen.getByTestId('plan-steps').textContent).toContain('Start-ADSyncSyncCycle -PolicyType Initial');
  });

  it('links a blast-radius row to its details, and Esc comes back to the link', async () => {
    await toPlanWithBypass();
    api.handle('rows.details', ({ rowKey }) => {
      throw new Error(`details of ${rowKey}`);
    });
    render(<DetailsDrawer />);
    const row = screen.getAllByTestId('blast-row').find((r) => r.getAttribute('data-upn')!.startsWith('testmobile@'))!;
    const link = within(row).getByTestId('user-link');
    link.focus();
    fireEvent.click(link);
    await settle();
    expect(useDetailsStore.getState().rowKey).toBe('row-testmobile');
    expect(useDetailsStore.getState().scanId).toBe('scan-1');
    // Esc closes the drawer and gives the focus back to the link that opened it.
    fireEvent.keyDown(screen.getByTestId('details'), { key: 'Escape' });
    await settle();
    expect(screen.queryByTestId('details')).toBeNull();
    expect(document.activeElement).toBe(link);
  });

  it('says for every preflight check whether it passed and what to do, and blocks apply on a failure', async () => {
    api.handle('remediation.preflight', () => ({
      ok: false,
      checks: [
        {
          name: 'permission:flipBypass',
          ok: false,
          severity: 'blocking',
          message: 'Enable the BypassDirSyncOverrides feature: missing (needs Global Administrator).',
        },
        { name: 'onprem', ok: true, severity: 'blocking', message: 'Read 15 AD value(s).' },
      ],
      conflicts: [],
      bypassWasOn: false,
    }));
    await toPlanWithBypass();
    fireEvent.click(screen.getByTestId('blast-suggested'));
    await settle();
    fireEvent.click(screen.getByTestId('flow-next'));
    await settle();
    const checks = screen.getByTestId('preflight-checks');
    const failed = checks.querySelector('[data-check="permission:flipBypass"]')!;
    expect(failed.textContent).toMatch(/Fail.*missing/);
    expect(failed.textContent).toMatch(/What to do: .*Global Administrator/);
    expect(checks.querySelector('[data-check="onprem"]')!.textContent).toContain('Pass');
    expect((screen.getByTestId('flow-apply') as HTMLButtonElement).disabled).toBe(true);
  });

  it('confirms before applying, naming the number of users, with the focus on Cancel; Esc applies nothing', async () => {
    await toPlanWithBypass();
    fireEvent.click(screen.getByTestId('blast-suggested'));
    await settle();
    const users = useFlowStore.getState().affectedUsers();
    expect(users).toBe(useFlowStore.getState().plan!.blastRadius.length);
    fireEvent.click(screen.getByTestId('flow-next'));
    await settle();

    fireEvent.click(screen.getByTestId('flow-apply'));
    let dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain(`Apply this plan to ${users} users?`);
    expect(document.activeElement).toBe(within(dialog).getByTestId('confirm-cancel'));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.callsOf('remediation.apply')).toEqual([]);

    fireEvent.click(screen.getByTestId('flow-apply'));
    dialog = screen.getByRole('alertdialog');
    fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.apply')).toEqual([{ plan: useFlowStore.getState().plan, confirmUsers: users }]);
    expect(screen.getByTestId('flow').getAttribute('data-step')).toBe('apply');

    act(() => api.emit('op.progress', { operationId: 'op-apply', phase: 'record', done: 5, total: 5 }));
    const phases = screen.getByTestId('apply-phases');
    expect(phases.querySelector('[data-phase="preflight"]')!.getAttribute('data-status')).toBe('done');
    expect(phases.querySelector('[data-phase="record"]')).not.toBeNull();
    expect(phases.querySelector('[data-phase="bypass"]')!.getAttribute('data-status')).toBe('pending');
    expect(screen.getAllByRole('progressbar').length).toBeGreaterThan(3);
  });

  it('shows the Connect server’s next step with a copy button while a session waits for the cycle, and goes on when told', async () => {
    let plan: Plan | null = null;
    await toPlanWithBypass();
    fireEvent.click(screen.getByTestId('blast-suggested'));
    await settle();
    plan = useFlowStore.getState().plan!;
    api.handle('remediation.session', ({ sessionId }) => ({
      summary: summary(sessionId, 'awaiting-cycle', plan!),
      plan: plan!,
      scanId: 'scan-1',
      journalEntries: 6,
      lastOutcome: outcomeFor(sessionId, plan!, 'awaiting-cycle'),
    }));
    await act(async () => {
      await useFlowStore.getState().openSession('s-wait');
    });
    await settle();
    const step = screen.getByTestId('flow').getAttribute('data-step');
    expect(step).toBe('apply');
    const cycle = screen.getByTestId('apply-phases').querySelector('[data-phase="sync-cycle"]')!;
    expect(cycle.getAttribute('data-status')).toBe('waiting');
    expect(screen.getByTestId('cycle-instructions').textContent).toContain('Start-ADSyncSyncCycle -PolicyType Initial');
    expect(screen.getByTestId('copy-cycle')).toBeTruthy();
    expect(screen.getByTestId('outcome-next').textContent).toContain('AADCONNECT01');
    fireEvent.click(screen.getByTestId('confirm-cycle'));
    await settle();
    expect(api.callsOf('remediation.resume')).toEqual([{ sessionId: 's-wait', confirm: { cycle: true } }]);
  });

  it('cancels through op.cancel and offers to resume the cancelled session', async () => {
    const plan = await applyBypassPlan();
    fireEvent.click(screen.getByTestId('flow-cancel'));
    await settle();
    expect(api.callsOf('op.cancel')).toEqual([{ operationId: 'op-apply' }]);
    act(() => api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-c', plan, 'cancelled') }));
    expect(screen.getByTestId('outcome').getAttribute('data-state')).toBe('cancelled');
    fireEvent.click(screen.getByTestId('flow-resume'));
    await settle();
    expect(api.callsOf('remediation.resume')).toEqual([{ sessionId: 's-c' }]);
  });

  it('undo leaves the bypass on unless the admin ticks the box, says why, and can turn it off later (#17 point 5)', async () => {
    const plan = await applyBypassPlan();
    act(() => api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-u', plan, 'completed') }));
    await settle();

    fireEvent.click(screen.getByTestId('flow-undo'));
    let dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('Turning it off restores no value');
    const box = within(dialog).getByTestId('undo-turn-bypass-off') as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.undo')).toEqual([{ sessionId: 's-u' }]);
    const note = 'BypassDirSyncOverrides left on (this session turned it on). Turning it off restores no value.';
    act(() => api.emit('remediation.undone', { operationId: 'op-undo', report: { sessionId: 's-u', state: 'undone', restored: [], notRestored: [], offers: [], notes: [note] } }));
    await settle();
    expect(screen.getByTestId('undo-notes').textContent).toContain(note);

    fireEvent.click(screen.getByTestId('flow-undo-bypass-off'));
    dialog = screen.getByRole('alertdialog');
    expect((within(dialog).getByTestId('undo-turn-bypass-off') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.undo')).toEqual([{ sessionId: 's-u' }, { sessionId: 's-u', turnBypassOff: true }]);
  });

  it('the undo report names whose AD otherMobile the bypass pushed (AlternateMobilePhones cannot be restored), every one of them (#17 point 11)', async () => {
    const plan = await applyBypassPlan();
    act(() => api.emit('remediation.finished', { operationId: 'op-apply', outcome: outcomeFor('s-om', plan, 'completed') }));
    await settle();
    fireEvent.click(screen.getByTestId('flow-undo'));
    fireEvent.click(within(screen.getByRole('alertdialog')).getByTestId('confirm-ok'));
    await settle();
    const users = Array.from({ length: 23 }, (_, i) => `user${i}@contoso.example`);
    const message = `AlternateMobilePhones not restored for 23 user(s) whose AD otherMobile values the bypass pushed wherever the cloud differed: ${users.slice(0, 20).join(', ')} and 3 more. AlternateMobilePhones is not readable through Graph v1.0.`;
    // Through the contract, as the service sends it: the list must survive the wire schema.
    const wire = UndoReportWire.parse({ sessionId: 's-om', state: 'undo-partial', restored: [], notRestored: [{ rowKey: null, upn: null, message, users }], offers: [], notes: [] });
    act(() => api.emit('remediation.undone', { operationId: 'op-undo', report: wire }));
    await settle();
    const line = screen.getByTestId('undo-not-restored');
    expect(line.textContent).toContain(message);
    const list = within(line).getByTestId('undo-not-restored-users');
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(users);
  });

  it('moves between steps by keyboard: the step list marks the current one and the focus lands on its heading', async () => {
    await toPlanWithBypass();
    const current = screen.getByTestId('flow-step-plan');
    expect(current.getAttribute('aria-current')).toBe('step');
    expect(document.activeElement?.textContent).toBe('Plan');
    // Steps that cannot be reached yet are disabled, not hidden.
    expect((screen.getByTestId('flow-step-apply') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('flow-step-decide'));
    await settle();
    expect(document.activeElement?.textContent).toBe('Decide');
  });

  it('starts from the grid: Fix… takes the selection to the wizard', async () => {
    useAppStore.setState({ screen: 'grid' });
    useGridStore.getState().setRows(rows, 'scan-1');
    render(<MismatchGrid />);
    const grid = screen.getByRole('grid');
    const first = within(grid)
      .getAllByTestId('grid-row')
      .find((r) => r.getAttribute('data-upn')!.startsWith('testmobile@'))!;
    fireEvent.click(first);
    fireEvent.click(screen.getByTestId('fix-selected'));
    await settle();
    expect(useAppStore.getState().screen).toBe('flow');
    expect(useFlowStore.getState().selected).toEqual(['row-testmobile']);
    expect(api.callsOf('remediation.suggest')[0]).toEqual({ scanId: 'scan-1', rowKeys: ['row-testmobile'] });
  });
});

describe('when the app starts', () => {
  it('offers an interrupted session for resume, and resumes it in the wizard', async () => {
    const plan = await keepCloudPlan();
    api
      .handle('remediation.sessions', () => ({ sessions: [summary('s-int', 'interrupted', plan)] }))
      .handle('remediation.session', ({ sessionId }) => ({
        summary: summary(sessionId, 'interrupted', plan),
        plan,
        scanId: 'scan-1',
        journalEntries: 2,
        lastOutcome: null,
      }))
      .handle('profiles.list', () => ({ profiles: [] }))
      .handle('dashboard.get', () => {
        throw new Error('no dashboard in this test');
      })
      .handle('scans.list', () => ({ scans: [] }));
    useAppStore.setState({ screen: 'dashboard' });
    render(<Workbench />);
    await settle();
    const offer = screen.getByTestId('session-offer');
    expect(offer.getAttribute('data-state')).toBe('interrupted');
    expect(offer.getAttribute('role')).toBe('alert');
    fireEvent.click(within(offer).getByTestId('offer-resume'));
    await settle();
    expect(screen.queryByTestId('session-offer')).toBeNull();
    expect(useAppStore.getState().screen).toBe('flow');
    expect(api.callsOf('remediation.resume')).toEqual([{ sessionId: 's-int' }]);
    expect(screen.getByTestId('flow-session').textContent).toContain('s-int');
  });
});

describe('the sessions list (#16)', () => {

  it('names the owner of a session another machine runs, and takes it over only after a confirmation that says both may write', async () => {
    const plan = await keepCloudPlan();
    const owned = (id: string, state: 'running' | 'undoing', host: string, elsewhere: boolean) => ({
      ...summary(id, state, plan),
      live: false,
      owner: { pid: 4242, host, startedAt: '2026-03-01T10:00:00Z', elsewhere },
    });
    const list = [
      owned('s-far', 'running', 'ADMIN-PC-07', true),
      owned('s-undo', 'undoing', 'ADMIN-PC-08', true),
      {
        ...owned('s-here', 'running', 'this-host', false),
        takeovers: [{ at: '2026-03-01T10:05:00Z', from: { pid: 17, host: 'this-host', startedAt: null }, reason: 'pid 17 is not running', by: { pid: 18, host: 'this-host', startedAt: null } }],
      },
    ];
    api
      .handle('remediation.sessions', () => ({ sessions: list }))
      .handle('remediation.session', ({ sessionId }) => ({ summary: list.find((x) => x.id === sessionId)!, plan, scanId: 'scan-1', journalEntries: 2, lastOutcome: null }));
    render(<Sessions />);
    await settle();
    const row = (id: string) => screen.getAllByTestId('session-row').find((r) => r.getAttribute('data-session') === id)!;
    expect(within(row('s-far')).getByTestId('session-owner').textContent).toContain('Run by pid 4242 on ADMIN-PC-07, another machine');
    // An owner on this machine is checked by the service, never overridden: no Take over… for it.
    expect(within(row('s-here')).queryByTestId('session-take-over')).toBeNull();
    expect(within(row('s-here')).getByTestId('session-owner').textContent).toContain('on this machine');
    expect(within(row('s-here')).getByTestId('session-takeover').textContent).toContain('from pid 17 on this-host: pid 17 is not running');

    fireEvent.click(within(row('s-far')).getByTestId('session-take-over'));
    let dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('Take this session over from ADMIN-PC-07?');
    expect(dialog.textContent).toContain('both may write to your directories');
    expect(document.activeElement).toBe(within(dialog).getByTestId('confirm-cancel'));
    fireEvent.click(within(dialog).getByTestId('confirm-cancel'));
    expect(api.callsOf('remediation.resume')).toEqual([]);

    fireEvent.click(within(row('s-far')).getByTestId('session-take-over'));
    fireEvent.click(within(screen.getByRole('alertdialog')).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.resume')).toEqual([{ sessionId: 's-far', takeOver: true }]);
    expect(useAppStore.getState().screen).toBe('flow');

    // A session cut off while undoing is finished by undo, taken over the same way.
    cleanup();
    useAppStore.setState({ screen: 'sessions' });
    render(<Sessions />);
    await settle();
    fireEvent.click(within(row('s-undo')).getByTestId('session-take-over'));
    dialog = screen.getByRole('alertdialog');
    fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    await settle();
    expect(api.callsOf('remediation.undo')).toEqual([{ sessionId: 's-undo', takeOver: true }]);
  });
});
