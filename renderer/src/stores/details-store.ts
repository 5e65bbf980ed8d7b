import { create } from 'zustand';
import type { RowDetails } from '../../../preload/contract';
import { errorText, requireApi } from './app-store';

interface DetailsState {
  scanId: string | null;
  rowKey: string | null;
  details: RowDetails | null;
  loading: boolean;
  error: string | null;
  open(scanId: string, rowKey: string): Promise<void>;
  reload(): Promise<void>;
  close(): void;
}

let generation = 0;

export const useDetailsStore = create<DetailsState>((set, get) => ({
  scanId: null,
  rowKey: null,
  details: null,
  loading: false,
  error: null,
  async open(scanId, rowKey) {
    const gen = ++generation;
    set({ scanId, rowKey, loading: true, error: null, details: get().rowKey === rowKey ? get().details : null });
    try {
      const details = await requireApi().invoke('rows.details', { scanId, rowKey });
      if (gen === generation) set({ details, loading: false });
    } catch (e) {
      if (gen === generation) set({ loading: false, error: errorText(e) });
    }
  },
  async reload() {
    const { scanId, rowKey } = get();
    if (scanId && rowKey) await get().open(scanId, rowKey);
  },
  close() {
    generation++;
    set({ scanId: null, rowKey: null, details: null, loading: false, error: null });
  },
}));
