/**
 * The Apply step: the journalled session's phases as they run, and the confirmation before it does.
 */
import { useMemo } from 'react';
import { RESUMABLE_STATES } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { useAppStore } from '../../stores/app-store';
import { copyText, formatElapsed } from '../../lib/download';
import { type PlanStepWire, SessionOutcomeNote } from './shared';

const PHASE_OF: Record<PlanStepWire['kind'], string> = {
  'ad-write': 'ad-write',
  'await-replication': 'replication',
  'graph-patch': 'graph-write',
  'record-cloud-values': 'record',
  'set-bypass': 'bypass',
  'sync-cycle': 'sync-cycle',
  verify: 'verify',
};
const PHASE_TITLE: Record<string, string> = {
  preflight: 'Preflight: fresh read of every value',
  'ad-write': 'AD writes (compare-and-set)',
  replication: 'Replication wait (the DCs the Connect server reads)',
  'graph-write': 'Graph writes ($batch)',
  record: 'Record blast-radius cloud values',
  bypass: 'Turn on BypassDirSyncOverrides',
  'sync-cycle': 'Full (Initial) sync cycle on the Connect server',
  verify: 'Verify both sides',
};

type PhaseStatus = 'done' | 'running' | 'waiting' | 'pending';

function usePhaseRows(): {
  phase: string;
  status: PhaseStatus;
  done: number;
  total?: number;
  message?: string;
  retries?: number;
}[] {
  const plan = useFlowStore((s) => s.plan);
  const phases = useFlowStore((s) => s.phases);
  const outcome = useFlowStore((s) => s.outcome);
  const state = useFlowStore((s) => s.sessionState);
  return useMemo(() => {
    if (!plan) return [];
    const order = ['preflight', ...new Set(plan.steps.map((s) => PHASE_OF[s.kind]))];
    let last = -1;
    order.forEach((p, i) => {
      if (phases[p]) last = i;
    });
    const writesDone = outcome ? outcome.writes : null;
    return order.map((phase, i) => {
      const p = phases[phase];
      let status: PhaseStatus = 'pending';
      if (state === 'completed' || state === 'undone' || state === 'undo-partial') status = 'done';
      else if (state === 'awaiting-cycle' && phase === 'sync-cycle') status = 'waiting';
      else if (state === 'awaiting-replication' && phase === 'replication') status = 'waiting';
      else if (i < last) status = 'done';
      else if (i === last) status = p && p.total !== undefined && p.done >= p.total && phase !== 'verify' ? 'done' : 'running';
      else if (
        writesDone &&
        ((phase === 'ad-write' && writesDone.ad > 0) ||
          (phase === 'graph-write' && writesDone.graph > 0) ||
          (phase === 'bypass' && writesDone.bypass > 0) ||
          (phase === 'sync-cycle' && writesDone.cycles > 0))
      )
        status = 'done';
      return {
        phase,
        status,
        done: p?.done ?? 0,
        ...(p?.total !== undefined ? { total: p.total } : {}),
        ...(p?.message ? { message: p.message } : {}),
        ...(p?.retries ? { retries: p.retries } : {}),
      };
    });
  }, [plan, phases, outcome, state]);
}

