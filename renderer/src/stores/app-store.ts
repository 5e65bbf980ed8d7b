import { create } from 'zustand';
import { z } from 'zod';
import type { AppInfo, SyncDriftApi } from '../../../preload/contract';

export type Screen = 'dashboard' | 'grid' | 'profiles' | 'help' | 'flow' | 'sessions';
export const SCREENS: readonly { id: Screen; label: string; key: string }[] = [
  { id: 'dashboard', label: 'Dashboard', key: '1' },
  { id: 'grid', label: 'Mismatches', key: '2' },
  { id: 'profiles', label: 'Profiles', key: '3' },
  { id: 'help', label: 'Help', key: '4' },
  { id: 'flow', label: 'Fix', key: '5' },
  { id: 'sessions', label: 'Sessions', key: '6' },
];

/** The renderer's layout, remembered through prefs (scope `layout`); anything unreadable falls back to defaults. */
const Layout = z.object({
  screen: z.enum(['dashboard', 'grid', 'profiles', 'help', 'flow', 'sessions']).catch('dashboard'),
  profileId: z.string().nullable().catch(null),
  drawerWidth: z.number().min(320).max(1400).catch(560),
});
export type Layout = z.infer<typeof Layout>;
export const DEFAULT_PROFILE_ID = 'sandbox';

export interface Notice {
  id: number;
  tone: 'info' | 'error';
  text: string;
}

interface AppState {
  api: SyncDriftApi | null;
  info: AppInfo | null;
  status: 'connecting' | 'ready' | 'failed';
  error: string | null;
  screen: Screen;
  profileId: string;
  drawerWidth: number;
  notices: Notice[];
  connect(connector: () => Promise<SyncDriftApi>): Promise<void>;
  navigate(screen: Screen): void;
  selectProfile(id: string): void;
  setDrawerWidth(px: number): void;
  notify(tone: Notice['tone'], text: string): void;
  dismiss(id: number): void;
}

let noticeSeq = 0;

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const useAppStore = create<AppState>((set, get) => {
  const persist = () => {
    const { api, screen, profileId, drawerWidth } = get();
    if (!api) return;
    api.invoke('prefs.set', { scope: 'layout', value: { screen, profileId, drawerWidth } }).catch(() => {
      // Losing the remembered layout is harmless; the app keeps working with what it shows now.
    });
  };
  return {
    api: null,
    info: null,
    status: 'connecting',
    error: null,
    screen: 'dashboard',
    profileId: DEFAULT_PROFILE_ID,
    drawerWidth: 560,
    notices: [],
    async connect(connector) {
      try {
        const api = await connector();
        const info = await api.invoke('app.info', {});
        let layout: Layout | null = null;
        try {
          const saved = await api.invoke('prefs.get', { scope: 'layout' });
          const parsed = Layout.safeParse(saved.value);
          if (parsed.success) layout = parsed.data;
        } catch {
          // No remembered layout (first run, or prefs not available): defaults below.
        }
        set({
          api,
          info,
          status: 'ready',
          error: null,
          screen: layout?.screen ?? 'dashboard',
          profileId: layout?.profileId ?? DEFAULT_PROFILE_ID,
          drawerWidth: layout?.drawerWidth ?? 560,
        });
      } catch (e) {
        set({ status: 'failed', error: errorText(e) });
      }
    },
    navigate(screen) {
      if (get().screen === screen) return;
      set({ screen });
      persist();
    },
    selectProfile(id) {
      if (get().profileId === id) return;
      set({ profileId: id });
      persist();
    },
    setDrawerWidth(px) {
      set({ drawerWidth: Math.round(Math.min(1400, Math.max(320, px))) });
      persist();
    },
    notify(tone, text) {
      const id = ++noticeSeq;
      set({ notices: [...get().notices.slice(-3), { id, tone, text }] });
    },
    dismiss(id) {
      set({ notices: get().notices.filter((n) => n.id !== id) });
    },
  };
});

/** The connected api; components only run after connect, so a missing api is a programming error. */
export function requireApi(): SyncDriftApi {
  const api = useAppStore.getState().api;
  if (!api) throw new Error('The workbench service is not connected.');
  return api;
}
