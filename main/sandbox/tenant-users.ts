/**
 * The sandbox tenant's users: one list in creation order (deleted users stay, for delta `@removed`),
 * indexes by id, userPrincipalName and source anchor, and the delta change sequence. Only the store
 * (tenant.ts) holds one; its writes keep these indexes, the sequence and the audit log in step.
 */
import { randomUUID } from 'node:crypto';
import { SyncDriftError } from '../core/errors';
import { arr, type TenantUser } from './tenant-model';
import type { TenantSnapshot } from './tenant-snapshot';

export class UserTable {
  /** All users in ordinal order, deleted ones included (deletedAt set). */
  private readonly users: TenantUser[] = [];
  private readonly byId = new Map<string, TenantUser>();
  private readonly byUpn = new Map<string, TenantUser>();
  private readonly byAnchor = new Map<string, TenantUser>();
  private liveCount = 0;
  nextOrdinal = 1;
  seq = 1;

  constructor(private readonly now: () => number) {}

  bump(u: TenantUser): void {
    u.changeSeq = this.seq++;
  }

  /** Delta change sequence: every user change gets the next number. A delta token is such a number. */
  get currentSeq(): number {
    return this.seq;
  }

  /** Users not deleted. */
  get userCount(): number {
    return this.liveCount;
  }

  getUser(id: string): TenantUser | undefined {
    const u = this.byId.get(id);
    return u && u.deletedAt === null ? u : undefined;
  }

  /** By id or by userPrincipalName (case-insensitive), as Graph's /users/{id | userPrincipalName}. */
  resolveUser(idOrUpn: string): TenantUser | undefined {
    return this.getUser(idOrUpn) ?? this.byUpn.get(idOrUpn.toLowerCase());
  }

  findByUpn(upn: string): TenantUser | undefined {
    return this.byUpn.get(upn.toLowerCase());
  }

  findByImmutableId(immutableId: string): TenantUser | undefined {
    return this.byAnchor.get(immutableId);
  }

  /** Live users in ordinal order, starting after `afterOrdinal`. */
  *listUsers(afterOrdinal = 0): Generator<TenantUser> {
    let i = this.indexAfterOrdinal(afterOrdinal);
    for (; i < this.users.length; i++) {
      const u = this.users[i]!;
      if (u.deletedAt === null) yield u;
    }
  }

  /** Users (deleted ones too) whose last change is at or after `sinceSeq`, in ordinal order. */
  *changedSince(sinceSeq: number, afterOrdinal = 0): Generator<TenantUser> {
    let i = this.indexAfterOrdinal(afterOrdinal);
    for (; i < this.users.length; i++) {
      const u = this.users[i]!;
      if (u.changeSeq >= sinceSeq) yield u;
    }
  }

