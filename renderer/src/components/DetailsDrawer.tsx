/**
 * One row in full: both sides side by side (raw and normalized), the identity, the timeline, the
 * likely cause, and PowerShell-style views for a ticket, labelled as rendered from the scan.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent as ReactPointerEvent } from 'react';
import type { RowDetails } from '../../../preload/contract';
import { useDetailsStore } from '../stores/details-store';
import { errorText, requireApi, useAppStore } from '../stores/app-store';
import { StatusChip } from './StatusChip';
import { OtherMobileFacts } from './OtherMobileFacts';
import { copyText, formatTime } from '../lib/download';
import { buildStory } from '../details/story';

const EVENT_LABEL: Record<RowDetails['timeline'][number]['kind'], string> = {
  'onprem-change': 'On-prem change',
  sync: 'Sync',
  'cloud-change': 'Cloud change',
  'authority-change': 'Source of authority',
  'engine-export': 'Sync engine export',
};

const AUDIT_NOTE: Record<RowDetails['audit']['state'], string> = {
  known: 'Cloud changes from the audit log',
  loading: 'The audit index is still filling: cloud changes may appear later',
  'outside-retention': 'The cloud change is older than the audit retention: who changed it cannot be known from the log',
  'none-found': 'No cloud change to mobilePhone in the audit log',
  unavailable: 'The audit log could not be read',
};

function Value({ v }: { v: string | null | undefined }) {
  return v ? <code>{v}</code> : <span className="muted">(empty)</span>;
}

export function DetailsDrawer() {
  const rowKey = useDetailsStore((s) => s.rowKey);
  const details = useDetailsStore((s) => s.details);
  const loading = useDetailsStore((s) => s.loading);
  const error = useDetailsStore((s) => s.error);
  const width = useAppStore((s) => s.drawerWidth);
  const sandbox = useAppStore((s) => s.info?.sandbox ?? false);
  const closeRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLElement | null>(null);

  useEffect(() => {
    if (!rowKey) return;
    // Remember who opened the drawer (a guided-flow link, say) to give the focus back on close.
    const opener = document.activeElement;
    if (opener instanceof HTMLElement && !opener.closest('[data-testid="details"]')) openerRef.current = opener;
    closeRef.current?.focus();
  }, [rowKey]);

  if (!rowKey) return null;
  const row = details?.row;
  // undefined: the scan joined no engine data (two columns, as before); null: joined, none for this user.
  const engine = row?.engine;
  const story = details ? buildStory(details) : [];
  const close = () => {
    useDetailsStore.getState().close();
    const opener = openerRef.current;
    openerRef.current = null;
    if (opener?.isConnected && !opener.closest('[data-testid="grid"]')) opener.focus();
    else document.querySelector<HTMLElement>('[data-testid="grid"]')?.focus();
  };

  return (
    <aside
      className="drawer"
      aria-labelledby="details-title"
      style={{ width }}
      data-testid="details"
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
    >
      <DrawerResizer />
      <header className="drawer-head">
        <h2 id="details-title">{row ? (row.onPrem?.displayName ?? row.cloud?.displayName ?? row.upn) : 'Details'}</h2>
        {row && <StatusChip status={row.status} />}
        <button ref={closeRef} type="button" className="close" onClick={close} aria-label="Close details (Esc)">
          ✕
        </button>
      </header>
      {loading && !details && <p role="status">Loading details…</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {details && row && (
        <div className="drawer-body">
          <p className="cause" data-testid="details-cause">
            <strong>Likely cause: </strong>
            {row.cause}
          </p>
          <section aria-labelledby="sides-title">
            <h3 id="sides-title">{engine !== undefined ? 'AD, sync engine, Entra ID' : 'Both sides'}</h3>
            <table className="sides" data-testid="details-sides">
              <thead>
                <tr>
                  <th scope="col" />
                  <th scope="col">On-prem AD (mobile)</th>
                  {engine !== undefined && <th scope="col">Sync engine exported</th>}
                  <th scope="col">Entra ID (mobilePhone)</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Raw</th>
                  <td>
                    <Value v={row.onPrem?.value} />
                  </td>
                  {engine !== undefined && <td data-testid="details-engine-value">{engine ? (engine.exported ? <Value v={engine.exported.mobile} /> : engine.state) : 'not in the exports'}</td>}
                  <td>
                    <Value v={row.cloud?.value} />
                  </td>
                </tr>
                <tr>
                  <th scope="row">Normalized</th>
                  <td>
                    <Value v={row.normalized.onPrem} />
                  </td>
                  {engine !== undefined && <td />}
                  <td>
                    <Value v={row.normalized.cloud} />
                  </td>
                </tr>
                <tr>
                  <th scope="row">Changed</th>
                  <td>
                    {formatTime(row.onPrem?.changedAt)}
                    {row.onPrem && <span className="muted"> ({row.onPrem.changeSource})</span>}
                  </td>
                  {engine !== undefined && <td>{engine?.exportedAt ? `exported ${formatTime(engine.exportedAt)}` : ''}</td>}
                  <td>
                    {row.cloud?.changeState === 'known' ? `${formatTime(row.cloud.changedAt)} by ${row.cloud.changedBy ?? 'unknown'}` : (row.cloud?.changeState ?? '')}
                  </td>
                </tr>
                <tr>
                  <th scope="row">Other</th>
                  <td>{row.onPrem?.otherMobile.length ? `otherMobile: ${row.onPrem.otherMobile.join(', ')}` : ''}</td>
                  {engine !== undefined && <td>{engine?.exported?.otherMobile.length ? `otherMobile: ${engine.exported.otherMobile.join(', ')}` : ''}</td>}
                  <td>{row.cloud ? `last sync ${formatTime(row.cloud.lastSyncAt) || 'never'} · ${row.cloud.managed ? 'cloud-managed' : 'synced'}` : ''}</td>
                </tr>
              </tbody>
            </table>
            {engine && (
              <p data-testid="details-engine">
                <strong>{engine.engine === 'connect' ? 'Entra Connect' : 'Cloud Sync'}: </strong>
                {engine.state}
                {engine.rule && ` · rule "${engine.rule.name}"${engine.rule.precedence === null ? '' : ` (precedence ${engine.rule.precedence})`} · ${engine.rule.expression === 'direct' ? 'direct flow' : `expression ${engine.rule.expression}`}`}
                {engine.reason && ` · ${engine.reason}`}
                {engine.evidence.length > 0 && <span className="muted"> · evidence: {engine.evidence.map((e) => `${e.source} ${e.origin}${e.line ? `:${e.line}` : ''}`).join('; ')}</span>}
              </p>
            )}
            <OtherMobileFacts row={row} />
            {row.flags.length > 0 && <p className="muted">Flags: {row.flags.join(', ')}</p>}
          </section>
          <section aria-labelledby="identity-title">
            <h3 id="identity-title">Identity</h3>
            <dl className="facts" data-testid="details-identity">
              <dt>UPN</dt>
              <dd>{row.upn}</dd>
              <dt>Matched by</dt>
              <dd>{row.match ?? 'not matched'}</dd>
              <dt>Source anchor</dt>
              <dd>
                <code>{row.onPrem?.sourceAnchor ?? row.cloud?.immutableId ?? ''}</code>
              </dd>
              <dt>objectGUID</dt>
              <dd>
                <code>{row.onPrem?.objectGuid ?? ''}</code>
              </dd>
              <dt>objectSid</dt>
              <dd>
                <code>{row.onPrem?.objectSid ?? ''}</code>
              </dd>
              <dt>Entra object id</dt>
              <dd>
                <code>{row.cloud?.id ?? ''}</code>
              </dd>
              <dt>DN</dt>
              <dd>
                <code>{row.onPrem?.dn ?? ''}</code>
              </dd>
              <dt>Source</dt>
              <dd>{row.onPrem?.sourceId ?? ''}</dd>
            </dl>
          </section>
          <section aria-labelledby="timeline-title">
            <h3 id="timeline-title">Timeline</h3>
            <p className="muted" data-testid="audit-state">
              {AUDIT_NOTE[details.audit.state]}
              {details.audit.message ? `: ${details.audit.message}` : '.'}
            </p>
            <ol className="timeline" data-testid="timeline">
              {story.map((ev, i) => (
                <li key={i} className={`tl tl-${ev.kind}`}>
                  <time dateTime={ev.at}>{formatTime(ev.at)}</time>
                  <span className="tl-kind">{EVENT_LABEL[ev.kind]}</span>
                  <span className="tl-label">
                    {ev.label}
                    {ev.note && <span className="tl-note"> · {ev.note}</span>}
                  </span>
                </li>
              ))}
              {story.length === 0 && <li className="muted">No dated events known for this row.</li>}
            </ol>
          </section>
          {sandbox && row.cloud && <LegacyEdit cloudUserId={row.cloud.id} current={row.cloud.value} />}
          <section aria-labelledby="views-title">
            <h3 id="views-title">PowerShell-style views</h3>
            <p className="muted">Rendered by SyncDrift from the scan&apos;s data at the scan&apos;s time, not output of the cmdlets themselves.</p>
            {details.views.map((v) => (
              <figure key={v.title} className="ps-view">
                <figcaption>
                  {v.title}
                  <button type="button" onClick={() => void copyText(v.text)} aria-label={`Copy ${v.title}`}>
                    Copy
                  </button>
                </figcaption>
                <pre tabIndex={0}>{v.text}</pre>
              </figure>
            ))}
          </section>
        </div>
      )}
    </aside>
  );
}

/** Drag, or arrow keys when focused, to resize; the width is remembered with the layout. */
function DrawerResizer() {
  const width = useAppStore((s) => s.drawerWidth);
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    const startX = e.clientX;
    const startW = width;
    const move = (ev: PointerEvent) => useAppStore.setState({ drawerWidth: Math.min(1400, Math.max(320, startW + startX - ev.clientX)) });
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      useAppStore.getState().setDrawerWidth(useAppStore.getState().drawerWidth);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const d = e.key === 'ArrowLeft' ? 40 : e.key === 'ArrowRight' ? -40 : 0;
    if (!d) return;
    e.preventDefault();
    useAppStore.getState().setDrawerWidth(width + d);
  };
  return (
    <div
      className="drawer-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize details"
      aria-valuenow={width}
      aria-valuemin={320}
      aria-valuemax={1400}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}

