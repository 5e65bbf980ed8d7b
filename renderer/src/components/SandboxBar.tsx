/** The sandbox banner and its training controls: sync cycles of the simulator and a demo reset. */
import { useEffect, useState } from 'react';
import type { SyncCycleSummary } from '../../../preload/contract';
import { errorText, requireApi, useAppStore } from '../stores/app-store';

export function SandboxBar() {
  const notify = useAppStore((s) => s.notify);
  const [busy, setBusy] = useState<string | null>(null);
  const [last, setLast] = useState<SyncCycleSummary | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const [latency, setLatency] = useState(0);

  useEffect(() => {
    // Read the tenant's current speed (it outlives a reload of this window).
    requireApi()
      .invoke('sandbox.knobs', {})
      .then((k) => setLatency(k.latencyMs))
      .catch(() => {
        // Unknown speed: the select shows full speed, which the next choice corrects.
      });
  }, []);

  // Training: a slow tenant makes an apply long enough to watch, cancel or interrupt and resume.
  const setTenantLatency = async (ms: number) => {
    try {
      const k = await requireApi().invoke('sandbox.knobs', { latencyMs: ms });
      setLatency(k.latencyMs);
      notify('info', k.latencyMs ? `The sandbox tenant now answers after ${k.latencyMs} ms.` : 'The sandbox tenant answers at full speed again.');
    } catch (e) {
      notify('error', `Could not change the tenant's speed: ${errorText(e)}`);
    }
  };

  const runSync = async (type: 'delta' | 'initial') => {
    setBusy(type);
    try {
      setLast(await requireApi().invoke('sandbox.runSync', { type }));
    } catch (e) {
      notify('error', `Sync cycle failed: ${errorText(e)}`);
    } finally {
      setBusy(null);
    }
  };
  const reset = async () => {
    setConfirmReset(false);
    setBusy('reset');
    try {
      await requireApi().invoke('sandbox.reset', {});
      setLast(null);
      notify('info', 'The demo was reset to its starting state. Scan again to see it.');
    } catch (e) {
      notify('error', `Reset failed: ${errorText(e)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="sandbox-banner" role="region" aria-label="Sandbox" data-testid="sandbox-banner">
      <span>Sandbox tenant: a built-in demo directory and tenant. Nothing here touches a real Active Directory or Entra ID.</span>
      <span className="sandbox-actions">
        <button type="button" disabled={!!busy} onClick={() => void runSync('delta')} data-testid="sync-delta">
          Run sync cycle (delta)
        </button>
        <button type="button" disabled={!!busy} onClick={() => void runSync('initial')} data-testid="sync-initial">
          Run sync cycle (initial)
        </button>
        <label className="sandbox-latency">
          Graph delay{' '}
          <select value={latency} title="Delay per Graph request of the sandbox tenant: makes an apply long enough to watch, cancel or interrupt" onChange={(e) => void setTenantLatency(Number(e.target.value))} data-testid="sandbox-latency">
            <option value={0}>none</option>
            <option value={500}>0.5 s</option>
            <option value={1500}>1.5 s</option>
            <option value={3000}>3 s</option>
          </select>
        </label>
        {confirmReset ? (
          <button type="button" className="danger" disabled={!!busy} onClick={() => void reset()} data-testid="reset-confirm">
            Really reset the demo
          </button>
        ) : (
          <button type="button" disabled={!!busy} onClick={() => setConfirmReset(true)} data-testid="reset-demo">
            Reset demo
          </button>
        )}
      </span>
      {last && (
        <span className="sandbox-last" role="status" data-testid="sync-summary">
          {last.type === 'initial' ? 'Initial' : 'Delta'} cycle: {last.seen} seen, {last.exported} exported, {last.ignoredByOverride} ignored by an override,{' '}
          {last.cleared} cleared{last.errors.length ? `, errors: ${last.errors.join('; ')}` : ''}.
        </span>
      )}
    </div>
  );
}
