/**
 * Profiles and their connections. Secrets go to the service exactly once, inside profiles.save;
 * this store never keeps them (the editor's password fields are cleared after a save) and the
 * service never sends them back: a summary only says whether one is stored. `storage` is what
 * really protects stored secrets (secrets.storage) and whether the admin consented to a weak store.
 */
import { create } from 'zustand';
import type { ChannelInput, ConnectionTest, ProfileSummary, SecretStorage } from '../../../preload/contract';
import { errorText, requireApi } from './app-store';

export type SaveInput = ChannelInput<'profiles.save'>;

interface ProfilesState {
  profiles: ProfileSummary[];
  loading: boolean;
  error: string | null;
  tests: Record<string, { running: boolean; result: ConnectionTest | null; error: string | null }>;
  storage: SecretStorage | null;
  storageError: string | null;
  load(): Promise<void>;
  loadStorage(): Promise<void>;
  /** Records the admin's consent to the weak store they were shown (`backend` from `storage`). */
  consentToWeakStorage(backend: string): Promise<void>;
  revokeStorageConsent(forgetStored: boolean): Promise<void>;
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
    storage: null,
    storageError: null,
    async load() {
      void get().loadStorage();
      set({ loading: true, error: null });
      try {
        const { profiles } = await requireApi().invoke('profiles.list', {});
        set({ profiles: [...profiles].sort((a, b) => a.name.localeCompare(b.name)), loading: false });
      } catch (e) {
        set({ loading: false, error: errorText(e) });
      }
    },
    async loadStorage() {
      try {
        set({ storage: await requireApi().invoke('secrets.storage', {}), storageError: null });
      } catch (e) {
        set({ storageError: errorText(e) });
      }
    },
    async consentToWeakStorage(backend) {
      set({ storage: await requireApi().invoke('secrets.consent', { action: 'accept', backend }), storageError: null });
    },
    async revokeStorageConsent(forgetStored) {
      set({ storage: await requireApi().invoke('secrets.consent', { action: 'revoke', forgetStored }), storageError: null });
      // Deleted secrets change what every profile summary says.
      if (forgetStored) await get().load();
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
