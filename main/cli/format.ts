/**
 * Output of a drift report: JSON (the public report shape), CSV (each row flattened, one column per
 * leaf of DriftRow, e.g. `onPrem.value`, in a fixed order so scripts can rely on it) and a table
 * for people.
 */
import { z } from 'zod';
import { ATTENTION_STATUSES, DriftRow, type DriftReport } from '../core/model';
import type { OutputFormat } from './args';

/** Only the rows that need attention unless `all`; the summary keeps every count. */
export function selectRows(report: DriftReport, all: boolean): DriftReport {
  if (all) return report;
  const keep = new Set<string>(ATTENTION_STATUSES);
  return { ...report, rows: report.rows.filter((r) => keep.has(r.status)) };
}

/** Leaf paths of a zod object schema, nested objects flattened with dots. */
function leafPaths(schema: z.ZodType, prefix = ''): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject) {
    return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

export const CSV_COLUMNS: readonly string[] = leafPaths(DriftRow);

function valueAt(row: unknown, path: string): unknown {
  let cur: unknown = row;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A phone number like "+1 425 555 0100" must stay as typed, so only other leading + and - count as formulas. */
const PHONE_LIKE = /^[+-][\d\s().\-/]*$/;

/** RFC 4180 quoting; cells a spreadsheet would run as a formula get a leading apostrophe. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('|') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !PHONE_LIKE.test(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(report: DriftReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of report.rows) lines.push(CSV_COLUMNS.map((c) => csvCell(valueAt(r, c))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}\u2026`;
}

export function toTable(report: DriftReport, opts: { width?: number } = {}): string {
  const head = ['STATUS', 'UPN', 'AD MOBILE', 'CLOUD MOBILE', 'LIKELY CAUSE'];
  const body = report.rows.map((r) => [r.status + (r.match === 'upn-soft' ? ' (upn?)' : ''), r.upn, r.onPrem?.value ?? '', r.cloud?.value ?? '', r.cause]);
  const widths = head.map((h, i) => Math.min(i === 1 ? 40 : 24, Math.max(h.length, ...body.map((b) => b[i]!.length))));
  const fixed = widths.slice(0, 4).reduce((a, b) => a + b + 2, 0);
  const causeWidth = opts.width ? Math.max(20, opts.width - fixed) : Number.POSITIVE_INFINITY;
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i < 4 ? clip(c, widths[i]!).padEnd(widths[i]!) : clip(c, causeWidth)))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), ...body.map(fmt)];
  const s = report.summary;
  const counts = Object.entries(s.byStatus)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push('');
  lines.push(`${report.profile}: ${s.onPremUsers} AD users in scope, ${s.cloudUsers} synced Entra ID users${s.outOfScope ? `, ${s.outOfScope} outside the scanned scope` : ''}.`);
  lines.push(`By status: ${counts || 'none'}.${report.rows.length === 0 ? ' Nothing needs attention.' : ''}`);
  return lines.join('\n') + '\n';
}

export function renderReport(report: DriftReport, format: OutputFormat, opts: { width?: number } = {}): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'csv':
      return toCsv(report);
    case 'table':
      return toTable(report, opts);
  }
}
