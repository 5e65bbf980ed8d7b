/**
 * The profile editor: every field of a profile (on-prem sources, cloud sign-in) with its secrets
 * typed once and sent inside profiles.save.
 */
import { useState } from 'react';
import type { ProfileSummary } from '../../../../preload/contract';
import { useProfilesStore } from '../../stores/profiles-store';
import { errorText, useAppStore } from '../../stores/app-store';
import { storageLabel } from '../SecretStorage';
import { type Doc, asRecord, sourcesOf, str } from './profile-doc';

/**
 * Fields for what admins change most, over the profile document itself (shown below them as JSON
 * for everything else). The service validates the document and names the field that is wrong.
 */
export function ProfileEditor({
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
