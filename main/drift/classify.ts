/**
 * Classification of one matched pair for `mobile` → `mobilePhone`: exactly one status, first match
 * wins (docs/drift.md). Pure.
 */
import type { DriftStatus } from '../core/model';
import { isBlank, sameNumber, type NormalizedPhone } from './normalize';

export interface PairFacts {
  onPremValue: string | null;
  cloudValue: string | null;
  onPremNorm: NormalizedPhone | null;
  cloudNorm: NormalizedPhone | null;
  /** When AD's value last changed (per-attribute metadata or whenChanged). */
  onPremChangedAt: string | null;
  /** The cloud user's onPremisesLastSyncDateTime. */
  lastSyncAt: string | null;
  /** No longer synced or cloud-managed: AD changes do not flow, so nothing is "pending". */
  managed: boolean;
  /** The tenant's last sync cycle (/organization onPremisesLastSyncDateTime). */
  tenantLastSyncAt?: string | null;
  /** How long after the AD change a tenant sync must have run for the change to count as refused. */
  stuckAfterMs?: number;
}

/** Reason code of a pair whose AD change a later tenant sync did not carry (the field report itself). */
export const OVERRIDE_CONFIRMED = 'override-confirmed';

/** Default for `stuckAfterMs`: 2 h, four default Connect cycles. */
export const STUCK_AFTER_MS = 2 * 3600_000;

/**
 * True when AD changed after this user's last sync but the tenant has synced well after that change:
 * the cycle ran and the value never arrived, so the cloud refuses it (DirSyncOverrides), not "pending".
 */
export function overrideConfirmed(f: PairFacts): boolean {
  if (f.managed || !isAfter(f.onPremChangedAt, f.lastSyncAt) || !f.tenantLastSyncAt) return false;
  const tenant = Date.parse(f.tenantLastSyncAt);
  const changed = Date.parse(f.onPremChangedAt!);
  return Number.isFinite(tenant) && tenant - changed > (f.stuckAfterMs ?? STUCK_AFTER_MS);
}

/** Statuses 2–7 of the precedence; 1 (unmatched) is decided by the join. */
export function classifyPair(f: PairFacts): DriftStatus {
  const onPremEmpty = isBlank(f.onPremValue);
  const cloudEmpty = isBlank(f.cloudValue);
  if (onPremEmpty && cloudEmpty) return 'in-sync';
  if (!onPremEmpty && !cloudEmpty && f.onPremValue!.trim() === f.cloudValue!.trim()) return 'in-sync';
  if (!f.managed && isAfter(f.onPremChangedAt, f.lastSyncAt) && !overrideConfirmed(f)) return 'pending-sync';
  if (!onPremEmpty && !cloudEmpty && f.onPremNorm && f.cloudNorm && sameNumber(f.onPremNorm, f.cloudNorm, f.onPremValue!, f.cloudValue!)) {
    return 'format-only';
  }
  if (cloudEmpty) return 'cloud-missing';
  if (onPremEmpty) return 'onprem-missing';
  return 'cloud-override';
}

/** a strictly after b; false when either is unknown (no verdict from missing times). */
export function isAfter(a: string | null, b: string | null): boolean {
  if (!a || !b) return false;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isFinite(ta) && Number.isFinite(tb) && ta > tb;
}
