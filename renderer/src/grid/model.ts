/**
 * The mismatch grid's data model, pure and DOM-free so it can be tested and benchmarked on its own.
 *
 * Speed at 100k rows comes from doing string work once per load: every row gets one lower-cased
 * search key, a status index in a typed array and (lazily, per column, once) its lower-cased column
 * text and sort order. A view is then a single pass over an index array; no objects are created per
 * row and nothing is recomputed per render.
 */
import type { DriftRow, DriftStatus } from '../../../preload/contract';

export const STATUS_ORDER: readonly DriftStatus[] = [
  'cloud-override',
  'format-only',
  'cloud-missing',
  'onprem-missing',
  'pending-sync',
  'unmatched-onprem',
  'unmatched-cloud',
  'rule-formatted',
  'in-sync',
];

export const STATUS_LABEL: Record<DriftStatus, string> = {
  'cloud-override': 'Cloud override',
  'format-only': 'Format only',
  'cloud-missing': 'Missing in cloud',
  'onprem-missing': 'Missing on-prem',
  'pending-sync': 'Pending sync',
  'unmatched-onprem': 'Not in cloud',
  'unmatched-cloud': 'Not on-prem',
  'rule-formatted': 'Rule formatted',
  'in-sync': 'In sync',
};

export type StatusTab = 'all' | 'attention' | DriftStatus;
export const STATUS_TABS: readonly StatusTab[] = ['attention', 'all', ...STATUS_ORDER];
export const TAB_LABEL: Record<StatusTab, string> = { all: 'All', attention: 'Needs attention', ...STATUS_LABEL };

export type ColumnId =
  | 'user'
  | 'upn'
  | 'status'
  | 'onPremValue'
  | 'cloudValue'
  | 'otherMobile'
  | 'normOnPrem'
  | 'normCloud'
  | 'onPremChangedAt'
  | 'lastSyncAt'
  | 'cloudChangedAt'
  | 'cloudChangedBy'
  | 'managed'
  | 'source'
  | 'match'
  | 'cause';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  /** Width in px; the grid is a CSS grid with these as its template. */
  width: number;
  /** The cell's text: what is shown, filtered, sorted and exported. */
  text(row: DriftRow): string;
}

const s = (v: string | null | undefined): string => v ?? '';

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'user', label: 'User', width: 200, text: (r) => s(r.onPrem?.displayName ?? r.cloud?.displayName ?? r.onPrem?.samAccountName) },
  { id: 'upn', label: 'UPN', width: 240, text: (r) => r.upn },
  { id: 'status', label: 'Status', width: 150, text: (r) => STATUS_LABEL[r.status] },
  { id: 'onPremValue', label: 'On-prem mobile', width: 150, text: (r) => s(r.onPrem?.value) },
  { id: 'cloudValue', label: 'Cloud mobilePhone', width: 150, text: (r) => s(r.cloud?.value) },
  { id: 'otherMobile', label: 'AD otherMobile', width: 200, text: (r) => otherMobileText(r) },
  { id: 'normOnPrem', label: 'Normalized on-prem', width: 150, text: (r) => s(r.normalized.onPrem) },
  { id: 'normCloud', label: 'Normalized cloud', width: 150, text: (r) => s(r.normalized.cloud) },
  { id: 'onPremChangedAt', label: 'Last on-prem change', width: 170, text: (r) => s(r.onPrem?.changedAt) },
  { id: 'lastSyncAt', label: 'Last sync', width: 170, text: (r) => s(r.cloud?.lastSyncAt) },
  { id: 'cloudChangedAt', label: 'Cloud change', width: 170, text: (r) => cloudChangeText(r) },
  { id: 'cloudChangedBy', label: 'Changed by', width: 200, text: (r) => s(r.cloud?.changedBy) },
  { id: 'managed', label: 'Cloud-managed', width: 110, text: (r) => (r.cloud ? (r.cloud.managed ? 'yes' : 'no') : '') },
  { id: 'source', label: 'Source', width: 120, text: (r) => s(r.onPrem?.sourceId) },
  { id: 'match', label: 'Match', width: 90, text: (r) => s(r.match) },
  { id: 'cause', label: 'Likely cause', width: 320, text: (r) => r.cause },
];

export const COLUMN_BY_ID: Record<ColumnId, ColumnDef> = Object.fromEntries(COLUMNS.map((c) => [c.id, c])) as Record<ColumnId, ColumnDef>;

