/**
 * The scan pipeline: streams every on-prem source and the cloud side concurrently through their
 * ports, times each phase, and hands both snapshots to the pure engine. It does no I/O of its own
 * (adapters do), so the CLI, main/api and benchmarks share it.
 */
import type { EngineFlows, EngineObject } from '../core/engine-view';
import type { CloudUser, DriftReport, OnPremUser } from '../core/model';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import { SyncDriftError, CancelledError, isSyncDriftError } from '../core/errors';
import type { ProgressSink } from '../core/progress';
import { noProgress, throwIfCancelled } from '../core/progress';
import type { OnPremDirectory, ScanOptions, ScanResult, SourceInfo } from '../onprem/port';
import { buildReport, DriftBuilder, type DriftResult } from './engine';
import type { AuditLookup } from './timeline';

export interface RunScanInput {
  onPrem: OnPremDirectory[];
  /** Pages of cloud users (a Graph reader, a sandbox, or an offline import). */
  cloudUsers: AsyncIterable<CloudUser[]>;
  profileName: string;
  defaultRegion?: string | null;
  auditLookup?: AuditLookup;
  /** Alternative to auditLookup: built once both sides are read (the audit index may have grown meanwhile). */
  resolveAuditLookup?: () => Promise<AuditLookup | undefined>;
  tenantLastSyncAt?: string | null;
  /** The bases that define scope for unmatched cloud users; default: the sources' searchBases. */
  scannedBases?: readonly string[];
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  clock?: Clock;
  /** Passed to every on-prem source. */
  scanOptions?: Omit<ScanOptions, 'signal' | 'onProgress'>;
  /** With several sources: record a failing one as missing (report is then partial) instead of failing the scan. */
  continueOnSourceError?: boolean;
  /** Called per page as it arrives, e.g. to write snapshots to the workspace while scanning. */
  onOnPremPage?: (source: SourceInfo, users: OnPremUser[]) => void;
  onCloudPage?: (users: CloudUser[]) => void;
  /**
   * The sync engine's view (Connect exports, Cloud Sync) joined into the verdicts (docs/drift.md). A
   * promise (the CLI reads the Connect exports on a worker thread meanwhile) is joined when it
   * settles; if it fails, the scan stops and fails with its error.
   */
  engineObjects?: readonly EngineObject[] | Promise<readonly EngineObject[]>;
  /** Tenant-wide facts of the engine (Cloud Sync: whether its schema maps otherMobile). */
  engineFlows?: EngineFlows | null;
}

export interface SourceOutcome {
  source: SourceInfo;
  result: ScanResult | null;
  objects: number;
  error?: string;
}

export interface ScanOutcome {
  report: DriftReport;
  drift: DriftResult;
  onPremUsers: OnPremUser[];
  cloudUsers: CloudUser[];
  sources: SourceOutcome[];
  /** What is missing when the scan finished with partial data (empty = complete). */
  missing: string[];
  startedAt: string;
  finishedAt: string;
}

async function readOnPrem(dir: OnPremDirectory, input: RunScanInput, signal: AbortSignal, sink: OnPremUser[], builder: DriftBuilder): Promise<SourceOutcome> {
  const source = dir.describe();
  const onProgress = input.onProgress ?? noProgress;
  const it = dir.scan({ ...(input.scanOptions ?? {}), signal, onProgress: (e) => onProgress({ ...e, phase: `onprem:${source.id}` }) });
  let objects = 0;
  let next = it.next();
  for (;;) {
    throwIfCancelled(signal, 'The scan');
    const step = await next;
    if (step.done) return { source, result: step.value, objects };
    // Ask for the next page before handling this one: the source's I/O overlaps the engine's work.
    next = it.next();
    next.catch(() => {});
    objects += step.value.length;
    for (const u of step.value) sink.push(u);
    // Same order as the sink: the engine sees exactly the users runScan returns.
    builder.addOnPrem(step.value);
    input.onOnPremPage?.(source, step.value);
  }
}

