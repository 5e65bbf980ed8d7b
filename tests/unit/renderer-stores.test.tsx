// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../renderer/src/stores/app-store';
import { useGridStore } from '../../renderer/src/stores/grid-store';
import { useScanStore } from '../../renderer/src/stores/scan-store';
import { useProfilesStore } from '../../renderer/src/stores/profiles-store';
import { DEFAULT_COLUMNS, STATUS_ORDER } from '../../renderer/src/grid/model';
import { FakeApi, makeRow } from '../support/fake-api';
import type { DriftStatus, ProfileSummary, ScanInfo } from '../../preload/contract';

const ROWS = Array.from({ length: 25_003 }, (_, i) => makeRow(i));

function fakeWithRows(): FakeApi {
  const prefs = new Map<string, unknown>();
  return new FakeApi()
    .handle('rows.page', ({ offset = 0, limit = 5000 }) => ({ total: ROWS.length, offset, rows: ROWS.slice(offset, offset + limit) }))
    .handle('prefs.get', ({ scope }) => ({ value: prefs.get(scope) ?? null }))
    .handle('prefs.set', ({ scope, value }) => {
      prefs.set(scope, value);
      return { saved: true };
    })
    .handle('dashboard.get', ({ profileId }) => {
      throw new Error(`no dashboard for ${profileId} in this test`);
    })
    .handle('scans.list', () => ({ scans: [] }));
}

const scan = (over: Partial<ScanInfo> = {}): ScanInfo => ({
  id: 'scan-1',
  profileId: 'sandbox',
  startedAt: '2026-01-01T10:00:00Z',
  finishedAt: '2026-01-01T10:01:00Z',
  state: 'completed',
  summary: { onPremUsers: 10, cloudUsers: 10, outOfScope: 0, byStatus: { ...Object.fromEntries(STATUS_ORDER.map((st) => [st, 0])), 'in-sync': 10 } as Record<DriftStatus, number>, phases: {} },
  problems: [],
  ...over,
});

let api: FakeApi;
beforeEach(() => {
  api = fakeWithRows();
  useAppStore.setState({ api, status: 'ready', profileId: 'sandbox', notices: [] });
  useGridStore.setState({ search: '', filters: {}, tab: 'attention', sort: null, columns: [...DEFAULT_COLUMNS], prefsScope: null });
  useGridStore.getState().setRows([], null);
  useScanStore.getState().reset();
});

describe('the grid store', () => {
  it('loads every page of a scan, then shows the attention tab', async () => {
    await useGridStore.getState().loadScan('scan-1');
    const s = useGridStore.getState();
    expect(api.callsOf('rows.page')).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000].map((offset) => ({ scanId: 'scan-1', offset, limit: 5000 })));
    expect(s.index.rows).toHaveLength(25_003);
    expect(s.loading).toBeNull();
    expect(s.view.counts.all).toBe(25_003);
    expect(s.view.indices.length).toBe(s.view.counts.attention);
  });

  it('says what went wrong when a page cannot be read, and keeps no half-loaded rows', async () => {
    api.handle('rows.page', ({ offset = 0 }) => {
      if (offset > 0) throw new Error('The scan scan-1 no longer exists.');
      return { total: 20_000, offset, rows: ROWS.slice(0, 5000) };
    });
    await useGridStore.getState().loadScan('scan-1');
    expect(useGridStore.getState().loadError).toContain('The scan scan-1 no longer exists.');
    expect(useGridStore.getState().index.rows).toHaveLength(0);
  });

  it('remembers columns and sort per profile through prefs', async () => {
    const g = useGridStore.getState;
    await g().loadPrefs('sandbox');
    g().toggleColumn('cause');
    g().moveColumn('upn', -1);
    g().toggleSort('upn');
    await Promise.resolve();
    const saved = api.callsOf('prefs.set').at(-1) as { scope: string; value: { columns: string[]; sort: unknown } };
    expect(saved.scope).toBe('grid:sandbox');
    expect(saved.value.columns.slice(0, 2)).toEqual(['upn', 'user']);
    expect(saved.value.columns.at(-1)).toBe('cause');
    expect(saved.value.sort).toEqual({ column: 'upn', dir: 'asc' });

    // Another profile starts from the defaults; coming back restores the saved layout.
    await g().loadPrefs('other');
    expect(g().columns).toEqual([...DEFAULT_COLUMNS]);
    await g().loadPrefs('sandbox');
    expect(g().columns.slice(0, 2)).toEqual(['upn', 'user']);
    expect(g().sort).toEqual({ column: 'upn', dir: 'asc' });
  });

  it('ignores remembered columns it does not know (an older or newer version wrote them)', async () => {
    await api.invoke('prefs.set', { scope: 'grid:sandbox', value: { columns: ['upn', 'gone-column', 'status'], sort: { column: 'nope', dir: 'asc' } } });
    await useGridStore.getState().loadPrefs('sandbox');
    expect(useGridStore.getState().columns).toEqual(['upn', 'status']);
    expect(useGridStore.getState().sort).toBeNull();
  });

  it('selects by single, toggle and range, in view order', () => {
    const g = useGridStore.getState;
    g().setRows(ROWS.slice(0, 50));
    g().setTab('all');
    g().setActive(2, 'single');
    g().setActive(5, 'extend');
    expect(g().selectedRows().map((r) => r.key)).toEqual(['row-2', 'row-3', 'row-4', 'row-5']);
    g().setActive(9, 'toggle');
    g().setActive(3, 'toggle');
    expect(g().selectedRows().map((r) => r.key)).toEqual(['row-2', 'row-4', 'row-5', 'row-9']);
    g().selectAllInView();
    expect(g().selected.size).toBe(50);
    g().setTab('cloud-override');
    expect(g().activeRow()?.status).toBe('cloud-override');
  });
});

