/**
 * What one export of the sync engine does to the sandbox tenant (Entra Connect or Cloud Sync writing
 * a user): add, update or delete by source anchor, honouring DirSyncOverrides, with the audit records
 * the service writes. The store (tenant.ts) calls it with its user table and audit log.
 */
import { ValidationError } from '../core/errors';
import type { AuditLog } from './tenant-audit';
import { arr, auditValue, sameArr, type AuditActor, type AuditModifiedProperty, type SyncExport, type SyncFeatures, type SyncWriteResult } from './tenant-model';
import type { UserTable } from './tenant-users';

/** What a sync write reads of the store besides its user table and audit log. */
export interface SyncWriteTenant {
  readonly features: SyncFeatures;
  readonly auditMobilePropertyName: string;
  syncActor(server: string): AuditActor;
}

/**
 * Applies one export of the sync engine. Honours DirSyncOverrides: with the flag set and
 * `bypassDirSyncOverridesEnabled` off, mobilePhone and alternateMobilePhones keep the cloud value
 * (returned in `suppressedByOverride`). With the bypass on, AD wins; the flag itself stays (what
 * happens to it is undocumented) so turning the bypass off again restores the old behaviour.
 * Cloud-managed and no-longer-synced users are skipped. Writes audit records with
 * `Action Client Name` = DirectorySync.
 */
