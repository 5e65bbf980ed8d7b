/**
 * Every remediation session the workspace's journal knows (the CLI's too), with its state, and the
 * offer shown when the app starts while a session still needs the admin.
 */
import { useEffect, useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog';
import type { SessionSummaryWire } from '../../../preload/contract';
import { ACTIVE_STATES, RESUMABLE_STATES, UNDOABLE_STATES } from '../stores/flow-model';
import { useFlowStore } from '../stores/remediation-store';
import { SESSION_STATE_LABEL, useSessionsStore } from '../stores/sessions-store';
import { errorText, requireApi, useAppStore } from '../stores/app-store';
import { downloadBase64, formatTime } from '../lib/download';

async function openInFlow(sessionId: string, then?: 'resume' | 'undo' | 'take-over-resume' | 'take-over-undo'): Promise<void> {
  await useFlowStore.getState().openSession(sessionId);
  useAppStore.getState().navigate('flow');
  if (then === 'resume') await useFlowStore.getState().resume();
  if (then === 'undo') useFlowStore.getState().goto('report');
  // An undo that was under way is finished by undo (resume refuses a half-undone session).
  if (then === 'take-over-resume') await useFlowStore.getState().resume(undefined, { takeOver: true });
  if (then === 'take-over-undo') await useFlowStore.getState().undo({ takeOver: true });
}

/** Who works on an active session, as the journal says; another machine's processes cannot be checked. */
function ownerText(o: NonNullable<SessionSummaryWire['owner']>): string {
  const started = o.startedAt ? `, started ${formatTime(o.startedAt)}` : '';
  return o.elsewhere
    ? `Run by pid ${o.pid} on ${o.host}, another machine${started}: its processes cannot be checked from here.`
    : `Run by pid ${o.pid} on this machine${started}.`;
}

async function saveEvidence(sessionId: string): Promise<void> {
  try {
    const ev = await requireApi().invoke('remediation.evidence', { sessionId, mask: false });
    downloadBase64(ev.fileName, ev.zipBase64);
    useAppStore.getState().notify('info', `Saved ${ev.fileName} (${ev.files} files).`);
  } catch (e) {
    useAppStore.getState().notify('error', `Evidence package failed: ${errorText(e)}`);
  }
}

export function Sessions() {
  const sessions = useSessionsStore((s) => s.sessions);
  const loading = useSessionsStore((s) => s.loading);
  const error = useSessionsStore((s) => s.error);
  const draft = useFlowStore((s) => (s.active && !s.sessionId && !s.operation && s.plan ? s.plan : null));

  useEffect(() => {
    void useSessionsStore.getState().load();
    // Running sessions change state without an event for this screen: read the list again now and then.
    const t = setInterval(() => void useSessionsStore.getState().load(), 3000);
    return () => clearInterval(t);
  }, []);

  return (
    <section className="panel" aria-labelledby="sessions-title" data-testid="sessions">
      <div className="panel-head">
        <h2 id="sessions-title">Remediation sessions</h2>
        <button type="button" onClick={() => void useSessionsStore.getState().load()} disabled={loading}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="table" data-testid="sessions-table">
        <caption className="offscreen">Sessions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">State</th>
            <th scope="col">Profile</th>
            <th scope="col">Rows</th>
            <th scope="col">Steps done</th>
            <th scope="col">Message</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {draft && (
            <tr data-testid="session-planned" data-state="planned">
              <td>{formatTime(draft.createdAt)}</td>
              <td>
                <span className="pill">planned</span>
              </td>
              <td>{draft.source.profile}</td>
              <td>{draft.rows.length}</td>
              <td>0 of {draft.steps.length}</td>
              <td>Not applied yet.</td>
              <td className="actions">
                <button type="button" onClick={() => useAppStore.getState().navigate('flow')}>
                  Open
                </button>
              </td>
            </tr>
          )}
          {sessions.map((s) => (
            <SessionRow key={s.id} s={s} />
          ))}
          {sessions.length === 0 && !draft && (
            <tr>
              <td colSpan={7} className="muted">
                No sessions yet. Start one from Mismatches: select rows, then Fix….
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function SessionRow({ s }: { s: SessionSummaryWire }) {
  const active = ACTIVE_STATES.has(s.state);
  const [confirmTakeOver, setConfirmTakeOver] = useState(false);
  const owner = active && !s.live ? (s.owner ?? null) : null;
  const lastTakeover = s.takeovers?.at(-1);
  return (
    <>
      <tr data-testid="session-row" data-session={s.id} data-state={s.state}>
        <td>{formatTime(s.createdAt)}</td>
        <td>
          <span className={`pill session-${s.state}`} data-testid="session-state">
            {SESSION_STATE_LABEL[s.state]}
          </span>
          {s.live && <span className="muted"> (live)</span>}
        </td>
        <td>{s.profile}</td>
        <td>{s.rows}</td>
        <td>
          {s.stepsDone} of {s.steps}
        </td>
        <td>
          {s.message}
          {owner && (
            <div className="muted" data-testid="session-owner">
              {ownerText(owner)}
            </div>
          )}
          {lastTakeover && (
            <div className="muted" data-testid="session-takeover">
              Taken over {formatTime(lastTakeover.at)} from pid {lastTakeover.from.pid} on {lastTakeover.from.host}:{' '}
              {lastTakeover.reason}.
            </div>
          )}
        </td>
        <td className="actions">
          {owner?.elsewhere && (
            <button type="button" className="danger" onClick={() => setConfirmTakeOver(true)} data-testid="session-take-over">
              Take over…
            </button>
          )}
          <button type="button" onClick={() => void openInFlow(s.id)} data-testid="session-open">
            {active ? 'Follow' : 'Open report'}
          </button>
          {RESUMABLE_STATES.has(s.state) && (
            <button
              type="button"
              className="primary"
              onClick={() => void openInFlow(s.id, 'resume')}
              data-testid="session-resume"
            >
              Resume
            </button>
          )}
          {UNDOABLE_STATES.has(s.state) && (
            <button type="button" onClick={() => void openInFlow(s.id, 'undo')} data-testid="session-undo">
              Undo…
            </button>
          )}
          <button type="button" onClick={() => void saveEvidence(s.id)} data-testid="session-evidence">
            Evidence
          </button>
        </td>
      </tr>
      {confirmTakeOver && owner && (
        <tr>
          <td colSpan={7}>
            <ConfirmDialog
              title={`Take this session over from ${owner.host}?`}
              confirmLabel={s.state === 'undoing' ? 'Take over and finish the undo' : 'Take over and resume'}
              danger
              testId="confirm-take-over"
              onCancel={() => setConfirmTakeOver(false)}
              onConfirm={() => {
                setConfirmTakeOver(false);
                void openInFlow(s.id, s.state === 'undoing' ? 'take-over-undo' : 'take-over-resume');
              }}
            >
              <p>
                The journal says pid {owner.pid} on <strong>{owner.host}</strong> runs this session. Nothing here can check
                another machine&apos;s processes. Take it over only if that machine is gone or its process has stopped: if it is
                still running the session, both may write to your directories.
              </p>
              <p>The takeover is recorded in the session&apos;s journal, naming that owner and that you forced it.</p>
            </ConfirmDialog>
          </td>
        </tr>
      )}
    </>
  );
}

/** Shown when the app starts and a session still needs the admin: resume it, follow it, or later. */
export function SessionOffer() {
  const offer = useSessionsStore((s) => s.offer);
  if (!offer) return null;
  const running = ACTIVE_STATES.has(offer.state);
  const dismiss = () => useSessionsStore.getState().dismissOffer();
  return (
    <div className="session-offer" role="alert" data-testid="session-offer" data-state={offer.state}>
      <span>
        {running
          ? `A remediation session started ${formatTime(offer.createdAt)} is still ${SESSION_STATE_LABEL[offer.state]} (${offer.stepsDone} of ${offer.steps} steps done).`
          : `A remediation session from ${formatTime(offer.createdAt)} is ${SESSION_STATE_LABEL[offer.state]} (${offer.stepsDone} of ${offer.steps} steps done). ${offer.message ?? ''}`}
      </span>
      <span className="actions">
        {running ? (
          <button
            type="button"
            className="primary"
            onClick={() => {
              dismiss();
              void openInFlow(offer.id);
            }}
            data-testid="offer-follow"
          >
            Follow it
          </button>
        ) : (
          <>
            <button
              type="button"
              className="primary"
              onClick={() => {
                dismiss();
                void openInFlow(
                  offer.id,
                  offer.state === 'awaiting-cycle' || offer.state === 'awaiting-replication' ? undefined : 'resume',
                );
              }}
              data-testid="offer-resume"
            >
              {offer.state === 'awaiting-cycle' || offer.state === 'awaiting-replication' ? 'Open' : 'Resume'}
            </button>
            <button
              type="button"
              onClick={() => {
                dismiss();
                void openInFlow(offer.id);
              }}
              data-testid="offer-open"
            >
              Show it
            </button>
          </>
        )}
        <button type="button" onClick={dismiss} data-testid="offer-later">
          Later
        </button>
      </span>
    </div>
  );
}
