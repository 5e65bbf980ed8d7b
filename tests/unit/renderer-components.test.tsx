// @vitest-environment jsdom
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useAppStore } from '../../renderer/src/stores/app-store';
import { useGridStore } from '../../renderer/src/stores/grid-store';
import { useDetailsStore } from '../../renderer/src/stores/details-store';
import { useScanStore } from '../../renderer/src/stores/scan-store';
import { MismatchGrid } from '../../renderer/src/components/MismatchGrid';
import { DetailsDrawer } from '../../renderer/src/components/DetailsDrawer';
import { ScanPanel } from '../../renderer/src/components/ScanPanel';
import { Profiles } from '../../renderer/src/components/Profiles';
import { Workbench } from '../../renderer/src/app/App';
import { DEFAULT_COLUMNS } from '../../renderer/src/grid/model';
import { FakeApi, makeRow } from '../support/fake-api';
import type { AppInfo, RowDetails } from '../../preload/contract';

const INFO: AppInfo = { name: 'SyncDrift Workbench', version: '0.1.0', host: 'test', sandbox: true, platform: 'linux', versions: {}, workspacePath: '/tmp/x' };

beforeAll(() => {
  // jsdom has no layout: give every element a viewport-sized box so the virtualizer renders rows.
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue({ x: 0, y: 0, top: 0, left: 0, bottom: 600, right: 1200, width: 1200, height: 600, toJSON: () => ({}) });
  for (const [prop, v] of [['offsetHeight', 600], ['offsetWidth', 1200], ['clientHeight', 600], ['clientWidth', 1200]] as const)
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => v });
  HTMLElement.prototype.scrollTo = () => {};
});

let api: FakeApi;
let downloads: { name: string; text: Promise<string> }[];
beforeEach(() => {
  api = new FakeApi().handle('prefs.set', () => ({ saved: true })).handle('prefs.get', () => ({ value: null }));
  useAppStore.setState({ api, info: INFO, status: 'ready', profileId: 'sandbox', notices: [], screen: 'grid' });
  useGridStore.setState({ search: '', filters: {}, tab: 'attention', sort: null, columns: [...DEFAULT_COLUMNS], prefsScope: null });
  useGridStore.getState().setRows([], null);
  useDetailsStore.getState().close();
  useScanStore.getState().reset();
  downloads = [];
  URL.createObjectURL = (b: Blob | MediaSource) => {
    downloads.push({ name: '', text: (b as Blob).text() });
    return 'blob:fake';
  };
  URL.revokeObjectURL = () => {};
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    downloads.at(-1)!.name = this.download;
  });
});
afterEach(() => cleanup());

describe('the mismatch grid', () => {
  const rows = Array.from({ length: 200 }, (_, i) => makeRow(i));

  it('renders only a window of rows, with status chips in colour and text, and tab counts', () => {
    useGridStore.getState().setRows(rows, 'scan-1');
    render(<MismatchGrid />);
    const grid = screen.getByRole('grid');
    const rendered = within(grid).getAllByTestId('grid-row');
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(60);
    const chip = within(rendered[0]!).getByText('Cloud override');
    expect(chip.className).toContain('chip-cloud-override');
    expect(screen.getByRole('tab', { name: /Cloud override/ }).textContent).toContain('40');
    expect(screen.getByRole('tab', { name: /Needs attention/ }).getAttribute('aria-selected')).toBe('true');
  });

  it('selects with the keyboard, opens details on Enter and copies rows', async () => {
    useGridStore.getState().setRows(rows, 'scan-1');
    useGridStore.getState().setTab('all');
    api.handle('rows.details', ({ rowKey }) => details(rows.find((r) => r.key === rowKey)!));
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void writes.push(t) } });
    render(<MismatchGrid />);
    const grid = screen.getByRole('grid');
    grid.focus();
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    expect(useGridStore.getState().selectedRows().map((r) => r.key)).toEqual(['row-1', 'row-2', 'row-3']);
    fireEvent.keyDown(grid, { key: 'c', ctrlKey: true });
    await expect.poll(() => writes.length).toBe(1);
    expect(writes[0]).toContain('UPN: user1@contoso.com');
    expect(writes[0]).toContain('UPN: user3@contoso.com');
    fireEvent.keyDown(grid, { key: 'Enter' });
    expect(api.callsOf('rows.details')).toEqual([{ scanId: 'scan-1', rowKey: 'row-3' }]);
  });

  it('filters by tab and quick search, and exports exactly the view as CSV', async () => {
    useGridStore.getState().setRows(rows, 'scan-1');
    render(<MismatchGrid />);
    fireEvent.click(screen.getByRole('tab', { name: /Cloud override/ }));
    fireEvent.change(screen.getByTestId('filter-upn'), { target: { value: 'user10' } });
    expect(screen.getByTestId('grid-count').textContent).toContain('3 of 200 rows');
    fireEvent.click(screen.getByTestId('export-csv'));
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.name).toMatch(/^syncdrift-sandbox-cloud-override-.*\.csv$/);
    const lines = (await downloads[0]!.text).trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]!.split(',').slice(0, 3)).toEqual(['User', 'UPN', 'Status']);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['user10@contoso.com', 'user100@contoso.com', 'user105@contoso.com']);
  });
});

