/**
 * What every step of the guided flow shows the same way: a value, a user linked to its details,
 * the decision picker, a session's outcome and its rows; and the table cap.
 */
import type { DecisionAction, Plan, SessionOutcomeWire } from '../../../../preload/contract';
import { ACTIONS } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { SESSION_STATE_LABEL } from '../../stores/sessions-store';
import { useDetailsStore } from '../../stores/details-store';
import { useGridStore } from '../../stores/grid-store';

export type PlanStepWire = Plan['steps'][number];

/** Rows of a long table drawn at once; the rest is reached by filtering or deciding in bulk. */
export const TABLE_CAP = 300;

export function Value({ v }: { v: string | null | undefined }) {
  return v ? <code>{v}</code> : <span className="muted">(empty)</span>;
}

/** The UPN as a link to the row's details (the drawer beside the wizard). */
export function UserLink({ rowKey, upn }: { rowKey: string; upn: string }) {
  const scanId = useFlowStore((s) => s.scanId) ?? useGridStore.getState().scanId;
  if (!scanId) return <>{upn}</>;
  return (
    <button
      type="button"
      className="link"
      onClick={() => void useDetailsStore.getState().open(scanId, rowKey)}
      data-testid="user-link"
      title="Show details"
    >
      {upn}
    </button>
  );
}

export function DecisionSelect({
  rowKey,
  upn,
  value,
  testId,
}: {
  rowKey: string;
  upn: string;
  value: DecisionAction | undefined;
  testId: string;
}) {
  return (
    <select
      aria-label={`Decision for ${upn}`}
      value={value ?? ''}
      className={value ? '' : 'undecided'}
      onChange={(e) => useFlowStore.getState().decide([rowKey], (e.target.value || null) as DecisionAction | null)}
      data-testid={testId}
      data-upn={upn}
    >
      <option value="">— undecided —</option>
      {ACTIONS.map((a) => (
        <option key={a.id} value={a.id}>
          {a.label}
        </option>
      ))}
    </select>
  );
}

export function SessionOutcomeNote({ outcome }: { outcome: SessionOutcomeWire | null }) {
  if (!outcome) return null;
  return (
    <div className={`outcome outcome-${outcome.state}`} role="status" data-testid="outcome" data-state={outcome.state}>
      <strong>{SESSION_STATE_LABEL[outcome.state]}</strong>: {outcome.message}
      {outcome.nextStep && <p data-testid="outcome-next">Next: {outcome.nextStep}</p>}
    </div>
  );
}

export function OutcomeRows({ rows, testId }: { rows: SessionOutcomeWire['rows']; testId: string }) {
  return (
    <table className="table flow-table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">State</th>
          <th scope="col">Intended (AD / cloud)</th>
          <th scope="col">Now (AD / cloud)</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, TABLE_CAP).map((r) => (
          <tr key={r.rowKey} data-testid="outcome-row" data-upn={r.upn} data-state={r.state}>
            <td>
              <UserLink rowKey={r.rowKey} upn={r.upn} />
            </td>
            <td>
              <span aria-hidden="true">{r.state === 'fixed' ? '✓ ' : r.state === 'pending' ? '… ' : '✗ '}</span>
              {r.state}
              {r.message ? `: ${r.message}` : ''}
            </td>
            <td>
              <Value v={r.intended?.onPrem} /> / <Value v={r.intended?.cloud} />
            </td>
            <td data-testid="outcome-actual">
              <Value v={r.actual?.onPrem} /> / <Value v={r.actual?.cloud} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Verification's whole-tenant read after the cycle (#17 point 4): the synced users outside the plan
 * whose cloud value the bypass and the cycle changed, named, with before and after.
 */
export function TenantSweepTable({ sweep }: { sweep: NonNullable<SessionOutcomeWire['sweep']> }) {
  return (
    <section className="report-block" data-testid="report-sweep" aria-labelledby="sweep-title">
      <h3 id="sweep-title">Outside the plan: the whole tenant read after the cycle</h3>
      {sweep.error ? (
        <p className="error">{sweep.error}</p>
      ) : (
        <p data-testid="sweep-summary">
          {sweep.changedCount} of {sweep.read} synced user(s) outside the plan changed
          {sweep.gone > 0 ? `; ${sweep.gone} recorded user(s) are no longer synced or gone` : ''}. Their earlier cloud values are in
          the session&apos;s journal.
        </p>
      )}
      {sweep.changed.length > 0 && (
        <table className="table flow-table" data-testid="sweep-changed">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Cloud before the bypass</th>
              <th scope="col">Cloud after the cycle</th>
            </tr>
          </thead>
          <tbody>
            {sweep.changed.slice(0, TABLE_CAP).map((c) => (
              <tr key={c.userId} data-upn={c.upn}>
                <td>{c.upn}</td>
                <td>
                  <Value v={c.before} />
                </td>
                <td>
                  <Value v={c.after} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {sweep.changed.length > TABLE_CAP && <p className="muted">… and {sweep.changed.length - TABLE_CAP} more.</p>}
      {sweep.changedCount > sweep.changed.length && <p className="muted">{sweep.changedCount - sweep.changed.length} more changed and are counted, not named (their earlier cloud values are in the journal).</p>}
    </section>
  );
}

const ON_DEMAND_LABEL = { verified: 'Verified', 'not-verified': 'Not verified (confirmed override)', failed: 'Not provisioned' } as const;

/**
 * Cloud Sync's verification step (#18): each planned user's AD object provisioned on demand (the
 * portal's "Provision on demand"), and what Entra ID holds afterwards. Only for Cloud Sync plans.
 */
export function ProvisionOnDemand() {
  const plan = useFlowStore((s) => s.plan);
  const results = useFlowStore((s) => s.onDemand);
  if (!plan || plan.syncEngine !== 'cloud-sync') return null;
  const rows = plan.rows.filter((r) => r.onPrem && r.intended).slice(0, TABLE_CAP);
  if (rows.length === 0) return null;
  return (
    <section className="report-block" data-testid="on-demand" aria-labelledby="on-demand-title">
      <h3 id="on-demand-title">Verify with Cloud Sync: provision on demand</h3>
      <p className="muted">
        Provisions one user now instead of waiting for Cloud Sync&apos;s next run, then reads Entra ID back: Microsoft allows a few
        requests per 10 seconds, so it is one user at a time.
      </p>
      <table className="table flow-table">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Provision on demand</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const x = results[r.key];
            return (
              <tr key={r.key} data-testid="on-demand-row" data-upn={r.upn} data-verdict={x?.result?.verdict ?? ''}>
                <td>
                  <UserLink rowKey={r.key} upn={r.upn} />
                </td>
                <td>
                  <button type="button" disabled={x?.busy} onClick={() => void useFlowStore.getState().provisionOnDemand(r.key)} data-testid="on-demand-run">
                    {x?.busy ? 'Provisioning…' : 'Provision on demand'}
                  </button>
                </td>
                <td role="status">
                  {x?.error && <span className="error">{x.error}</span>}
                  {x?.result && (
                    <>
                      <strong>{ON_DEMAND_LABEL[x.result.verdict]}</strong>: {x.result.message}
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
