/**
 * Profiles and their connections. Secrets go to the service exactly once, inside profiles.save;
 * this store never keeps them (the editor's password fields are cleared after a save) and the
 * service never sends them back: a summary only says whether one is stored.
 */
import { create } from 'zustand';
import type { ChannelInput, ConnectionTest, ProfileSummary } from '../../../preload/contract';
import { errorText, requireApi } from './app-store';

export type SaveInput = ChannelInput<'profiles.save'>;

interface ProfilesState {
  profiles: ProfileSummary[];
  loading: boolean;
  error: string | null;
  tests: Record<string, { running: boolean; result: ConnectionTest | null; error: string | null }>;
  load(): Promise<void>;
  getDocument(id: string): Promise<Record<string, unknown>>;
  save(input: SaveInput): Promise<ProfileSummary>;
  duplicate(id: string): Promise<ProfileSummary>;
  remove(id: string): Promise<boolean>;
  importText(text: string): Promise<ProfileSummary>;
  exportFile(id: string): Promise<{ fileName: string; text: string }>;
  test(id: string): Promise<void>;
}

export const useProfilesStore = create<ProfilesState>((set, get) => {
  const upsert = (summary: ProfileSummary) => {
    const rest = get().profiles.filter((p) => p.id !== summary.id);
    set({ profiles: [...rest, summary].sort((a, b) => a.name.localeCompare(b.name)) });
    return summary;
  };
  return {
    profiles: [],
    loading: false,
    error: null,
    tests: {},
    async load() {
      set({ loading: true, error: null });
      try {
        const { profiles } = await requireApi().invoke('profiles.list', {});
        set({ profiles: [...profiles].sort((a, b) => a.name.localeCompare(b.name)), loading: false });
      } catch (e) {
        set({ loading: false, error: errorText(e) });
      }
    },
    async getDocument(id) {
      return (await requireApi().invoke('profiles.get', { id })).document;
    },
    async save(input) {
      return upsert((await requireApi().invoke('profiles.save', input)).summary);
    },
    async duplicate(id) {
      return upsert((await requireApi().invoke('profiles.duplicate', { id })).summary);
    },
    async remove(id) {
      const { deleted } = await requireApi().invoke('profiles.delete', { id });
      if (deleted) set({ profiles: get().profiles.filter((p) => p.id !== id) });
      return deleted;
    },
    async importText(text) {
      return upsert((await requireApi().invoke('profiles.import', { text })).summary);
    },
    async exportFile(id) {
      return requireApi().invoke('profiles.export', { id });
    },
    async test(id) {
      set({ tests: { ...get().tests, [id]: { running: true, result: null, error: null } } });
      try {
        const result = await requireApi().invoke('profiles.test', { id });
        set({ tests: { ...get().tests, [id]: { running: false, result, error: null } } });
      } catch (e) {
        set({ tests: { ...get().tests, [id]: { running: false, result: null, error: errorText(e) } } });
      }
    },
  };
});