  private indexAfterOrdinal(afterOrdinal: number): number {
    let lo = 0;
    let hi = this.users.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.users[mid]!.ordinal <= afterOrdinal) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Creates a user directly (seeding, cloud-only accounts). Sync-created users normally arrive through
   * `syncWrite({ kind: 'add' })`, which also writes the audit record.
   */
  createUser(
    input: Partial<Omit<TenantUser, 'ordinal' | 'changeSeq' | 'deletedAt'>> & { userPrincipalName: string },
  ): TenantUser {
    const upnKey = input.userPrincipalName.toLowerCase();
    if (this.byUpn.has(upnKey)) {
      throw new SyncDriftError(
        'conflict',
        'SANDBOX_UPN_EXISTS',
        `A user with userPrincipalName ${input.userPrincipalName} already exists.`,
      );
    }
    if (input.onPremisesImmutableId && this.byAnchor.has(input.onPremisesImmutableId)) {
      throw new SyncDriftError(
        'conflict',
        'SANDBOX_ANCHOR_EXISTS',
        `A user with onPremisesImmutableId ${input.onPremisesImmutableId} already exists.`,
      );
    }
    const id = input.id ?? randomUUID();
    if (this.byId.has(id)) throw new SyncDriftError('conflict', 'SANDBOX_ID_EXISTS', `A user with id ${id} already exists.`);
    // Property order is fixed so every user shares one hidden class (memory, speed).
    const u: TenantUser = {
      ordinal: this.nextOrdinal++,
      id,
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName ?? null,
      mail: input.mail ?? null,
      mobilePhone: input.mobilePhone ?? null,
      businessPhones: arr(input.businessPhones),
      alternateMobilePhones: arr(input.alternateMobilePhones),
      usageLocation: input.usageLocation ?? null,
      accountEnabled: input.accountEnabled ?? true,
      createdAt: input.createdAt ?? this.now(),
      onPremisesSyncEnabled: input.onPremisesSyncEnabled ?? null,
      onPremisesImmutableId: input.onPremisesImmutableId ?? null,
      onPremisesSecurityIdentifier: input.onPremisesSecurityIdentifier ?? null,
      onPremisesLastSyncAt: input.onPremisesLastSyncAt ?? null,
      onPremisesDistinguishedName: input.onPremisesDistinguishedName ?? null,
      onPremisesDomainName: input.onPremisesDomainName ?? null,
      onPremisesSamAccountName: input.onPremisesSamAccountName ?? null,
      onPremisesUserPrincipalName: input.onPremisesUserPrincipalName ?? null,
      cloudManaged: input.cloudManaged ?? false,
      dirSyncOverride: input.dirSyncOverride ?? false,
      changeSeq: this.seq++,
      deletedAt: null,
    };
    this.users.push(u);
    this.byId.set(u.id, u);
    this.byUpn.set(upnKey, u);
    if (u.onPremisesImmutableId) this.byAnchor.set(u.onPremisesImmutableId, u);
    this.liveCount++;
    return u;
  }

  /** Soft-deletes a user (delta reports it as removed). */
  deleteUser(id: string): boolean {
    const u = this.getUser(id);
    if (!u) return false;
    u.deletedAt = this.now();
    this.byUpn.delete(u.userPrincipalName.toLowerCase());
    if (u.onPremisesImmutableId) this.byAnchor.delete(u.onPremisesImmutableId);
    this.liveCount--;
    this.bump(u);
    return true;
  }

  setUpn(u: TenantUser, upn: string): void {
    const key = upn.toLowerCase();
    const other = this.byUpn.get(key);
    if (other && other !== u) {
      throw new SyncDriftError('conflict', 'SANDBOX_UPN_EXISTS', `Another user already has userPrincipalName ${upn}.`);
    }
    this.byUpn.delete(u.userPrincipalName.toLowerCase());
    u.userPrincipalName = upn;
    this.byUpn.set(key, u);
  }

  /** Every user in ordinal order (deleted ones included), copied (the store's snapshot). */
  snapshot(): TenantSnapshot['users'] {
    return this.users.map((u) => ({
      ...u,
      businessPhones: [...u.businessPhones],
      alternateMobilePhones: [...u.alternateMobilePhones],
    }));
  }

  /** Puts back users read from a snapshot, with the sequence and the next ordinal. */
  restore(users: readonly TenantUser[], seq: number, nextOrdinal: number): void {
    for (const u of users) {
      const user: TenantUser = {
        ...u,
        businessPhones: arr(u.businessPhones),
        alternateMobilePhones: arr(u.alternateMobilePhones),
      };
      this.users.push(user);
      this.byId.set(user.id, user);
      if (user.deletedAt === null) {
        this.byUpn.set(user.userPrincipalName.toLowerCase(), user);
        if (user.onPremisesImmutableId) this.byAnchor.set(user.onPremisesImmutableId, user);
        this.liveCount++;
      }
    }
    this.users.sort((a, b) => a.ordinal - b.ordinal);
    this.seq = seq;
    this.nextOrdinal = nextOrdinal;
  }
}
