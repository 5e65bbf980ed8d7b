/**
 * The workspace: one SQLite file per installation (or per CLI --workspace), shared by the app and
 * the CLI. Open it, use the repositories, close it.
 */
import type Sqlite from 'better-sqlite3';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { openDatabase, type OpenDatabaseOptions } from './db';
import { AuditIndexRepository } from './audit-index';
import { ConnectExportCache } from './connect-export-cache';
import { EngineImportRepository } from './engine-imports';
import { ProfileRepository } from './profiles';
import { DecisionRepository, JournalRepository, SessionRepository } from './remediation-store';
import { parseDuration, purgeBefore, type PurgeCounts } from './retention';
import { DriftRowRepository, ScanRepository } from './scans';
import { BlobRepository, SettingsRepository } from './settings';
import { exportWorkspace, importWorkspace, type ExportResult, type ImportResult } from './transfer';

export class Workspace {
  readonly profiles: ProfileRepository;
  readonly scans: ScanRepository;
  readonly rows: DriftRowRepository;
  readonly audit: AuditIndexRepository;
  readonly sessions: SessionRepository;
  readonly decisions: DecisionRepository;
  readonly journal: JournalRepository;
  readonly blobs: BlobRepository;
  readonly settings: SettingsRepository;
  /** Entra Connect exports imported per profile, joined by its scans. */
  readonly engineImports: EngineImportRepository;
  /** The CLI's last read of `--connect-export` files, for the next run on the same files. */
  readonly connectExportCache: ConnectExportCache;

  constructor(
    readonly db: Sqlite.Database,
    readonly path: string,
    readonly clock: Clock = systemClock,
  ) {
    this.profiles = new ProfileRepository(db, clock);
    this.scans = new ScanRepository(db, clock);
    this.rows = new DriftRowRepository(db);
    this.audit = new AuditIndexRepository(db, clock);
    this.sessions = new SessionRepository(db, clock);
    this.decisions = new DecisionRepository(db, clock);
    this.journal = new JournalRepository(db, clock);
    this.blobs = new BlobRepository(db, clock);
    this.settings = new SettingsRepository(db);
    this.engineImports = new EngineImportRepository(db, this.settings, this.blobs);
    this.connectExportCache = new ConnectExportCache(db, this.blobs);
  }

  /** Deletes personal data older than `olderThanMs` (scans with snapshots and rows, audit changes, finished sessions). */
  purgeOlderThan(olderThanMs: number): PurgeCounts & { cutoff: string } {
    const cutoff = new Date(this.clock.now().getTime() - olderThanMs).toISOString();
    return { ...purgeBefore(this.db, cutoff), cutoff };
  }

  /** Purges by the retention setting (settings.retention().keep); null when no retention is set. */
  applyRetention(): (PurgeCounts & { cutoff: string }) | null {
    const keep = this.settings.retention().keep;
    return keep ? this.purgeOlderThan(parseDuration(keep, 'settings.retention.keep')) : null;
  }

  export(file: string, opts: { scanId?: string; mask?: boolean } = {}): Promise<ExportResult> {
    return exportWorkspace(this.db, file, { ...opts, clock: this.clock });
  }

  import(file: string): Promise<ImportResult> {
    return importWorkspace(this.db, file, { clock: this.clock });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating when needed) the workspace database at `path`. */
export function openWorkspace(path: string, opts: OpenDatabaseOptions & { clock?: Clock } = {}): Workspace {
  return new Workspace(openDatabase(path, opts), path, opts.clock ?? systemClock);
}
