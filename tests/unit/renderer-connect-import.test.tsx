// @vitest-environment jsdom
/**
 * The renderer's side of the Connect export import (#18): files too big for one import are refused
 * before anything is sent, naming the file; a Cancel clicked before the service answered is passed on
 * once the operation's id is known; the service's reason (file and line) is what the admin reads.
 * An import restored from a masked workspace export says that scans do not join it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { ConnectImportPanel } from '../../renderer/src/components/ConnectImportPanel';
import { useAppStore } from '../../renderer/src/stores/app-store';
import { tooLarge, useConnectImportStore } from '../../renderer/src/stores/connect-import-store';
import { CONNECT_IMPORT_MAX_CHARS } from '../../preload/contract';
import { FakeApi } from '../support/fake-api';

const file = (name: string, text: string, size = text.length) => ({ name, size, text: async () => text });

let api: FakeApi;
let detach: () => void;
beforeEach(() => {
  detach?.();
  api = new FakeApi().handle('connectExport.import', () => ({ operationId: 'op-1' })).handle('op.cancel', () => ({ cancelled: true }));
  useAppStore.setState({ api, status: 'ready', profileId: 'sandbox', notices: [] });
  useConnectImportStore.setState({ profileId: 'sandbox', info: null, operationId: null, running: false, cancelling: false, progress: null, error: null });
  detach = useConnectImportStore.getState().attach(api);
});

describe('the Connect import store', () => {
  it('refuses files over the import limit before sending anything, naming the file', async () => {
    expect(tooLarge([file('cs.xml', 'x')])).toBeNull();
    await useConnectImportStore.getState().start('sandbox', [file('cs.xml', 'x'), file('huge-cs.xml', '', CONNECT_IMPORT_MAX_CHARS + 1)]);
    expect(useConnectImportStore.getState().error).toMatch(/^huge-cs\.xml: 191 MB is more than the app imports at once .*syncdrift import --connect-export/);
    expect(api.callsOf('connectExport.import')).toEqual([]);
  });

  it('passes on a Cancel clicked before the service answered', async () => {
    let answer: (v: { operationId: string }) => void = () => {};
    api.handle('connectExport.import', () => new Promise((r) => (answer = r)));
    const started = useConnectImportStore.getState().start('sandbox', [file('cs.xml', '<cs-objects/>')]);
    await new Promise((r) => setTimeout(r, 0));
    await useConnectImportStore.getState().cancel();
    expect(api.callsOf('op.cancel')).toEqual([]);
    answer({ operationId: 'op-1' });
    await started;
    expect(api.callsOf('op.cancel')).toEqual([{ operationId: 'op-1' }]);
  });

  it('shows why the import stored nothing, and what a good one stored', async () => {
    await useConnectImportStore.getState().start('sandbox', [file('rules.json', '[{')]);
    expect(api.callsOf('connectExport.import')).toEqual([{ profileId: 'sandbox', files: [{ name: 'rules.json', text: '[{' }] }]);
    api.emit('connectExport.finished', { operationId: 'op-1', profileId: 'sandbox', state: 'failed', message: 'rules.json:1: record 1 is not valid JSON. Nothing was stored.' });
    expect(useConnectImportStore.getState()).toMatchObject({ running: false, info: null, error: 'rules.json:1: record 1 is not valid JSON. Nothing was stored.' });

    await useConnectImportStore.getState().start('sandbox', [file('cs.xml', '<cs-objects/>')]);
    const info = { importedAt: '2026-12-07T09:00:00.000Z', objects: 12, files: [{ file: 'cs.xml', kind: 'cs-xml' as const, bytes: 13 }], stats: { aadUsers: 6, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 1 } };
    api.emit('connectExport.finished', { operationId: 'op-1', profileId: 'sandbox', state: 'done', import: info });
    expect(useConnectImportStore.getState()).toMatchObject({ running: false, info, error: null });
  });
});

describe('the Connect import card', () => {
  afterEach(cleanup);
  const info = { importedAt: '2026-12-07T09:00:00.000Z', objects: 12, files: [{ file: 'cs.xml', kind: 'cs-xml' as const, bytes: 13 }], stats: { aadUsers: 6, adOnly: 0, otherTypes: 0, rulesTouchingMobile: 1 } };

  it('says a masked import (from a workspace export) is not joined by scans, and says nothing of it otherwise', () => {
    useConnectImportStore.setState({ profileId: 'sandbox', info: { ...info, masked: true } });
    render(<ConnectImportPanel />);
    expect(screen.getByTestId('connect-import-masked').textContent).toMatch(/phone numbers masked: .*masked workspace export, so scans do not join it/i);
    cleanup();
    useConnectImportStore.setState({ profileId: 'sandbox', info });
    render(<ConnectImportPanel />);
    expect(screen.queryByTestId('connect-import-masked')).toBeNull();
    expect(screen.getByTestId('connect-import-state').textContent).toMatch(/12 objects/);
  });
});