function details(row: ReturnType<typeof makeRow>): RowDetails {
  return {
    row,
    timeline: [
      { at: '2024-01-01T10:00:00Z', kind: 'onprem-change', label: 'mobile set to 8035551212' },
      { at: '2024-06-01T10:00:00Z', kind: 'cloud-change', label: 'mobilePhone 9991112222 → 1234567890 by testmobile@contoso.com' },
      { at: '2025-01-01T10:00:00Z', kind: 'onprem-change', label: 'mobile set to 0987654321 (ignored: override)' },
    ],
    audit: { state: 'known', message: '', records: [] },
    views: [{ title: 'Get-ADUser testmobile -Properties mobile | fl *mobile*', text: '# Rendered from the scan of 2026-01-01\nmobile : 0987654321' }],
  };
}

describe('the details drawer', () => {
  it('shows both sides, the identity, the timeline and the labelled PowerShell views', async () => {
    const row = makeRow(5);
    api.handle('rows.details', () => details(row));
    await act(() => useDetailsStore.getState().open('scan-1', row.key));
    render(<DetailsDrawer />);
    const sides = screen.getByTestId('details-sides');
    expect(sides.textContent).toContain(row.onPrem!.value!);
    expect(sides.textContent).toContain(row.cloud!.value!);
    expect(screen.getByTestId('details-identity').textContent).toContain(row.onPrem!.objectGuid);
    const items = within(screen.getByTestId('timeline')).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toHaveLength(3);
    expect(items[1]).toContain('9991112222 → 1234567890');
    expect(screen.getByText(/Rendered by SyncDrift from the scan/)).toBeTruthy();
    expect(screen.getByText(/mobile : 0987654321/)).toBeTruthy();
    // Sandbox mode offers the training edit on a row with a cloud side.
    expect(screen.getByTestId('legacy-edit')).toBeTruthy();
    fireEvent.keyDown(screen.getByTestId('details'), { key: 'Escape' });
    expect(useDetailsStore.getState().rowKey).toBeNull();
  });

  it('names the sync engine export in the timeline (#18 point 4)', async () => {
    const row = makeRow(6);
    const d = details(row);
    d.timeline.push({ at: '2025-02-01T10:00:00Z', kind: 'engine-export', label: "Entra Connect's last export run for this user's connector space (Get-ADSyncRunProfileResult run-history.json:7)" });
    api.handle('rows.details', () => d);
    await act(() => useDetailsStore.getState().open('scan-1', row.key));
    render(<DetailsDrawer />);
    const items = within(screen.getByTestId('timeline')).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(items.at(-1)).toContain('Sync engine export');
    expect(items.at(-1)).toContain('run-history.json:7');
  });
});

describe('the details drawer with otherMobile (#17 point 11)', () => {
  it('shows AD otherMobile with its normalized values, the cloud side as not readable through Graph v1.0, and the note', async () => {
    const base = makeRow(8);
    const note = 'AD otherMobile holds 2 values. Entra ID\u2019s AlternateMobilePhones is not readable through Graph v1.0, so SyncDrift cannot tell whether the cloud differs. The bypass will push these values wherever the cloud differs, and verification after the cycle cannot read them back.';
    const row = {
      ...base,
      onPrem: { ...base.onPrem!, otherMobile: ['(425) 555-0142', '+44 20 7946 0958'] },
      otherMobile: { onPrem: ['(425) 555-0142', '+44 20 7946 0958'], normalized: ['+14255550142', '+442079460958'], changedAt: '2024-12-01T08:00:00Z', cloud: 'not-readable' as const, verdict: 'bypass-pushes' as const, note },
    };
    api.handle('rows.details', () => details(row));
    await act(() => useDetailsStore.getState().open('scan-1', row.key));
    render(<DetailsDrawer />);
    const om = screen.getByTestId('details-othermobile');
    expect(om.textContent).toContain('(425) 555-0142');
    expect(om.textContent).toContain('+442079460958');
    expect(om.textContent).toContain('not readable through Graph v1.0');
    expect(om.textContent).toContain('the bypass pushes');
    expect(screen.getByTestId('details-othermobile-note').textContent).toBe(note);
  });
});

