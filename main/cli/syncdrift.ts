/**
 * `syncdrift`: the command line over the same services as the app. main(argv, io) runs in-process
 * (tests call it directly); bin.ts wires it to the real process. Data goes to stdout or --out,
 * progress and messages to stderr. Exit codes are a public contract (docs/cli.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ATTENTION_STATUSES, type DriftReport } from '../core/model';
import { isSyncDriftError, ValidationError, type ErrorKind } from '../core/errors';
import { createLogger, redact } from '../core/logger';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { loadProfile, type Profile } from '../core/profile';
import { defaultWorkspaceDir } from '../node/workspace-dir';
import { runScan, pagesOf, type ScanOutcome } from '../drift/pipeline';
import { parseDirectoryAudits } from '../drift/audit';
import { auditLookupFrom } from '../drift/timeline';
import { importAuditJsonFile, importGraphUsersFile } from '../cloud/import';
import { openWorkspace, type Workspace } from '../workspace/workspace';
import { parseDuration } from '../workspace/retention';
import { parseCommandLine, usage, type CommonOutput, type ParsedCommand } from './args';
import { renderReport, selectRows } from './format';
import { createCliProgress } from './progress';
import { defaultCliServices, type CliServices } from './services';
import type { CliContext, ScanSources } from './context';
import { runSandboxCommand } from './sandbox-command';
import { runSecretStorageCommand } from './secret-storage-command';
import { ACCEPT_WEAK_SECRET_STORAGE_FLAG } from '../core/secret-storage';
import { runEvidenceCommand, runVerifyEvidenceCommand } from './evidence-commands';
import { runApplyCommand, runPlanCommand, runResumeCommand, runSessionsCommand, runUndoCommand } from './remediation-commands';
import { cliRemediationDeps } from './remediation-wiring';
import { reportWithCloudManaged } from '../api/scan-service';
import { startConnectExportRead } from './connect-exports';
import type { EngineObject } from '../core/engine-view';
import { joinCloudSync, refuseConnectExportsForCloudSync, runProvisionOnDemandCommand } from './cloud-sync';

type ExternalCommand = (args: readonly string[], io: CliIO) => Promise<number>;

/** Commands owned by other capabilities (their own parsing, usage and exit codes). */
export const EXTERNAL_COMMANDS: Readonly<Record<string, ExternalCommand>> = {
  sandbox: (a, io) => runSandboxCommand(a, io),
  plan: (a, io) => runPlanCommand(a, io, cliRemediationDeps(io.clock ? { clock: io.clock } : {})),
  apply: (a, io) => runApplyCommand(a, io, cliRemediationDeps(io.clock ? { clock: io.clock } : {})),
  sessions: (a, io) => runSessionsCommand(a, io),
  resume: (a, io) => runResumeCommand(a, io, cliRemediationDeps(io.clock ? { clock: io.clock } : {})),
  undo: (a, io) => runUndoCommand(a, io, cliRemediationDeps(io.clock ? { clock: io.clock } : {})),
  evidence: (a, io) => runEvidenceCommand(a, io),
  'verify-evidence': (a, io) => runVerifyEvidenceCommand(a, io),
  'secret-storage': (a, io) => runSecretStorageCommand(a, io),
  'provision-on-demand': (a, io) => runProvisionOnDemandCommand(a, io),
};

export const EXIT = { ok: 0, unexpected: 1, usage: 2, connection: 3, partial: 4, drift: 5, cancelled: 130 } as const;

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stderr is a terminal (progress bar); defaults to stderr.isTTY. */
  isTTY?: boolean;
  signal?: AbortSignal;
  clock?: Clock;
  services?: Partial<CliServices>;
  /** --accept-weak-secret-storage anywhere on the command line (main() takes it off before parsing). */
  acceptWeakSecretStorage?: boolean;
}

const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';
declare const __APP_VERSION__: string | undefined;

/** Exit code for an error by its kind. */
export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'validation':
      return EXIT.usage;
    case 'connection':
    case 'auth':
    case 'permission':
    case 'throttled':
      return EXIT.connection;
    case 'partial':
      return EXIT.partial;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.unexpected;
  }
}

interface Run {
  io: CliIO;
  services: CliServices;
  clock: Clock;
  say: (line: string) => void;
}

function workspacePath(io: CliIO, flag: string | null): string {
  return flag ? resolve(io.cwd, flag) : join(defaultWorkspaceDir(io.env as NodeJS.ProcessEnv), 'workspace.db');
}

