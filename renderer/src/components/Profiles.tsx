/**
 * Profiles and connections: list, create, edit, duplicate, delete, import and export (the CLI's
 * profile file), and a connection test per side. Passwords and client secrets are typed here once,
 * sent inside profiles.save and cleared; afterwards the UI only knows that one is stored, and says
 * what really protects it (SecretStoragePanel; a weak store needs the admin's consent first).
 */
import { useEffect, useRef, useState } from 'react';
import type { ConnectionTest, ProfileSummary } from '../../../preload/contract';
import { useProfilesStore } from '../stores/profiles-store';
import { errorText, useAppStore } from '../stores/app-store';
import { downloadText, formatTime } from '../lib/download';
import { SecretStoragePanel, storageLabel } from './SecretStorage';

type Doc = Record<string, unknown>;

const NEW_PROFILE: Doc = {
  name: 'New profile',
  onPrem: [{ id: 'dc1', url: 'ldaps://dc1.contoso.com', bindDn: 'svc-syncdrift@contoso.com', baseDn: 'DC=contoso,DC=com' }],
  cloud: {
    environment: 'global',
    tenantId: 'contoso.onmicrosoft.com',
    clientId: '00000000-0000-0000-0000-000000000000',
    auth: { type: 'deviceCode' },
  },
};

