import { create } from 'zustand';
import type { Dashboard, ScanInfo } from '../../../preload/contract';
import { errorText, requireApi } from './app-store';

interface DashboardState {
  profileId: string | null;
  data: Dashboard | null;
  scans: ScanInfo[];
  loading: boolean;
  error: string | null;
  load(profileId: string): Promise<void>;
}

let generation = 0;

export const useDashboardStore = create<DashboardState>((set) => ({
  profileId: null,
  data: null,
  scans: [],
  loading: false,
  error: null,
  async load(profileId) {
    const gen = ++generation;
    set((s) => ({ profileId, loading: true, error: null, ...(s.profileId === profileId ? {} : { data: null, scans: [] }) }));
    try {
      const api = requireApi();
      const [data, list] = await Promise.all([api.invoke('dashboard.get', { profileId }), api.invoke('scans.list', { profileId })]);
      if (gen === generation) set({ data, scans: list.scans, loading: false });
    } catch (e) {
      if (gen === generation) set({ loading: false, error: errorText(e) });
    }
  },
}));