/** Writes data where it belongs: --out (owner-only, it holds personal data) or stdout. */
function emit(run: Run, text: string, out: string | null): void {
  if (out) {
    const file = resolve(run.io.cwd, out);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text, { mode: 0o600 });
    } catch (e) {
      throw new ValidationError('--out', `cannot write ${out} (${(e as { code?: string }).code ?? String(e)})`);
    }
    run.say(`Wrote ${file}`);
  } else run.io.stdout.write(text);
}

async function scanAndReport(
  run: Run,
  opts: CommonOutput,
  input: { profileName: string; defaultRegion: string | null; kind: 'live' | 'import' | 'demo'; sources: ScanSources; scannedBases?: string[]; meta?: Record<string, unknown> },
  ws: Workspace | null,
  progress: ReturnType<typeof createCliProgress>,
): Promise<number> {
  let outcome: ScanOutcome;
  try {
    outcome = await runScan({
      onPrem: input.sources.onPrem,
      cloudUsers: input.sources.cloudUsers,
      profileName: input.profileName,
      defaultRegion: input.defaultRegion,
      tenantLastSyncAt: input.sources.tenantLastSyncAt ?? null,
      ...(input.sources.engineObjects ? { engineObjects: input.sources.engineObjects } : input.sources.engineRead ? { engineObjects: input.sources.engineRead } : {}),
      ...(input.sources.engineFlows ? { engineFlows: input.sources.engineFlows } : {}),
      ...(input.sources.resolveAuditLookup ? { resolveAuditLookup: input.sources.resolveAuditLookup } : {}),
      ...(input.scannedBases ? { scannedBases: input.scannedBases } : {}),
      ...(run.io.signal ? { signal: run.io.signal } : {}),
      onProgress: progress.sink,
      clock: run.clock,
      continueOnSourceError: true,
    });
    // Same as the app: users whose source of authority was switched to the cloud route to per-user writes.
    if (input.sources.client) {
      // The Connect exports' objects (the scan has joined them, so they are there) route alike.
      const engineObjects = input.sources.engineObjects ?? (input.sources.engineRead ? await input.sources.engineRead : undefined);
      const managed = await reportWithCloudManaged(
        outcome,
        { client: input.sources.client, defaultRegion: input.defaultRegion, profileName: input.profileName },
        {
          logger: createLogger(() => {}),
          tenantLastSyncAt: input.sources.tenantLastSyncAt ?? null,
          ...(engineObjects ? { engineObjects } : {}),
          ...(input.sources.engineFlows ? { engineFlows: input.sources.engineFlows } : {}),
          ...(run.io.signal ? { signal: run.io.signal } : {}),
          ...(input.sources.resolveAuditLookup ? { auditLookup: await input.sources.resolveAuditLookup() } : {}),
        },
      );
      outcome.report = managed.report;
      if (managed.problem) outcome.missing.push(managed.problem);
    }
  } finally {
    progress.done();
    await input.sources.close().catch(() => {});
  }
  const missing = [...(input.sources.missing ?? []), ...outcome.missing];
  if (ws) {
    const t = performance.now();
    const scan = ws.scans.record({
      profileName: input.profileName,
      kind: input.kind,
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
      status: missing.length ? 'partial' : 'done',
      summary: outcome.report.summary,
      rows: outcome.report.rows,
      onPremUsers: outcome.onPremUsers,
      cloudUsers: outcome.cloudUsers,
      meta: { ...(input.meta ?? {}), tenantId: input.sources.tenantId, missing, sources: outcome.sources.map((s) => ({ ...s.source, objects: s.objects, ...(s.error ? { error: s.error } : {}) })) },
    });
    outcome.report.summary.phases.save = Math.round(performance.now() - t);
    run.say(`Saved scan ${scan.id} in ${ws.path}`);
    const purged = ws.applyRetention();
    if (purged && purged.scans + purged.auditChanges + purged.sessions > 0) run.say(`Retention: removed ${purged.scans} scan(s) and ${purged.auditChanges} audit change(s) older than ${purged.cutoff}.`);
  }
  const report: DriftReport = selectRows(outcome.report, opts.all);
  emit(run, renderReport(report, opts.format, { width: opts.out ? 0 : (run.io.stdout.columns ?? 0) }), opts.out);
  if (missing.length) {
    run.say(`Finished with partial data; missing: ${missing.join('; ')}`);
    return EXIT.partial;
  }
  const attention = new Set<string>(ATTENTION_STATUSES);
  const needing = outcome.report.rows.filter((r) => attention.has(r.status)).length;
  if (opts.failOnDrift && needing > 0) {
    run.say(`${needing} row(s) need attention (--fail-on-drift).`);
    return EXIT.drift;
  }
  return EXIT.ok;
}

