/**
 * The mismatch grid: every row of a scan, virtualized (only the visible rows exist in the DOM), with
 * quick search, per-column filters, sort, column choice and order, status tabs, multi-select by
 * keyboard and mouse, CSV export of the current view and copy of rows.
 *
 * TanStack Virtual does the windowing; the column model is ours (grid/model.ts) rather than
 * TanStack Table's, because Table builds a row object per data row on every model change, which is
 * the per-row work we avoid at 100k rows.
 */
import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useGridStore } from '../stores/grid-store';
import { useAppStore } from '../stores/app-store';
import { useDetailsStore } from '../stores/details-store';
import { useFlowStore } from '../stores/remediation-store';
import {
  COLUMNS,
  COLUMN_BY_ID,
  STATUS_TABS,
  TAB_LABEL,
  rowAsText,
  toCsv,
  type ColumnId,
  type SortSpec,
  type StatusTab,
} from '../grid/model';
import type { DriftRow } from '../../../preload/contract';
import { StatusChip } from './StatusChip';
import { TextFit, canvasMeasurer, type ColumnFont } from '../grid/text-fit';
import { copyText, downloadText, formatTime } from '../lib/download';

export const ROW_HEIGHT = 30;

const DATE_COLUMNS = new Set<ColumnId>(['onPremChangedAt', 'lastSyncAt']);

/** Date cells repeat (one sync stamps thousands of rows): format each distinct value once. */
const timeText = new Map<string, string>();
function cachedTime(iso: string): string {
  let t = timeText.get(iso);
  if (t === undefined) {
    if (timeText.size > 20_000) timeText.clear();
    t = formatTime(iso);
    timeText.set(iso, t);
  }
  return t;
}

/** What a cell shows as text (the status column shows a chip instead). */
function cellText(row: DriftRow, column: ColumnId): string {
  const text = COLUMN_BY_ID[column].text(row);
  if (DATE_COLUMNS.has(column) || (column === 'cloudChangedAt' && row.cloud?.changeState === 'known')) return cachedTime(text);
  return text;
}

/**
 * Fonts and content widths of the body cells, read once from the stylesheet when the grid mounts;
 * until then (and where there is no canvas) every cell clips. See grid/text-fit.ts.
 */
let textFit: TextFit | null = null;
let columnFonts: Map<ColumnId, ColumnFont> | null = null;

