/**
 * The profile's imported Entra Connect export (#18) as the admin sees it: what is stored ("N objects,
 * imported <time>"), an import running in the service (bytes read, then the join) that can be
 * cancelled, and why the last one stored nothing, naming the file and line the service named.
 * The files are read here (File.text()) and checked against the contract's size limit before sending.
 */
import { create } from 'zustand';
import { CONNECT_IMPORT_MAX_CHARS, type ConnectImportInfo, type ProgressWire, type SyncDriftApi } from '../../../preload/contract';
import { errorText, requireApi, useAppStore } from './app-store';

export interface ConnectImportState {
  profileId: string | null;
  info: ConnectImportInfo | null;
  operationId: string | null;
  running: boolean;
  cancelling: boolean;
  progress: ProgressWire | null;
  error: string | null;
  load(profileId: string): Promise<void>;
  start(profileId: string, files: ReadonlyArray<Pick<File, 'name' | 'size' | 'text'>>): Promise<void>;
  cancel(): Promise<void>;
  remove(profileId: string): Promise<void>;
  attach(api: SyncDriftApi): () => void;
}

/** A refusal before anything is sent: the files the browser cannot pass in one import. */
export function tooLarge(files: ReadonlyArray<Pick<File, 'name' | 'size'>>): string | null {
  const big = files.find((f) => f.size > CONNECT_IMPORT_MAX_CHARS);
  if (big) return `${big.name}: ${Math.round(big.size / 1024 ** 2)} MB is more than the app imports at once (about ${CONNECT_IMPORT_MAX_CHARS / 1_000_000} MB); use \`syncdrift import --connect-export\` for it.`;
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > CONNECT_IMPORT_MAX_CHARS) return `The ${files.length} files hold ${Math.round(total / 1024 ** 2)} MB together, more than the app imports at once (about ${CONNECT_IMPORT_MAX_CHARS / 1_000_000} MB); use \`syncdrift import --connect-export\`.`;
  return null;
}

export const useConnectImportStore = create<ConnectImportState>((set, get) => ({
  profileId: null,
  info: null,
  operationId: null,
  running: false,
  cancelling: false,
  progress: null,
  error: null,

  async load(profileId) {
    if (get().profileId !== profileId) set({ profileId, info: null, error: null, progress: null });
    try {
      const { import: info } = await requireApi().invoke('connectExport.get', { profileId });
      if (get().profileId === profileId) set({ info });
    } catch (e) {
      if (get().profileId === profileId) set({ error: `Could not read the imported Connect export: ${errorText(e)}` });
    }
  },

  async start(profileId, files) {
    if (get().running || files.length === 0) return;
    const refused = tooLarge(files);
    if (refused) return set({ error: refused });
    set({ profileId, running: true, cancelling: false, progress: null, error: null, operationId: null });
    try {
      const texts = await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() })));
      const { operationId } = await requireApi().invoke('connectExport.import', { profileId, files: texts });
      if (!get().running) return;
      set({ operationId });
      // Cancel was asked for while the files were still on their way: pass it on now.
      if (get().cancelling) await requireApi().invoke('op.cancel', { operationId });
    } catch (e) {
      set({ running: false, error: errorText(e) });
    }
  },

  async cancel() {
    const { operationId, running } = get();
    if (!running) return;
    set({ cancelling: true });
    if (!operationId) return; // start() passes it on once the service has answered
    try {
      await requireApi().invoke('op.cancel', { operationId });
    } catch (e) {
      set({ cancelling: false, error: `Could not cancel: ${errorText(e)}` });
    }
  },

  async remove(profileId) {
    try {
      await requireApi().invoke('connectExport.remove', { profileId });
      if (get().profileId === profileId) set({ info: null, error: null });
      useAppStore.getState().notify('info', 'Connect export removed; the next scan joins no Connect export of yours.');
    } catch (e) {
      set({ error: `Could not remove the Connect export: ${errorText(e)}` });
    }
  },

  attach(api) {
    const offProgress = api.on('op.progress', (p) => {
      const { operationId, running } = get();
      if (!running || !p.phase.startsWith('engine-') || (operationId && p.operationId !== operationId)) return;
      set({ operationId: p.operationId, progress: p });
    });
    const offFinished = api.on('connectExport.finished', (f) => {
      const cur = get();
      if (!cur.running || (cur.operationId && f.operationId !== cur.operationId)) {
        // Another window's import of the profile shown here: show what is stored now.
        if (f.state === 'done' && f.profileId === cur.profileId) set({ info: f.import ?? null });
        return;
      }
      set({ running: false, cancelling: false, operationId: f.operationId, progress: null });
      if (f.state === 'done' && f.import) {
        if (f.profileId === get().profileId) set({ info: f.import, error: null });
        useAppStore.getState().notify('info', `Connect export imported: ${f.import.objects.toLocaleString()} objects. Scan again to join it.`);
      } else set({ error: f.message ?? `The import ${f.state}.` });
    });
    return () => {
      offProgress();
      offFinished();
    };
  },
}));