function progressFor(run: Run, quiet: boolean): ReturnType<typeof createCliProgress> {
  const err = run.io.stderr;
  return createCliProgress({ write: (s) => err.write(s), isTTY: run.io.isTTY ?? err.isTTY ?? false, ...(err.columns ? { columns: err.columns } : {}) }, { quiet });
}

function openWs(run: Run, opts: { save: boolean; workspace: string | null }): Workspace | null {
  if (!opts.save) return null;
  return openWorkspace(workspacePath(run.io, opts.workspace), { clock: run.clock });
}

function context(run: Run, ws: Workspace | null, progress: ReturnType<typeof createCliProgress>): CliContext {
  return {
    env: run.io.env,
    cwd: run.io.cwd,
    logger: createLogger(() => {}),
    clock: run.clock,
    ...(run.io.signal ? { signal: run.io.signal } : {}),
    onProgress: progress.sink,
    workspace: ws,
    notify: run.say,
    acceptWeakSecretStorage: run.io.acceptWeakSecretStorage ?? false,
  };
}

/**
 * Starts the read of the `--connect-export` files (none: nothing to read). `stop` ends the worker
 * however the command ends; the objects promise never goes unhandled (the scan awaits it).
 */
function startEngineRead(run: Run, files: readonly string[], ws: Workspace | null, progress: ReturnType<typeof createCliProgress>): { objects: Promise<readonly EngineObject[]> | undefined; kept: Promise<void>; stop: () => void } {
  if (files.length === 0) return { objects: undefined, kept: Promise.resolve(), stop: () => {} };
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  run.io.signal?.addEventListener('abort', stop, { once: true });
  let read: ReturnType<typeof startConnectExportRead>;
  try {
    read = startConnectExportRead(
      files.map((f) => resolve(run.io.cwd, f)),
      { workspace: ws, clock: run.clock, signal: stopper.signal, onProgress: progress.sink, say: run.say, onSettled: () => progress.done() },
    );
  } catch (e) {
    read = { objects: Promise.reject(e), kept: Promise.resolve() };
  }
  read.objects.catch(() => {});
  return {
    objects: read.objects,
    // The worker keeps the read in the workspace after handing it over: a command that succeeded
    // waits for that before it closes the workspace (stop() would end the worker mid-write).
    kept: read.kept,
    stop: () => {
      stop();
      run.io.signal?.removeEventListener('abort', stop);
    },
  };
}

async function profileFrom(run: Run, file: string): Promise<Profile> {
  return loadProfile(resolve(run.io.cwd, file));
}

