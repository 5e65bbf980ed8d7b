/**
 * The parts a drift row is built from: the row's key, scope by search base, which cloud users are
 * considered (and who has authority over them), the AD mobile change, the on-prem and cloud halves
 * of a row, and a matched pair's cause. Pure. engine.ts joins and classifies with them.
 */
import type { CloudUser, DriftRow, DriftStatus, OnPremUser } from '../core/model';
import { DriftStatus as DriftStatusSchema } from '../core/model';
import { auditSentence, likelyCause } from './cause';
import type { EngineVerdict } from './engine-verdict';
import { isBlank } from './normalize';
import type { AuditLookup, CloudChangeInfo } from './timeline';

export type ConsideredCloud = { user: CloudUser; managed: boolean; authority: 'ad' | 'cloud' | 'unsynced' };

export const EMPTY_BY_STATUS = (): Record<DriftStatus, number> =>
  Object.fromEntries(DriftStatusSchema.options.map((s) => [s, 0])) as Record<DriftStatus, number>;

/** Lower-case, no blanks around `,` and `=`: DNs compare case-insensitively in AD. */
export function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*([,=])\s*/g, '$1');
}

/** True when dn equals a base or lies under it. */
export function isUnderAnyBase(dn: string, normalizedBases: readonly string[]): boolean {
  const d = normalizeDn(dn);
  return normalizedBases.some((b) => d === b || d.endsWith(`,${b}`));
}

/** Base64 of the raw objectGUID bytes (.NET mixed-endian order) from its textual form; null if malformed. */
export function objectGuidToAnchor(guid: string): string | null {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const b: number[] = [];
  for (let i = 0; i < 32; i += 2) b.push(parseInt(hex.slice(i, i + 2), 16));
  const ordered = [b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.slice(8)];
  // btoa rather than Buffer: the engine stays free of Node APIs.
  return btoa(String.fromCharCode(...ordered));
}

/**
 * Which cloud users the drift problem concerns, and who masters them; null = cloud-only (null and
 * no anchor). `onPremisesSyncEnabled: null` with an anchor is not cloud-only: it is what Graph shows
 * after a source-of-authority switch to the cloud (isCloudManaged true), so AD no longer flows and
 * Graph accepts per-user writes. `false` means once synced, now not.
 */
export function considerCloudUser(u: CloudUser): ConsideredCloud | null {
  if (u.onPremisesSyncEnabled === true) {
    const switched = u.soaSwitched === true || u.cloudManaged === true;
    return { user: u, managed: switched, authority: switched ? 'cloud' : 'ad' };
  }
  const anchored = !isBlank(u.onPremisesImmutableId) || !isBlank(u.onPremisesSecurityIdentifier);
  if (!anchored) return null;
  if (u.onPremisesSyncEnabled === false) return { user: u, managed: true, authority: 'unsynced' };
  return { user: u, managed: true, authority: 'cloud' };
}

export interface MobileChangeFacts {
  changedAt: string | null;
  version: number | null;
  source: NonNullable<DriftRow['onPrem']>['changeSource'];
  approximate: boolean;
}

export function mobileChange(u: OnPremUser): MobileChangeFacts {
  const c = u.changes['mobile'];
  if (c && c.changedAt) return { changedAt: c.changedAt, version: c.version, source: c.source, approximate: c.source === 'whenChanged' };
  return { changedAt: u.whenChanged, version: null, source: 'whenChanged', approximate: true };
}

export function onPremPart(u: OnPremUser, ch: MobileChangeFacts): NonNullable<DriftRow['onPrem']> {
  return {
    sourceId: u.sourceId,
    dn: u.dn,
    upn: u.upn,
    samAccountName: u.samAccountName,
    displayName: u.displayName,
    value: u.mobile,
    otherMobile: u.otherMobile,
    changedAt: ch.changedAt,
    changeVersion: ch.version,
    changeSource: ch.source,
    sourceAnchor: u.sourceAnchor,
    objectGuid: u.objectGuid,
    objectSid: u.objectSid,
    country: u.country,
  };
}

export function cloudPart(c: ConsideredCloud, change: CloudChangeInfo): NonNullable<DriftRow['cloud']> {
  const u = c.user;
  return {
    id: u.id,
    upn: u.userPrincipalName,
    displayName: u.displayName,
    value: u.mobilePhone,
    lastSyncAt: u.onPremisesLastSyncDateTime,
    changedAt: change.state === 'known' ? (change.at ?? null) : null,
    changedBy: change.state === 'known' ? (change.actor ?? null) : null,
    changedBySync: change.state === 'known' && change.syncWrite === true,
    changeState: change.state,
    auditCoveredFrom: change.state === 'outside-retention' ? (change.since ?? null) : null,
    managed: c.managed,
    authority: c.authority,
    immutableId: u.onPremisesImmutableId,
  };
}

// toUpperCase/toLowerCase return a new string even when nothing changes, which then needs hashing
// again: at 100k users that is measurable, and SIDs and GUIDs arrive in canonical case. Anything
// non-ASCII takes the real conversion, so the result is always exactly toUpperCase()/toLowerCase().
export function upperCase(s: string): string {
  return /[a-z\u0080-\uffff]/.test(s) ? s.toUpperCase() : s;
}

export function lowerCase(s: string): string {
  return /[A-Z\u0080-\uffff]/.test(s) ? s.toLowerCase() : s;
}

/** Stable across scans, so decisions and history follow the AD account (or the cloud user when there is none). */
export function rowKey(onPrem: OnPremUser | null, cloud: CloudUser | null): string {
  if (onPrem) return `mobile:${onPrem.sourceId}:${lowerCase(onPrem.objectGuid)}`;
  return `mobile:cloud:${cloud?.id ?? 'unknown'}`;
}

export const UNAVAILABLE: CloudChangeInfo = { state: 'unavailable' };
export const noLookup: AuditLookup = () => UNAVAILABLE;

export function withVerdict(v: EngineVerdict, cause: string, change: CloudChangeInfo, status: DriftStatus): string {
  return v.replacesCause ? `${v.sentence}${auditSentence(change, status)}` : `${v.sentence} ${cause}`;
}

export function matchedCause(u: OnPremUser, c: ConsideredCloud, status: DriftStatus, ch: MobileChangeFacts, stuckTenantSyncAt: string | null, change: CloudChangeInfo): string {
  return likelyCause({
    status,
    bothEmpty: isBlank(u.mobile) && isBlank(c.user.mobilePhone),
    managed: c.managed,
    authority: c.authority,
    onPremChangedAt: ch.changedAt,
    onPremTimeApproximate: ch.approximate,
    lastSyncAt: c.user.onPremisesLastSyncDateTime,
    stuckTenantSyncAt,
    cloudChange: change,
  });
}
