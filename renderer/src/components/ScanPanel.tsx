/**
 * One button to scan; while it runs, on-prem and cloud progress side by side (objects, pages,
 * retries, elapsed), the drift step, cancel; after it, what happened and what was kept.
 */
import { useEffect, useState } from 'react';
import { useScanStore, type PhaseProgress } from '../stores/scan-store';
import { useAppStore } from '../stores/app-store';
import { formatElapsed, formatTime } from '../lib/download';

function phaseTitle(phase: string): string {
  if (phase.startsWith('onprem:')) return `On-prem: ${phase.slice('onprem:'.length)}`;
  if (phase === 'cloud') return 'Cloud (Entra ID)';
  if (phase === 'audit') return 'Audit log';
  if (phase === 'drift') return 'Comparing';
  return phase;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function PhaseCard({ p, startedAt, now, running }: { p: PhaseProgress; startedAt: number | null; now: number; running: boolean }) {
  const elapsed = p.elapsedMs ?? (startedAt ? (running ? now : p.updatedAt) - startedAt : 0);
  // Without a total the bar is indeterminate while the scan runs, and full once it has ended.
  const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : running ? null : 100;
  return (
    <div className="phase" data-testid={`phase-${p.phase}`} data-phase={p.phase}>
      <h4>{phaseTitle(p.phase)}</h4>
      <div
        className="bar"
        role="progressbar"
        aria-label={phaseTitle(p.phase)}
        aria-valuemin={0}
        aria-valuemax={p.total ?? undefined}
        aria-valuenow={p.done}
      >
        <div className={pct === null ? 'bar-fill indeterminate' : 'bar-fill'} style={pct === null ? undefined : { width: `${pct}%` }} />
      </div>
      <dl className="facts compact">
        <dt>Objects</dt>
        <dd>
          {p.done.toLocaleString()}
          {p.total !== undefined ? ` of ${p.total.toLocaleString()}` : ''}
        </dd>
        <dt>Pages</dt>
        <dd>{p.pages ?? '—'}</dd>
        <dt>Retries</dt>
        <dd>{p.retries ?? 0}</dd>
        <dt>Elapsed</dt>
        <dd>{formatElapsed(elapsed)}</dd>
      </dl>
      {p.message && <p className="muted">{p.message}</p>}
    </div>
  );
}

export function ScanPanel() {
  const profileId = useAppStore((s) => s.profileId);
  const running = useScanStore((s) => s.running);
  const phases = useScanStore((s) => s.phases);
  const startedAt = useScanStore((s) => s.startedAt);
  const result = useScanStore((s) => s.result);
  const error = useScanStore((s) => s.error);
  const cancelling = useScanStore((s) => s.cancelling);
  const audit = useScanStore((s) => s.audit);
  const now = useNow(running);
  const list = Object.values(phases);
  const onPrem = list.filter((p) => p.phase.startsWith('onprem:'));
  const others = list.filter((p) => !p.phase.startsWith('onprem:') && p.phase !== 'cloud');
  const cloud = phases['cloud'];

  return (
    <section className="panel scan-panel" aria-labelledby="scan-title" data-testid="scan-panel">
      <div className="panel-head">
        <h2 id="scan-title">Scan</h2>
        <button
          type="button"
          className="primary"
          disabled={running}
          onClick={() => void useScanStore.getState().start(profileId)}
          data-testid="scan-start"
          title="Ctrl+R"
        >
          {running ? 'Scanning…' : 'Scan now'}
        </button>
        {running && (
          <button type="button" disabled={cancelling} onClick={() => void useScanStore.getState().cancel()} data-testid="scan-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {(running || list.length > 0) && (
        <div className="phases" aria-live="polite">
          <div className="phase-col">
            {onPrem.length ? onPrem.map((p) => <PhaseCard key={p.phase} p={p} startedAt={startedAt} now={now} running={running} />) : <p className="muted">On-prem: waiting…</p>}
          </div>
          <div className="phase-col">{cloud ? <PhaseCard p={cloud} startedAt={startedAt} now={now} running={running} /> : <p className="muted">Cloud: waiting…</p>}</div>
          {others.length > 0 && (
            <div className="phase-col">
              {others.map((p) => (
                <PhaseCard key={p.phase} p={p} startedAt={startedAt} now={now} running={running} />
              ))}
            </div>
          )}
        </div>
      )}
      {error && (
        <p className="error" role="alert" data-testid="scan-error">
          {error}
        </p>
      )}
      {result && (
        <div className={`scan-result state-${result.state}`} role="status" data-testid="scan-result" data-state={result.state}>
          <strong>
            Scan {result.state}
            {result.finishedAt ? ` at ${formatTime(result.finishedAt)}` : ''}.
          </strong>
          {result.summary && (
            <span>
              {' '}
              {result.summary.onPremUsers.toLocaleString()} on-prem users, {result.summary.cloudUsers.toLocaleString()} cloud users,{' '}
              {result.summary.outOfScope.toLocaleString()} outside the sync scope.
            </span>
          )}
          {result.problems.length > 0 && (
            <ul className="problems">
              {result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          {result.state === 'partial' && <p>The rows that were read are kept and shown; the parts listed above are missing from them.</p>}
          {(result.state === 'failed' || result.state === 'cancelled') && <p>Nothing from this attempt replaces the previous scan; its rows are kept as they were.</p>}
        </div>
      )}
      {audit && (
        <p className={`audit-progress audit-${audit.state}`} role="status" data-testid="audit-progress">
          Audit index: {audit.state} · {audit.records.toLocaleString()} records{audit.message ? ` · ${audit.message}` : ''}
        </p>
      )}
    </section>
  );
}
