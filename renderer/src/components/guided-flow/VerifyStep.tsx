/**
 * The Verify step: re-reads until each write is seen, with the outcome per user.
 */
import { RESUMABLE_STATES } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { OutcomeRows, ProvisionOnDemand, SessionOutcomeNote } from './shared';

export function VerifyStep() {
  const outcome = useFlowStore((s) => s.outcome);
  const operation = useFlowStore((s) => s.operation);
  const phase = useFlowStore((s) => s.phases['verify']);
  const state = useFlowStore((s) => s.sessionState);
  const f = useFlowStore.getState;
  const pending = outcome?.rows.filter((r) => r.state !== 'fixed') ?? [];
  const total = phase?.total ?? outcome?.rows.length ?? 0;
  const done = phase?.done ?? outcome?.rows.filter((r) => r.state === 'fixed').length ?? 0;
  return (
    <div data-testid="flow-verify">
      <p>
        Both sides are read again until every planned row shows the intended value. A successful write alone never marks a row
        fixed.
      </p>
      <div
        className="bar"
        role="progressbar"
        aria-label="Rows verified"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
      >
        <div className="bar-fill" style={{ width: `${total ? Math.round((done / total) * 100) : 0}%` }} />
      </div>
      <p role="status" data-testid="verify-status">
        {done} of {total} row(s) hold on both sides{phase?.message ? ` · ${phase.message}` : ''}
        {operation ? ' · checking…' : ''}
      </p>
      <SessionOutcomeNote outcome={outcome} />
      {pending.length > 0 && (
        <>
          <h3>Still pending</h3>
          <OutcomeRows rows={pending} testId="verify-pending" />
        </>
      )}
      {!operation && <ProvisionOnDemand />}
      <div className="form-actions">
        {!operation && state && RESUMABLE_STATES.has(state) && (
          <button type="button" className="primary" onClick={() => void f().resume()} data-testid="flow-resume">
            Verify again
          </button>
        )}
        {!operation && outcome && (
          <button type="button" onClick={() => f().goto('report')} data-testid="flow-to-report">
            Report
          </button>
        )}
      </div>
    </div>
  );
}
