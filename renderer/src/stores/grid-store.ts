/**
 * The mismatch grid's state: every row of one scan, loaded page by page, and the current view
 * (search, status tab, column filters, sort, columns, selection). Views are recomputed by the pure
 * model in grid/model.ts; components only read `view` and call actions.
 */
import { create } from 'zustand';
import { z } from 'zod';
import type { DriftRow } from '../../../preload/contract';
import {
  DEFAULT_COLUMNS,
  buildIndex,
  ensureSearchKeys,
  computeView,
  emptyCounts,
  isColumnId,
  type ColumnId,
  type RowIndex,
  type SortSpec,
  type StatusTab,
  type View,
} from '../grid/model';
import { errorText, requireApi } from './app-store';

export const PAGE_SIZE = 5000;

const GridPrefs = z.object({
  columns: z.array(z.string()).transform((cs) => cs.filter(isColumnId)),
  sort: z
    .object({ column: z.string().refine(isColumnId), dir: z.enum(['asc', 'desc']) })
    .nullable()
    .catch(null)
    .transform((v) => v as SortSpec | null),
});

export interface GridState {
  scanId: string | null;
  loading: { loaded: number; total: number | null } | null;
  loadError: string | null;
  index: RowIndex;
  search: string;
  tab: StatusTab;
  filters: Partial<Record<ColumnId, string>>;
  sort: SortSpec | null;
  columns: ColumnId[];
  view: View;
  /** Milliseconds the last view computation took (shown to admins in the status line, and read by the bench). */
  viewMs: number;
  /** Selected rows, as indices into index.rows (stable for one load). */
  selected: ReadonlySet<number>;
  /** Position of the keyboard cursor in view.indices, and the anchor of a shift-range. */
  active: number;
  anchor: number;
  prefsScope: string | null;

  loadScan(scanId: string): Promise<void>;
  setRows(rows: readonly DriftRow[], scanId?: string | null): void;
  loadPrefs(profileId: string): Promise<void>;
  setSearch(text: string): void;
  setTab(tab: StatusTab): void;
  setFilter(column: ColumnId, text: string): void;
  clearFilters(): void;
  toggleSort(column: ColumnId): void;
  setColumns(columns: ColumnId[]): void;
  moveColumn(column: ColumnId, delta: -1 | 1): void;
  toggleColumn(column: ColumnId): void;
  /** Moves the cursor; 'extend' selects the range from the anchor, 'toggle' flips the row, 'single' selects only it. */
  setActive(pos: number, mode: 'single' | 'toggle' | 'extend' | 'move'): void;
  selectAllInView(): void;
  clearSelection(): void;
  activeRow(): DriftRow | null;
  selectedRows(): DriftRow[];
}

const EMPTY_INDEX = buildIndex([]);

let loadGeneration = 0;

/** Search keys in slices of ~8 ms after the first paint, so the first search is instant too. */
function buildSearchWhenIdle(index: RowIndex): void {
  const step = () => {
    const until = performance.now() + 8;
    if (!ensureSearchKeys(index, () => performance.now() > until)) setTimeout(step, 16);
  };
  setTimeout(step, 50);
}