async function execute(run: Run, cmd: ParsedCommand): Promise<number> {
  switch (cmd.command) {
    case 'help':
      run.io.stdout.write(usage(cmd.topic));
      return EXIT.ok;
    case 'version':
      run.io.stdout.write(`syncdrift ${VERSION}\n`);
      return EXIT.ok;
    case 'scan': {
      const profile = await profileFrom(run, cmd.profile);
      refuseConnectExportsForCloudSync(profile, cmd.connectExports, 'the scan');
      const ws = openWs(run, cmd);
      const progress = progressFor(run, cmd.quiet);
      // The exports are read while the directories are (one progress line for both).
      const engine = startEngineRead(run, cmd.connectExports, ws, progress);
      try {
        const sources = await run.services.openLiveSources(profile, context(run, ws, progress));
        await joinCloudSync(sources, profile, { clock: run.clock, say: run.say, ...(run.io.signal ? { signal: run.io.signal } : {}) });
        if (engine.objects) sources.engineRead = engine.objects;
        const code = await scanAndReport(
          run,
          cmd,
          { profileName: profile.name, defaultRegion: profile.defaultRegion, kind: 'live', sources, ...(cmd.connectExports.length ? { meta: { files: { connect: cmd.connectExports } } } : {}) },
          ws,
          progress,
        );
        await engine.kept;
        return code;
      } finally {
        engine.stop();
        progress.done();
        ws?.close();
      }
    }
    case 'demo': {
      const ws = openWs(run, cmd);
      try {
        const progress = progressFor(run, cmd.quiet);
        const sources = await run.services.openDemoSources(context(run, ws, progress));
        return await scanAndReport(run, cmd, { profileName: sources.profileName, defaultRegion: sources.defaultRegion, kind: 'demo', sources }, ws, progress);
      } finally {
        ws?.close();
      }
    }
    case 'import': {
      // The Connect exports are read and joined on a worker thread from the start (or taken from the
      // workspace when they are the files read last, unchanged), while the LDIF and the Graph export
      // are read; the scan joins them when they are there (and fails with their error). However this
      // command ends, the worker ends with it. One progress line for both.
      const progress = progressFor(run, cmd.quiet);
      const ws = openWs(run, cmd);
      const engine = startEngineRead(run, cmd.connectExports, ws, progress);
      const engineRead = engine.objects;
      try {
        const profile = cmd.profile ? await profileFrom(run, cmd.profile) : null;
        const first = profile?.onPrem[0];
        const onPrem = await run.services.openOnPremImport({
          ldif: cmd.ldif ? resolve(run.io.cwd, cmd.ldif) : null,
          adcsv: cmd.adcsv ? resolve(run.io.cwd, cmd.adcsv) : null,
          ...(first ? { anchorAttribute: first.sourceAnchor, sourceId: first.id ?? 'import' } : {}),
        });
        const cloudUsers = await importGraphUsersFile(resolve(run.io.cwd, cmd.graphJson));
        let resolveAuditLookup: ScanSources['resolveAuditLookup'];
        const missing: string[] = [];
        if (cmd.auditJson) {
          const parsed = parseDirectoryAudits(await importAuditJsonFile(resolve(run.io.cwd, cmd.auditJson)));
          if (parsed.skipped > 0) run.say(`Audit export: skipped ${parsed.skipped} malformed record(s); first: ${parsed.warnings[0] ?? ''}`);
          // An export covers what the log still held, so a user without a record was last edited before it.
          const lookup = auditLookupFrom(parsed.latestByUser, { complete: true });
          resolveAuditLookup = async () => lookup;
        }
        const defaultRegion = cmd.region ?? profile?.defaultRegion ?? null;
        if (!defaultRegion) run.say('No default region (--region or the profile\u2019s defaultRegion): national-format numbers of users without AD `c` are compared by digits.');
        const scannedBases = profile ? profile.onPrem.flatMap((s) => s.searchBases ?? [s.baseDn]) : undefined;
        const sources: ScanSources = {
          onPrem: [onPrem],
          cloudUsers: pagesOf([cloudUsers]),
          tenantId: null,
          ...(resolveAuditLookup ? { resolveAuditLookup } : {}),
          ...(engineRead ? { engineRead } : {}),
          missing,
          close: () => onPrem.close(),
        };
        const code = await scanAndReport(
          run,
          cmd,
          {
            profileName: profile?.name ?? basename(cmd.ldif ?? cmd.adcsv ?? 'import'),
            defaultRegion,
            kind: 'import',
            sources,
            ...(scannedBases ? { scannedBases } : {}),
            meta: { files: { onPrem: cmd.ldif ?? cmd.adcsv, graph: cmd.graphJson, audit: cmd.auditJson, connect: cmd.connectExports } },
          },
          ws,
          progress,
        );
        await engine.kept;
        return code;
      } finally {
        engine.stop();
        progress.done();
        ws?.close();
      }
    }
    case 'export-kit': {
      const dir = resolve(run.io.cwd, cmd.out);
      try {
        mkdirSync(dir, { recursive: true });
        for (const f of run.services.exportKit({ baseDn: cmd.baseDn, server: cmd.server })) writeFileSync(join(dir, f.name), f.content);
      } catch (e) {
        throw new ValidationError('--out', `cannot write the kit into ${cmd.out} (${(e as { code?: string }).code ?? String(e)})`);
      }
      run.say(`Wrote the export kit to ${dir}`);
      return EXIT.ok;
    }
    case 'purge': {
      const ms = parseDuration(cmd.olderThan, '--older-than');
      const ws = openWorkspace(workspacePath(run.io, cmd.workspace), { clock: run.clock });
      try {
        const c = ws.purgeOlderThan(ms);
        run.io.stdout.write(`Purged data older than ${c.cutoff}: ${c.scans} scan(s), ${c.auditChanges} audit change(s), ${c.sessions} session(s) with ${c.journalEntries} journal entries.\n`);
      } finally {
        ws.close();
      }
      return EXIT.ok;
    }
    case 'export-workspace': {
      const ws = openWorkspace(workspacePath(run.io, cmd.workspace), { clock: run.clock });
      try {
        const r = await ws.export(resolve(run.io.cwd, cmd.out), { ...(cmd.scan ? { scanId: cmd.scan } : {}), mask: cmd.mask });
        const imports = r.counts.connect_imports ?? 0;
        run.say(`Wrote ${r.file}: ${r.header.scanIds.length} scan(s)${imports ? `, ${imports} Connect import(s)` : ''}${r.header.masked ? ', phone numbers masked' : ', phone numbers NOT masked'}.`);
        // A record the masked file could not carry masked is named, so nobody thinks it travelled.
        if (r.leftOut.length > 0) {
          const named = r.leftOut.map((x) => `${x.table} ${x.key}`).join(', ');
          run.say(`Left out of the masked file: ${r.leftOut.length} record(s) it cannot mask (${named}: ${[...new Set(r.leftOut.map((x) => x.why))].join('; ')}). Export with --no-mask to carry them.`);
        }
      } finally {
        ws.close();
      }
      return EXIT.ok;
    }
    case 'import-workspace': {
      const ws = openWorkspace(workspacePath(run.io, cmd.workspace), { clock: run.clock });
      try {
        const r = await ws.import(resolve(run.io.cwd, cmd.file));
        const n = Object.values(r.inserted).reduce((a, b) => a + (b ?? 0), 0);
        const imports = r.inserted.connect_imports ?? 0;
        run.say(`Imported ${n} record(s) (${r.header.scanIds.length} scan(s)${imports ? `, ${imports} Connect import(s)` : ''}${r.header.masked ? ', masked' : ''}); ${r.skipped} already present.`);
        // Bullets equal no real value: a scan joining them would misjudge every exported user.
        if (imports && r.header.masked) run.say('A masked Connect import is shown but not joined by scans: import the Connect export again, or a workspace exported with --no-mask, to join it.');
        const { sessions, plans } = r.maskedCopies;
        if (sessions + plans > 0) run.say(`${sessions} remediation session(s) and ${plans} plan(s) arrived as masked copies: they can be read here, never applied, resumed or undone.`);
        const copies = (r.inserted.sessions ?? 0) - sessions;
        if (copies > 0) run.say(`${copies} remediation session(s) arrived as read-only copies: resume or undo them on the workstation that ran them.`);
      } finally {
        ws.close();
      }
      return EXIT.ok;
    }
  }
}

