/**
 * Profiles and connections: list, create, edit, duplicate, delete, import and export (the CLI's
 * profile file), and a connection test per side. Passwords and client secrets are typed here once,
 * sent inside profiles.save and cleared; afterwards the UI only knows that one is stored, and says
 * what really protects it (SecretStoragePanel; a weak store needs the admin's consent first).
 *
 * This file is the list; the editor is profiles/ProfileEditor.tsx, file actions and connection test
 * results profiles/ProfileParts.tsx, and the profile document's helpers profiles/profile-doc.ts.
 */
import { useEffect, useRef, useState } from 'react';
import type { ProfileSummary } from '../../../preload/contract';
import { useProfilesStore } from '../stores/profiles-store';
import { errorText, useAppStore } from '../stores/app-store';
import { formatTime } from '../lib/download';
import { SecretStoragePanel, storageLabel } from './SecretStorage';
import { ProfileEditor } from './profiles/ProfileEditor';
import { ProfileFileActions, TestResult } from './profiles/ProfileParts';
import { type Doc, NEW_PROFILE } from './profiles/profile-doc';

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