function readColumnFonts(body: HTMLElement): void {
  if (columnFonts) return;
  const measure = canvasMeasurer();
  if (!measure) return;
  const probe = document.createElement('div');
  probe.className = 'grid-row';
  probe.setAttribute('aria-hidden', 'true');
  for (const c of COLUMNS) {
    const cell = document.createElement('div');
    cell.className = `grid-cell col-${c.id}`;
    probe.appendChild(cell);
  }
  body.appendChild(probe);
  const fonts = new Map<ColumnId, ColumnFont>();
  COLUMNS.forEach((c, k) => {
    const cs = getComputedStyle(probe.children[k]!);
    // Spacing, numeric or stretch variants the canvas would not apply: such a column always clips.
    const plain =
      cs.letterSpacing === 'normal' &&
      (cs.wordSpacing === 'normal' || cs.wordSpacing === '0px') &&
      cs.fontVariantNumeric === 'normal' &&
      cs.fontFeatureSettings === 'normal' &&
      cs.textTransform === 'none' &&
      (cs.fontStretch === '' || cs.fontStretch === 'normal' || cs.fontStretch === '100%');
    if (!plain) return;
    const padding = (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
    fonts.set(c.id, {
      font: `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`,
      contentWidth: c.width - padding,
    });
  });
  probe.remove();
  textFit = new TextFit(measure);
  columnFonts = fonts;
}

function cellClass(column: ColumnId, text: string | null): string {
  const font = columnFonts?.get(column);
  const fits = text !== null && font !== undefined && textFit !== null && textFit.fits(text, font);
  return fits ? `grid-cell col-${column}` : `grid-cell col-${column} clip`;
}

/** Memoized: scrolling re-renders the grid body, never the header and its filter inputs. */
const GridHeader = memo(function GridHeader({
  columns,
  sort,
  filters,
}: {
  columns: readonly ColumnId[];
  sort: SortSpec | null;
  filters: Partial<Record<ColumnId, string>>;
}) {
  return (
    <div className="grid-head" role="rowgroup">
      <div className="grid-row grid-header" role="row" aria-rowindex={1}>
        {columns.map((c) => (
          <div
            key={c}
            role="columnheader"
            className="grid-cell"
            aria-sort={sort?.column === c ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
          >
            <button
              type="button"
              className="sort-button"
              onClick={() => useGridStore.getState().toggleSort(c)}
              data-testid={`sort-${c}`}
            >
              {COLUMN_BY_ID[c].label}
              <span aria-hidden="true">{sort?.column === c ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
            </button>
          </div>
        ))}
      </div>
      <div className="grid-row grid-filters" role="row" aria-rowindex={2}>
        {columns.map((c) => (
          <div key={c} role="columnheader" className="grid-cell">
            <input
              type="search"
              aria-label={`Filter ${COLUMN_BY_ID[c].label}`}
              placeholder="Filter"
              value={filters[c] ?? ''}
              onChange={(e) => useGridStore.getState().setFilter(c, e.target.value)}
              data-testid={`filter-${c}`}
            />
          </div>
        ))}
      </div>
    </div>
  );
});

interface GridRowProps {
  row: DriftRow;
  rowIndex: number;
  pos: number;
  start: number;
  columns: readonly ColumnId[];
  selected: boolean;
  active: boolean;
  onPointer(e: MouseEvent, pos: number, row: DriftRow): void;
}

/** Memoized: while scrolling only rows entering the window render; the others keep their DOM. */
const GridRow = memo(function GridRow({ row, rowIndex, pos, start, columns, selected, active, onPointer }: GridRowProps) {
  return (
    <div
      id={`grid-row-${rowIndex}`}
      role="row"
      aria-rowindex={pos + 3}
      aria-selected={selected}
      className={`grid-row${selected ? ' selected' : ''}${active ? ' active' : ''}`}
      style={{ transform: `translateY(${start}px)` }}
      onClick={(e) => onPointer(e, pos, row)}
      onDoubleClick={(e) => onPointer(e, pos, row)}
      onMouseDown={(e) => {
        // A double-click opens details; without this it would also select a word of the cell.
        if (e.detail > 1) e.preventDefault();
      }}
      data-testid="grid-row"
      data-upn={row.upn}
    >
      {columns.map((c) => {
        if (c === 'status')
          return (
            <div key={c} role="gridcell" className={cellClass(c, null)}>
              <StatusChip status={row.status} />
            </div>
          );
        const text = cellText(row, c);
        return (
          <div key={c} role="gridcell" className={cellClass(c, text)}>
            {c === 'cloudChangedAt' && text && row.cloud?.changeState !== 'known' ? <span className="muted">{text}</span> : text}
          </div>
        );
      })}
    </div>
  );
});

export function MismatchGrid({ onOpenDetails }: { onOpenDetails?: (row: DriftRow) => void }) {
  const view = useGridStore((s) => s.view);
  const index = useGridStore((s) => s.index);
  const columns = useGridStore((s) => s.columns);
  const sort = useGridStore((s) => s.sort);
  const filters = useGridStore((s) => s.filters);
  const tab = useGridStore((s) => s.tab);
  const selected = useGridStore((s) => s.selected);
  const active = useGridStore((s) => s.active);
  const loading = useGridStore((s) => s.loading);
  const loadError = useGridStore((s) => s.loadError);
  const viewMs = useGridStore((s) => s.viewMs);
  const scanId = useGridStore((s) => s.scanId);
  const g = useGridStore.getState;
  const notify = useAppStore((s) => s.notify);
  const profileId = useAppStore((s) => s.profileId);

  const scrollRef = useRef<HTMLDivElement>(null);
  const count = view.indices.length;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    // 150 px beyond each edge covers a fast wheel's step per frame; more rows only add to every frame's paint.
    overscan: 5,
    // Paint a first screen of rows before the container is measured (first paint is what admins wait for).
    initialRect: { width: 1200, height: 800 },
  });

  const template = useMemo(() => columns.map((c) => `${COLUMN_BY_ID[c].width}px`).join(' '), [columns]);
  const totalWidth = useMemo(() => columns.reduce((w, c) => w + COLUMN_BY_ID[c].width, 0), [columns]);
  const gridStyle = { '--grid-columns': template, '--grid-width': `${totalWidth}px` } as CSSProperties;

  const openDetails = (row: DriftRow | null) => {
    if (!row) return;
    if (onOpenDetails) onOpenDetails(row);
    else if (scanId) void useDetailsStore.getState().open(scanId, row.key);
  };

  const copyRows = async () => {
    const rows = g().selectedRows();
    const list = rows.length ? rows : [g().activeRow()].filter((r): r is DriftRow => !!r);
    if (!list.length) return;
    await copyText(list.map((r) => rowAsText(r, columns)).join('\n\n'));
    notify('info', `Copied ${list.length} row${list.length === 1 ? '' : 's'}.`);
  };

  const exportCsv = () => {
    const csv = toCsv(index.rows, view.indices, columns);
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    downloadText(`syncdrift-${profileId}-${tab}-${stamp}.csv`, csv, 'text/csv;charset=utf-8');
    notify('info', `Exported ${count} row${count === 1 ? '' : 's'} to CSV.`);
  };

  /** Starts the guided fix for the selection, or for every row of the current view (a status tab). */
  const startFix = () => {
    if (!scanId) return;
    const chosen = g().selectedRows();
    const rows = chosen.length ? chosen : Array.from(view.indices, (i) => index.rows[i]!);
    if (rows.length === 0) return;
    void useFlowStore.getState().begin(scanId, rows);
    useAppStore.getState().navigate('flow');
  };

  const moveTo = (pos: number, mode: 'move' | 'extend') => {
    g().setActive(pos, mode);
    virtualizer.scrollToIndex(Math.max(0, Math.min(count - 1, pos)), { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / ROW_HEIGHT) - 2);
    const mode = e.shiftKey ? 'extend' : 'move';
    const ctrl = e.ctrlKey || e.metaKey;
    let handled = true;
    if (e.key === 'ArrowDown') moveTo(active + 1, mode);
    else if (e.key === 'ArrowUp') moveTo(active - 1, mode);
    else if (e.key === 'PageDown') moveTo(active + page, mode);
    else if (e.key === 'PageUp') moveTo(active - page, mode);
    else if (e.key === 'Home') moveTo(0, mode);
    else if (e.key === 'End') moveTo(count - 1, mode);
    else if (e.key === ' ') g().setActive(active, 'toggle');
    else if (e.key === 'Enter' && ctrl) startFix();
    else if (e.key === 'Enter') openDetails(g().activeRow());
    else if (ctrl && e.key.toLowerCase() === 'a') g().selectAllInView();
    else if (ctrl && e.key.toLowerCase() === 'c') void copyRows();
    else if (e.key === 'Escape') g().clearSelection();
    else handled = false;
    if (handled) e.preventDefault();
  };

  const openRef = useRef(openDetails);
  openRef.current = openDetails;
  // Stable across renders so memoized rows do not re-render while scrolling.
  const onRowPointer = useCallback((e: MouseEvent, pos: number, row: DriftRow) => {
    if (e.type === 'dblclick') return openRef.current(row);
    scrollRef.current?.focus({ preventScroll: true });
    useGridStore.getState().setActive(pos, e.shiftKey ? 'extend' : e.ctrlKey || e.metaKey ? 'toggle' : 'single');
  }, []);

  const bodyRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (bodyRef.current) readColumnFonts(bodyRef.current);
  }, []);

  const activeRowIndex = view.indices[active];
  const actionsRef = useRef({ exportCsv, copyRows, startFix, openActive: () => openDetails(g().activeRow()) });
  actionsRef.current = { exportCsv, copyRows, startFix, openActive: () => openDetails(g().activeRow()) };
  const actions = useMemo<ToolbarActions>(
    () => ({
      onExport: () => actionsRef.current.exportCsv(),
      onCopy: () => void actionsRef.current.copyRows(),
      onOpen: () => actionsRef.current.openActive(),
      onFix: () => actionsRef.current.startFix(),
    }),
    [],
  );

  return (
    <section className="grid-screen" aria-label="Mismatches">
      <GridToolbar count={count} total={index.rows.length} viewMs={viewMs} actions={actions} />
      <StatusTabs />
      {loading && (
        <p className="grid-loading" role="status" data-testid="grid-loading">
          Loading rows… {loading.loaded.toLocaleString()}
          {loading.total !== null ? ` of ${loading.total.toLocaleString()}` : ''}
        </p>
      )}
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      {!loading && !scanId && index.rows.length === 0 && (
        <p className="empty" data-testid="grid-empty">
          No scan loaded yet. Run a scan from the dashboard (or press Ctrl+R) to fill this grid.
        </p>
      )}
      <div
        ref={scrollRef}
        className="grid"
        role="grid"
        aria-label="Mismatch rows"
        aria-rowcount={count + 2}
        aria-colcount={columns.length}
        aria-multiselectable="true"
        aria-activedescendant={activeRowIndex !== undefined ? `grid-row-${activeRowIndex}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        style={gridStyle}
        data-testid="grid"
      >
        <GridHeader columns={columns} sort={sort} filters={filters} />
        <div ref={bodyRef} className="grid-body" role="rowgroup" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const i = view.indices[item.index]!;
            return (
              <GridRow
                key={i}
                row={index.rows[i]!}
                rowIndex={i}
                pos={item.index}
                start={item.start}
                columns={columns}
                selected={selected.has(i)}
                active={item.index === active}
                onPointer={onRowPointer}
              />
            );
          })}
        </div>
      </div>
    </section>
  );
}

interface ToolbarActions {
  onExport(): void;
  onCopy(): void;
  onOpen(): void;
  onFix(): void;
}

const GridToolbar = memo(function GridToolbar(props: { count: number; total: number; viewMs: number; actions: ToolbarActions }) {
  const search = useGridStore((s) => s.search);
  const selectedCount = useGridStore((s) => s.selected.size);
  const hasFilters = useGridStore((s) => s.search !== '' || Object.keys(s.filters).length > 0);
  const [text, setText] = useState(search);
  const [showColumns, setShowColumns] = useState(false);

  useEffect(() => setText(search), [search]);
  // A short debounce keeps typing smooth at 100k rows; each pass is one loop over the search keys.
  useEffect(() => {
    if (text === useGridStore.getState().search) return;
    const t = setTimeout(() => useGridStore.getState().setSearch(text), 120);
    return () => clearTimeout(t);
  }, [text]);

  return (
    <div className="toolbar" role="toolbar" aria-label="Grid actions">
      <input
        type="search"
        className="grid-search"
        aria-label="Quick search (press / to focus)"
        placeholder="Search user, UPN, number, DN…   ( / )"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') useGridStore.getState().setSearch(text);
        }}
        data-testid="grid-search"
      />
      {hasFilters && (
        <button type="button" onClick={() => useGridStore.getState().clearFilters()}>
          Clear filters
        </button>
      )}
      <button type="button" onClick={props.actions.onOpen} title="Enter">
        Details
      </button>
      <button type="button" onClick={props.actions.onCopy} title="Ctrl+C">
        Copy {selectedCount > 1 ? `${selectedCount} rows` : 'row'}
      </button>
      <button
        type="button"
        className="primary"
        onClick={props.actions.onFix}
        disabled={props.count === 0 && selectedCount === 0}
        title="Ctrl+Enter: the guided fix for the selected rows, or for every row in this view"
        data-testid="fix-selected"
      >
        Fix {selectedCount > 0 ? `${selectedCount.toLocaleString()} selected` : `${props.count.toLocaleString()} in view`}…
      </button>
      <button type="button" onClick={props.actions.onExport} data-testid="export-csv" title="Ctrl+E">
        Export CSV
      </button>
      <div className="popover-anchor">
        <button
          type="button"
          aria-expanded={showColumns}
          aria-controls="column-chooser"
          onClick={() => setShowColumns((v) => !v)}
        >
          Columns
        </button>
        {showColumns && <ColumnChooser onClose={() => setShowColumns(false)} />}
      </div>
      <span className="toolbar-status" role="status" data-testid="grid-count">
        {props.count.toLocaleString()} of {props.total.toLocaleString()} rows
        {selectedCount > 0 ? ` · ${selectedCount.toLocaleString()} selected` : ''}
        <span className="muted"> · {props.viewMs.toFixed(0)} ms</span>
      </span>
    </div>
  );
});

function ColumnChooser({ onClose }: { onClose(): void }) {
  const columns = useGridStore((s) => s.columns);
  const g = useGridStore.getState;
  const hidden = COLUMNS.filter((c) => !columns.includes(c.id));
  return (
    <div
      id="column-chooser"
      className="popover"
      role="dialog"
      aria-label="Choose and order columns"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <ul className="column-list">
        {[...columns.map((id) => COLUMN_BY_ID[id]), ...hidden].map((c) => {
          const shown = columns.includes(c.id);
          return (
            <li key={c.id}>
              <label>
                <input type="checkbox" checked={shown} onChange={() => g().toggleColumn(c.id)} data-testid={`column-${c.id}`} />{' '}
                {c.label}
              </label>
              {shown && (
                <span className="column-move">
                  <button type="button" aria-label={`Move ${c.label} left`} onClick={() => g().moveColumn(c.id, -1)}>
                    ↑
                  </button>
                  <button type="button" aria-label={`Move ${c.label} right`} onClick={() => g().moveColumn(c.id, 1)}>
                    ↓
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={onClose}>
        Done
      </button>
    </div>
  );
}

const StatusTabs = memo(function StatusTabs() {
  const tab = useGridStore((s) => s.tab);
  const counts = useGridStore((s) => s.view.counts);
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!d) return;
    e.preventDefault();
    const next = STATUS_TABS[(i + d + STATUS_TABS.length) % STATUS_TABS.length]!;
    useGridStore.getState().setTab(next);
    refs.current[next]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Filter by status">
      {STATUS_TABS.map((t: StatusTab, i) => (
        <button
          key={t}
          ref={(el) => {
            refs.current[t] = el;
          }}
          type="button"
          role="tab"
          aria-selected={tab === t}
          tabIndex={tab === t ? 0 : -1}
          className={`tab tab-${t}`}
          onClick={() => useGridStore.getState().setTab(t)}
          onKeyDown={(e) => onKeyDown(e, i)}
          data-testid={`tab-${t}`}
        >
          {TAB_LABEL[t]} <span className="tab-count">{counts[t].toLocaleString()}</span>
        </button>
      ))}
    </div>
  );
});