export const useGridStore = create<GridState>((set, get) => {
  const recompute = (patch: Partial<GridState>) => {
    const next = { ...get(), ...patch };
    const started = performance.now();
    const view = computeView(next.index, { search: next.search, tab: next.tab, filters: next.filters, sort: next.sort });
    const viewMs = performance.now() - started;
    const active = Math.min(next.active, Math.max(0, view.indices.length - 1));
    set({ ...patch, view, viewMs, active, anchor: Math.min(next.anchor, active) });
  };
  const savePrefs = () => {
    const { prefsScope, columns, sort } = get();
    if (!prefsScope) return;
    requireApi()
      .invoke('prefs.set', { scope: prefsScope, value: { columns, sort } })
      .catch(() => {
        // The grid works without remembered columns; nothing to tell the admin here.
      });
  };
  return {
    scanId: null,
    loading: null,
    loadError: null,
    index: EMPTY_INDEX,
    search: '',
    tab: 'attention',
    filters: {},
    sort: null,
    columns: [...DEFAULT_COLUMNS],
    view: { indices: new Uint32Array(0), counts: emptyCounts() },
    viewMs: 0,
    selected: new Set(),
    active: 0,
    anchor: 0,
    prefsScope: null,

    async loadScan(scanId) {
      const gen = ++loadGeneration;
      const api = requireApi();
      set({ scanId, loading: { loaded: 0, total: null }, loadError: null });
      const rows: DriftRow[] = [];
      try {
        let total = Infinity;
        while (rows.length < total) {
          const page = await api.invoke('rows.page', { scanId, offset: rows.length, limit: PAGE_SIZE });
          if (gen !== loadGeneration) return;
          total = page.total;
          for (const r of page.rows) rows.push(r);
          set({ loading: { loaded: rows.length, total } });
          // A short page before the total means the scan changed under us; stop instead of looping.
          if (page.rows.length === 0) break;
        }
        get().setRows(rows, scanId);
      } catch (e) {
        if (gen !== loadGeneration) return;
        set({ loading: null, loadError: `Could not load the scan's rows: ${errorText(e)}` });
      }
    },

    setRows(rows, scanId = get().scanId) {
      const index = buildIndex(rows);
      recompute({ index, scanId, loading: null, loadError: null, selected: new Set(), active: 0, anchor: 0 });
      buildSearchWhenIdle(index);
    },

    async loadPrefs(profileId) {
      const scope = `grid:${profileId}`;
      set({ prefsScope: scope });
      try {
        const saved = await requireApi().invoke('prefs.get', { scope });
        const p = GridPrefs.safeParse(saved.value);
        if (get().prefsScope !== scope) return;
        if (p.success && p.data.columns.length > 0) recompute({ columns: p.data.columns, sort: p.data.sort });
        else recompute({ columns: [...DEFAULT_COLUMNS], sort: null });
      } catch {
        recompute({ columns: [...DEFAULT_COLUMNS], sort: null });
      }
    },

    setSearch(search) {
      recompute({ search, active: 0, anchor: 0 });
    },
    setTab(tab) {
      recompute({ tab, active: 0, anchor: 0 });
    },
    setFilter(column, text) {
      const filters = { ...get().filters };
      if (text) filters[column] = text;
      else delete filters[column];
      recompute({ filters, active: 0, anchor: 0 });
    },
    clearFilters() {
      recompute({ filters: {}, search: '', active: 0, anchor: 0 });
    },
    toggleSort(column) {
      const cur = get().sort;
      const sort: SortSpec | null =
        cur?.column !== column ? { column, dir: 'asc' } : cur.dir === 'asc' ? { column, dir: 'desc' } : null;
      recompute({ sort });
      savePrefs();
    },
    setColumns(columns) {
      const unique = [...new Set(columns.filter(isColumnId))];
      if (unique.length === 0) return;
      set({ columns: unique });
      savePrefs();
    },
    moveColumn(column, delta) {
      const cols = [...get().columns];
      const i = cols.indexOf(column);
      const j = i + delta;
      if (i < 0 || j < 0 || j >= cols.length) return;
      [cols[i], cols[j]] = [cols[j]!, cols[i]!];
      get().setColumns(cols);
    },
    toggleColumn(column) {
      const cols = get().columns;
      if (cols.includes(column)) {
        if (cols.length > 1) get().setColumns(cols.filter((c) => c !== column));
      } else get().setColumns([...cols, column]);
    },

    setActive(pos, mode) {
      const { view, selected, anchor } = get();
      const n = view.indices.length;
      if (n === 0) return;
      const p = Math.max(0, Math.min(n - 1, pos));
      const row = view.indices[p]!;
      if (mode === 'move') return set({ active: p, anchor: p });
      if (mode === 'single') return set({ active: p, anchor: p, selected: new Set([row]) });
      if (mode === 'toggle') {
        const next = new Set(selected);
        if (next.has(row)) next.delete(row);
        else next.add(row);
        return set({ active: p, anchor: p, selected: next });
      }
      const next = new Set<number>();
      const [a, b] = anchor <= p ? [anchor, p] : [p, anchor];
      for (let k = a; k <= b; k++) next.add(view.indices[k]!);
      set({ active: p, selected: next });
    },
    selectAllInView() {
      set({ selected: new Set(get().view.indices) });
    },
    clearSelection() {
      set({ selected: new Set() });
    },
    activeRow() {
      const { view, active, index } = get();
      const i = view.indices[active];
      return i === undefined ? null : (index.rows[i] ?? null);
    },
    selectedRows() {
      const { index, selected, view } = get();
      // In view order, so a copied or exported selection reads like the screen.
      const out: DriftRow[] = [];
      for (const i of view.indices) if (selected.has(i)) out.push(index.rows[i]!);
      return out;
    },
  };
});