export const DEFAULT_COLUMNS: readonly ColumnId[] = [
  'user',
  'upn',
  'status',
  'onPremValue',
  'cloudValue',
  'otherMobile',
  'normOnPrem',
  'normCloud',
  'onPremChangedAt',
  'lastSyncAt',
  'cloudChangedAt',
  'cloudChangedBy',
  'managed',
];

export function isColumnId(v: unknown): v is ColumnId {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(COLUMN_BY_ID, v);
}

/**
 * AD otherMobile (#17 point 11): its values, and that the cloud side (AlternateMobilePhones) cannot be
 * read, so nobody takes a blank cloud for "in sync". Empty when AD holds none.
 */
function otherMobileText(r: DriftRow): string {
  const values = r.otherMobile?.onPrem ?? r.onPrem?.otherMobile ?? [];
  if (values.length === 0) return '';
  const verdict = r.otherMobile?.verdict;
  const what = verdict === 'bypass-pushes' ? ', the bypass pushes' : verdict === 'not-flowing' ? ', AD does not flow' : '';
  return `${values.join('; ')} (cloud: not readable through Graph v1.0${what})`;
}

/** The cloud change cell says what is known, and when it is not, why (never a blank that looks like "no change"). */
function cloudChangeText(r: DriftRow): string {
  if (!r.cloud) return '';
  switch (r.cloud.changeState) {
    case 'known':
      return s(r.cloud.changedAt);
    case 'loading':
      return 'audit loading…';
    case 'outside-retention':
      return 'outside audit retention';
    case 'none-found':
      return 'no cloud edit found';
    case 'unavailable':
      return 'audit unavailable';
  }
}

export interface RowIndex {
  readonly rows: readonly DriftRow[];
  /** One lower-cased key per row for the quick search; built on first search or when idle (see ensureSearchKeys). */
  search: string[] | null;
  /** Index into STATUS_ORDER per row. */
  readonly status: Uint8Array;
  /** Lower-cased column text, built on first use of a column filter. */
  readonly colText: Map<ColumnId, string[]>;
  /** Sorted permutations, built on first sort by a column. */
  readonly sorted: Map<ColumnId, Uint32Array>;
}

const STATUS_INDEX = new Map<DriftStatus, number>(STATUS_ORDER.map((st, i) => [st, i]));

/** Only the status array is built up front, so the first rows paint without waiting for string work. */
export function buildIndex(rows: readonly DriftRow[]): RowIndex {
  const n = rows.length;
  const status = new Uint8Array(n);
  for (let i = 0; i < n; i++) status[i] = STATUS_INDEX.get(rows[i]!.status) ?? 0;
  return { rows, search: null, status, colText: new Map(), sorted: new Map() };
}

function searchKey(r: DriftRow): string {
  return [
    r.upn,
    r.onPrem?.displayName,
    r.cloud?.displayName,
    r.onPrem?.samAccountName,
    r.onPrem?.value,
    r.cloud?.value,
    r.normalized.onPrem,
    r.normalized.cloud,
    ...(r.onPrem?.otherMobile ?? []),
    ...(r.otherMobile?.normalized ?? []),
    r.cloud?.changedBy,
    r.onPrem?.dn,
    r.cloud?.id,
    STATUS_LABEL[r.status],
    r.status,
  ]
    .filter(Boolean)
    .join('\u0001')
    .toLowerCase();
}

/**
 * Builds the search keys, all at once (deadline undefined) or in slices until `deadline()` says
 * stop; returns true when complete. The store calls it in idle slices after the first paint, and
 * a search before that finishes it synchronously.
 */
export function ensureSearchKeys(index: RowIndex, deadline?: () => boolean): boolean {
  if (index.search && index.search.length === index.rows.length) return true;
  const keys = index.search ?? [];
  index.search = keys;
  const n = index.rows.length;
  for (let i = keys.length; i < n; i++) {
    keys.push(searchKey(index.rows[i]!));
    if (deadline && (i & 1023) === 0 && deadline()) return i + 1 === n;
  }
  return true;
}

function columnText(index: RowIndex, col: ColumnId): string[] {
  let t = index.colText.get(col);
  if (!t) {
    const def = COLUMN_BY_ID[col];
    t = index.rows.map((r) => def.text(r).toLowerCase());
    index.colText.set(col, t);
  }
  return t;
}

