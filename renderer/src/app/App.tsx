import { useEffect } from 'react';
import { useAppStore } from '../stores/app-store';
import { connectBridge } from '../bridge';
import { Diagnostics } from '../components/Diagnostics';

export function App() {
  const status = useAppStore((s) => s.status);
  const error = useAppStore((s) => s.error);
  const info = useAppStore((s) => s.info);
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
  return (
    <div className="shell" data-testid="app-ready">
      {info?.sandbox && (
        <div className="sandbox-banner" role="note" data-testid="sandbox-banner">
          Sandbox tenant: a built-in demo directory and tenant. Nothing here touches a real Active Directory or Entra ID.
        </div>
      )}
      <header className="topbar">
        <h1>SyncDrift Workbench</h1>
      </header>
      <main className="content">
        <Diagnostics />
      </main>
    </div>
  );
}