describe('the scan store', () => {
  it('tracks progress per phase, then loads the finished scan’s rows', async () => {
    api.handle('scan.start', () => ({ operationId: 'op-1', scanId: 'scan-1' }));
    const off = useScanStore.getState().attach(api);
    await useScanStore.getState().start('sandbox');
    api.emit('op.progress', { operationId: 'op-1', phase: 'onprem:corp', done: 500, total: 1000, pages: 1, retries: 0 });
    api.emit('op.progress', { operationId: 'op-1', phase: 'cloud', done: 999, pages: 1, retries: 2 });
    api.emit('op.progress', { operationId: 'other-op', phase: 'cloud', done: 1 });
    expect(useScanStore.getState().phases['onprem:corp']?.done).toBe(500);
    expect(useScanStore.getState().phases['cloud']?.retries).toBe(2);

    api.emit('scan.finished', { operationId: 'op-1', scan: scan() });
    expect(useScanStore.getState().running).toBe(false);
    expect(useScanStore.getState().result?.state).toBe('completed');
    await expect.poll(() => useGridStore.getState().index.rows.length).toBe(25_003);
    off();
  });

  it('cancels through op.cancel and keeps the previous rows when the scan fails', async () => {
    useGridStore.getState().setRows(ROWS.slice(0, 10), 'old-scan');
    api.handle('scan.start', () => ({ operationId: 'op-2', scanId: 'scan-2' })).handle('op.cancel', () => ({ cancelled: true }));
    const off = useScanStore.getState().attach(api);
    await useScanStore.getState().start('sandbox');
    await useScanStore.getState().cancel();
    expect(api.callsOf('op.cancel')).toEqual([{ operationId: 'op-2' }]);
    api.emit('scan.finished', { operationId: 'op-2', scan: scan({ id: 'scan-2', state: 'failed', summary: null, problems: ['LDAP bind refused: the password has expired (AD 532).'] }) });
    expect(useGridStore.getState().scanId).toBe('old-scan');
    expect(useAppStore.getState().notices.at(-1)?.text).toContain('the password has expired');
    off();
  });

  it('shows the service’s message when a scan cannot start', async () => {
    api.handle('scan.start', () => {
      throw new Error('A scan of this profile is already running.');
    });
    await useScanStore.getState().start('sandbox');
    expect(useScanStore.getState().error).toBe('A scan of this profile is already running.');
    expect(useScanStore.getState().running).toBe(false);
  });
});

describe('the profiles store', () => {
  const summary = (id: string, name: string): ProfileSummary => ({
    id,
    name,
    kind: 'live',
    onPrem: [{ id: 'dc1', label: 'ldaps://dc1.contoso.com', secretStored: true }],
    cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', authType: 'client-secret', secretStored: true },
    updatedAt: '2026-01-01T00:00:00Z',
  });

  it('sends secrets once in profiles.save and keeps only the summary', async () => {
    api.handle('profiles.save', ({ document }) => ({ summary: summary('p1', String(document['name'])) }));
    await useProfilesStore.getState().save({ document: { name: 'Contoso' }, secrets: { clientSecret: 's3cret-value' } });
    expect(api.callsOf('profiles.save')).toHaveLength(1);
    expect(JSON.stringify(useProfilesStore.getState())).not.toContain('s3cret-value');
    expect(useProfilesStore.getState().profiles.map((p) => p.name)).toEqual(['Contoso']);
  });

  it('records a connection test’s result per profile', async () => {
    api.handle('profiles.test', () => ({
      onPrem: [{ sourceId: 'dc1', ok: false, message: 'LDAP bind refused: invalid credentials (AD 52e).', tls: 'TLS 1.3' }],
      cloud: { ok: true, message: 'ok', signedInAs: 'admin@contoso.com', capabilities: [{ capability: 'audit', label: 'Read audit log', state: 'missing', detail: 'grant AuditLog.Read.All' }] },
    }));
    await useProfilesStore.getState().test('p1');
    const t = useProfilesStore.getState().tests['p1'];
    expect(t?.running).toBe(false);
    expect(t?.result?.onPrem[0]?.message).toContain('52e');
    expect(t?.result?.cloud?.capabilities[0]?.state).toBe('missing');
  });
});
