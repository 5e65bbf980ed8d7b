/**
 * What a CLI command runs in (CliContext) and what a scan reads from (ScanSources, DemoSources):
 * shared by the command layer (syncdrift.ts), the service factories (services.ts) and their
 * production wiring (sources.ts), so neither of the last two imports the other.
 */
import type { EngineFlows, EngineObject } from '../core/engine-view';
import type { CloudUser } from '../core/model';
import type { Clock, Logger } from '../core/ports';
import type { ProgressSink } from '../core/progress';
import type { OnPremDirectory } from '../onprem/port';
import type { AuditLookup } from '../drift/timeline';
import type { Workspace } from '../workspace/workspace';
import type { CloudClient } from '../cloud';

export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
  clock: Clock;
  signal?: AbortSignal;
  onProgress: ProgressSink;
  /** The workspace the scan is recorded in (audit index, delta links); null with --no-save. */
  workspace: Workspace | null;
  /** For prompts such as a device code: stderr, never stdout. */
  notify: (line: string) => void;
  /** --accept-weak-secret-storage: the admin agrees to the key-file store for this workspace. */
  acceptWeakSecretStorage?: boolean;
}

/** Both sides of one scan, ready for runScan. */
export interface ScanSources {
  onPrem: OnPremDirectory[];
  cloudUsers: AsyncIterable<CloudUser[]>;
  /** The signed-in cloud client of a live or demo scan (asked which users are cloud-managed); absent for offline imports. */
  client?: CloudClient;
  /** Keys the audit index; null when unknown (offline imports). */
  tenantId: string | null;
  /** /organization onPremisesLastSyncDateTime, to tell pending from stuck. */
  tenantLastSyncAt?: string | null;
  /** Built after both sides were read. */
  resolveAuditLookup?: () => Promise<AuditLookup | undefined>;
  /** Known gaps (e.g. "audit log: permission AuditLog.Read.All missing"): the CLI exits 4 naming them. */
  missing?: string[];
  /** The sync engine's view (Cloud Sync over Graph). */
  engineObjects?: EngineObject[];
  /** The sync engine's view from `--connect-export` files, being read on a worker thread while the scan runs. */
  engineRead?: Promise<readonly EngineObject[]>;
  /** Tenant-wide facts of the engine (Cloud Sync: whether its schema maps otherMobile). */
  engineFlows?: EngineFlows;
  close(): Promise<void>;
}

export interface DemoSources extends ScanSources {
  profileName: string;
  defaultRegion: string | null;
}
