/**
 * Remediation sessions as the journal knows them (the CLI's too), plus the offer made when the app
 * starts: a session that was interrupted, waits for the admin, or is still running in the service.
 */
import { create } from 'zustand';
import type { SessionSummaryWire } from '../../../preload/contract';
import { errorText, requireApi } from './app-store';
import { ACTIVE_STATES, RESUMABLE_STATES } from './flow-model';

export const SESSION_STATE_LABEL: Record<SessionSummaryWire['state'], string> = {
  running: 'running',
  'awaiting-replication': 'waiting for replication',
  'awaiting-cycle': 'waiting for the sync cycle',
  verifying: 'verifying',
  completed: 'verified',
  'verify-timeout': 'verify timed out',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  undoing: 'undoing',
  undone: 'undone',
  'undo-partial': 'partly undone',
};

/** A session worth offering at start: newest first, only ones that still need the admin. */
export function sessionToOffer(sessions: readonly SessionSummaryWire[]): SessionSummaryWire | null {
  const open = sessions.filter((s) => RESUMABLE_STATES.has(s.state) || ACTIVE_STATES.has(s.state));
  const wanted = open.filter((s) => s.state !== 'cancelled' && s.state !== 'failed');
  return [...wanted].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0] ?? null;
}

interface SessionsState {
  sessions: SessionSummaryWire[];
  loading: boolean;
  error: string | null;
  /** Shown once per start of the app; null after the admin answered it. */
  offer: SessionSummaryWire | null;
  offerChecked: boolean;
  load(): Promise<void>;
  checkOffer(): Promise<void>;
  dismissOffer(): void;
}

export const useSessionsStore = create<SessionsState>((set, get) => ({
  sessions: [],
  loading: false,
  error: null,
  offer: null,
  offerChecked: false,
  async load() {
    set({ loading: true, error: null });
    try {
      const { sessions } = await requireApi().invoke('remediation.sessions', {});
      set({ sessions: [...sessions].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), loading: false });
    } catch (e) {
      set({ loading: false, error: errorText(e) });
    }
  },
  async checkOffer() {
    if (get().offerChecked) return;
    set({ offerChecked: true });
    await get().load();
    set({ offer: sessionToOffer(get().sessions) });
  },
  dismissOffer() {
    set({ offer: null });
  },
}));
