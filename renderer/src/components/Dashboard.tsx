/**
 * Per profile: the tenant's sync state, counts by status as a bar chart, the trend across past
 * scans, the scan button with its progress, the imported Connect export, and the recent scans.
 * Charts are plain SVG.
 */
import type { Dashboard as DashboardData, DriftStatus } from '../../../preload/contract';
import { useDashboardStore } from '../stores/dashboard-store';
import { useAppStore } from '../stores/app-store';
import { useGridStore } from '../stores/grid-store';
import { STATUS_LABEL, STATUS_ORDER } from '../grid/model';
import { ScanPanel } from './ScanPanel';
import { ConnectImportPanel } from './ConnectImportPanel';
import { formatTime } from '../lib/download';

const BYPASS_TEXT = { on: 'On', off: 'Off', unknown: 'Unknown' } as const;

export function Dashboard() {
  const data = useDashboardStore((s) => s.data);
  const scans = useDashboardStore((s) => s.scans);
  const loading = useDashboardStore((s) => s.loading);
  const error = useDashboardStore((s) => s.error);

  return (
    <div className="dashboard" data-testid="dashboard">
      {error && (
        <p className="error" role="alert">
          Could not read the dashboard: {error}
        </p>
      )}
      {loading && !data && <p role="status">Loading…</p>}
      <div className="cards">
        {data && <TenantCard data={data} />}
        <ScanPanel />
        <ConnectImportPanel />
      </div>
      {data?.latestScan?.summary && <StatusChart byStatus={data.latestScan.summary.byStatus} />}
      {data && data.trend.length > 0 && <TrendChart trend={data.trend} />}
      {scans.length > 0 && (
        <section className="panel" aria-labelledby="scans-title">
          <h2 id="scans-title">Recent scans</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">State</th>
                <th scope="col">Needs attention</th>
                <th scope="col">Problems</th>
              </tr>
            </thead>
            <tbody>
              {scans.slice(0, 10).map((s) => (
                <tr key={s.id}>
                  <td>{formatTime(s.startedAt)}</td>
                  <td>{formatTime(s.finishedAt)}</td>
                  <td>{s.state}</td>
                  <td>{s.summary ? attention(s.summary.byStatus).toLocaleString() : ''}</td>
                  <td>{s.problems.join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

function attention(byStatus: Partial<Record<string, number>>): number {
  return Object.entries(byStatus).reduce((n, [k, v]) => (k === 'in-sync' ? n : n + (v ?? 0)), 0);
}

function TenantCard({ data }: { data: DashboardData }) {
  const { tenant, profile } = data;
  return (
    <section className="panel" aria-labelledby="tenant-title" data-testid="tenant-card">
      <h2 id="tenant-title">{tenant.displayName ?? profile.name}</h2>
      <dl className="facts">
        <dt>Profile</dt>
        <dd>
          {profile.name} <span className="muted">({profile.kind})</span>
        </dd>
        <dt>Last directory sync</dt>
        <dd data-testid="last-sync">{tenant.lastSyncAt ? formatTime(tenant.lastSyncAt) : 'unknown'}</dd>
        <dt>Bypass DirSyncOverrides</dt>
        <dd data-testid="bypass">
          <span className={`pill bypass-${tenant.bypass}`}>{BYPASS_TEXT[tenant.bypass]}</span> <span className="muted">{tenant.bypassReason}</span>
        </dd>
        <dt>Latest scan</dt>
        <dd>{data.latestScan ? `${data.latestScan.state}, ${formatTime(data.latestScan.finishedAt ?? data.latestScan.startedAt)}` : 'none yet'}</dd>
      </dl>
    </section>
  );
}

/** Horizontal bars, one per status; each bar is a button that opens the grid on that status. */
export function StatusChart({ byStatus }: { byStatus: Partial<Record<DriftStatus, number>> }) {
  const max = Math.max(1, ...STATUS_ORDER.map((s) => byStatus[s] ?? 0));
  const barH = 22;
  const labelW = 150;
  const chartW = 420;
  const open = (s: DriftStatus) => {
    useGridStore.getState().setTab(s);
    useAppStore.getState().navigate('grid');
  };
  return (
    <section className="panel" aria-labelledby="counts-title" data-testid="status-chart">
      <h2 id="counts-title">Rows by status (latest scan)</h2>
      <svg className="chart" viewBox={`0 0 ${labelW + chartW + 80} ${STATUS_ORDER.length * (barH + 6)}`} role="img" aria-labelledby="counts-title counts-desc">
        <desc id="counts-desc">{STATUS_ORDER.map((s) => `${STATUS_LABEL[s]}: ${byStatus[s] ?? 0}`).join(', ')}</desc>
        {STATUS_ORDER.map((s, i) => {
          const n = byStatus[s] ?? 0;
          const y = i * (barH + 6);
          return (
            <g key={s} className={`bar-${s}`} onClick={() => open(s)}>
              <text x={labelW - 8} y={y + barH * 0.7} textAnchor="end" className="chart-label">
                {STATUS_LABEL[s]}
              </text>
              <rect x={labelW} y={y} width={Math.max(n > 0 ? 2 : 0, (n / max) * chartW)} height={barH} rx={3} className="chart-bar" />
              <text x={labelW + (n / max) * chartW + 6} y={y + barH * 0.7} className="chart-value">
                {n.toLocaleString()}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="chart-links">
        {STATUS_ORDER.filter((s) => (byStatus[s] ?? 0) > 0).map((s) => (
          <button key={s} type="button" className="link" onClick={() => open(s)}>
            Show {STATUS_LABEL[s].toLowerCase()} ({(byStatus[s] ?? 0).toLocaleString()})
          </button>
        ))}
      </p>
    </section>
  );
}

/** Lines across past scans for the statuses that need attention (in-sync dwarfs them, so it is left out). */
export function TrendChart({ trend }: { trend: DashboardData['trend'] }) {
  const points = [...trend].sort((a, b) => a.at.localeCompare(b.at)).slice(-20);
  const statuses = STATUS_ORDER.filter((s) => s !== 'in-sync' && points.some((p) => (p.byStatus[s] ?? 0) > 0));
  const max = Math.max(1, ...points.flatMap((p) => statuses.map((s) => p.byStatus[s] ?? 0)));
  const w = 560;
  const h = 160;
  const x = (i: number) => (points.length === 1 ? w / 2 : 30 + (i * (w - 60)) / (points.length - 1));
  const y = (v: number) => h - 20 - (v / max) * (h - 40);
  return (
    <section className="panel" aria-labelledby="trend-title" data-testid="trend-chart">
      <h2 id="trend-title">Trend across scans</h2>
      <svg className="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby="trend-title trend-desc">
        <desc id="trend-desc">
          {points.map((p) => `${formatTime(p.at)}: ${statuses.map((s) => `${STATUS_LABEL[s]} ${p.byStatus[s] ?? 0}`).join(', ')}`).join('; ')}
        </desc>
        <line x1={20} y1={h - 20} x2={w - 10} y2={h - 20} className="chart-axis" />
        {statuses.map((s) => (
          <g key={s} className={`line-${s}`}>
            <polyline fill="none" className="chart-line" points={points.map((p, i) => `${x(i)},${y(p.byStatus[s] ?? 0)}`).join(' ')} />
            {points.map((p, i) => (
              <circle key={p.scanId} cx={x(i)} cy={y(p.byStatus[s] ?? 0)} r={3} className="chart-dot" />
            ))}
          </g>
        ))}
      </svg>
      <ul className="legend">
        {statuses.map((s) => (
          <li key={s} className={`legend-${s}`}>
            <span className="swatch" aria-hidden="true" /> {STATUS_LABEL[s]}: {(points[points.length - 1]?.byStatus[s] ?? 0).toLocaleString()} now
          </li>
        ))}
      </ul>
    </section>
  );
}