describe('the details drawer with the engine view (#18)', () => {
  it('shows a third column with what the engine exported, the rule with precedence and expression, and the evidence citation', async () => {
    const base = makeRow(6);
    const row = {
      ...base,
      status: 'rule-formatted' as const,
      engine: {
        engine: 'connect' as const,
        state: 'exported' as const,
        exported: { mobile: '+14255550199', otherMobile: [] },
        exportedAt: '2025-12-06T03:01:00.000Z',
        rule: { name: 'Custom - Mobile E.164', precedence: 50, expression: 'Replace([mobile]," ","")', sources: ['mobile'], connector: 'contoso.com' },
        reason: null,
        evidence: [{ source: 'Get-ADSyncCSObject' as const, origin: 'aad-cs.json', line: 12 }],
      },
    };
    api.handle('rows.details', () => details(row));
    await act(() => useDetailsStore.getState().open('scan-1', row.key));
    render(<DetailsDrawer />);
    expect(screen.getByText('Sync engine exported')).toBeTruthy();
    expect(screen.getByTestId('details-engine-value').textContent).toContain('+14255550199');
    const line = screen.getByTestId('details-engine').textContent ?? '';
    expect(line).toContain('rule "Custom - Mobile E.164" (precedence 50)');
    expect(line).toContain('expression Replace([mobile]," ","")');
    expect(line).toContain('Get-ADSyncCSObject aad-cs.json:12');
  });

  it('keeps two columns for a scan without engine data', async () => {
    const row = makeRow(7);
    api.handle('rows.details', () => details(row));
    await act(() => useDetailsStore.getState().open('scan-1', row.key));
    render(<DetailsDrawer />);
    expect(screen.queryByText('Sync engine exported')).toBeNull();
  });
});

describe('the scan panel', () => {
  it('shows on-prem and cloud progress side by side and cancels', async () => {
    api.handle('scan.start', () => ({ operationId: 'op-1', scanId: 's1' })).handle('op.cancel', () => ({ cancelled: true }));
    const off = useScanStore.getState().attach(api);
    render(<ScanPanel />);
    fireEvent.click(screen.getByTestId('scan-start'));
    await expect.poll(() => useScanStore.getState().operationId).toBe('op-1');
    act(() => {
      api.emit('op.progress', { operationId: 'op-1', phase: 'onprem:corp', done: 1200, total: 5000, pages: 2, retries: 0, elapsedMs: 3000 });
      api.emit('op.progress', { operationId: 'op-1', phase: 'cloud', done: 999, pages: 1, retries: 3, elapsedMs: 2000 });
    });
    expect(screen.getByTestId('phase-onprem:corp').textContent).toContain('1,200 of 5,000');
    expect(screen.getByTestId('phase-cloud').textContent).toMatch(/Retries\s*3/);
    fireEvent.click(screen.getByTestId('scan-cancel'));
    await expect.poll(() => api.callsOf('op.cancel').length).toBe(1);
    off();
  });
});

const STRONG_STORE = {
  backend: 'dpapi',
  strong: true,
  description: 'Electron safeStorage with Windows DPAPI: only your Windows account can decrypt stored secrets',
  consent: null,
  storingAllowed: true,
  storedSecrets: 1,
  warning: null,
};
const KEY_FILE = '/home/admin/.local/share/syncdrift/secret.key';
const WEAK_STORE = {
  backend: 'key-file',
  strong: false,
  description: `key file ${KEY_FILE} beside the workspace, readable by anyone who can read the workspace`,
  consent: null,
  storingAllowed: false,
  storedSecrets: 0,
  warning: null,
};

