/**
 * The Preflight step: permissions, fresh reads and conflicts, with advice for every failed check.
 */
import { useState } from 'react';
import { useFlowStore } from '../../stores/remediation-store';
import { ConfirmDialog } from '../ConfirmDialog';
import { UserLink, Value } from './shared';

function checkAdvice(name: string, ok: boolean, message: string): string | null {
  if (ok) return null;
  if (name.startsWith('permission:'))
    return 'Grant the permission to the app (or sign in as a Global Administrator for the bypass), then run preflight again.';
  if (name === 'onprem') return 'Check the on-prem source (Profiles → Test connection), then run preflight again.';
  if (name === 'cloud') return 'Check the sign-in and Graph connectivity (Profiles → Test connection), then run preflight again.';
  if (name === 'plan') return 'Go back to the plan and decide every blast-radius row.';
  if (name === 'blast-radius') return 'Users began to differ after the scan: scan again and decide them.';
  if (name === 'coverage')
    return 'The bypass reaches synced users this scan did not read: scan every OU and forest the sync engine reads, or go back to the plan and accept them (Graph’s count is taken again here).';
  return /scan again/i.test(message) ? null : 'Fix what the message says, then run preflight again.';
}

export function PreflightStep() {
  const preflight = useFlowStore((s) => s.preflight);
  const running = useFlowStore((s) => s.preflighting);
  const preflightError = useFlowStore((s) => s.preflightError);
  const plan = useFlowStore((s) => s.plan);
  const [confirming, setConfirming] = useState(false);
  const f = useFlowStore.getState;
  const users = f().affectedUsers();
  const blocking = preflight
    ? preflight.checks.some((c) => !c.ok && c.severity === 'blocking') || preflight.conflicts.length > 0
    : true;

  return (
    <div data-testid="flow-preflight">
      <p>Permissions for every step, connectivity, and a fresh read of every value the plan changes.</p>
      {running && (
        <p role="status" aria-busy="true">
          Checking…
        </p>
      )}
      {preflightError && (
        <p className="error" role="alert">
          {preflightError}
        </p>
      )}
      {preflight && (
        <>
          <ul className="checks preflight-checks" data-testid="preflight-checks">
            {preflight.checks.map((c) => {
              const advice = checkAdvice(c.name, c.ok, c.message);
              return (
                <li
                  key={c.name}
                  className={c.ok ? 'ok' : c.severity === 'blocking' ? 'bad' : 'warn'}
                  data-check={c.name}
                  data-ok={c.ok ? 'yes' : 'no'}
                >
                  <span aria-hidden="true">{c.ok ? '✓ ' : c.severity === 'blocking' ? '✗ ' : '⚠ '}</span>
                  <strong>{c.ok ? 'Pass' : c.severity === 'blocking' ? 'Fail' : 'Warning'}</strong> ({c.name}): {c.message}
                  {advice && <div className="advice">What to do: {advice}</div>}
                </li>
              );
            })}
          </ul>
          {preflight.conflicts.length > 0 && (
            <>
              <h3>Conflicts: values changed since the scan</h3>
              <table className="table" data-testid="preflight-conflicts">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Side</th>
                    <th scope="col">Planned</th>
                    <th scope="col">Now</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {preflight.conflicts.map((c) => (
                    <tr key={`${c.rowKey}:${c.side}`}>
                      <td>
                        <UserLink rowKey={c.rowKey} upn={c.upn} />
                      </td>
                      <td>{c.side}</td>
                      <td>
                        <Value v={c.planned} />
                      </td>
                      <td>
                        <Value v={c.actual} />
                      </td>
                      <td>{c.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                Scan again, then decide these rows anew: nothing is written over a value that changed behind the plan&apos;s back.
              </p>
            </>
          )}
        </>
      )}
      <div className="form-actions">
        <button type="button" onClick={() => f().goto('plan')}>
          Back
        </button>
        <button type="button" disabled={running} onClick={() => void f().runPreflight()} data-testid="preflight-run">
          Run preflight again
        </button>
        <button
          type="button"
          className="primary"
          disabled={running || blocking || !plan}
          onClick={() => setConfirming(true)}
          data-testid="flow-apply"
        >
          Apply…
        </button>
      </div>
      {confirming && plan && (
        <ConfirmDialog
          title={`Apply this plan to ${users} user${users === 1 ? '' : 's'}?`}
          confirmLabel={`Apply to ${users} user${users === 1 ? '' : 's'}`}
          danger
          testId="confirm-apply"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void f().apply(users);
          }}
        >
          <p data-testid="confirm-count">
            This changes <strong>{users}</strong> user{users === 1 ? '' : 's'}
            {plan.needsBypass ? `, ${plan.blastRadius.length} of them through the tenant-wide bypass` : ''}.
          </p>
          {plan.needsBypass && plan.coverage?.notScanned !== 0 && (
            <p data-testid="confirm-not-scanned">
              The bypass also reaches{' '}
              <strong>{plan.coverage?.notScanned ?? 'an unknown number of'}</strong> synced user(s) the scan did not read (you
              accepted them in the plan); verification counts every one that changed and names up to 500.
            </p>
          )}
          {plan.cannotUndo.length > 0 && (
            <>
              <p>
                <strong>{plan.cannotUndo.length}</strong> change(s) cannot be undone through Graph (recorded, but they can only
                come back as AD writes):
              </p>
              <ul className="cannot-undo short">
                {plan.cannotUndo.slice(0, 8).map((c) => (
                  <li key={c}>{c}</li>
                ))}
                {plan.cannotUndo.length > 8 && <li>… and {plan.cannotUndo.length - 8} more (listed in the plan)</li>}
              </ul>
            </>
          )}
          <p className="muted">Every write is journalled first; an interrupted session can be resumed from Sessions.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
