/**
 * The mismatch grid's controls: the toolbar (quick search, counts, export, copy, open, fix), the
 * column chooser and the status tabs.
 */
import { memo, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useGridStore } from '../../stores/grid-store';
import { COLUMNS, COLUMN_BY_ID, STATUS_TABS, TAB_LABEL, type StatusTab } from '../../grid/model';

export interface ToolbarActions {
  onExport(): void;
  onCopy(): void;
  onOpen(): void;
  onFix(): void;
}

export const GridToolbar = memo(function GridToolbar(props: { count: number; total: number; viewMs: number; actions: ToolbarActions }) {
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

export function ColumnChooser({ onClose }: { onClose(): void }) {
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

export const StatusTabs = memo(function StatusTabs() {
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