/** Rejects with CancelledError when the signal aborts (never resolves): raced against a wait. */
function abortedPromise(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    const fail = () => reject(new CancelledError('The scan'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  p.catch(() => {});
  return p;
}

/** Runs one scan end to end and returns the report with `phases` (ms): onprem, cloud, read, drift, total (and engine: when a promised engine view arrived). */
export async function runScan(input: RunScanInput): Promise<ScanOutcome> {
  const clock = input.clock ?? systemClock;
  const onProgress = input.onProgress ?? noProgress;
  const ctl = new AbortController();
  const forward = () => ctl.abort();
  input.signal?.addEventListener('abort', forward, { once: true });
  if (input.signal?.aborted) ctl.abort();
  const startedAt = clock.now().toISOString();
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const onPremUsers: OnPremUser[] = [];
  const cloudUsers: CloudUser[] = [];
  const missing: string[] = [];
  // Fed page by page while the sources are still being read: parsing, joining by anchor and
  // classifying happen while the scan waits for pages; the drift phase only finishes the join.
  const builder = new DriftBuilder({
    defaultRegion: input.defaultRegion ?? null,
    tenantLastSyncAt: input.tenantLastSyncAt ?? null,
    ...(input.auditLookup ? { auditLookup: input.auditLookup } : {}),
    ...(Array.isArray(input.engineObjects) ? { engineObjects: input.engineObjects } : input.engineObjects ? { engineLater: true } : {}),
    ...(input.engineFlows ? { engineFlows: input.engineFlows } : {}),
  });
  const later = input.engineObjects && !Array.isArray(input.engineObjects) ? (input.engineObjects as Promise<readonly EngineObject[]>) : null;
  const engineSide = later
    ? (async () => {
        const objects = await Promise.race([later, abortedPromise(ctl.signal)]);
        throwIfCancelled(ctl.signal, 'The scan');
        builder.provideEngineObjects(objects);
        phases.engine = Math.round(performance.now() - t0);
      })()
    : Promise.resolve();

  const onPremSide = (async () => {
    const outcomes = await Promise.all(
      input.onPrem.map(async (dir) => {
        try {
          return await readOnPrem(dir, input, ctl.signal, onPremUsers, builder);
        } catch (e) {
          if (!input.continueOnSourceError || input.onPrem.length < 2 || e instanceof CancelledError) throw e;
          const source = dir.describe();
          const msg = isSyncDriftError(e) ? e.message : e instanceof Error ? e.message : String(e);
          missing.push(`on-prem source ${source.id} (${source.label}): ${msg}`);
          return { source, result: null, objects: 0, error: msg } satisfies SourceOutcome;
        }
      }),
    );
    phases.onprem = Math.round(performance.now() - t0);
    builder.sealOnPrem();
    return outcomes;
  })();

  const cloudSide = (async () => {
    let pages = 0;
    const it = input.cloudUsers[Symbol.asyncIterator]();
    // A page can take seconds (throttling): stop waiting for it the moment the scan is cancelled.
    const aborted = abortedPromise(ctl.signal);
    try {
      let next = it.next();
      for (;;) {
        const step = await Promise.race([next, aborted]);
        if (step.done) break;
        throwIfCancelled(ctl.signal, 'The scan');
        // Request the next page before handling this one, so the wire and the engine overlap.
        next = it.next();
        next.catch(() => {});
        const page = step.value;
        pages++;
        for (const u of page) cloudUsers.push(u);
        input.onCloudPage?.(page);
        builder.addCloud(page);
        onProgress({ phase: 'cloud', done: cloudUsers.length, pages, elapsedMs: Math.round(performance.now() - t0) });
      }
    } catch (e) {
      void it.return?.();
      throw e;
    }
    phases.cloud = Math.round(performance.now() - t0);
  })();

  let sources: SourceOutcome[];
  try {
    // Either side failing stops the other: a half-read directory gives wrong verdicts. So does the
    // engine's view failing to read.
    const stopOnFailure = <T>(p: Promise<T>): Promise<T> => p.catch((e: unknown) => (ctl.abort(), Promise.reject(e)));
    [sources] = await Promise.all([stopOnFailure(onPremSide), stopOnFailure(cloudSide), stopOnFailure(engineSide)]);
  } finally {
    input.signal?.removeEventListener('abort', forward);
  }
  if (input.signal?.aborted) throw new CancelledError('The scan');
  phases.read = Math.round(performance.now() - t0);

  const lateLookup = !input.auditLookup && input.resolveAuditLookup ? await input.resolveAuditLookup() : undefined;

  const td = performance.now();
  // In users compared, first event to last (the rows are fewer: a matched pair is one row).
  const compared = onPremUsers.length + cloudUsers.length;
  onProgress({ phase: 'drift', done: 0, total: compared });
  const scannedBases = input.scannedBases ?? sources.filter((s) => !s.error).flatMap((s) => s.source.searchBases);
  const drift = builder.finish({ scannedBases, ...(lateLookup ? { auditLookup: lateLookup } : {}) });
  phases.drift = Math.round(performance.now() - td);
  phases.total = Math.round(performance.now() - t0);
  onProgress({ phase: 'drift', done: compared, total: compared });
  const finishedAt = clock.now().toISOString();
  const report = buildReport(drift, { profile: input.profileName, generatedAt: finishedAt, phases });
  return { report, drift, onPremUsers, cloudUsers, sources, missing, startedAt, finishedAt };
}

/** Turns an array of pages (or one page) into the async stream runScan takes. */
export async function* pagesOf<T>(pages: Iterable<T[]>): AsyncGenerator<T[], void, void> {
  for (const p of pages) yield p;
}

export function partialError(missing: string[]): SyncDriftError {
  return new SyncDriftError('partial', 'SCAN_PARTIAL', `The scan finished with partial data: ${missing.join('; ')}`, { details: { missing } });
}
