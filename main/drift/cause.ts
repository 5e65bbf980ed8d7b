/**
 * The one-line likely cause per row, in words an admin understands. Never contains a phone number
 * (exports mask values, not prose). Pure.
 */
import type { DriftStatus } from '../core/model';
import type { CloudChangeInfo } from './timeline';

export interface CauseFacts {
  status: DriftStatus;
  softMatchUpn?: string | null;
  bothEmpty?: boolean;
  managed?: boolean;
  /** Who masters the user (docs/drift.md, "Which users"). */
  authority?: 'ad' | 'cloud' | 'unsynced';
  onPremChangedAt?: string | null;
  onPremTimeApproximate?: boolean;
  lastSyncAt?: string | null;
  /** Set when the tenant synced long after the AD change without carrying it (a confirmed override). */
  stuckTenantSyncAt?: string | null;
  cloudChange?: CloudChangeInfo;
}

/** "2025-03-02 14:05 UTC"; the raw value when it is not a date. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'an unknown time';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function auditSentence(c: CloudChangeInfo | undefined, status: DriftStatus): string {
  if (!c) return '';
  switch (c.state) {
    case 'known':
      if (c.syncWrite) {
        return status === 'in-sync' ? '' : ` The last cloud change (${formatTime(c.at)}) was a sync write; AD changes after it did not arrive.`;
      }
      return ` Last cloud change: ${formatTime(c.at)} by ${c.actor ?? 'an unnamed initiator'}.`;
    case 'loading':
      return status === 'in-sync' ? '' : ' Audit log still loading.';
    case 'outside-retention':
      return status === 'in-sync' ? '' : ' No cloud change within the audit log retention: the edit is older.';
    default:
      return '';
  }
}

const MANAGED_UNSYNCED = 'this user is no longer synced (onPremisesSyncEnabled false), so AD values no longer flow and Graph accepts a per-user write.';
const MANAGED_SOA =
  'this user\u2019s source of authority was switched from AD to the cloud (onPremisesSyncEnabled null, anchor kept, isCloudManaged), so no AD attribute flows any more and Graph accepts a per-user write.';

export function likelyCause(f: CauseFacts): string {
  const audit = auditSentence(f.cloudChange, f.status);
  const MANAGED = f.authority === 'cloud' ? MANAGED_SOA : MANAGED_UNSYNCED;
  const adChanged = f.onPremTimeApproximate ? 'The AD account changed' : 'AD changed';
  if (f.stuckTenantSyncAt && !f.managed && f.status !== 'in-sync' && f.status !== 'pending-sync' && !f.status.startsWith('unmatched')) {
    return `Confirmed override: ${adChanged} on ${formatTime(f.onPremChangedAt)}, the tenant synced after that (${formatTime(f.stuckTenantSyncAt)}), yet this user\u2019s last sync is ${formatTime(f.lastSyncAt)} and the AD value never arrived: Entra ID ignores AD changes to it for this user (DirSyncOverrides).${audit}`;
  }
  switch (f.status) {
    case 'unmatched-onprem':
      if (f.softMatchUpn) {
        return `Only the UPN matches cloud user ${f.softMatchUpn}: the source anchors differ, so Entra Connect treats them as two objects. Not compared; fix the match first.`;
      }
      return 'No Entra ID user carries this account\u2019s source anchor or SID: not synced yet, filtered out in Entra Connect, or its export failed.';
    case 'unmatched-cloud':
      return 'Synced Entra ID user whose source anchor is not in the scanned AD: the AD account was deleted, moved out of the scanned OUs, or lives in another domain or forest.';
    case 'rule-formatted':
      return `A sync rule reformats AD's value on its way and Entra ID holds exactly what the engine exported: no override.${audit}`;
    case 'in-sync':
      return f.bothEmpty ? 'Both are empty.' : `Values match.${audit}`;
    case 'pending-sync':
      return `${adChanged} on ${formatTime(f.onPremChangedAt)}, after this user\u2019s last sync (${formatTime(f.lastSyncAt)}): the next sync cycle should carry it.`;
    case 'format-only':
      if (f.managed) return `Same number, written differently; ${MANAGED}${audit}`;
      return `Same number, written differently: Entra Connect copies AD verbatim and compares strings, so this is real drift for sync unless a custom sync rule (or a Cloud Sync expression mapping) reformats mobile; the cloud value was edited in the cloud and an override (DirSyncOverrides) is likely.${audit}`;
    case 'cloud-missing':
      if (f.managed) return `AD has a number, Entra ID is empty; ${MANAGED}${audit}`;
      return `AD has a number but Entra ID is empty: the cloud value was cleared in the cloud and AD changes are likely ignored for this user (override).${audit}`;
    case 'onprem-missing':
      if (f.managed) return `Entra ID has a number AD does not; ${MANAGED}${audit}`;
      return `Entra ID has a number AD does not: it was set in the cloud. Enabling the bypass would erase it; copy it into AD first if it is worth keeping.${audit}`;
    case 'cloud-override':
      if (f.managed) return `Different numbers; ${MANAGED}${audit}`;
      return `Different numbers: the cloud value was edited in the cloud and Entra ID now ignores AD changes to it for this user (override).${audit}`;
  }
}

/**
 * A stored cause with its audit clause brought up to date: rows are classified while the audit index
 * may still be filling, and the clause ("Audit log still loading.") must not outlive that.
 */
export function refreshCauseAudit(cause: string, status: DriftStatus, before: CloudChangeInfo, after: CloudChangeInfo): string {
  const old = auditSentence(before, status);
  if (!old || !cause.endsWith(old)) return cause;
  return cause.slice(0, cause.length - old.length) + auditSentence(after, status);
}
