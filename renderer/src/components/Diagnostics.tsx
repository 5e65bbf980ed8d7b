import { useState } from 'react';
import { useAppStore } from '../stores/app-store';

/** Help > Diagnostics: proves the bridge works end to end (used by support and by the E2E tests). */
export function Diagnostics() {
  const api = useAppStore((s) => s.api);
  const info = useAppStore((s) => s.info);
  const [result, setResult] = useState<string>('');
  const check = async () => {
    if (!api) return;
    const started = performance.now();
    try {
      const r = await api.invoke('app.echo', { text: 'ping' });
      setResult(`Service answered "${r.text}" in ${Math.round(performance.now() - started)} ms`);
    } catch (e) {
      setResult(`Service check failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return (
    <section className="panel" aria-labelledby="diag-title">
      <h2 id="diag-title">Diagnostics</h2>
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="app-version">{info?.version}</dd>
        <dt>Runtime</dt>
        <dd>
          {info
            ? Object.entries(info.versions)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')
            : ''}
        </dd>
        <dt>Workspace</dt>
        <dd>{info?.workspacePath}</dd>
      </dl>
      <button type="button" onClick={() => void check()} data-testid="check-service">
        Check service connection
      </button>
      <p role="status" data-testid="check-result">
        {result}
      </p>
    </section>
  );
}