/** Writes the error with its cause to a log file next to the workspace; returns the path (or null). */
function writeErrorLog(io: CliIO, clock: Clock, argv: readonly string[], e: unknown): string | null {
  try {
    const dir = join(defaultWorkspaceDir(io.env as NodeJS.ProcessEnv), 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `syncdrift-${clock.now().toISOString().replace(/[:.]/g, '-')}.log`);
    const err = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack, cause: e.cause instanceof Error ? e.cause.stack : e.cause } : { value: String(e) };
    writeFileSync(file, JSON.stringify(redact({ at: clock.now().toISOString(), argv, error: err }), null, 2) + '\n', { mode: 0o600 });
    return file;
  } catch {
    return null;
  }
}

/** Runs one command line; resolves to the exit code. Never throws. */
export async function main(rawArgv: readonly string[], rawIo: CliIO): Promise<number> {
  // Every command that may keep a secret takes the consent flag, so it is read once, here.
  const argv = rawArgv.filter((a) => a !== ACCEPT_WEAK_SECRET_STORAGE_FLAG);
  const io: CliIO = argv.length === rawArgv.length ? rawIo : { ...rawIo, acceptWeakSecretStorage: true };
  const clock = io.clock ?? systemClock;
  const services: CliServices = { ...defaultCliServices, ...(io.services ?? {}) };
  const run: Run = { io, services, clock, say: (line) => io.stderr.write(`${line}\n`) };
  try {
    const external = argv[0] !== undefined && Object.hasOwn(EXTERNAL_COMMANDS, argv[0]) ? EXTERNAL_COMMANDS[argv[0]] : undefined;
    if (external) return await external(argv.slice(1), io);
    const cmd = parseCommandLine(argv);
    return await execute(run, cmd);
  } catch (e) {
    if (isSyncDriftError(e)) {
      const code = exitCodeFor(e.kind);
      if (code === EXIT.unexpected) {
        const log = writeErrorLog(io, clock, argv, e);
        run.say(`syncdrift: ${e.message}${log ? ` (details: ${log})` : ''}`);
      } else run.say(`syncdrift: ${e.message}`);
      if (code === EXIT.usage && e instanceof ValidationError && e.code === 'USAGE') run.say('Run `syncdrift --help` for usage.');
      return code;
    }
    const log = writeErrorLog(io, clock, argv, e);
    run.say(`syncdrift: unexpected error: ${e instanceof Error ? e.message : String(e)}${log ? ` (details: ${log})` : ''}`);
    return EXIT.unexpected;
  }
}