/** Ascending permutation of all rows by a column; empty values sort last, ties keep load order. */
function sortedBy(index: RowIndex, col: ColumnId): Uint32Array {
  let p = index.sorted.get(col);
  if (!p) {
    const keys = col === 'status' ? null : columnText(index, col);
    const st = index.status;
    const n = index.rows.length;
    const arr = new Array<number>(n);
    for (let i = 0; i < n; i++) arr[i] = i;
    // Plain code-unit comparison of pre-lowered keys: an Intl collator is ~10x slower at 100k rows.
    arr.sort((a, b) => {
      if (!keys) return st[a]! - st[b]! || a - b;
      const ka = keys[a]!;
      const kb = keys[b]!;
      if (ka === kb) return a - b;
      if (!ka) return 1;
      if (!kb) return -1;
      return ka < kb ? -1 : 1;
    });
    p = Uint32Array.from(arr);
    index.sorted.set(col, p);
  }
  return p;
}

export interface SortSpec {
  column: ColumnId;
  dir: 'asc' | 'desc';
}

export interface ViewQuery {
  search: string;
  tab: StatusTab;
  filters: Partial<Record<ColumnId, string>>;
  sort: SortSpec | null;
}

export interface View {
  /** Row indices (into index.rows) in display order. */
  indices: Uint32Array;
  /** Rows per tab under the current search and column filters. */
  counts: Record<StatusTab, number>;
}

export function emptyCounts(): Record<StatusTab, number> {
  return Object.fromEntries(STATUS_TABS.map((t) => [t, 0])) as Record<StatusTab, number>;
}

/** One pass over the rows in sort order: applies search and column filters, counts per tab, keeps the tab's rows. */
export function computeView(index: RowIndex, q: ViewQuery): View {
  const n = index.rows.length;
  const needle = q.search.trim().toLowerCase();
  const filters = (Object.entries(q.filters) as [ColumnId, string | undefined][])
    .map(([col, v]) => [columnText(index, col), (v ?? '').trim().toLowerCase()] as const)
    .filter(([, v]) => v.length > 0);
  const order = q.sort ? sortedBy(index, q.sort.column) : null;
  const desc = q.sort?.dir === 'desc';
  const tabStatus = q.tab === 'all' || q.tab === 'attention' ? -1 : (STATUS_INDEX.get(q.tab) ?? -1);
  const inSync = STATUS_INDEX.get('in-sync')!;
  const perStatus = new Uint32Array(STATUS_ORDER.length);
  const out = new Uint32Array(n);
  let m = 0;
  if (needle) ensureSearchKeys(index);
  const search = index.search ?? [];
  const { status } = index;
  for (let k = 0; k < n; k++) {
    const pos = desc ? n - 1 - k : k;
    const i = order ? order[pos]! : pos;
    if (needle && !search[i]!.includes(needle)) continue;
    let pass = true;
    for (let f = 0; f < filters.length; f++) {
      if (!filters[f]![0][i]!.includes(filters[f]![1])) {
        pass = false;
        break;
      }
    }
    if (!pass) continue;
    const st = status[i]!;
    perStatus[st]!++;
    if (q.tab === 'all' || st === tabStatus || (q.tab === 'attention' && st !== inSync)) out[m++] = i;
  }
  const counts = emptyCounts();
  let all = 0;
  STATUS_ORDER.forEach((st, i) => {
    counts[st] = perStatus[i]!;
    all += perStatus[i]!;
  });
  counts.all = all;
  counts.attention = all - perStatus[inSync]!;
  return { indices: out.subarray(0, m), counts };
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading =, @, tab
 * or CR is neutralized with an apostrophe so a spreadsheet does not run it as a formula; + and -
 * are left alone when the rest looks like a phone number, because "+1 425 555 0100" is data.
 */
export function csvField(value: string): string {
  let v = value;
  if (/^[=@\t\r]/.test(v) || (/^[+-]/.test(v) && !/^[+-][\d\s().-]*$/.test(v))) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(rows: readonly DriftRow[], indices: ArrayLike<number>, columns: readonly ColumnId[]): string {
  const defs = columns.map((c) => COLUMN_BY_ID[c]);
  const lines = [defs.map((d) => csvField(d.label)).join(',')];
  for (let k = 0; k < indices.length; k++) {
    const r = rows[indices[k]!]!;
    lines.push(defs.map((d) => csvField(d.text(r))).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** A row as "Label: value" lines, for pasting into a ticket or chat. */
export function rowAsText(row: DriftRow, columns: readonly ColumnId[]): string {
  return columns.map((c) => `${COLUMN_BY_ID[c].label}: ${COLUMN_BY_ID[c].text(row)}`).join('\n');
}
