/**
 * The Decide step: one decision per user that needs attention (alone or in bulk), with the
 * values on both sides.
 */
import { useMemo, useState } from 'react';
import type { DecisionAction } from '../../../../preload/contract';
import { ACTIONS, ACTION_LABEL } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { StatusChip } from '../StatusChip';
import { STATUS_LABEL, STATUS_ORDER } from '../../grid/model';
import { DecisionSelect, TABLE_CAP, UserLink, Value } from './shared';

export function DecideStep() {
  const selected = useFlowStore((s) => s.selected);
  const rows = useFlowStore((s) => s.rows);
  const suggestions = useFlowStore((s) => s.suggestions);
  const decisions = useFlowStore((s) => s.decisions);
  const planError = useFlowStore((s) => s.planError);
  const fixedPlan = useFlowStore((s) => s.fixedPlan);
  const [bulkStatus, setBulkStatus] = useState<string>('all');
  const [bulkAction, setBulkAction] = useState<DecisionAction | 'suggested'>('suggested');
  const f = useFlowStore.getState;

  const statuses = useMemo(() => STATUS_ORDER.filter((st) => selected.some((k) => rows[k]?.status === st)), [selected, rows]);
  const bulkKeys = selected.filter((k) => bulkStatus === 'all' || rows[k]?.status === bulkStatus);
  const undecided = selected.filter((k) => !decisions[k]).length;

  return (
    <div data-testid="flow-decide">
      <p>
        {selected.length} user{selected.length === 1 ? '' : 's'} selected. Each row starts with the suggested decision and its
        reason; change any of them, one by one or in bulk. A row marked <strong>ask</strong> needs the user&apos;s word on which
        number is right.
      </p>
      {planError && (
        <p className="error" role="alert">
          {planError}
        </p>
      )}
      {!fixedPlan && (
        <div className="toolbar" role="group" aria-label="Decide in bulk">
          <label>
            Rows{' '}
            <select value={bulkStatus} onChange={(e) => setBulkStatus(e.target.value)} data-testid="bulk-status">
              <option value="all">all selected ({selected.length})</option>
              {statuses.map((st) => (
                <option key={st} value={st}>
                  {STATUS_LABEL[st]} ({selected.filter((k) => rows[k]?.status === st).length})
                </option>
              ))}
            </select>
          </label>
          <label>
            Decision{' '}
            <select
              value={bulkAction}
              onChange={(e) => setBulkAction(e.target.value as DecisionAction | 'suggested')}
              data-testid="bulk-action"
            >
              <option value="suggested">the suggestion</option>
              {ACTIONS.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            onClick={() => (bulkAction === 'suggested' ? f().useSuggestions(bulkKeys) : f().decide(bulkKeys, bulkAction))}
            data-testid="bulk-apply"
          >
            Set {bulkKeys.length} row{bulkKeys.length === 1 ? '' : 's'}
          </button>
        </div>
      )}
      <table className="table flow-table" data-testid="decide-table">
        <caption className="offscreen">Selected users and their decisions</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">On-prem mobile</th>
            <th scope="col">Cloud mobilePhone</th>
            <th scope="col">Suggested, and why</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {selected.slice(0, TABLE_CAP).map((k) => {
            const r = rows[k];
            const s = suggestions[k];
            if (!r) return null;
            return (
              <tr key={k} data-testid="decide-row" data-upn={r.upn}>
                <td>
                  <UserLink rowKey={k} upn={r.upn} />
                </td>
                <td>
                  <StatusChip status={r.status} />
                </td>
                <td>
                  <Value v={r.onPrem} />
                </td>
                <td>
                  <Value v={r.cloud} />
                </td>
                <td className="reason">
                  {s ? (
                    <>
                      <strong>{ACTION_LABEL[s.action]}</strong>
                      {s.ask && <span className="pill pill-ask"> ask</span>}: {s.reason}
                      {s.alternatives?.map((a) => (
                        <div key={a.action} className="muted">
                          or <strong>{ACTION_LABEL[a.action]}</strong>: {a.reason}
                        </div>
                      ))}
                    </>
                  ) : (
                    <span className="muted">…</span>
                  )}
                </td>
                <td>
                  {fixedPlan ? (
                    decisions[k] ? (
                      ACTION_LABEL[decisions[k]]
                    ) : (
                      '—'
                    )
                  ) : (
                    <DecisionSelect rowKey={k} upn={r.upn} value={decisions[k]} testId="decision" />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {selected.length > TABLE_CAP && (
        <p className="muted">
          Showing {TABLE_CAP} of {selected.length} rows: decide the others in bulk above.
        </p>
      )}
      <div className="form-actions">
        <span className="muted" role="status">
          {undecided > 0
            ? `${undecided} row(s) without a decision are left out of the plan.`
            : 'Every selected row has a decision.'}
        </span>
        <button type="button" className="primary" onClick={() => f().goto('plan')} data-testid="flow-next">
          Next: see the plan
        </button>
      </div>
    </div>
  );
}
