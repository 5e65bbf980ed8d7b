/**
 * Who owns the open session, and every takeover of it: another process still running it (in words,
 * pid, host, start), and for an owner on another machine the explicit, confirmed take-over.
 */
import { useState } from 'react';
import { useFlowStore } from '../stores/remediation-store';
import { ownerLine, takeOverWarning, takeoverLine } from '../lib/session-owner';

export function SessionOwnership() {
  const owner = useFlowStore((s) => s.sessionOwner);
  const takeovers = useFlowStore((s) => s.takeovers);
  const operation = useFlowStore((s) => s.operation);
  const [asking, setAsking] = useState(false);
  if (!owner && takeovers.length === 0) return null;
  const f = useFlowStore.getState;
  return (
    <div className="session-ownership" data-testid="session-ownership">
      {owner && !operation && (
        <p className="warning" role="status" data-testid="session-owner" data-elsewhere={owner.elsewhere}>
          {ownerLine(owner)}
        </p>
      )}
      {owner?.elsewhere && !operation && !asking && (
        <button type="button" onClick={() => setAsking(true)} data-testid="take-over">
          Take over…
        </button>
      )}
      {owner?.elsewhere && !operation && asking && (
        <div role="alertdialog" aria-labelledby="take-over-title" aria-describedby="take-over-warning" data-testid="take-over-confirm">
          <h3 id="take-over-title">Take over this session from {owner.host}?</h3>
          <p id="take-over-warning" className="warning">
            {takeOverWarning(owner)}
          </p>
          <div className="form-actions">
            <button type="button" autoFocus onClick={() => setAsking(false)} data-testid="take-over-cancel">
              Cancel
            </button>
            <button type="button" onClick={() => (setAsking(false), void f().resume(undefined, { takeOver: true }))} data-testid="take-over-resume">
              Take over and resume
            </button>
            <button type="button" className="danger" onClick={() => (setAsking(false), void f().undo({ takeOver: true }))} data-testid="take-over-undo">
              Take over and undo
            </button>
          </div>
        </div>
      )}
      {takeovers.length > 0 && (
        <ul className="muted" data-testid="session-takeovers">
          {takeovers.map((t) => (
            <li key={`${t.at}-${t.by.pid}`} data-testid="session-takeover" data-forced={t.forced === true}>
              {takeoverLine(t)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
