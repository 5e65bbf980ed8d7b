/**
 * `syncdrift plan | apply | sessions | resume | undo`: the remediation engine on the command line.
 * Exit codes follow the CLI contract (0 done, 1 unexpected, 2 usage or input error, 3 connection /
 * sign-in / permission) plus 7 "the session is not finished yet" (waiting for the cycle or for
 * replication, verification pending: resumable) and 8 "refused" (preflight failed, conflicts,
 * undecided blast radius, or no confirmation): 4–6 already mean other things.
 *
 * The usage texts are remediation-usage.ts; how plans, preflights, outcomes and undo reports print is
 * remediation-render.ts.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DriftReport, type DriftStatus } from '../core/model';
import { formatIssues, isSyncDriftError, ValidationError, type ErrorKind } from '../core/errors';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/ports';
import type { ProgressEvent } from '../core/progress';
import { defaultWorkspaceDir } from '../node/workspace-dir';
import { openWorkspace } from '../workspace/workspace';
import {
  buildPlan,
  acceptanceCovers,
  buildRestorePlan,
  decideBulk,
  parseDecideArg,
  loadOrCreatePlanKey,
  planReadiness,
  unscannedToAccept,
  PLAN_KEY_SUFFIX,
  signedPlanText,
  verifyPlanText,
  workspaceJournalStore,
  sessionSummaries,
  type BulkAction,
  type JournalStore,
  type Operator,
  type RemediationEngine,
  type SessionOutcome,
  type Plan,
  type UndoReport,
} from '../remediation';
import { renderOutcome, renderPlan, renderPreflight, renderUndo } from './remediation-render';
import { connectExportsOf } from './args';
import { APPLY_USAGE, PLAN_USAGE, RESUME_USAGE, SESSIONS_USAGE, UNDO_USAGE } from './remediation-usage';

export const REMEDIATION_EXIT = { ok: 0, unexpected: 1, usage: 2, connection: 3, incomplete: 7, refused: 8 } as const;

export interface RemediationCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
  /** A person can answer questions (stdin and stderr are a terminal). */
  isTTY?: boolean;
  signal?: AbortSignal;
  /** --accept-weak-secret-storage (taken off the command line by main()). */
  acceptWeakSecretStorage?: boolean;
}

export interface EngineHandle {
  engine: RemediationEngine;
  close(): Promise<void>;
}

export interface RemediationCommandDeps {
  /**
   * Builds the engine over the journal file and the profile's ports (on-prem directories, signed-in
   * cloud client, and in the sandbox the simulator's cycle). The CLI framework supplies it: profile
   * loading and sign-in live there. Absent: apply/resume/undo are refused with a clear message.
   */
  openEngine?: (ctx: {
    workspaceFile: string;
    profile: string | null;
    operator: Operator;
    io: RemediationCommandIo;
    /** apply's `--connect-export` files (resolved): the preflight's rescan joins them, as the scan did. */
    connectExports?: string[];
  }) => Promise<EngineHandle>;
  /** Reads a person's answer on a TTY (default: one line from stdin). */
  ask?: (question: string) => Promise<string>;
  clock?: Clock;
}

