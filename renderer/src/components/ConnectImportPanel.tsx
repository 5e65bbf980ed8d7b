/**
 * The dashboard's card for the profile's Entra Connect export (#18): what is stored and when, import
 * (pick the files docs/onprem.md's kit writes), its progress with Cancel, the error naming the file
 * and line, and Remove. Scans of the profile join the stored export, unless it came masked with a
 * workspace export (then the card says so).
 */
import { useRef } from 'react';
import { useConnectImportStore } from '../stores/connect-import-store';
import { useAppStore } from '../stores/app-store';
import { formatTime } from '../lib/download';

const KIND_LABEL = { 'cs-xml': 'connector space (XML)', 'cs-json': 'connector space (Get-ADSyncCSObject)', rules: 'sync rules', runs: 'run history' } as const;

export function ConnectImportPanel() {
  const profileId = useAppStore((s) => s.profileId);
  const info = useConnectImportStore((s) => (s.profileId === profileId ? s.info : null));
  const running = useConnectImportStore((s) => s.running);
  const cancelling = useConnectImportStore((s) => s.cancelling);
  const progress = useConnectImportStore((s) => s.progress);
  const error = useConnectImportStore((s) => s.error);
  const fileRef = useRef<HTMLInputElement>(null);
  const store = () => useConnectImportStore.getState();
  const pct = progress?.total ? Math.min(100, (progress.done / progress.total) * 100) : null;

  return (
    <section className="panel" aria-labelledby="connect-import-title" data-testid="connect-import">
      <div className="panel-head">
        <h2 id="connect-import-title">Sync engine&apos;s view</h2>
        <button type="button" disabled={running} onClick={() => fileRef.current?.click()} data-testid="connect-import-pick">
          {running ? 'Importing…' : 'Import Connect export…'}
        </button>
        {running && (
          <button type="button" disabled={cancelling} onClick={() => void store().cancel()} data-testid="connect-import-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        <input
          ref={fileRef}
          type="file"
          multiple
          accept=".xml,.json,application/json,text/xml"
          className="offscreen"
          aria-label="Entra Connect export files to import"
          data-testid="connect-import-file"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            void store().start(profileId, files);
          }}
        />
      </div>
      <p className="muted">
        The connector-space XML (or Get-ADSyncCSObject JSON), Get-ADSyncRule and Get-ADSyncRunProfileResult exports from the Connect server
        (docs/onprem.md). Scans of this profile join them: rule-formatted rows, confirmed overrides.
      </p>
      {info ? (
        <div role="status" data-testid="connect-import-state">
          <p>
            <strong>
              Connect export: {info.objects.toLocaleString()} objects, imported {formatTime(info.importedAt)}
            </strong>{' '}
            <button type="button" className="link" disabled={running} onClick={() => void store().remove(profileId)} data-testid="connect-import-remove">
              Remove
            </button>
          </p>
          {info.masked && (
            <p className="muted" data-testid="connect-import-masked">
              Phone numbers masked: this import came with a masked workspace export, so scans do not join it (a masked value matches no real one). Import the Connect
              export again to join it.
            </p>
          )}
          <ul className="muted">
            {info.files.map((f) => (
              <li key={f.file}>
                {f.file}: {KIND_LABEL[f.kind]}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        !running && (
          <p className="muted" data-testid="connect-import-state">
            No Connect export imported for this profile.
          </p>
        )
      )}
      {running && (
        <div aria-live="polite" data-testid="connect-import-progress">
          <div className="bar" role="progressbar" aria-label="Connect export import" aria-valuemin={0} aria-valuemax={progress?.total ?? undefined} aria-valuenow={progress?.done ?? 0}>
            <div className={pct === null ? 'bar-fill indeterminate' : 'bar-fill'} style={pct === null ? undefined : { width: `${pct}%` }} />
          </div>
          <p className="muted">{progress ? (progress.phase === 'engine-join' ? 'Joining the connector spaces…' : `${(progress.done / 1024 ** 2).toFixed(1)} of ${((progress.total ?? 0) / 1024 ** 2).toFixed(1)} MB read`) : 'Sending the files…'}</p>
        </div>
      )}
      {error && (
        <p className="error" role="alert" data-testid="connect-import-error">
          {error}
        </p>
      )}
    </section>
  );
}
