/**
 * Who changed what when: the cloud side comes from the audit index through a lookup function the
 * caller passes in (the index lives in the workspace and fills in the background). Pure.
 */
import type { DriftRow } from '../core/model';
import type { z } from 'zod';
import type { CloudChangeState } from '../core/model';
import { isLater, type AuthorityChange, type MobileChange } from './audit';

export type CloudChangeStateValue = z.infer<typeof CloudChangeState>;

export interface CloudChangeInfo {
  state: CloudChangeStateValue;
  at?: string | null;
  actor?: string | null;
  syncWrite?: boolean;
  /** outside-retention: the audit log was read back to this time and holds no change since (null = not known). */
  since?: string | null;
}

/** Looks up the last known mobile change of a cloud user id. */
export type AuditLookup = (cloudUserId: string) => CloudChangeInfo;

export interface AuditCoverage {
  /** True once the index covers the whole retention window up to the scan. */
  complete: boolean;
  /** How far back the index reaches (the retention start of its first fill); null or absent = unknown. */
  coveredFrom?: string | null;
}

/**
 * Builds a lookup over the latest changes per user. Where the index has no record: `loading` while it
 * is still filling, else `outside-retention` (the last edit, if any, is older than the log keeps).
 */
export function auditLookupFrom(latestByUser: ReadonlyMap<string, MobileChange>, coverage: AuditCoverage): AuditLookup {
  return (id) => {
    const c = latestByUser.get(id);
    if (c) return { state: 'known', at: c.at, actor: c.actor, syncWrite: c.syncWrite };
    return coverage.complete ? { state: 'outside-retention', since: coverage.coveredFrom ?? null } : { state: 'loading' };
  };
}

/** Merges change lists into the latest change per user (e.g. index rows plus a fresh page). */
export function latestChanges(changes: Iterable<MobileChange>): Map<string, MobileChange> {
  const m = new Map<string, MobileChange>();
  for (const c of changes) {
    const prev = m.get(c.targetId);
    if (!prev || isLater(c, prev)) m.set(c.targetId, c);
  }
  return m;
}

export interface TimelineEvent {
  at: string;
  kind: 'onprem-change' | 'sync' | 'cloud-change' | 'authority-change' | 'engine-export';
  label: string;
}

/**
 * The row's events in time order, for the detail pane and evidence. `authorityChanges` are the
 * source-of-authority switches the audit log holds for the row's cloud user (other users' are ignored).
 */
export function timelineOf(row: DriftRow, extra: { authorityChanges?: readonly AuthorityChange[] } = {}): TimelineEvent[] {
  const ev: TimelineEvent[] = [];
  for (const a of extra.authorityChanges ?? []) {
    if (!row.cloud || a.targetId !== row.cloud.id) continue;
    const label = a.to === 'cloud' ? 'Source of authority switched from AD to the cloud' : 'Source of authority switched back to AD';
    ev.push({ at: a.at, kind: 'authority-change', label: `${label} by ${a.actor ?? 'an unnamed initiator'}` });
  }
  if (row.onPrem?.changedAt) {
    const v = row.onPrem.changeVersion === null ? '' : ` (version ${row.onPrem.changeVersion})`;
    const what = row.onPrem.changeSource === 'whenChanged' ? 'AD account changed (whenChanged)' : `AD mobile changed${v}`;
    ev.push({ at: row.onPrem.changedAt, kind: 'onprem-change', label: what });
  }
  if (row.cloud?.lastSyncAt) ev.push({ at: row.cloud.lastSyncAt, kind: 'sync', label: 'Last sync of this user' });
  // The engine's export time (#18): Connect's last export run on the Entra ID connector (run history),
  // Cloud Sync's provisioning log entry. No value in the label: a masked package keeps the timeline.
  if (row.engine?.exportedAt) {
    const run = row.engine.evidence.find((e) => e.source === 'Get-ADSyncRunProfileResult') ?? (row.engine.engine === 'cloud-sync' ? row.engine.evidence[0] : undefined);
    const cite = run ? ` (${run.source} ${run.origin}${run.line ? `:${run.line}` : ''})` : '';
    const what = row.engine.engine === 'connect' ? 'Entra Connect\'s last export run for this user\'s connector space' : 'Cloud Sync exported mobile for this user';
    ev.push({ at: row.engine.exportedAt, kind: 'engine-export', label: `${what}${cite}` });
  }
  if (row.cloud?.changedAt) {
    ev.push({ at: row.cloud.changedAt, kind: 'cloud-change', label: `Cloud mobile changed by ${row.cloud.changedBy ?? 'an unnamed initiator'}` });
  }
  return ev.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