describe('the profiles screen', () => {
  it('on a weak store names it, keeps the secret fields shut and stores nothing until the admin agrees (issue 16 finding 7)', async () => {
    const summary = {
      id: 'p3',
      name: 'Northwind',
      kind: 'live' as const,
      onPrem: [{ id: 'dc1', label: 'ldaps://dc1.northwind.com', secretStored: false }],
      cloud: { environment: 'global', tenantId: 'northwind.onmicrosoft.com', authType: 'clientSecret', secretStored: false },
      updatedAt: '2026-01-01T00:00:00Z',
    };
    api
      .handle('profiles.list', () => ({ profiles: [summary] }))
      .handle('profiles.get', () => ({ summary, document: { name: 'Northwind', onPrem: [{ id: 'dc1', url: 'ldaps://dc1.northwind.com', bindDn: 'svc@northwind.com', baseDn: 'DC=northwind,DC=com' }], cloud: { environment: 'global', tenantId: 'northwind.onmicrosoft.com', clientId: 'abc', auth: { type: 'clientSecret', secretEnv: 'NORTHWIND_SECRET' } } } }))
      .handle('secrets.storage', () => ({ ...WEAK_STORE }))
      .handle('secrets.consent', (input) =>
        input.action === 'accept' ? { ...WEAK_STORE, consent: { backend: 'key-file', description: WEAK_STORE.description, at: '2026-12-06T12:40:00Z' }, storingAllowed: true } : { ...WEAK_STORE },
      );
    render(<Profiles />);
    const panel = await screen.findByTestId('secret-storage');
    expect(panel.textContent).toContain('Secret storage: weak protection');
    expect(panel.textContent).toContain(`protected only by key file ${KEY_FILE} beside the workspace, readable by anyone who can read the workspace`);
    expect(panel.textContent).toContain('New secrets are not stored until you agree');
    expect(document.body.textContent).not.toMatch(/OS keychain/);

    fireEvent.click(within(screen.getByTestId('profile-p3')).getByText('Edit'));
    const fields = (await screen.findAllByPlaceholderText(/not stored: consent under Secret storage first/)) as HTMLInputElement[];
    expect(fields).toHaveLength(2);
    expect(fields.every((f) => f.disabled)).toBe(true);
    expect(screen.getByTestId('profile-secrets-refused').textContent).toContain(KEY_FILE);

    // Consent takes a deliberate tick, and names the backend the admin was shown.
    const accept = screen.getByTestId('secret-storage-accept') as HTMLButtonElement;
    expect(accept.disabled).toBe(true);
    fireEvent.click(screen.getByTestId('secret-storage-understood'));
    expect(accept.disabled).toBe(false);
    fireEvent.click(accept);
    await expect.poll(() => api.callsOf('secrets.consent')).toEqual([{ action: 'accept', backend: 'key-file' }]);
    await expect.poll(() => screen.getByTestId('secret-storage-consent').textContent).toMatch(/You agreed on .* to store secrets in this workspace/);
    const open = (await screen.findAllByPlaceholderText(/typed once, kept in a key file beside the workspace \(weak\)/)) as HTMLInputElement[];
    expect(open.every((f) => !f.disabled)).toBe(true);

    fireEvent.click(screen.getByTestId('secret-storage-forget'));
    await expect.poll(() => api.callsOf('secrets.consent').at(-1)).toEqual({ action: 'revoke', forgetStored: true });
  });

  it('says so when secrets are already stored on a weak store nobody agreed to', async () => {
    api
      .handle('profiles.list', () => ({ profiles: [] }))
      .handle('secrets.storage', () => ({ ...WEAK_STORE, backend: 'basic_text', description: 'Electron safeStorage with basic_text: no desktop keyring was found', storedSecrets: 2, warning: '2 secrets are already stored in this workspace with this weak protection, without your consent (typed before the app asked). Consent to keep using them, or delete them.' }));
    render(<Profiles />);
    expect((await screen.findByTestId('secret-storage-warning')).textContent).toContain('2 secrets are already stored');
    expect(screen.getByTestId('secret-storage-backend').textContent).toContain('basic_text');
    expect(screen.getByTestId('secret-storage-forget').textContent).toBe('Delete the stored secrets');
  });

  it('never shows a stored secret, only that one is stored and what protects it, and clears typed secrets after saving', async () => {
    const summary = {
      id: 'p1',
      name: 'Contoso',
      kind: 'live' as const,
      onPrem: [{ id: 'dc1', label: 'ldaps://dc1.contoso.com', secretStored: true }],
      cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', authType: 'client-secret', secretStored: true },
      updatedAt: '2026-01-01T00:00:00Z',
    };
    api
      .handle('profiles.list', () => ({ profiles: [summary] }))
      .handle('profiles.get', () => ({ summary, document: { name: 'Contoso', onPrem: [{ id: 'dc1', url: 'ldaps://dc1.contoso.com', bindDn: 'svc@contoso.com', baseDn: 'DC=contoso,DC=com' }], cloud: { environment: 'global', tenantId: 'contoso.onmicrosoft.com', clientId: 'abc', auth: { type: 'clientSecret', secretEnv: 'CONTOSO_SECRET' } } } }))
      .handle('profiles.save', () => ({ summary }))
      .handle('secrets.storage', () => ({ ...STRONG_STORE }));
    render(<Profiles />);
    await expect.poll(() => screen.getByTestId('profile-p1').textContent).toContain('password stored (Windows DPAPI)');
    expect(screen.getByTestId('secret-storage-backend').textContent).toContain('stored encrypted by Electron safeStorage with Windows DPAPI');
    expect(document.body.textContent).not.toMatch(/OS keychain/);
    fireEvent.click(within(screen.getByTestId('profile-p1')).getByText('Edit'));
    const [pw, secret] = (await screen.findAllByPlaceholderText(/stored in Windows DPAPI \(type to replace\)/)) as HTMLInputElement[];
    expect(secret!.value).toBe('');
    expect(pw!.value).toBe('');
    fireEvent.change(pw!, { target: { value: 'typed-once' } });
    fireEvent.click(screen.getByTestId('profile-save'));
    await expect.poll(() => api.callsOf('profiles.save').length).toBe(1);
    expect(api.callsOf('profiles.save')[0]).toMatchObject({ id: 'p1', secrets: { onPremPasswords: { dc1: 'typed-once' } } });
    await expect.poll(() => screen.queryByTestId('profile-editor')).toBeNull();
    expect(document.body.innerHTML).not.toContain('typed-once');
  });
  it('says which secret must be entered again after the profile was re-pointed', async () => {
    const summary = {
      id: 'p2',
      name: 'Fabrikam',
      kind: 'live' as const,
      onPrem: [{ id: 'dc1', label: 'ldaps://dc9.fabrikam.com', secretStored: false, secretNeeded: true }],
      cloud: { environment: 'global', tenantId: 'fabrikam.onmicrosoft.com', authType: 'clientSecret', secretStored: false, secretNeeded: true },
      updatedAt: '2026-01-01T00:00:00Z',
    };
    api
      .handle('profiles.list', () => ({ profiles: [summary] }))
      .handle('secrets.storage', () => ({ ...STRONG_STORE }))
      .handle('profiles.get', () => ({ summary, document: { name: 'Fabrikam', onPrem: [{ id: 'dc1', url: 'ldaps://dc9.fabrikam.com', bindDn: 'svc@fabrikam.com', baseDn: 'DC=fabrikam,DC=com' }], cloud: { environment: 'global', tenantId: 'fabrikam.onmicrosoft.com', clientId: 'abc', auth: { type: 'clientSecret', secretEnv: 'FABRIKAM_SECRET' } } } }));
    render(<Profiles />);
    expect((await screen.findByTestId('profile-p2')).textContent).toContain('password must be entered again');
    fireEvent.click(within(screen.getByTestId('profile-p2')).getByText('Edit'));
    const alerts = (await screen.findAllByRole('alert')).map((a) => a.textContent ?? '');
    expect(alerts.some((t) => /Bind password must be entered again/.test(t))).toBe(true);
    expect(alerts.some((t) => /Client secret must be entered again/.test(t))).toBe(true);
  });
});

describe('the shell', () => {
  it('navigates by keyboard and remembers the screen', async () => {
    api
      .handle('profiles.list', () => ({ profiles: [] }))
      .handle('dashboard.get', () => {
        throw new Error('no dashboard in this test');
      })
      .handle('scans.list', () => ({ scans: [] }));
    useAppStore.setState({ screen: 'dashboard' });
    render(<Workbench />);
    expect(screen.getByTestId('nav-dashboard').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('sandbox-banner')).toBeTruthy();
    fireEvent.keyDown(window, { key: '4', altKey: true });
    expect(screen.getByTestId('nav-help').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('about-version').textContent).toBe('0.1.0');
    const saved = api.callsOf('prefs.set').at(-1) as { scope: string; value: { screen: string } };
    expect(saved).toMatchObject({ scope: 'layout', value: { screen: 'help', profileId: 'sandbox' } });
  });
});