/** The warning and confirmation --take-over needs: true when the admin confirmed (a terminal) or passed --yes. */
async function confirmTakeOver(io: RemediationCommandIo, deps: RemediationCommandDeps, sessionId: string, yes: boolean): Promise<boolean> {
  const warning = `--take-over: if the machine that owns session ${sessionId} is still running it, both may write.`;
  if (yes) {
    io.stderr.write(`syncdrift: ${warning}\n`);
    return true;
  }
  if (!io.isTTY) {
    io.stderr.write(`syncdrift: ${warning} Refusing without confirmation: run on a terminal or pass --yes.\n`);
    return false;
  }
  return (await (deps.ask ?? defaultAsk)(`${warning} Type "take over" to go on: `)).trim().toLowerCase() === 'take over';
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: readonly string[], options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>, positionals: number, usage: string): { values: Values; positionals: string[] } {
  let r;
  try {
    r = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    const m = /'(--?[\w-]+)'/.exec(e instanceof Error ? e.message : '');
    throw new ValidationError(m?.[1] ?? 'arguments', `${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
  }
  if (r.values.help) throw new HelpRequested(usage);
  if (r.positionals.length !== positionals) throw new ValidationError(positionals ? 'SESSION' : 'arguments', `${positionals ? `expects ${positionals} argument(s)` : `unexpected argument "${r.positionals[0]}"`}\n\n${usage}`);
  return { values: r.values as Values, positionals: r.positionals };
}

class HelpRequested extends Error {}

const str = (v: Values, k: string): string | null => {
  const x = v[k];
  if (x === undefined) return null;
  if (typeof x !== 'string' || x.trim() === '') throw new ValidationError(`--${k}`, 'needs a value');
  return x;
};
const list = (v: Values, k: string): string[] => {
  const x = v[k];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
};

function readText(io: RemediationCommandIo, file: string, field: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new ValidationError(field, `cannot read ${file} (${(e as { code?: string }).code ?? String(e)})`);
  }
}

function writeOwnerOnly(io: RemediationCommandIo, file: string, text: string, field: string): string {
  const path = resolve(io.cwd, file);
  try {
    mkdirSync(dirname(path), { recursive: true });
    // Plans hold phone numbers: personal data, owner-only.
    writeFileSync(path, text, { mode: 0o600 });
  } catch (e) {
    throw new ValidationError(field, `cannot write ${file} (${(e as { code?: string }).code ?? String(e)})`);
  }
  return path;
}

/** UPNs from `a@x,b@y` or `@file` (one a line, commas allowed). */
export function parseUserList(io: RemediationCommandIo, arg: string): string[] {
  const text = arg.startsWith('@') ? readText(io, arg.slice(1), '--users') : arg;
  const users = text
    .split(/[\n,;]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
  if (users.length === 0) throw new ValidationError('--users', 'lists no users');
  return users;
}

/** The workspace database (same rule as the other commands' --workspace); the journal lives in it. */
export function workspaceFileFor(io: RemediationCommandIo, workspace: string | null): string {
  return workspace ? resolve(io.cwd, workspace) : join(defaultWorkspaceDir(io.env as NodeJS.ProcessEnv), 'workspace.db');
}

/** The workspace's plan-signing key (`<workspace file>.plan-key`), created on first use. */
export function planKeyFor(io: RemediationCommandIo, workspace: string | null): Buffer {
  const file = workspaceFileFor(io, workspace);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return loadOrCreatePlanKey(`${file}${PLAN_KEY_SUFFIX}`);
}

/** The remediation journal inside a workspace database; close() closes the workspace. */
export function openWorkspaceJournal(file: string): JournalStore {
  const ws = openWorkspace(file);
  return { ...workspaceJournalStore(ws), close: () => ws.close() };
}

function exitFor(kind: ErrorKind): number {
  if (kind === 'validation') return REMEDIATION_EXIT.usage;
  if (kind === 'connection' || kind === 'auth' || kind === 'permission' || kind === 'throttled') return REMEDIATION_EXIT.connection;
  if (kind === 'conflict' || kind === 'not-found') return REMEDIATION_EXIT.refused;
  return REMEDIATION_EXIT.unexpected;
}

async function guard(io: RemediationCommandIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.stdout.write(e.message);
      return REMEDIATION_EXIT.ok;
    }
    if (isSyncDriftError(e)) {
      io.stderr.write(`syncdrift: ${e.message}\n`);
      return exitFor(e.kind);
    }
    io.stderr.write(`syncdrift: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    return REMEDIATION_EXIT.unexpected;
  }
}

function progressPrinter(io: RemediationCommandIo): (e: ProgressEvent) => void {
  let last = '';
  return (e) => {
    const line = `${e.phase}: ${e.done}${e.total !== undefined ? `/${e.total}` : ''}${e.retries ? ` (${e.retries} retries)` : ''}${e.message ? ` ${e.message}` : ''}`;
    if (line !== last) io.stderr.write(`  ${line}\n`);
    last = line;
  };
}

async function defaultAsk(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function operatorFor(io: RemediationCommandIo, deps: RemediationCommandDeps, flags: { cycleDone?: boolean; replicated?: boolean }): Operator {
  const ask = deps.ask ?? defaultAsk;
  return {
    async confirmReplication(pending) {
      if (flags.replicated) return true;
      if (!io.isTTY) return false;
      io.stderr.write(`These AD writes are not yet visible on the Connect server's DC:\n${pending.map((p) => `  ${p.upn} (${p.dn}) on ${p.dcs.join(', ') || 'the DC'}`).join('\n')}\n`);
      return /^y(es)?$/i.test((await ask('Has replication reached the DC Entra Connect reads? [y/N] ')).trim());
    },
    async confirmCycle(instructions) {
      if (flags.cycleDone) return true;
      if (!io.isTTY) return false;
      io.stderr.write(`\nRun the full sync cycle now:\n  ${instructions}\n`);
      return /^(y(es)?|done)$/i.test((await ask('Type "done" when the cycle has finished (anything else stops here; resume later): ')).trim());
    },
  };
}

async function withEngine<T>(io: RemediationCommandIo, deps: RemediationCommandDeps, v: Values, operator: Operator, fn: (engine: RemediationEngine) => Promise<T>, connectExports: string[] = []): Promise<T> {
  if (!deps.openEngine) throw new ValidationError('--profile', 'this build of the CLI cannot connect to AD and Entra ID for remediation (no engine wiring)');
  const handle = await deps.openEngine({ workspaceFile: workspaceFileFor(io, str(v, 'workspace')), profile: str(v, 'profile'), operator, io, ...(connectExports.length ? { connectExports } : {}) });
  try {
    return await fn(handle.engine);
  } finally {
    await handle.close();
  }
}

function outcomeExit(o: SessionOutcome): number {
  if (o.state === 'completed') return REMEDIATION_EXIT.ok;
  if (!o.sessionId || o.state === 'failed') return REMEDIATION_EXIT.refused;
  return REMEDIATION_EXIT.incomplete;
}

// ---------------------------------------------------------------------------------------------

/** `syncdrift plan`. */
export function runPlanCommand(args: readonly string[], io: RemediationCommandIo, deps: RemediationCommandDeps = {}): Promise<number> {
  return guard(io, async () => {
    const { values: v } = parse(
      args,
      {
        report: { type: 'string' },
        decide: { type: 'string', multiple: true },
        others: { type: 'string', multiple: true },
        users: { type: 'string' },
        workspace: { type: 'string' },
        out: { type: 'string' },
        'connect-server': { type: 'string' },
        'replica-dc': { type: 'string', multiple: true },
        'cloud-sync': { type: 'boolean' },
      },
      0,
      PLAN_USAGE,
    );
    const reportFile = str(v, 'report');
    if (!reportFile) throw new ValidationError('--report', `is required (a drift report from syncdrift scan --format json)\n\n${PLAN_USAGE}`);
    const out = str(v, 'out');
    if (!out) throw new ValidationError('--out', 'is required (the plan file to write)');
    const decide = list(v, 'decide');
    if (decide.length === 0) throw new ValidationError('--decide', 'give at least one STATUS=ACTION, e.g. --decide cloud-override=keep-onprem');
    let raw: unknown;
    try {
      raw = JSON.parse(readText(io, reportFile, '--report'));
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      throw new ValidationError(reportFile, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = DriftReport.safeParse(raw);
    if (!parsed.success) throw new ValidationError(reportFile, `is not a drift report: ${formatIssues(parsed.error.issues, 'report')}`);
    const byStatus: Partial<Record<DriftStatus, BulkAction>> = {};
    for (const d of decide) {
      const [s, a] = parseDecideArg(d, '--decide');
      byStatus[s] = a;
    }
    const others: Partial<Record<DriftStatus, BulkAction>> = {};
    for (const d of list(v, 'others')) {
      const [s, a] = parseDecideArg(d, '--others');
      others[s] = a;
    }
    const usersArg = str(v, 'users');
    const users = usersArg ? parseUserList(io, usersArg) : undefined;
    const bulk = decideBulk(parsed.data, { byStatus, others, ...(users ? { users } : {}) });
    if (bulk.unknownUsers.length) io.stderr.write(`syncdrift: warning: no row for ${bulk.unknownUsers.join(', ')} in the report\n`);
    const plan = buildPlan(parsed.data, bulk.decisions, {
      selected: bulk.selected,
      syncEngine: v['cloud-sync'] ? 'cloud-sync' : 'connect',
      connectServer: str(v, 'connect-server'),
      replicaDcs: list(v, 'replica-dc'),
      now: (deps.clock ?? systemClock).now(),
    });
    const path = writeOwnerOnly(io, out, signedPlanText(plan, planKeyFor(io, str(v, 'workspace'))), '--out');
    io.stderr.write(renderPlan(plan));
    io.stderr.write(`Wrote ${path}\n`);
    const ready = planReadiness(plan);
    if (!ready.ready) {
      io.stderr.write(`The plan cannot be applied yet: ${ready.why.join('; ')}\n`);
      return REMEDIATION_EXIT.refused;
    }
    return REMEDIATION_EXIT.ok;
  });
}

/** `--accept-unscanned N|unknown`: how many unscanned synced users the admin accepts a bypass plan reaches. */
function acceptUnscannedArg(raw: string | null): number | 'unknown' | undefined {
  if (raw === null) return undefined;
  if (raw === 'unknown') return 'unknown';
  if (!/^\d{1,9}$/.test(raw)) throw new ValidationError('--accept-unscanned', `must be a whole number or "unknown", not ${JSON.stringify(raw)}\n\n${APPLY_USAGE}`);
  return Number(raw);
}

/** The restore plan of an undone session, for the session's sync engine, profile and replica DCs. */
function restorePlanFor(engine: RemediationEngine, report: UndoReport, now: Date): Plan {
  const { plan } = engine.session(report.sessionId);
  return buildRestorePlan(report, 'all', { now, replicaDcs: plan.replicaDcs, profile: plan.source.profile, syncEngine: plan.syncEngine });
}

/** `syncdrift apply`. */
export function runApplyCommand(args: readonly string[], io: RemediationCommandIo, deps: RemediationCommandDeps = {}): Promise<number> {
  return guard(io, async () => {
    const { values: v, positionals } = parse(args, { 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' }, profile: { type: 'string' }, workspace: { type: 'string' }, 'cycle-done': { type: 'boolean' }, replicated: { type: 'boolean' }, 'accept-unscanned': { type: 'string' }, 'connect-export': { type: 'string', multiple: true } }, 1, APPLY_USAGE);
    const accept = acceptUnscannedArg(str(v, 'accept-unscanned'));
    const connectExports = connectExportsOf(v).map((f) => resolve(io.cwd, f));
    const file = positionals[0] as string;
    // Integrity first: nothing of a plan is shown as "ready" or applied before its check passes.
    const plan = verifyPlanText(readText(io, file, 'PLAN'), planKeyFor(io, str(v, 'workspace')), file);
    io.stdout.write(renderPlan(plan));
    if (v['dry-run']) {
      io.stderr.write('Dry run: nothing was written.\n');
      return planReadiness(plan).ready ? REMEDIATION_EXIT.ok : REMEDIATION_EXIT.refused;
    }
    const ready = planReadiness(plan);
    if (!ready.ready) {
      io.stderr.write(`syncdrift: the plan cannot be applied: ${ready.why.join('; ')}\n`);
      return REMEDIATION_EXIT.refused;
    }
    const unscanned = unscannedToAccept(plan);
    if (!acceptanceCovers(accept, unscanned)) {
      io.stderr.write(
        `syncdrift: the tenant-wide bypass reaches ${unscanned === 'unknown' ? 'an unknown number of' : unscanned} synced user(s) the scan did not read${accept === undefined ? '' : ` (--accept-unscanned ${accept} does not cover them)`}. Scan every OU and forest the sync engine reads and plan again, or accept them: --accept-unscanned ${unscanned}. Nothing was written.\n`,
      );
      return REMEDIATION_EXIT.refused;
    }
    if (!v.yes) {
      if (!io.isTTY) {
        io.stderr.write('syncdrift: refusing to write without confirmation: run on a terminal, or pass --yes after reviewing the plan (apply --dry-run).\n');
        return REMEDIATION_EXIT.refused;
      }
      const writes = plan.steps.filter((s) => s.kind === 'ad-write' || s.kind === 'graph-patch').length;
      const answer = await (deps.ask ?? defaultAsk)(`Apply ${writes} write(s)${plan.needsBypass ? ` and turn on the tenant-wide bypass (${plan.blastRadius.length} user(s) affected)` : ''}? Type "yes": `);
      if (answer.trim().toLowerCase() !== 'yes') {
        io.stderr.write('Not confirmed: nothing was written.\n');
        return REMEDIATION_EXIT.refused;
      }
    }
    const operator = operatorFor(io, deps, { cycleDone: v['cycle-done'] === true, replicated: v.replicated === true });
    return withEngine(io, deps, v, operator, async (engine) => {
      const out = await engine.apply(plan, { ...(io.signal ? { signal: io.signal } : {}), onProgress: progressPrinter(io), ...(accept !== undefined ? { acceptNotScanned: accept } : {}) });
      if (out.preflight) io.stderr.write(renderPreflight(out.preflight));
      io.stdout.write(renderOutcome(out));
      return outcomeExit(out);
    }, connectExports);
  });
}

/** `syncdrift sessions`: needs only the journal, no sign-in. */
export function runSessionsCommand(args: readonly string[], io: RemediationCommandIo, deps: RemediationCommandDeps & { openJournal?: (file: string) => JournalStore } = {}): Promise<number> {
  return guard(io, async () => {
    const { values: v } = parse(args, { workspace: { type: 'string' }, json: { type: 'boolean' } }, 0, SESSIONS_USAGE);
    const journal = (deps.openJournal ?? openWorkspaceJournal)(workspaceFileFor(io, str(v, 'workspace')));
    try {
      const list = sessionSummaries(journal);
      if (v.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) io.stdout.write('No remediation sessions.\n');
      else {
        for (const s of list) io.stdout.write(`${s.id}  ${s.state.padEnd(20)} ${s.createdAt}  ${s.profile}  steps ${s.stepsDone}/${s.steps}${s.message ? `  ${s.message}` : ''}\n`);
      }
      return REMEDIATION_EXIT.ok;
    } finally {
      journal.close();
    }
  });
}

/** `syncdrift resume SESSION`. */
export function runResumeCommand(args: readonly string[], io: RemediationCommandIo, deps: RemediationCommandDeps = {}): Promise<number> {
  return guard(io, async () => {
    const { values: v, positionals } = parse(args, { profile: { type: 'string' }, workspace: { type: 'string' }, 'cycle-done': { type: 'boolean' }, replicated: { type: 'boolean' }, 'take-over': { type: 'boolean' }, yes: { type: 'boolean' } }, 1, RESUME_USAGE);
    const takeOver = v['take-over'] === true;
    if (takeOver && !(await confirmTakeOver(io, deps, positionals[0] as string, v.yes === true))) return REMEDIATION_EXIT.refused;
    const operator = operatorFor(io, deps, { cycleDone: v['cycle-done'] === true, replicated: v.replicated === true });
    return withEngine(io, deps, v, operator, async (engine) => {
      const out = await engine.resume(positionals[0] as string, { ...(io.signal ? { signal: io.signal } : {}), onProgress: progressPrinter(io), ...(takeOver ? { takeOver } : {}) });
      io.stdout.write(renderOutcome(out));
      return outcomeExit(out);
    });
  });
}

/** `syncdrift undo SESSION`. */
export function runUndoCommand(args: readonly string[], io: RemediationCommandIo, deps: RemediationCommandDeps = {}): Promise<number> {
  return guard(io, async () => {
    const { values: v, positionals } = parse(args, { yes: { type: 'boolean' }, profile: { type: 'string' }, workspace: { type: 'string' }, 'restore-out': { type: 'string' }, 'take-over': { type: 'boolean' }, 'turn-bypass-off': { type: 'boolean' } }, 1, UNDO_USAGE);
    const takeOver = v['take-over'] === true;
    const turnBypassOff = v['turn-bypass-off'] === true;
    if (takeOver && !(await confirmTakeOver(io, deps, positionals[0] as string, v.yes === true))) return REMEDIATION_EXIT.refused;
    if (!v.yes) {
      if (!io.isTTY) {
        io.stderr.write('syncdrift: refusing to undo without confirmation: run on a terminal or pass --yes.\n');
        return REMEDIATION_EXIT.refused;
      }
      if ((await (deps.ask ?? defaultAsk)(`Undo session ${positionals[0]}${turnBypassOff ? ' and turn BypassDirSyncOverrides off' : ''}? Type "yes": `)).trim().toLowerCase() !== 'yes') return REMEDIATION_EXIT.refused;
    }
    return withEngine(io, deps, v, operatorFor(io, deps, {}), async (engine) => {
      const report = await engine.undo(positionals[0] as string, { ...(io.signal ? { signal: io.signal } : {}), onProgress: progressPrinter(io), ...(takeOver ? { takeOver } : {}), ...(turnBypassOff ? { turnBypassOff } : {}) });
      io.stdout.write(renderUndo(report));
      const restoreOut = str(v, 'restore-out');
      if (restoreOut && report.offers.length > 0) {
        const path = writeOwnerOnly(io, restoreOut, signedPlanText(restorePlanFor(engine, report, (deps.clock ?? systemClock).now()), planKeyFor(io, str(v, 'workspace'))), '--restore-out');
        io.stderr.write(`Wrote the restore plan (AD writes) to ${path}: review it, then syncdrift apply ${restoreOut}\n`);
      }
      return report.state === 'undone' ? REMEDIATION_EXIT.ok : REMEDIATION_EXIT.incomplete;
    });
  });
}
