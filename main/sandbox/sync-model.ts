/**
 * The sync-cycle simulator's shapes: its options and knobs, the attributes it flows, its connector
 * space and watermark (zod, as its state is restored from JSON), the cycle report, and the helpers
 * that compare AD's values with the cloud's. sync.ts holds the simulator.
 */
import { z } from 'zod';
import type { OnPremUser } from '../core/model';
import type { Clock, Logger } from '../core/ports';
import type { SandboxSyncRule } from './connect-rules';
import type { SyncAttributes, TenantUser } from './tenant-model';

export type CycleType = 'delta' | 'initial';
export type SyncEngineKind = 'connect' | 'cloud-sync';

/** Knobs of the simulator that model behaviour documentation does not pin down. */
export interface SyncKnobs {
  /**
   * onPremisesLastSyncDateTime advances on every export to the object, even when DirSyncOverrides
   * keeps the value (assumption: the export itself touches the object). False leaves it alone.
   */
  advanceLastSyncOnExport: boolean;
  /** Connect's export deletion threshold: more pending deletions than this stop all deletes. null = off. */
  deletionThreshold: number | null;
}

export interface SyncSimulatorOptions {
  /** Connect server (or Cloud Sync agent) name; shapes the audit initiator. */
  server?: string;
  engine?: SyncEngineKind;
  clock?: Clock;
  logger?: Logger;
  knobs?: Partial<SyncKnobs>;
  /** Custom sync rules that reformat mobile (connect-rules.ts); none = Connect's verbatim copy. */
  rules?: readonly SandboxSyncRule[];
  /** The AD connector's (forest's) name in the Connect exports. */
  adConnector?: string;
}

/** The attributes the simulator flows (a subset of Connect's user attribute flow). */
export type Flowing = Omit<SyncAttributes, 'userPrincipalName' | 'accountEnabled'>;
export const FLOWING_KEYS = [
  'displayName',
  'mobilePhone',
  'alternateMobilePhones',
  'businessPhones',
  'onPremisesSecurityIdentifier',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesSamAccountName',
  'onPremisesUserPrincipalName',
] as const satisfies readonly (keyof Flowing)[];

export const FlowingSchema = z.object({
  displayName: z.string().nullable(),
  mobilePhone: z.string().nullable(),
  alternateMobilePhones: z.array(z.string()),
  businessPhones: z.array(z.string()),
  onPremisesSecurityIdentifier: z.string().nullable(),
  onPremisesDistinguishedName: z.string().nullable(),
  onPremisesDomainName: z.string().nullable(),
  onPremisesSamAccountName: z.string().nullable(),
  onPremisesUserPrincipalName: z.string().nullable(),
});

export const ConnectorEntry = z.object({ objectGuid: z.string(), anchor: z.string(), dn: z.string(), exported: FlowingSchema });
export type ConnectorEntry = z.infer<typeof ConnectorEntry>;

export const Watermark = z.object({ invocationId: z.string(), highestUsn: z.number().int() });

export const SimulatorState = z.object({
  format: z.literal('syncdrift-sync-simulator'),
  version: z.literal(1),
  engine: z.enum(['connect', 'cloud-sync']),
  server: z.string(),
  knobs: z.object({ advanceLastSyncOnExport: z.boolean(), deletionThreshold: z.number().int().nonnegative().nullable() }),
  watermark: Watermark.nullable(),
  lastCycleAt: z.string().nullable(),
  lastCycleType: z.enum(['delta', 'initial']).nullable(),
  /** When the Cloud Sync job restart a run last honoured was made (cloudSyncJob.lastRestart.at); states before it have none. */
  restartHonouredAt: z.number().nullable().default(null),
  connectorSpace: z.array(ConnectorEntry),
});
export type SimulatorState = z.infer<typeof SimulatorState>;