/** Sandbox training: the pre-2025 portal / MSOnline edit that sets the value and the hidden override. */
function LegacyEdit({ cloudUserId, current }: { cloudUserId: string; current: string | null }) {
  const [value, setValue] = useState(current ?? '');
  const [busy, setBusy] = useState(false);
  const notify = useAppStore((s) => s.notify);
  const run = async () => {
    setBusy(true);
    try {
      await requireApi().invoke('sandbox.legacyEdit', { cloudUserId, value: value.trim() || null });
      notify('info', 'Legacy cloud edit done: the sandbox tenant now holds an override for this user. Run a sync cycle and scan again to see its effect.');
    } catch (e) {
      notify('error', `Legacy cloud edit failed: ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="legacy-title" className="sandbox-box">
      <h3 id="legacy-title">Sandbox: legacy cloud edit</h3>
      <p className="muted">Replays a pre-2025 portal or Set-MsolUser edit of mobilePhone on this user: it sets the value and the hidden DirSyncOverrides flag.</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          New cloud mobile <input value={value} maxLength={64} onChange={(e) => setValue(e.target.value)} data-testid="legacy-value" />
        </label>
        <button type="submit" disabled={busy} data-testid="legacy-edit">
          Legacy cloud edit
        </button>
      </form>
    </section>
  );
}
