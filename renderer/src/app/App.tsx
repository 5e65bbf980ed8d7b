import { useEffect } from 'react';
import { SCREENS, useAppStore, type Screen } from '../stores/app-store';
import { useProfilesStore } from '../stores/profiles-store';
import { useScanStore } from '../stores/scan-store';
import { useGridStore } from '../stores/grid-store';
import { useDetailsStore } from '../stores/details-store';
import { useDashboardStore } from '../stores/dashboard-store';
import { openProfile } from '../stores/session';
import { connectBridge } from '../bridge';
import { Dashboard } from '../components/Dashboard';
import { MismatchGrid } from '../components/MismatchGrid';
import { DetailsDrawer } from '../components/DetailsDrawer';
import { Profiles } from '../components/Profiles';
import { Help } from '../components/Help';
import { SandboxBar } from '../components/SandboxBar';
import { SignInPrompt } from '../components/SignInPrompt';
import { GuidedFlow } from '../components/GuidedFlow';
import { SessionOffer, Sessions } from '../components/Sessions';
import { useFlowStore } from '../stores/remediation-store';
import { useSessionsStore } from '../stores/sessions-store';
import { useConnectImportStore } from '../stores/connect-import-store';

export function App() {
  const status = useAppStore((s) => s.status);
  const error = useAppStore((s) => s.error);
  const connect = useAppStore((s) => s.connect);

  useEffect(() => {
    void connect(connectBridge);
  }, [connect]);

  if (status === 'connecting')
    return (
      <main className="center" aria-busy="true">
        Connecting to the workbench service…
      </main>
    );
  if (status === 'failed')
    return (
      <main className="center" role="alert" data-testid="connect-error">
        {error}
      </main>
    );
  return <Workbench />;
}

/** The shell once connected: banner, navigation, the current screen, notices and global shortcuts. */
export function Workbench() {
  const info = useAppStore((s) => s.info);
  const api = useAppStore((s) => s.api);
  const screen = useAppStore((s) => s.screen);
  const profileId = useAppStore((s) => s.profileId);
  const profiles = useProfilesStore((s) => s.profiles);

  useEffect(() => {
    if (!api) return;
    const off = useScanStore.getState().attach(api);
    const offFlow = useFlowStore.getState().attach(api);
    const offConnect = useConnectImportStore.getState().attach(api);
    // A session interrupted (or still running in the service) is offered once when the app starts.
    void useSessionsStore.getState().checkOffer();
    const offSandbox = api.on('sandbox.changed', ({ reason }) => {
      useAppStore.getState().notify('info', `Sandbox changed (${reason}). Scan again to see the effect in the grid.`);
      void useDashboardStore.getState().load(useAppStore.getState().profileId);
      void useDetailsStore.getState().reload();
    });
    const offAudit = api.on('audit.progress', ({ state }) => {
      // Details opened while the audit index was filling said "loading": read them again once it is done.
      if (state === 'complete' && useDetailsStore.getState().details?.audit.state === 'loading') void useDetailsStore.getState().reload();
    });
    void useProfilesStore.getState().load();
    return () => {
      off();
      offFlow();
      offConnect();
      offSandbox();
      offAudit();
    };
  }, [api]);

  useEffect(() => {
    if (api) void openProfile(profileId);
  }, [api, profileId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const app = useAppStore.getState();
      if (e.altKey && !e.ctrlKey && !e.metaKey) {
        const target = SCREENS.find((s) => s.key === e.key);
        if (target) {
          e.preventDefault();
          app.navigate(target.id);
        }
        return;
      }
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && e.key.toLowerCase() === 'r') {
        e.preventDefault();
        void useScanStore.getState().start(app.profileId);
      } else if (ctrl && e.key.toLowerCase() === 'e' && app.screen === 'grid') {
        e.preventDefault();
        document.querySelector<HTMLButtonElement>('[data-testid="export-csv"]')?.click();
      } else if (e.key === '/' && app.screen === 'grid' && !isTyping(e.target)) {
        e.preventDefault();
        document.querySelector<HTMLInputElement>('[data-testid="grid-search"]')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="shell" data-testid="app-ready">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {info?.sandbox && <SandboxBar />}
      {api && <SignInPrompt api={api} profileName={(id) => profiles.find((p) => p.id === id)?.name ?? id} />}
      <header className="topbar">
        <h1>SyncDrift Workbench</h1>
        <nav aria-label="Main">
          <ul className="nav">
            {SCREENS.map((s) => (
              <li key={s.id}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={screen === s.id ? 'page' : undefined}
                  onClick={() => useAppStore.getState().navigate(s.id)}
                  title={`Alt+${s.key}`}
                  data-testid={`nav-${s.id}`}
                >
                  {s.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <label className="profile-picker">
          Profile{' '}
          <select value={profileId} onChange={(e) => useAppStore.getState().selectProfile(e.target.value)} data-testid="profile-picker">
            {!profiles.some((p) => p.id === profileId) && <option value={profileId}>{profileId}</option>}
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      <div className="body">
        <main id="main" className={`content screen-${screen}`} tabIndex={-1}>
          <SessionOffer />
          <ScreenView screen={screen} />
        </main>
        {(screen === 'grid' || screen === 'flow') && <DetailsDrawer />}
      </div>
      <Notices />
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function ScreenView({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'dashboard':
      return <Dashboard />;
    case 'grid':
      return <MismatchGrid />;
    case 'profiles':
      return <Profiles />;
    case 'help':
      return <Help />;
    case 'flow':
      return <GuidedFlow />;
    case 'sessions':
      return <Sessions />;
  }
}

function Notices() {
  const notices = useAppStore((s) => s.notices);
  const scanning = useScanStore((s) => s.running);
  const rows = useGridStore((s) => s.index.rows.length);
  return (
    <footer className="statusbar">
      <span className="muted">{scanning ? 'Scanning…' : `${rows.toLocaleString()} rows loaded`}</span>
      <ul className="notices" aria-live="polite" data-testid="notices">
        {notices.map((n) => (
          <li key={n.id} className={`notice notice-${n.tone}`} role={n.tone === 'error' ? 'alert' : undefined}>
            {n.text}
            <button type="button" aria-label="Dismiss" onClick={() => useAppStore.getState().dismiss(n.id)}>
              ✕
            </button>
          </li>
        ))}
      </ul>
    </footer>
  );
}