function PhaseList({ only }: { only?: string[] }) {
  const rows = usePhaseRows().filter((r) => !only || only.includes(r.phase));
  const plan = useFlowStore((s) => s.plan);
  const sandbox = useAppStore((s) => s.info?.sandbox ?? false);
  const cycle = plan?.steps.find((s) => s.kind === 'sync-cycle');
  return (
    <ol className="phase-list" data-testid="apply-phases">
      {rows.map((r) => {
        const pct = r.total ? Math.min(100, Math.round((r.done / r.total) * 100)) : r.status === 'done' ? 100 : null;
        return (
          <li key={r.phase} className={`phase-row phase-${r.status}`} data-phase={r.phase} data-status={r.status}>
            <span className="phase-glyph" aria-hidden="true">
              {r.status === 'done' ? '✓' : r.status === 'running' ? '…' : r.status === 'waiting' ? '⏸' : '○'}
            </span>
            <span className="phase-title">
              {PHASE_TITLE[r.phase] ?? r.phase} <span className="muted">({r.status})</span>
            </span>
            <div
              className="bar"
              role="progressbar"
              aria-label={PHASE_TITLE[r.phase] ?? r.phase}
              aria-valuemin={0}
              aria-valuemax={r.total ?? 100}
              aria-valuenow={r.total ? r.done : (pct ?? undefined)}
            >
              <div
                className={pct === null ? (r.status === 'running' ? 'bar-fill indeterminate' : 'bar-fill') : 'bar-fill'}
                style={{ width: `${pct ?? 0}%` }}
              />
            </div>
            <span className="muted">
              {r.total !== undefined ? `${r.done} of ${r.total}` : ''}
              {r.retries ? ` · ${r.retries} retries` : ''}
              {r.message && r.phase !== 'sync-cycle' ? ` · ${r.message}` : ''}
            </span>
            {r.phase === 'sync-cycle' && cycle?.kind === 'sync-cycle' && (
              <div className="next-step" data-testid="cycle-instructions">
                <p>
                  Next step on the Connect server{plan?.connectServer ? ` (${plan.connectServer})` : ''}:{' '}
                  {sandbox ? 'in the sandbox the simulator runs it for you.' : 'run it there, then come back and continue.'}
                </p>
                <pre>
                  <code>{cycle.instructions}</code>
                </pre>
                <button
                  type="button"
                  onClick={() =>
                    void copyText(cycle.instructions).then(() => useAppStore.getState().notify('info', 'Command copied.'))
                  }
                  data-testid="copy-cycle"
                >
                  Copy command
                </button>
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function ApplyStep() {
  const operation = useFlowStore((s) => s.operation);
  const state = useFlowStore((s) => s.sessionState);
  const outcome = useFlowStore((s) => s.outcome);
  const cancelling = useFlowStore((s) => s.cancelling);
  const operationId = useFlowStore((s) => s.operationId);
  const phases = useFlowStore((s) => s.phases);
  const f = useFlowStore.getState;
  const elapsed = Math.max(0, ...Object.values(phases).map((p) => p.elapsedMs ?? 0));
  return (
    <div data-testid="flow-apply">
      {operation && (
        <p role="status" aria-live="polite" data-testid="apply-status">
          {operation === 'apply' ? 'Applying' : 'Resuming'}… {elapsed ? formatElapsed(elapsed) : ''}
        </p>
      )}
      <PhaseList />
      <SessionOutcomeNote outcome={outcome} />
      <div className="form-actions">
        {operation && (
          <button type="button" disabled={cancelling || !operationId} onClick={() => void f().cancel()} data-testid="flow-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel (the session stays resumable)'}
          </button>
        )}
        {!operation && state === 'awaiting-cycle' && (
          <button type="button" className="primary" onClick={() => void f().resume({ cycle: true })} data-testid="confirm-cycle">
            I ran the full cycle: continue
          </button>
        )}
        {!operation && state === 'awaiting-replication' && (
          <button
            type="button"
            className="primary"
            onClick={() => void f().resume({ replication: true })}
            data-testid="confirm-replication"
          >
            The writes reached the DCs: continue
          </button>
        )}
        {!operation && state && RESUMABLE_STATES.has(state) && state !== 'awaiting-cycle' && state !== 'awaiting-replication' && (
          <button type="button" className="primary" onClick={() => void f().resume()} data-testid="flow-resume">
            Resume the session
          </button>
        )}
        {!operation && outcome && (
          <button type="button" onClick={() => f().goto('report')}>
            Report
          </button>
        )}
      </div>
    </div>
  );
}
