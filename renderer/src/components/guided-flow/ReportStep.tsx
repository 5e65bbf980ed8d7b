/**
 * The Report step: the session's report, evidence and undo (and the report of an undo).
 */
import { useState } from 'react';
import { RESUMABLE_STATES, UNDOABLE_STATES } from '../../stores/flow-model';
import { useFlowStore } from '../../stores/remediation-store';
import { SESSION_STATE_LABEL } from '../../stores/sessions-store';
import { useAppStore } from '../../stores/app-store';
import { ConfirmDialog } from '../ConfirmDialog';
import { downloadBase64 } from '../../lib/download';
import { OutcomeRows, ProvisionOnDemand, SessionOutcomeNote, TenantSweepTable } from './shared';

export function ReportStep() {
  const outcome = useFlowStore((s) => s.outcome);
  const plan = useFlowStore((s) => s.plan);
  const state = useFlowStore((s) => s.sessionState);
  const operation = useFlowStore((s) => s.operation);
  const undoReport = useFlowStore((s) => s.undoReport);
  const evidence = useFlowStore((s) => s.evidence);
  const evidenceBusy = useFlowStore((s) => s.evidenceBusy);
  const evidenceCheck = useFlowStore((s) => s.evidenceCheck);
  const [mask, setMask] = useState(false);
  const [confirmUndo, setConfirmUndo] = useState(false);
  const [turnBypassOff, setTurnBypassOff] = useState(false);
  const f = useFlowStore.getState;
  const turnsBypassOn = !!plan?.steps.some((s) => s.kind === 'set-bypass' && s.enabled);
  const restoredUsers = plan ? plan.rows.filter((r) => r.intended !== null).length : 0;

  const save = async () => {
    const ev = await f().buildEvidence(mask);
    if (ev) {
      downloadBase64(ev.fileName, ev.zipBase64);
      useAppStore.getState().notify('info', `Saved ${ev.fileName} (${ev.files} files).`);
    }
  };

  return (
    <div data-testid="flow-report">
      <SessionOutcomeNote outcome={outcome} />
      {outcome && (
        <>
          <dl className="facts compact">
            <dt>AD writes</dt>
            <dd>{outcome.writes.ad}</dd>
            <dt>Graph writes</dt>
            <dd>{outcome.writes.graph}</dd>
            <dt>Bypass changes</dt>
            <dd>{outcome.writes.bypass}</dd>
            <dt>Sync cycles</dt>
            <dd>{outcome.writes.cycles}</dd>
            <dt>Rows verified</dt>
            <dd data-testid="report-fixed">
              {outcome.rows.filter((r) => r.state === 'fixed').length} of {outcome.rows.length}
            </dd>
          </dl>
          <OutcomeRows rows={outcome.rows} testId="report-rows" />
          {outcome.sweep && <TenantSweepTable sweep={outcome.sweep} />}
          <ProvisionOnDemand />
        </>
      )}

      <section aria-labelledby="evidence-title" className="report-block">
        <h3 id="evidence-title">Evidence package</h3>
        <p>
          The scan&apos;s evidence plus this session&apos;s plan, journal and verification, with a manifest of hashes: for a
          support case or an audit.
        </p>
        <label>
          <input type="checkbox" checked={mask} onChange={(e) => setMask(e.target.checked)} data-testid="evidence-mask" /> Mask
          names and numbers
        </label>
        <div className="form-actions">
          <button type="button" disabled={evidenceBusy} onClick={() => void save()} data-testid="evidence-save">
            Save evidence package
          </button>
          <button
            type="button"
            disabled={evidenceBusy || !evidence}
            onClick={() => void f().verifyEvidence()}
            data-testid="evidence-verify"
          >
            Check the package
          </button>
        </div>
        {evidence && (
          <p className="muted" data-testid="evidence-info">
            {evidence.fileName}: {evidence.files} files, manifest SHA-256 <code>{evidence.manifestSha256.slice(0, 16)}…</code>
            {evidence.masked ? ' (masked)' : ''}
          </p>
        )}
        {evidenceCheck && (
          <p role="status" className={evidenceCheck.ok ? 'ok' : 'bad'} data-testid="evidence-check">
            {evidenceCheck.ok
              ? '✓ Every file matches its hash; nothing missing or extra.'
              : `✗ ${evidenceCheck.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`}
          </p>
        )}
      </section>

      <section aria-labelledby="undo-title" className="report-block">
        <h3 id="undo-title">Undo</h3>
        {operation === 'undo' && (
          <p role="status" aria-busy="true" data-testid="undo-status">
            Undoing…
          </p>
        )}
        {undoReport ? (
          <UndoReport />
        ) : (
          <p>
            AD values restored (compare-and-set), per-user cloud values restored. The bypass stays on unless you choose to turn it
            off: that restores no value. Values erased by the bypass come back as an offer of AD writes.
          </p>
        )}
        <div className="form-actions">
          {!operation && state && UNDOABLE_STATES.has(state) && (
            <button type="button" className="danger" onClick={() => setConfirmUndo(true)} data-testid="flow-undo">
              Undo this session…
            </button>
          )}
          {!operation && state === 'undone' && turnsBypassOn && (
            <button
              type="button"
              className="danger"
              onClick={() => {
                setTurnBypassOff(true);
                setConfirmUndo(true);
              }}
              data-testid="flow-undo-bypass-off"
            >
              Turn the bypass off…
            </button>
          )}
          {!operation && state && RESUMABLE_STATES.has(state) && (
            <button type="button" onClick={() => void f().resume()} data-testid="flow-resume">
              Resume the session
            </button>
          )}
        </div>
      </section>
      {confirmUndo && (
        <ConfirmDialog
          title={`Undo this session for ${restoredUsers} user${restoredUsers === 1 ? '' : 's'}?`}
          confirmLabel={`Undo for ${restoredUsers} user${restoredUsers === 1 ? '' : 's'}`}
          danger
          testId="confirm-undo"
          onCancel={() => setConfirmUndo(false)}
          onConfirm={() => {
            setConfirmUndo(false);
            void f().undo(turnBypassOff ? { turnBypassOff: true } : {});
          }}
        >
          <p>
            This writes the values from before the session back for <strong>{restoredUsers}</strong> user
            {restoredUsers === 1 ? '' : 's'}, where nobody changed them since.
          </p>
          {turnsBypassOn && (
            <>
              <p>
                BypassDirSyncOverrides, which this session turned on, stays on. Turning it off restores no value, and the
                per-object overrides it bypasses may take effect again, so later AD changes would again not reach Entra ID for
                those users.
              </p>
              <label>
                <input type="checkbox" checked={turnBypassOff} onChange={(e) => setTurnBypassOff(e.target.checked)} data-testid="undo-turn-bypass-off" />{' '}
                Also turn the bypass off (tenant-wide)
              </label>
            </>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

function UndoReport() {
  const report = useFlowStore((s) => s.undoReport)!;
  return (
    <div data-testid="undo-report" data-state={report.state}>
      <p role="status">
        <strong>{SESSION_STATE_LABEL[report.state]}</strong>: {report.restored.length} value(s) restored,{' '}
        {report.notRestored.length} not restored, {report.offers.length} offer(s).
      </p>
      {report.restored.length > 0 && (
        <ul data-testid="undo-restored">
          {report.restored.map((r) => (
            <li key={`${r.rowKey}:${r.side}`}>
              <span aria-hidden="true">✓ </span>
              {r.upn} ({r.side}): {r.message}
            </li>
          ))}
        </ul>
      )}
      {report.notRestored.length > 0 && (
        <ul data-testid="undo-not-restored">
          {report.notRestored.map((r, i) => (
            <li key={i}>
              <span aria-hidden="true">✗ </span>
              {r.upn ?? 'tenant'}: {r.message}
              {r.users && r.users.length > 0 && (
                // The sentence names the first few; every one of them is listed here.
                <details>
                  <summary>All {r.users.length} user(s)</summary>
                  <ul data-testid="undo-not-restored-users">
                    {r.users.map((u) => (
                      <li key={u}>{u}</li>
                    ))}
                  </ul>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
      {(report.notes ?? []).length > 0 && (
        <ul data-testid="undo-notes">
          {(report.notes ?? []).map((n, i) => (
            <li key={i}>
              <span aria-hidden="true">ⓘ </span>
              {n}
            </li>
          ))}
        </ul>
      )}
      {report.offers.length > 0 && (
        <>
          <p>
            {report.offers.length} cloud value(s) were erased by the bypass and the cycle; they can come back as AD writes (then
            the next cycle carries them to the cloud).
          </p>
          <button type="button" onClick={() => void useFlowStore.getState().restoreOffers()} data-testid="undo-restore-plan">
            Plan the restore as AD writes
          </button>
        </>
      )}
    </div>
  );
}