export interface OverrideIgnored {
  anchor: string;
  upn: string;
  dn: string;
  /** Cloud properties the DirSyncOverrides flag kept. */
  properties: string[];
  onPremValue: string | null;
  cloudValue: string | null;
}

export interface ClearedValue {
  anchor: string;
  upn: string;
  property: 'mobilePhone' | 'alternateMobilePhones';
  previous: string | string[] | null;
}

export interface ObjectExport {
  anchor: string;
  upn: string | null;
  outcome: 'added' | 'updated' | 'unchanged' | 'deleted' | 'skipped';
  applied: string[];
  suppressedByOverride: string[];
  reason?: string;
}

export interface CycleError {
  dn: string;
  code: string;
  message: string;
}

/** What one cycle did. Counts are exact; the per-object lists are capped at MAX_LISTED entries. */
export interface SyncCycleReport {
  id: string;
  cycle: CycleType;
  engine: SyncEngineKind;
  server: string;
  startedAt: string;
  finishedAt: string;
  bypassDirSyncOverrides: boolean;
  /** False when the directory could not honour the watermark (or there was none): a full import. */
  incrementalImport: boolean;
  watermark: { invocationId: string; highestUsn: number } | null;
  /** Objects read from the directory in this cycle (in and out of scope, tombstones). */
  seen: number;
  inScope: number;
  outOfScope: number;
  /** Objects the cycle sent an export for (add, update, delete). */
  exported: number;
  added: number;
  updated: number;
  /** Exports the cloud accepted without a change (all values ignored or equal). */
  unchanged: number;
  deleted: number;
  skipped: number;
  ignoredDueToOverride: OverrideIgnored[];
  ignoredDueToOverrideCount: number;
  cleared: ClearedValue[];
  clearedCount: number;
  alternateMobileOverwritten: number;
  exports: ObjectExport[];
  errors: CycleError[];
  notes: string[];
}

export const MAX_LISTED = 1000;

export const DEFAULT_KNOBS: SyncKnobs = { advanceLastSyncOnExport: true, deletionThreshold: 500 };

export function domainFromDn(dn: string): string | null {
  const parts = [...dn.matchAll(/(?:^|,)\s*DC=((?:\\.|[^,\\])+)/gi)].map((m) => m[1] ?? '');
  return parts.length ? parts.join('.').toLowerCase() : null;
}

export function desiredFrom(u: OnPremUser): Flowing {
  return {
    displayName: u.displayName,
    mobilePhone: u.mobile,
    alternateMobilePhones: [...u.otherMobile],
    businessPhones: u.telephoneNumber ? [u.telephoneNumber] : [],
    onPremisesSecurityIdentifier: u.objectSid,
    onPremisesDistinguishedName: u.dn,
    onPremisesDomainName: domainFromDn(u.dn),
    onPremisesSamAccountName: u.samAccountName,
    onPremisesUserPrincipalName: u.upn,
  };
}

export function cloudValues(c: TenantUser): Flowing {
  return {
    displayName: c.displayName,
    mobilePhone: c.mobilePhone,
    alternateMobilePhones: [...c.alternateMobilePhones],
    businessPhones: [...c.businessPhones],
    onPremisesSecurityIdentifier: c.onPremisesSecurityIdentifier,
    onPremisesDistinguishedName: c.onPremisesDistinguishedName,
    onPremisesDomainName: c.onPremisesDomainName,
    onPremisesSamAccountName: c.onPremisesSamAccountName,
    onPremisesUserPrincipalName: c.onPremisesUserPrincipalName,
  };
}

export function same(a: Flowing[keyof Flowing], b: Flowing[keyof Flowing]): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

export function diff(desired: Flowing, baseline: Flowing): Partial<Flowing> {
  const out: Partial<Flowing> = {};
  for (const k of FLOWING_KEYS) {
    if (!same(desired[k], baseline[k])) (out as Record<string, unknown>)[k] = desired[k];
  }
  return out;
}
