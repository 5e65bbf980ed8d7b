import { create } from 'zustand';
import type { AppInfo, SyncDriftApi } from '../../../preload/contract';

interface AppState {
  api: SyncDriftApi | null;
  info: AppInfo | null;
  status: 'connecting' | 'ready' | 'failed';
  error: string | null;
  connect(connector: () => Promise<SyncDriftApi>): Promise<void>;
}

export const useAppStore = create<AppState>((set) => ({
  api: null,
  info: null,
  status: 'connecting',
  error: null,
  async connect(connector) {
    try {
      const api = await connector();
      const info = await api.invoke('app.info', {});
      set({ api, info, status: 'ready', error: null });
    } catch (e) {
      set({ status: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  },
}));
