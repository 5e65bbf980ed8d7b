/**
 * Entra Connect run history from `Get-ADSyncRunProfileResult | ConvertTo-Json -Depth 4` (with or without
 * the RunStepResults each run carries; `Get-ADSyncRunStepResult` output is accepted the same way):
 * when each connector last exported and how that run ended. It gives an exported value its time and
 * tells a stuck engine (last export failed or long ago) from a working one. Pure.
 */
import { z } from 'zod';
import { ValidationError, formatIssues } from '../core/errors';
import { jsonRecords } from './records';

export interface ConnectorRun {
  connector: string;
  connectorId: string | null;
  profile: string;
  result: string;
  startedAt: string | null;
  endedAt: string | null;
  record: number;
  line: number;
}

/** PowerShell 5.1 writes DateTime as "\/Date(1700000000000)\/"; 7.x as ISO text. */
export function psDate(v: unknown): string | null | undefined {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string') return undefined;
  const m = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(v);
  const t = m ? Number(m[1]) : Date.parse(v);
  if (!Number.isFinite(t)) return undefined;
  return new Date(t).toISOString();
}

const Run = z
  .object({
    ConnectorName: z.string().min(1),
    ConnectorId: z.string().nullable().optional(),
    RunProfileName: z.string().nullable().optional(),
    Result: z.string().nullable().optional(),
    StepResult: z.string().nullable().optional(),
    StartDate: z.unknown().optional(),
    EndDate: z.unknown().optional(),
  })
  .passthrough();

export function parseRunHistoryJson(text: string, file: string): ConnectorRun[] {
  const out: ConnectorRun[] = [];
  for (const rec of jsonRecords(text, file)) {
    const where = `${file}:${rec.line}`;
    const p = Run.safeParse(rec.value);
    if (!p.success) throw new ValidationError(where, `record ${rec.record}: ${formatIssues(p.error.issues)}`);
    const startedAt = psDate(p.data.StartDate);
    const endedAt = psDate(p.data.EndDate);
    if (startedAt === undefined) throw new ValidationError(where, `record ${rec.record}: StartDate is not a date`);
    if (endedAt === undefined) throw new ValidationError(where, `record ${rec.record}: EndDate is not a date`);
    out.push({
      connector: p.data.ConnectorName,
      connectorId: p.data.ConnectorId?.toLowerCase().replace(/[{}]/g, '') ?? null,
      profile: p.data.RunProfileName ?? '',
      result: p.data.Result ?? p.data.StepResult ?? 'unknown',
      startedAt,
      endedAt,
      record: rec.record,
      line: rec.line,
    });
  }
  return out;
}

/** The newest run with an export step on each connector (profile name contains "Export"). */
export function lastExports(runs: readonly ConnectorRun[]): Map<string, ConnectorRun> {
  const out = new Map<string, ConnectorRun>();
  for (const r of runs) {
    if (!/export/i.test(r.profile) || !r.endedAt) continue;
    const key = r.connector.toLowerCase();
    const prev = out.get(key);
    if (!prev || Date.parse(prev.endedAt!) < Date.parse(r.endedAt)) out.set(key, r);
  }
  return out;
}
