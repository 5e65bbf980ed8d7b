/**
 * The OnPremDirectory port: what every on-prem adapter offers (LDAP against a real DC, the sandbox
 * directory, read-only offline snapshots). The drift engine, the sync simulator and remediation
 * talk to AD only through this interface.
 */
import type { OnPremUser, AttributeChange } from '../core/model';
import type { ProgressSink } from '../core/progress';

export interface SourceInfo {
  /** Stable id of the source within a profile (e.g. 'contoso-dc01' or 'sandbox'). */
  id: string;
  kind: 'ldap' | 'sandbox' | 'snapshot';
  /** Human label: URL or file name. */
  label: string;
  baseDn: string;
  /** Search bases actually scanned (baseDn when none were selected). */
  searchBases: string[];
  writable: boolean;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** Objects per page (LDAP paged results size). */
  pageSize?: number;
  /**
   * Incremental rescan: only objects whose uSNChanged is above this mark on the DC identified by
   * invocationId; deletions come back with isDeleted=true. Adapters that cannot honour it for this
   * DC do a full scan and say so in ScanResult.incremental=false.
   */
  since?: { invocationId: string; highestUsn: number };
  /** Include objects that Entra Connect's default scope leaves out (marked inScope=false). */
  includeOutOfScope?: boolean;
  /** While waiting for the directory, progress is repeated this often with what it waits for (default 1000 ms). */
  heartbeatMs?: number;
}

export interface ScanResult {
  /** invocationId of the DC that answered, and the highest USN at scan start: the next `since`. */
  watermark: { invocationId: string; highestUsn: number } | null;
  incremental: boolean;
  objects: number;
}

export interface MobileWrite {
  dn: string;
  /** The value we believe AD holds now (null = empty). AD refuses the write if it differs. */
  expected: string | null;
  /** The value to write (null = clear). */
  next: string | null;
}

export interface MobileWriteResult {
  dn: string;
  previous: string | null;
  written: string | null;
  change: AttributeChange | null;
}

/** Per-DC view of one attribute, so remediation can wait for replication before a sync cycle. */
export interface ReplicaState {
  dc: string;
  value: string | null;
  change: AttributeChange | null;
  error?: string;
}

export interface OnPremDirectory {
  describe(): SourceInfo;
  /** Streams users page by page; the async iterator ends with the ScanResult as return value. */
  scan(options?: ScanOptions): AsyncGenerator<OnPremUser[], ScanResult, void>;
  /** Reads one user fresh (by DN), or null when it no longer exists. */
  readUser(dn: string, options?: { signal?: AbortSignal }): Promise<OnPremUser | null>;
  /** Compare-and-set write of `mobile` as one modify; throws SyncDriftError kind 'conflict' when stale. */
  writeMobile(write: MobileWrite, options?: { signal?: AbortSignal }): Promise<MobileWriteResult>;
  /** The `mobile` attribute as each listed DC (or the bound one) sees it. */
  replicaStates(dn: string, dcs?: string[]): Promise<ReplicaState[]>;
  close(): Promise<void>;
}
