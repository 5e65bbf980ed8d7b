/**
 * The mismatch grid: every row of a scan, virtualized (only the visible rows exist in the DOM), with
 * quick search, per-column filters, sort, column choice and order, status tabs, multi-select by
 * keyboard and mouse, CSV export of the current view and copy of rows.
 *
 * TanStack Virtual does the windowing; the column model is ours (grid/model.ts) rather than
 * TanStack Table's, because Table builds a row object per data row on every model change, which is
 * the per-row work we avoid at 100k rows.
 *
 * The body (cells, header, rows) is mismatch-grid/GridBody.tsx; the toolbar, column chooser and
 * status tabs are mismatch-grid/GridToolbar.tsx.
 */
import { useCallback, useLayoutEffect, useMemo, useRef, type CSSProperties, type KeyboardEvent, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useGridStore } from '../stores/grid-store';
import { useAppStore } from '../stores/app-store';
import { useDetailsStore } from '../stores/details-store';
import { useFlowStore } from '../stores/remediation-store';
import { COLUMN_BY_ID, rowAsText, toCsv } from '../grid/model';
import type { DriftRow } from '../../../preload/contract';
import { copyText, downloadText } from '../lib/download';
import { GridHeader, GridRow, ROW_HEIGHT, readColumnFonts } from './mismatch-grid/GridBody';
import { GridToolbar, StatusTabs, type ToolbarActions } from './mismatch-grid/GridToolbar';

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
