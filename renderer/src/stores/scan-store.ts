/**
 * A scan as the admin sees it: one operation, progress per phase (on-prem sources, cloud, audit,
 * drift) from `op.progress`, the end from `scan.finished`, and the background audit-index fill from
 * `audit.progress`. When a scan ends with rows, the grid and the dashboard reload.
 */
import { create } from 'zustand';
import type { EventPayload, ProgressWire, ScanInfo, SyncDriftApi } from '../../../preload/contract';
import { errorText, requireApi, useAppStore } from './app-store';
import { useGridStore } from './grid-store';
import { useDashboardStore } from './dashboard-store';

export interface PhaseProgress extends ProgressWire {
  /** Local time of the latest update, for the elapsed clock when the service sends none. */
  updatedAt: number;
}

export interface ScanState {
  operationId: string | null;
  scanId: string | null;
  running: boolean;
  startedAt: number | null;
  phases: Record<string, PhaseProgress>;
  result: ScanInfo | null;
  error: string | null;
  cancelling: boolean;
  audit: EventPayload<'audit.progress'> | null;
  start(profileId: string): Promise<void>;
  cancel(): Promise<void>;
  /** Subscribes to the scan events; returns the unsubscribe function. */
  attach(api: SyncDriftApi): () => void;
  reset(): void;
}

/** Scans that produced rows worth showing. */
export function hasRows(scan: ScanInfo | null | undefined): boolean {
  return !!scan && (scan.state === 'completed' || scan.state === 'partial');
}

export const useScanStore = create<ScanState>((set, get) => ({
  operationId: null,
  scanId: null,
  running: false,
  startedAt: null,
  phases: {},
  result: null,
  error: null,
  cancelling: false,
  audit: null,

  async start(profileId) {
    if (get().running) return;
    set({ running: true, startedAt: Date.now(), phases: {}, result: null, error: null, cancelling: false, operationId: null, scanId: null });
    try {
      const { operationId, scanId } = await requireApi().invoke('scan.start', { profileId });
      // scan.finished may already have arrived for a very small scan; keep its result.
      if (get().running) set({ operationId, scanId });
    } catch (e) {
      set({ running: false, error: errorText(e) });
    }
  },

  async cancel() {
    const { operationId, running } = get();
    if (!running || !operationId) return;
    set({ cancelling: true });
    try {
      await requireApi().invoke('op.cancel', { operationId });
    } catch (e) {
      set({ cancelling: false, error: `Could not cancel: ${errorText(e)}` });
    }
  },

  attach(api) {
    const offProgress = api.on('op.progress', (p) => {
      const { operationId, running } = get();
      // Before scan.start answers, the operation id is unknown: accept progress while a scan runs.
      if (!running || (operationId && p.operationId !== operationId)) return;
      if (p.phase.startsWith('engine-')) return; // a Connect export import's (connect-import-store), never a scan's
      set({ operationId: p.operationId, phases: { ...get().phases, [p.phase]: { ...p, updatedAt: Date.now() } } });
    });
    const offFinished = api.on('scan.finished', ({ operationId, scan }) => {
      const cur = get();
      if (cur.operationId && operationId !== cur.operationId && cur.scanId !== scan.id) return;
      // Another profile's scan (another window, the CLI on the same workspace) is not this view's business.
      if (!cur.running && scan.profileId !== useAppStore.getState().profileId) return;
      set({ running: false, cancelling: false, result: scan, scanId: scan.id, operationId });
      if (hasRows(scan)) void useGridStore.getState().loadScan(scan.id);
      void useDashboardStore.getState().load(scan.profileId);
      const notify = useAppStore.getState().notify;
      if (scan.state === 'completed') notify('info', 'Scan finished.');
      else if (scan.state === 'cancelled') notify('info', 'Scan cancelled.');
      else notify('error', `Scan ${scan.state}: ${scan.problems.join(' ') || 'no details'}`);
    });
    const offAudit = api.on('audit.progress', (a) => {
      if (a.profileId === useAppStore.getState().profileId) set({ audit: a });
    });
    return () => {
      offProgress();
      offFinished();
      offAudit();
    };
  },

  reset() {
    set({ operationId: null, scanId: null, running: false, startedAt: null, phases: {}, result: null, error: null, cancelling: false, audit: null });
  },
}));