export function applySyncExport(tenant: SyncWriteTenant, users: UserTable, audit: AuditLog, now: number, exp: SyncExport): SyncWriteResult {
  const actor = exp.actor ?? tenant.syncActor(exp.server);
  const existing = users.findByImmutableId(exp.immutableId);
  if (exp.kind === 'delete') {
    if (!existing) return { userId: null, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'unknown anchor' };
    if (existing.cloudManaged)
      return { userId: existing.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'cloud-managed' };
    users.deleteUser(existing.id);
    audit.appendAudit({
      activityDisplayName: 'Delete user',
      category: 'UserManagement',
      operationType: 'Delete',
      initiatedBy: actor,
      targets: [
        {
          id: existing.id,
          type: 'User',
          displayName: null,
          userPrincipalName: existing.userPrincipalName,
          modifiedProperties: [],
        },
      ],
    });
    return { userId: existing.id, outcome: 'deleted', applied: [], suppressedByOverride: [] };
  }
  const a = exp.attributes ?? {};
  if (!existing) {
    if (exp.kind !== 'add' && !a.userPrincipalName) {
      return { userId: null, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'unknown anchor' };
    }
    if (!a.userPrincipalName) throw new ValidationError('attributes.userPrincipalName', 'a sync add needs a userPrincipalName');
    const u = users.createUser({
      userPrincipalName: a.userPrincipalName,
      displayName: a.displayName ?? null,
      mobilePhone: a.mobilePhone ?? null,
      businessPhones: a.businessPhones ?? [],
      alternateMobilePhones: a.alternateMobilePhones ?? [],
      accountEnabled: a.accountEnabled ?? true,
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: exp.immutableId,
      onPremisesSecurityIdentifier: a.onPremisesSecurityIdentifier ?? null,
      onPremisesDistinguishedName: a.onPremisesDistinguishedName ?? null,
      onPremisesDomainName: a.onPremisesDomainName ?? null,
      onPremisesSamAccountName: a.onPremisesSamAccountName ?? null,
      onPremisesUserPrincipalName: a.onPremisesUserPrincipalName ?? null,
      onPremisesLastSyncAt: now,
    });
    const mods: AuditModifiedProperty[] = [];
    if (u.displayName !== null) mods.push({ displayName: 'DisplayName', oldValue: '[]', newValue: auditValue(u.displayName) });
    if (u.mobilePhone !== null)
      mods.push({ displayName: tenant.auditMobilePropertyName, oldValue: '[]', newValue: auditValue(u.mobilePhone) });
    mods.push({ displayName: 'UserPrincipalName', oldValue: '[]', newValue: auditValue(u.userPrincipalName) });
    mods.push({ displayName: 'SourceAnchor', oldValue: '[]', newValue: auditValue(exp.immutableId) });
    if (!exp.actor) mods.push({ displayName: 'Action Client Name', oldValue: null, newValue: JSON.stringify('DirectorySync') });
    audit.appendAudit({
      activityDisplayName: 'Add user',
      category: 'UserManagement',
      operationType: 'Add',
      initiatedBy: actor,
      targets: [
        { id: u.id, type: 'User', displayName: null, userPrincipalName: u.userPrincipalName, modifiedProperties: mods },
      ],
    });
    return { userId: u.id, outcome: 'added', applied: Object.keys(a), suppressedByOverride: [] };
  }
  const u = existing;
  if (u.cloudManaged)
    return { userId: u.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'cloud-managed' };
  if (u.onPremisesSyncEnabled !== true)
    return { userId: u.id, outcome: 'skipped', applied: [], suppressedByOverride: [], reason: 'not synchronized' };

  const blocked = u.dirSyncOverride && !tenant.features.bypassDirSyncOverridesEnabled;
  const applied: string[] = [];
  const suppressed: string[] = [];
  const mods: AuditModifiedProperty[] = [];
  if (a.userPrincipalName !== undefined && a.userPrincipalName !== u.userPrincipalName) {
    mods.push({
      displayName: 'UserPrincipalName',
      oldValue: auditValue(u.userPrincipalName),
      newValue: auditValue(a.userPrincipalName),
    });
    users.setUpn(u, a.userPrincipalName);
    applied.push('userPrincipalName');
  }
  if (a.displayName !== undefined && a.displayName !== u.displayName) {
    mods.push({ displayName: 'DisplayName', oldValue: auditValue(u.displayName), newValue: auditValue(a.displayName) });
    u.displayName = a.displayName;
    applied.push('displayName');
  }
  if (a.mobilePhone !== undefined && a.mobilePhone !== u.mobilePhone) {
    if (blocked) suppressed.push('mobilePhone');
    else {
      mods.push({
        displayName: tenant.auditMobilePropertyName,
        oldValue: auditValue(u.mobilePhone),
        newValue: auditValue(a.mobilePhone),
      });
      u.mobilePhone = a.mobilePhone;
      applied.push('mobilePhone');
    }
  }
  if (a.alternateMobilePhones !== undefined && !sameArr(a.alternateMobilePhones, u.alternateMobilePhones)) {
    if (blocked) suppressed.push('alternateMobilePhones');
    else {
      mods.push({
        displayName: 'AlternateMobilePhones',
        oldValue: auditValue(u.alternateMobilePhones),
        newValue: auditValue(a.alternateMobilePhones),
      });
      u.alternateMobilePhones = arr(a.alternateMobilePhones);
      applied.push('alternateMobilePhones');
    }
  }
  if (a.businessPhones !== undefined && !sameArr(a.businessPhones, u.businessPhones)) {
    mods.push({
      displayName: 'TelephoneNumber',
      oldValue: auditValue(u.businessPhones),
      newValue: auditValue(a.businessPhones),
    });
    u.businessPhones = arr(a.businessPhones);
    applied.push('businessPhones');
  }
  if (a.accountEnabled !== undefined && a.accountEnabled !== u.accountEnabled) {
    mods.push({
      displayName: 'AccountEnabled',
      oldValue: JSON.stringify([u.accountEnabled]),
      newValue: JSON.stringify([a.accountEnabled]),
    });
    u.accountEnabled = a.accountEnabled;
    applied.push('accountEnabled');
  }
  const onPremKeys = [
    'onPremisesSecurityIdentifier',
    'onPremisesDistinguishedName',
    'onPremisesDomainName',
    'onPremisesSamAccountName',
    'onPremisesUserPrincipalName',
  ] as const;
  for (const k of onPremKeys) {
    const v = a[k];
    if (v !== undefined && v !== u[k]) {
      u[k] = v;
      applied.push(k);
    }
  }
  if (exp.touchLastSync !== false) u.onPremisesLastSyncAt = now;
  users.bump(u);
  if (mods.length > 0) {
    // Connect's records carry Action Client Name = DirectorySync; Cloud Sync's (exp.actor) are not
    // documented to, so the sandbox leaves it out: the reader must know the initiator.
    if (!exp.actor) mods.push({ displayName: 'Action Client Name', oldValue: null, newValue: JSON.stringify('DirectorySync') });
    audit.appendUpdateUser(u, actor, mods, null);
  }
  return { userId: u.id, outcome: applied.length > 0 ? 'updated' : 'unchanged', applied, suppressedByOverride: suppressed };
}
