/** Help: logs, a diagnostics bundle, keyboard shortcuts, About (version, runtime, licenses), and the service check. */
import { useState } from 'react';
import { errorText, requireApi, useAppStore } from '../stores/app-store';
import { downloadText } from '../lib/download';
import { Diagnostics } from './Diagnostics';

/** Third-party components shipped in the app, with their licenses (checked against their package.json). */
export const LICENSES: readonly [string, string][] = [
  ['Electron', 'MIT'],
  ['Chromium (in Electron)', 'BSD-3-Clause and others'],
  ['Node.js (in Electron)', 'MIT'],
  ['React, React DOM', 'MIT'],
  ['zustand', 'MIT'],
  ['TanStack Virtual, TanStack Table', 'MIT'],
  ['zod', 'MIT'],
  ['ldapts', 'MIT'],
  ['@azure/msal-node', 'MIT'],
  ['@microsoft/microsoft-graph-client', 'MIT'],
  ['better-sqlite3 (SQLite: public domain)', 'MIT'],
  ['libphonenumber-js', 'MIT'],
  ['ws, undici', 'MIT'],
  ['yazl, yauzl', 'MIT'],
  ['jose', 'MIT'],
  ['node-forge', 'BSD-3-Clause (chosen from BSD-3-Clause OR GPL-2.0)'],
];

export const SHORTCUTS: readonly [string, string][] = [
  ['Alt+1 … Alt+4', 'Dashboard, Mismatches, Profiles, Help'],
  ['Ctrl+R', 'Scan now'],
  ['/', 'Quick search in the grid'],
  ['↑ ↓ PgUp PgDn Home End', 'Move in the grid (Shift extends the selection)'],
  ['Space', 'Select or unselect the row'],
  ['Ctrl+A', 'Select every row in the view'],
  ['Ctrl+C', 'Copy the selected rows'],
  ['Ctrl+E', 'Export the view to CSV'],
  ['Enter', 'Open the row\u2019s details'],
  ['Esc', 'Close the details, or clear the selection'],
  ['← →', 'Switch status tab (in the tab list); resize the details (on its edge)'],
];

export function Help() {
  const info = useAppStore((s) => s.info);
  const notify = useAppStore((s) => s.notify);
  const [logs, setLogs] = useState<string | null>(null);
  const [includeData, setIncludeData] = useState(false);
  const [busy, setBusy] = useState(false);

  const openLogs = async () => {
    try {
      const r = await requireApi().invoke('help.logs', {});
      setLogs(r.opened ? `Opened ${r.path}` : `Logs are in ${r.path}`);
    } catch (e) {
      notify('error', `Could not find the logs: ${errorText(e)}`);
    }
  };
  const saveDiagnostics = async () => {
    setBusy(true);
    try {
      const r = await requireApi().invoke('help.diagnostics', { includeDirectoryData: includeData });
      downloadText(r.fileName, r.text, 'application/json');
      notify('info', `Saved ${r.fileName}.`);
    } catch (e) {
      notify('error', `Could not build the diagnostics bundle: ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="help" data-testid="help">
      <section className="panel" aria-labelledby="support-title">
        <h2 id="support-title">Logs and diagnostics</h2>
        <p>
          <button type="button" onClick={() => void openLogs()} data-testid="open-logs">
            Open logs folder
          </button>{' '}
          <span role="status" data-testid="logs-path">
            {logs}
          </span>
        </p>
        <p>
          <label>
            <input type="checkbox" checked={includeData} onChange={(e) => setIncludeData(e.target.checked)} data-testid="diag-include-data" /> Include
            directory data (user names, numbers) in the bundle
          </label>
        </p>
        <p className="muted">The bundle holds versions, settings and recent logs. It never holds passwords, secrets or tokens.</p>
        <button type="button" disabled={busy} onClick={() => void saveDiagnostics()} data-testid="save-diagnostics">
          Save diagnostics bundle
        </button>
      </section>
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Keyboard shortcuts</h2>
        <dl className="facts">
          {SHORTCUTS.map(([k, v]) => (
            <div key={k} className="fact-row">
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="panel" aria-labelledby="about-title" data-testid="about">
        <h2 id="about-title">About {info?.name ?? 'SyncDrift Workbench'}</h2>
        <p>
          Version <strong data-testid="about-version">{info?.version}</strong> · running in the {info?.host} host on {info?.platform}
        </p>
        <h3>Licenses</h3>
        <p>SyncDrift Workbench is released under the MIT license. It ships these components:</p>
        <table className="table">
          <tbody>
            {LICENSES.map(([n, l]) => (
              <tr key={n}>
                <td>{n}</td>
                <td>{l}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Diagnostics />
    </div>
  );
}
