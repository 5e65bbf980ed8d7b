/**
 * Contoso-like directory entries for drift tests: real-shaped GUIDs, SIDs, DNs and anchors
 * (anchor = Base64 of the objectGUID bytes in .NET order, as Entra Connect writes it).
 */
import type { CloudUser, OnPremUser } from '../../../main/core/model';
import { objectGuidToAnchor } from '../../../main/drift/row-parts';

const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';
let rid = 1104;

export function guidFor(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `3f2b9c1e-7d4a-4b8e-9c11-${h}`;
}

export interface PersonSpec {
  given: string;
  sn: string;
  ou?: string;
  mobile?: string | null;
  country?: string | null;
  mobileChangedAt?: string | null;
  mobileVersion?: number;
  whenChanged?: string;
  consistencyGuid?: boolean;
  inScope?: boolean;
  upn?: string;
}

/** An AD user the way the LDAP adapter would return it. */
export function adUser(n: number, p: PersonSpec): OnPremUser {
  const guid = guidFor(n);
  const anchor = objectGuidToAnchor(guid)!;
  const sam = `${p.given[0]}${p.sn}`.toLowerCase().replace(/[^a-z]/g, '');
  const ou = p.ou ?? 'OU=Staff,OU=Seattle';
  const changedAt = p.mobileChangedAt === undefined ? '2024-11-04T09:12:33Z' : p.mobileChangedAt;
  return {
    sourceId: 'contoso-dc01',
    dn: `CN=${p.given} ${p.sn},${ou},DC=contoso,DC=com`,
    objectGuid: guid,
    consistencyGuid: p.consistencyGuid === false ? null : anchor,
    sourceAnchor: anchor,
    objectSid: `${DOMAIN_SID}-${++rid}`,
    upn: p.upn ?? `${p.given}.${p.sn}@contoso.com`.toLowerCase(),
    samAccountName: sam,
    displayName: `${p.given} ${p.sn}`,
    mobile: p.mobile === undefined ? '+1 425 555 0100' : p.mobile,
    otherMobile: [],
    telephoneNumber: '+1 425 555 0199',
    country: p.country === undefined ? 'US' : p.country,
    whenChanged: p.whenChanged ?? '2025-01-15T08:00:00Z',
    usnChanged: 40000 + n,
    isDeleted: false,
    changes: changedAt === null ? {} : { mobile: { changedAt, version: p.mobileVersion ?? 2, source: 'replPropertyMetaData' } },
    inScope: p.inScope ?? true,
    scopeReason: p.inScope === false ? 'isCriticalSystemObject' : null,
  };
}

/** The Entra ID twin of an AD user as Graph returns it with the product's $select. */
export function entraTwin(ad: OnPremUser, over: Partial<CloudUser> = {}): CloudUser {
  return {
    id: `b7c1${ad.objectGuid.slice(4)}`,
    userPrincipalName: ad.upn ?? `${ad.samAccountName}@contoso.onmicrosoft.com`,
    displayName: ad.displayName,
    mobilePhone: ad.mobile,
    businessPhones: ad.telephoneNumber ? [ad.telephoneNumber] : [],
    onPremisesSyncEnabled: true,
    onPremisesImmutableId: ad.sourceAnchor,
    onPremisesSecurityIdentifier: ad.objectSid,
    onPremisesLastSyncDateTime: '2025-02-01T10:30:00Z',
    onPremisesDistinguishedName: ad.dn,
    onPremisesDomainName: 'contoso.com',
    onPremisesSamAccountName: ad.samAccountName,
    onPremisesUserPrincipalName: ad.upn,
    cloudManaged: false,
    ...over,
  };
}

/** A cloud-only user (never synced). */
export function cloudOnly(name: string, mobile: string | null): CloudUser {
  return {
    id: `c0de0000-0000-4000-8000-${name.length.toString(16).padStart(12, '0')}`,
    userPrincipalName: `${name.toLowerCase()}@contoso.onmicrosoft.com`,
    displayName: name,
    mobilePhone: mobile,
    businessPhones: [],
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    onPremisesSecurityIdentifier: null,
    onPremisesLastSyncDateTime: null,
    onPremisesDistinguishedName: null,
    onPremisesDomainName: null,
    onPremisesSamAccountName: null,
    onPremisesUserPrincipalName: null,
    cloudManaged: false,
  };
}
