/**
 * The app's import of Entra Connect exports (#18; the CLI's `import --connect-export`): the file texts
 * a renderer sends are written to a private temporary folder under their own names and read by the
 * same reader as the CLI's (main/syncengine/connect-files.ts), so errors name the admin's file and
 * line. In the background, with progress as `op.progress` and `op.cancel`; the joined objects are
 * stored per profile only when the whole import read, so later scans of it join them. An import
 * restored from a masked workspace export (`info.masked`) is shown but never joined: its exported
 * values are bullets, which equal no real value, so a join would misjudge every exported user.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, SyncDriftError, ValidationError, callerMessage } from '../core/errors';
import type { EngineObject } from '../core/engine-view';
import type { Clock, Logger } from '../core/ports';
import { readConnectExports } from '../syncengine/connect-files';
import type { ConnectImportInfo, Workspace } from '../workspace';
import type { Operations } from './operations';
import type { EventSink } from './router';

/** A name the files are written under: no folder part, nothing a file system would read as one. */
export function assertExportFileName(name: string, where: string): void {
  if (!name || name.length > 255) throw new ValidationError(where, 'must be a file name of 1 to 255 characters');
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || /[\\/]/.test(name) || name === '.' || name === '..') throw new ValidationError(where, `"${name}" is not a plain file name (no folders, no control characters)`);
}

export class ConnectImportService {
  /** Parsed once per profile and reused by every scan until the import changes. */
  private readonly cache = new Map<string, { info: ConnectImportInfo; objects: EngineObject[] } | null>();

  constructor(
    private readonly deps: { workspace: Workspace; logger: Logger; clock: Clock; emit: EventSink; ops: Operations; assertProfile: (profileId: string) => void },
  ) {}

  private stored(profileId: string): { info: ConnectImportInfo; objects: EngineObject[] } | null {
    if (!this.cache.has(profileId)) this.cache.set(profileId, this.deps.workspace.engineImports.get(profileId));
    return this.cache.get(profileId)!;
  }

  /** The engine objects a scan of the profile joins, or null when it has none (or only a masked copy). */
  objects(profileId: string): EngineObject[] | null {
    const s = this.stored(profileId);
    return s && !s.info.masked ? s.objects : null;
  }

  /** What is stored, as long as its objects still read; `masked` says a scan does not join it. */
  info(profileId: string): ConnectImportInfo | null {
    this.deps.assertProfile(profileId);
    const info = this.deps.workspace.engineImports.info(profileId);
    return info && this.stored(profileId) ? info : null;
  }

  remove(profileId: string): boolean {
    this.deps.assertProfile(profileId);
    return this.forget(profileId);
  }

  /** Drops the import of a profile that is gone (deleted). */
  forget(profileId: string): boolean {
    this.cache.delete(profileId);
    return this.deps.workspace.engineImports.delete(profileId);
  }

  /** Starts the import in the background; returns at once with its operation id. */
  start(profileId: string, files: ReadonlyArray<{ name: string; text: string }>): { operationId: string } {
    this.deps.assertProfile(profileId);
    const seen = new Set<string>();
    files.forEach((f, i) => {
      assertExportFileName(f.name, `files[${i}].name`);
      if (seen.has(f.name.toLowerCase())) throw new ValidationError(`files[${i}].name`, `"${f.name}" is given twice`);
      seen.add(f.name.toLowerCase());
    });
    const { emit, logger } = this.deps;
    const op = this.deps.ops.start();
    const started = performance.now();
    // Written before the caller gets the id: the texts are not kept alive by the background work.
    const dir = mkdtempSync(join(tmpdir(), 'sd-connect-'));
    let paths: string[];
    try {
      paths = files.map((f) => {
        const path = join(dir, f.name);
        writeFileSync(path, f.text, { encoding: 'utf8', mode: 0o600 });
        return path;
      });
    } catch (e) {
      op.done();
      rmSync(dir, { recursive: true, force: true });
      throw new SyncDriftError('internal', 'IMPORT_TEMP', 'The exports could not be written to a temporary folder for reading.', { cause: e });
    }
    void (async () => {
      try {
        const r = await readConnectExports(paths, {
          signal: op.signal,
          onProgress: (p) => emit('op.progress', { operationId: op.id, ...p, elapsedMs: Math.round(performance.now() - started) }),
        });
        // A cancel that came in during the join still wins: nothing is stored.
        if (op.signal.aborted) throw new CancelledError('The import');
        const info: ConnectImportInfo = { importedAt: this.deps.clock.now().toISOString(), objects: r.objects.length, files: r.files, stats: r.stats };
        this.deps.workspace.engineImports.put(profileId, info, r.objects);
        this.cache.set(profileId, { info, objects: r.objects });
        logger.info('connect exports imported', { profileId, objects: r.objects.length, files: r.files.length });
        emit('connectExport.finished', { operationId: op.id, profileId, state: 'done', import: info });
      } catch (e) {
        const cancelled = e instanceof CancelledError || op.signal.aborted;
        emit('connectExport.finished', {
          operationId: op.id,
          profileId,
          state: cancelled ? 'cancelled' : 'failed',
          message: cancelled ? 'The import was cancelled; nothing was stored.' : `${callerMessage(e, logger, 'The import failed').replace(/\.?$/, '.')} Nothing was stored.`,
        });
      } finally {
        op.done();
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    return { operationId: op.id };
  }
}