function asRecord(v: unknown): Doc {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {};
}
function sourcesOf(doc: Doc): Doc[] {
  const op = doc['onPrem'];
  if (Array.isArray(op)) return op.map(asRecord);
  return op ? [asRecord(op)] : [];
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function Profiles() {
  const profiles = useProfilesStore((s) => s.profiles);
  const error = useProfilesStore((s) => s.error);
  const activeId = useAppStore((s) => s.profileId);
  const notify = useAppStore((s) => s.notify);
  const storage = useProfilesStore((s) => s.storage);
  const [editing, setEditing] = useState<{ id: string | null; doc: Doc; summary: ProfileSummary | null } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const store = useProfilesStore.getState;

  useEffect(() => {
    void useProfilesStore.getState().load();
  }, []);

  const act = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      notify('error', `${what} failed: ${errorText(e)}`);
    }
  };

  const edit = (p: ProfileSummary) =>
    act('Opening the profile', async () => setEditing({ id: p.id, doc: await store().getDocument(p.id), summary: p }));

  return (
    <div className="profiles" data-testid="profiles">
      <section className="panel" aria-labelledby="profiles-title">
        <div className="panel-head">
          <h2 id="profiles-title">Profiles</h2>
          <button
            type="button"
            onClick={() => setEditing({ id: null, doc: structuredClone(NEW_PROFILE), summary: null })}
            data-testid="profile-new"
          >
            New profile
          </button>
          <button type="button" onClick={() => fileRef.current?.click()} data-testid="profile-import">
            Import…
          </button>
          <input
            ref={fileRef}
            type="file"
            accept=".json,.yaml,.yml,.txt,application/json"
            className="offscreen"
            aria-label="Profile file to import"
            data-testid="profile-import-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f)
                void act('Import', async () => {
                  const s = await store().importText(await f.text());
                  notify('info', `Imported profile "${s.name}".`);
                });
            }}
          />
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <table className="table" aria-label="Profiles">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">On-prem sources</th>
              <th scope="col">Cloud</th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.id} aria-current={p.id === activeId ? 'true' : undefined} data-testid={`profile-${p.id}`}>
                <td>
                  {p.name}
                  {p.id === activeId && <span className="pill"> active</span>}
                </td>
                <td>{p.kind}</td>
                <td>
                  {p.onPrem.map((s) => (
                    <div key={s.id}>
                      {s.label}{' '}
                      {p.kind !== 'sandbox' && (
                        <span className="muted">
                          {s.secretStored
                            ? `· password stored${storage ? ` (${storageLabel(storage)})` : ''}`
                            : s.secretNeeded
                              ? '· password must be entered again (the address or account changed)'
                              : '· no password stored'}
                        </span>
                      )}
                    </div>
                  ))}
                </td>
                <td>
                  {p.cloud ? (
                    <>
                      {p.cloud.tenantId}{' '}
                      <span className="muted">
                        ({p.cloud.environment}, {p.cloud.authType})
                      </span>
                    </>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td>{formatTime(p.updatedAt)}</td>
                <td className="actions">
                  <button type="button" disabled={p.id === activeId} onClick={() => useAppStore.getState().selectProfile(p.id)}>
                    Use
                  </button>
                  {p.kind !== 'sandbox' && (
                    <button type="button" onClick={() => void edit(p)} data-testid={`profile-edit-${p.id}`}>
                      Edit
                    </button>
                  )}
                  <button type="button" onClick={() => void store().test(p.id)} data-testid={`profile-test-${p.id}`}>
                    Test connection
                  </button>
                  {p.kind === 'sandbox' ? (
                    <span className="muted">built in</span>
                  ) : (
                    <ProfileFileActions
                      profile={p}
                      confirming={confirmDelete === p.id}
                      onConfirm={setConfirmDelete}
                      onDeleted={() => {
                        if (p.id === activeId) useAppStore.getState().selectProfile('sandbox');
                      }}
                      act={act}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {profiles.map((p) => (
          <TestResult key={p.id} profile={p} />
        ))}
      </section>
      <SecretStoragePanel />
      {editing && <ProfileEditor key={editing.id ?? 'new'} initial={editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function ProfileFileActions(props: {
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

function TestResult({ profile }: { profile: ProfileSummary }) {
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

/**
 * Fields for what admins change most, over the profile document itself (shown below them as JSON
 * for everything else). The service validates the document and names the field that is wrong.
 */
function ProfileEditor({
  initial,
  onClose,
}: {
  initial: { id: string | null; doc: Doc; summary: ProfileSummary | null };
  onClose(): void;
}) {
  const [doc, setDoc] = useState<Doc>(initial.doc);
  const [json, setJson] = useState(() => JSON.stringify(initial.doc, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [passwords, setPasswords] = useState<Record<string, string>>({});
  const [clientSecret, setClientSecret] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const notify = useAppStore((s) => s.notify);
  const storage = useProfilesStore((s) => s.storage);
  // A weak store refuses secrets until the admin consents (Secret storage, below the list).
  const refusesSecrets = storage !== null && !storage.storingAllowed;
  const storedIn = storage ? storageLabel(storage) : 'the secret store';
  const secretPlaceholder = (isStored: boolean) =>
    refusesSecrets
      ? 'not stored: consent under Secret storage first, or use the environment variable'
      : isStored
        ? `stored in ${storedIn} (type to replace)`
        : `typed once, kept in ${storedIn}`;

  const update = (next: Doc) => {
    setDoc(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
  };
  const sources = sourcesOf(doc);
  const cloud = asRecord(doc['cloud']);
  const setSource = (i: number, key: string, value: string) =>
    update({ ...doc, onPrem: sources.map((s, k) => (k === i ? { ...s, [key]: value } : s)) });
  const setCloud = (key: string, value: unknown) => update({ ...doc, cloud: { ...cloud, [key]: value } });
  const auth = asRecord(cloud['auth']);
  const authType = str(auth['type']) || 'deviceCode';
  const setAuthType = (type: string) =>
    // Each sign-in kind has its own fields in the profile format; keep the ones that still apply.
    setCloud(
      'auth',
      type === authType
        ? auth
        : type === 'clientSecret'
          ? { type, secretEnv: str(auth['secretEnv']) || 'SYNCDRIFT_CLIENT_SECRET' }
          : type === 'certificate'
            ? { type, certificateFile: '', privateKeyFile: '' }
            : { type },
    );
  const stored = (sourceId: string) => initial.summary?.onPrem.find((s) => s.id === sourceId)?.secretStored ?? false;
  const needed = (sourceId: string) => initial.summary?.onPrem.find((s) => s.id === sourceId)?.secretNeeded ?? false;

  const save = async () => {
    setSaving(true);
    setSaveError(null);
    const onPremPasswords = Object.fromEntries(Object.entries(passwords).filter(([, v]) => v));
    try {
      const summary = await useProfilesStore.getState().save({
        ...(initial.id ? { id: initial.id } : {}),
        document: doc,
        ...(Object.keys(onPremPasswords).length || clientSecret
          ? {
              secrets: {
                ...(Object.keys(onPremPasswords).length ? { onPremPasswords } : {}),
                ...(clientSecret ? { clientSecret } : {}),
              },
            }
          : {}),
      });
      // The secrets went to the service once; nothing here keeps them.
      setPasswords({});
      setClientSecret('');
      notify('info', `Saved profile "${summary.name}".`);
      onClose();
    } catch (e) {
      setSaveError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="panel editor" aria-labelledby="editor-title" data-testid="profile-editor">
      <h2 id="editor-title">{initial.id ? `Edit ${str(doc['name']) || initial.id}` : 'New profile'}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset>
          <legend>Profile</legend>
          <label>
            Name{' '}
            <input
              value={str(doc['name'])}
              onChange={(e) => update({ ...doc, name: e.target.value })}
              required
              data-testid="profile-name"
            />
          </label>
        </fieldset>
        {sources.map((s, i) => {
          const id = str(s['id']) || `source-${i + 1}`;
          return (
            <fieldset key={i}>
              <legend>On-prem source {id}</legend>
              <label>
                Id <input value={str(s['id'])} onChange={(e) => setSource(i, 'id', e.target.value)} />
              </label>
              <label>
                LDAP URL{' '}
                <input
                  value={str(s['url'])}
                  onChange={(e) => setSource(i, 'url', e.target.value)}
                  placeholder="ldaps://dc1.contoso.com"
                />
              </label>
              <label>
                Bind account <input value={str(s['bindDn'])} onChange={(e) => setSource(i, 'bindDn', e.target.value)} />
              </label>
              <label>
                Base DN <input value={str(s['baseDn'])} onChange={(e) => setSource(i, 'baseDn', e.target.value)} />
              </label>
              <label>
                Password{' '}
                <input
                  type="password"
                  autoComplete="new-password"
                  value={passwords[id] ?? ''}
                  disabled={refusesSecrets}
                  placeholder={secretPlaceholder(stored(id))}
                  onChange={(e) => setPasswords({ ...passwords, [id]: e.target.value })}
                />
              </label>
              {stored(id) && <p className="muted">Password stored in {storedIn}.</p>}
              {needed(id) && (
                <p className="error" role="alert">
                  Bind password must be entered again: the stored one was typed for another address or account and was dropped.
                </p>
              )}
              <button type="button" onClick={() => update({ ...doc, onPrem: sources.filter((_, k) => k !== i) })}>
                Remove source
              </button>
            </fieldset>
          );
        })}
        <button
          type="button"
          onClick={() =>
            update({ ...doc, onPrem: [...sources, { id: `dc${sources.length + 1}`, url: '', bindDn: '', baseDn: '' }] })
          }
        >
          Add on-prem source
        </button>
        <fieldset>
          <legend>Cloud (Entra ID)</legend>
          <label>
            Cloud{' '}
            <select value={str(cloud['environment']) || 'global'} onChange={(e) => setCloud('environment', e.target.value)}>
              <option value="global">Global (and GCC)</option>
              <option value="usgov">US Gov L4 (GCC High)</option>
              <option value="usgovdod">US Gov L5 (DoD)</option>
              <option value="china">China (21Vianet)</option>
            </select>
          </label>
          <label>
            Tenant <input value={str(cloud['tenantId'])} onChange={(e) => setCloud('tenantId', e.target.value)} />
          </label>
          <label>
            Client id <input value={str(cloud['clientId'])} onChange={(e) => setCloud('clientId', e.target.value)} />
          </label>
          <label>
            Sign-in{' '}
            <select value={authType} onChange={(e) => setAuthType(e.target.value)}>
              <option value="interactive">Interactive (delegated)</option>
              <option value="deviceCode">Device code (delegated)</option>
              <option value="clientSecret">Client secret (app-only)</option>
              <option value="certificate">Certificate (app-only)</option>
            </select>
          </label>
          {authType === 'certificate' && (
            <>
              <label>
                Certificate file{' '}
                <input
                  value={str(auth['certificateFile'])}
                  onChange={(e) => setCloud('auth', { ...auth, certificateFile: e.target.value })}
                />
              </label>
              <label>
                Private key file{' '}
                <input
                  value={str(auth['privateKeyFile'])}
                  onChange={(e) => setCloud('auth', { ...auth, privateKeyFile: e.target.value })}
                />
              </label>
            </>
          )}
          {authType === 'clientSecret' && (
            <label>
              Client secret{' '}
              <input
                type="password"
                autoComplete="new-password"
                value={clientSecret}
                disabled={refusesSecrets}
                placeholder={secretPlaceholder(initial.summary?.cloud?.secretStored ?? false)}
                onChange={(e) => setClientSecret(e.target.value)}
              />
              {initial.summary?.cloud?.secretNeeded && (
                <span className="error" role="alert">
                  {' '}
                  Client secret must be entered again: the stored one was typed for another sign-in host, tenant or app and was dropped.
                </span>
              )}
            </label>
          )}
        </fieldset>
        <details>
          <summary>Profile document (JSON, the CLI&apos;s format)</summary>
          <textarea
            aria-label="Profile document as JSON"
            rows={14}
            value={json}
            spellCheck={false}
            onChange={(e) => {
              setJson(e.target.value);
              try {
                const parsed: unknown = JSON.parse(e.target.value);
                if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
                  throw new Error('the document must be a JSON object');
                setDoc(parsed as Doc);
                setJsonError(null);
              } catch (err) {
                setJsonError(errorText(err));
              }
            }}
          />
          {jsonError && (
            <p className="error" role="alert">
              JSON: {jsonError}
            </p>
          )}
        </details>
        {refusesSecrets && (
          <p className="muted" data-testid="profile-secrets-refused">
            Passwords and client secrets are not stored here: this workspace would protect them only by {storage.description}.
            Agree to that under Secret storage, or set the environment variables the profile names.
          </p>
        )}
        {saveError && (
          <p className="error" role="alert" data-testid="profile-save-error">
            {saveError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={saving || !!jsonError} data-testid="profile-save">
            Save
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
