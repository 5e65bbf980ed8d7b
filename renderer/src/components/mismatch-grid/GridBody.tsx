/**
 * The mismatch grid's body: cell text and classes (dates formatted once per value), column fonts
 * for text fitting, the sortable header and one virtualized row.
 */
import { memo, type MouseEvent } from 'react';
import { useGridStore } from '../../stores/grid-store';
import { COLUMNS, COLUMN_BY_ID, type ColumnId, type SortSpec } from '../../grid/model';
import type { DriftRow } from '../../../../preload/contract';
import { StatusChip } from '../StatusChip';
import { TextFit, canvasMeasurer, type ColumnFont } from '../../grid/text-fit';
import { formatTime } from '../../lib/download';

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

export function readColumnFonts(body: HTMLElement): void {
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
export const GridHeader = memo(function GridHeader({
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
export const GridRow = memo(function GridRow({ row, rowIndex, pos, start, columns, selected, active, onPointer }: GridRowProps) {
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
