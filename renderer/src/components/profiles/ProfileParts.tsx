/**
 * The profile list's parts: file import and export of profiles (the CLI's format), a profile's last
 * connection test, and a connection test's result per side.
 */
import type { ConnectionTest, ProfileSummary } from '../../../../preload/contract';
import { useProfilesStore } from '../../stores/profiles-store';
import { downloadText } from '../../lib/download';

export function ProfileFileActions(props: {
  profile: ProfileSummary;
  confirming: boolean;
  onConfirm(id: string | null): void;
  onDeleted(): void;
  act(what: string, fn: () => Promise<unknown>): Promise<void>;
}) {
  const { profile: p, confirming, onConfirm, onDeleted, act } = props;
  const store = useProfilesStore.getState;
  return (
    <>
      <button
        type="button"
        onClick={() => void act('Duplicate', () => store().duplicate(p.id))}
        data-testid={`profile-duplicate-${p.id}`}
      >
        Duplicate
      </button>
      <button
        type="button"
        data-testid={`profile-export-${p.id}`}
        onClick={() =>
          void act('Export', async () => {
            const f = await store().exportFile(p.id);
            downloadText(f.fileName, f.text, 'application/json');
          })
        }
      >
        Export
      </button>
      {confirming ? (
        <button
          type="button"
          className="danger"
          data-testid={`profile-delete-confirm-${p.id}`}
          onClick={() =>
            void act('Delete', async () => {
              onConfirm(null);
              await store().remove(p.id);
              onDeleted();
            })
          }
        >
          Really delete
        </button>
      ) : (
        <button type="button" onClick={() => onConfirm(p.id)} data-testid={`profile-delete-${p.id}`}>
          Delete
        </button>
      )}
    </>
  );
}

export function TestResult({ profile }: { profile: ProfileSummary }) {
  const t = useProfilesStore((s) => s.tests[profile.id]);
  if (!t) return null;
  return (
    <section
      className="panel test-result"
      aria-label={`Connection test of ${profile.name}`}
      data-testid={`test-result-${profile.id}`}
    >
      <h3>Connection test: {profile.name}</h3>
      {t.running && <p role="status">Testing…</p>}
      {t.error && (
        <p className="error" role="alert">
          {t.error}
        </p>
      )}
      {t.result && <ConnectionTestView result={t.result} />}
    </section>
  );
}

export function ConnectionTestView({ result }: { result: ConnectionTest }) {
  return (
    <div className="test-sides">
      <div>
        <h4>On-prem</h4>
        {result.onPrem.length === 0 && <p className="muted">No on-prem source.</p>}
        <ul className="checks">
          {result.onPrem.map((s) => (
            <li key={s.sourceId} className={s.ok ? 'ok' : 'bad'}>
              <strong>
                {s.ok ? '✓ ' : '✗ '}
                {s.sourceId}
              </strong>
              : bind {s.ok ? 'ok' : 'failed'} · TLS {s.tls ?? 'none'} <div className="muted">{s.message}</div>
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h4>Cloud</h4>
        {!result.cloud && <p className="muted">No cloud connection configured.</p>}
        {result.cloud && (
          <>
            <p className={result.cloud.ok ? 'ok' : 'bad'}>
              {result.cloud.ok ? '✓ ' : '✗ '}
              {result.cloud.signedInAs ? `Signed in as ${result.cloud.signedInAs}` : 'Not signed in'} · {result.cloud.message}
            </p>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Capability</th>
                  <th scope="col">State</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {result.cloud.capabilities.map((c) => (
                  <tr key={c.capability}>
                    <td>{c.label}</td>
                    <td>
                      <span className={`pill cap-${c.state}`}>{c.state}</span>
                    </td>
                    <td>{c.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </div>
  );
}
