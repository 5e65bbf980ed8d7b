/**
 * The plan file: a self-describing JSON document (format + schemaVersion) that the CLI writes with
 * `syncdrift plan`, shows with `apply --dry-run`, and the engine executes. Read back through zod so a
 * hand-edited or truncated file fails with the field named, never half-applied.
 */
import { z } from 'zod';
import { DecisionAction, DriftStatus, isoDateTime } from '../core/model';
import { ValidationError, formatIssues } from '../core/errors';

export const PLAN_FORMAT = 'syncdrift-remediation-plan';

/** Where a remediation session stands (journal.ts keeps the sessions; the bridge shows them). */
export const SessionState = z.enum([
  'running',
  'awaiting-replication',
  'awaiting-cycle',
  'verifying',
  'completed',
  'verify-timeout',
  'failed',
  'cancelled',
  'interrupted',
  'undoing',
  'undone',
  'undo-partial',
]);
export type SessionState = z.infer<typeof SessionState>;
export const PLAN_SCHEMA_VERSION = 1;

const value = z.string().nullable();

export const Route = z.enum(['none', 'ad-write', 'graph-patch', 'bypass-cycle']);
export type Route = z.infer<typeof Route>;

export const PlanRow = z.object({
  key: z.string().min(1),
  upn: z.string(),
  status: DriftStatus,
  /** null = no decision yet (a blast-radius row blocks the plan until it has one). */
  action: DecisionAction.nullable(),
  reason: z.string().optional(),
  /** In the admin's selection (as opposed to swept in by the bypass). */
  selected: z.boolean(),
  inBlastRadius: z.boolean(),
  onPrem: z.object({ sourceId: z.string(), dn: z.string(), value, otherMobile: z.array(z.string()) }).nullable(),
  cloud: z.object({ id: z.string(), value, managed: z.boolean() }).nullable(),
  route: Route,
  /** What both sides must show when the session is done; null = nothing to verify for this row. */
  intended: z.object({ onPrem: value, cloud: value }).nullable(),
  /** Blast radius: what the bypass and the full cycle do to this user's cloud value. */
  effect: z.string().optional(),
});
export type PlanRow = z.infer<typeof PlanRow>;

const stepBase = { id: z.string().min(1) };
export const PlanStep = z.discriminatedUnion('kind', [
  z.object({ ...stepBase, kind: z.literal('ad-write'), rowKey: z.string(), upn: z.string(), sourceId: z.string(), dn: z.string(), expected: value, next: value }),
  z.object({ ...stepBase, kind: z.literal('await-replication'), rowKeys: z.array(z.string()), dcs: z.array(z.string()) }),
  z.object({ ...stepBase, kind: z.literal('graph-patch'), rowKey: z.string(), upn: z.string(), userId: z.string(), expected: value, next: value }),
  z.object({ ...stepBase, kind: z.literal('record-cloud-values'), rowKeys: z.array(z.string()) }),
  z.object({ ...stepBase, kind: z.literal('set-bypass'), enabled: z.boolean() }),
  z.object({ ...stepBase, kind: z.literal('sync-cycle'), policy: z.literal('initial'), engine: z.enum(['connect', 'cloud-sync']), instructions: z.string() }),
  z.object({ ...stepBase, kind: z.literal('verify'), rowKeys: z.array(z.string()) }),
]);
export type PlanStep = z.infer<typeof PlanStep>;
export type StepOf<K extends PlanStep['kind']> = Extract<PlanStep, { kind: K }>;

export const BlastRadiusRow = z.object({
  rowKey: z.string(),
  upn: z.string(),
  status: DriftStatus,
  onPremValue: value,
  cloudValue: value,
  effect: z.string(),
  selected: z.boolean(),
  action: DecisionAction.nullable(),
});
export type BlastRadiusRow = z.infer<typeof BlastRadiusRow>;

export const Blocker = z.object({ rowKey: z.string(), upn: z.string(), message: z.string() });
export type Blocker = z.infer<typeof Blocker>;

/** AD otherMobile in the bypass's reach (#17 point 11): Graph cannot read AlternateMobilePhones, so it is counted and named, never compared. */
export const OtherMobileBlast = z.object({
  /** Synced users whose AD otherMobile values the bypass will push wherever the cloud differs. */
  pushed: z.array(z.object({ rowKey: z.string(), upn: z.string(), values: z.array(z.string()) })),
  /** Synced users with an empty AD otherMobile: cloud values they may hold are likely cleared. */
  mayClear: z.number().int().nonnegative(),
  note: z.string(),
});
export type OtherMobileBlast = z.infer<typeof OtherMobileBlast>;

/**
 * The bypass's reach beyond the scan (#17 point 4). BypassDirSyncOverrides plus a full cycle lets AD
 * win for every synced user in the tenant, including ones in OUs or forests the scan did not read;
 * a plan that turns the bypass on says how many those are and, unless none, apply needs the admin's
 * explicit acceptance of that number (or of "unknown"), re-counted live by preflight.
 */
export const Coverage = z.object({
  /** Synced (AD-mastered) users in the tenant as counted when the plan was made; null = unknown. */
  syncedInTenant: z.number().int().nonnegative().nullable(),
  /** 'scan-read': the scan's whole-tenant cloud read; 'graph-count': Graph's $count; 'unknown': neither. */
  countedBy: z.enum(['scan-read', 'graph-count', 'unknown']),
  /** Synced users the scan joined to a scanned AD object. */
  scanned: z.number().int().nonnegative(),
  /** syncedInTenant minus scanned; null = unknown. */
  notScanned: z.number().int().nonnegative().nullable(),
  note: z.string(),
});
export type Coverage = z.infer<typeof Coverage>;

export const Plan = z.object({
  format: z.literal(PLAN_FORMAT),
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  id: z.string().min(1),
  createdAt: isoDateTime,
  source: z.object({ profile: z.string(), reportGeneratedAt: isoDateTime, reportRows: z.number().int().nonnegative() }),
  syncEngine: z.enum(['connect', 'cloud-sync']),
  connectServer: z.string().nullable(),
  /** DCs the Connect server reads: AD writes must show there before the cycle. */
  replicaDcs: z.array(z.string()),
  needsBypass: z.boolean(),
  rows: z.array(PlanRow),
  steps: z.array(PlanStep),
  blastRadius: z.array(BlastRadiusRow),
  /** Present when the plan turns the bypass on (absent in plans made before #17 point 11). */
  otherMobile: OtherMobileBlast.optional(),
  /** Present when the plan turns the bypass on (absent in plans made before #17 point 4: read as unknown). */
  coverage: Coverage.optional(),
  warnings: z.array(z.string()),
  cannotUndo: z.array(z.string()),
  blockers: z.array(Blocker),
  supportCase: z.array(z.string()),
  notes: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

/** Parses a plan from unknown JSON; the error names the offending field (e.g. `plan.steps[3].dn`). */
export function parsePlan(raw: unknown, where = 'plan'): Plan {
  if (typeof raw !== 'object' || raw === null) throw new ValidationError(where, 'is not a JSON object');
  const head = raw as { format?: unknown; schemaVersion?: unknown };
  if (head.format !== PLAN_FORMAT) throw new ValidationError(`${where}.format`, `must be "${PLAN_FORMAT}" (this file is not a SyncDrift plan)`);
  if (head.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw new ValidationError(`${where}.schemaVersion`, `is ${JSON.stringify(head.schemaVersion)}; this build reads version ${PLAN_SCHEMA_VERSION}: make the plan again with this version`);
  }
  const r = Plan.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    const field = first ? formatIssues([first], where).replace(/:.*$/, '') : where;
    throw new ValidationError(field, formatIssues(r.error.issues, where).replace(/^[^:]*: /, ''), { cause: r.error });
  }
  return r.data;
}

/** Parses plan file text (JSON). */
export function parsePlanText(text: string, file = 'plan'): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(file, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return parsePlan(raw, file);
}

export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** Whether the plan turns the tenant-wide bypass on: read from its steps, never from `needsBypass`. */
export function planNeedsBypass(plan: Pick<Plan, 'steps'>): boolean {
  return plan.steps.some((s) => s.kind === 'set-bypass');
}

/**
 * What apply must have the admin accept before a bypass plan runs: the number of synced users the
 * scan did not read (a number above 0), 'unknown' where it is not known (no count, or a plan made
 * before coverage existed), or null when there is nothing to accept (no bypass, or every synced
 * user was scanned).
 */
export function unscannedToAccept(plan: Pick<Plan, 'steps' | 'coverage'>): number | 'unknown' | null {
  if (!planNeedsBypass(plan)) return null;
  const n = plan.coverage?.notScanned;
  if (n === undefined || n === null) return 'unknown';
  return n > 0 ? n : null;
}

/** Whether an acceptance covers a number of unscanned synced users ('unknown' accepts any number). */
export function acceptanceCovers(accepted: number | 'unknown' | undefined, needed: number | 'unknown' | null): boolean {
  if (needed === null) return true;
  if (accepted === undefined) return false;
  if (accepted === 'unknown') return true;
  return needed !== 'unknown' && accepted >= needed;
}

/**
 * How many users a plan changes, counted from what its steps write: every row an AD write or Graph
 * PATCH step names, and, when a step turns the bypass on, every row routed through it plus every
 * blast-radius user. The guided flow names this number in its confirmation and the service checks it.
 */
export function affectedUserCount(plan: Plan): number {
  const keys = new Set<string>();
  for (const s of plan.steps) if (s.kind === 'ad-write' || s.kind === 'graph-patch') keys.add(s.rowKey);
  if (planNeedsBypass(plan)) {
    for (const r of plan.rows) if (r.route === 'bypass-cycle') keys.add(r.key);
    for (const b of plan.blastRadius) keys.add(b.rowKey);
  }
  return keys.size;
}

/**
 * Structural checks beyond the schema: every step is accounted for by a row of the plan (the row
 * exists, takes the step's route and names the same object), every row that routes a write has its
 * step, and the bypass is turned on only by a plan with a row that needs it, after the cloud values
 * are recorded. A plan that fails was not built by buildPlan / buildRestorePlan: it is refused whole.
 */
export function planStructureProblems(plan: Plan, where = 'plan'): string[] {
  const problems: string[] = [];
  const rows = new Map(plan.rows.map((r) => [r.key, r]));
  const ids = new Set<string>();
  const stepFor = new Map<string, string>();
  const needsBypass = planNeedsBypass(plan);
  const known = (field: string, keys: readonly string[]) => {
    for (const k of keys) if (!rows.has(k)) problems.push(`${field} names row "${k}", which the plan does not have`);
  };
  plan.steps.forEach((s, i) => {
    const f = `${where}.steps[${i}]`;
    if (ids.has(s.id)) problems.push(`${f}.id "${s.id}" is used twice`);
    ids.add(s.id);
    if (s.kind === 'ad-write' || s.kind === 'graph-patch') {
      const r = rows.get(s.rowKey);
      if (!r) return problems.push(`${f} (${s.kind}) writes row "${s.rowKey}", which the plan does not have`);
      if (r.route !== s.kind) problems.push(`${f} (${s.kind}) writes row "${s.rowKey}", whose route is ${r.route}`);
      if (s.upn !== r.upn) problems.push(`${f}.upn is ${s.upn}, the row's is ${r.upn}`);
      if (s.kind === 'ad-write' && (r.onPrem?.dn !== s.dn || r.onPrem?.sourceId !== s.sourceId)) problems.push(`${f}.dn/sourceId differ from row "${s.rowKey}"'s AD object`);
      if (s.kind === 'graph-patch' && r.cloud?.id !== s.userId) problems.push(`${f}.userId differs from row "${s.rowKey}"'s cloud user`);
      if (stepFor.has(s.rowKey)) problems.push(`${f} writes row "${s.rowKey}" a second time`);
      stepFor.set(s.rowKey, s.id);
    } else if (s.kind === 'set-bypass') {
      if (!s.enabled) problems.push(`${f} turns the bypass off; plans only turn it on (only an undo the admin asks for turns it off)`);
      if (!plan.rows.some((r) => r.route === 'bypass-cycle')) problems.push(`${f} turns on the tenant-wide bypass, but no row of the plan is routed through it`);
      if (!plan.steps.slice(0, i).some((x) => x.kind === 'record-cloud-values')) problems.push(`${f} turns on the bypass before the cloud values are recorded`);
    } else if (s.kind === 'await-replication' || s.kind === 'record-cloud-values' || s.kind === 'verify') known(`${f}.rowKeys`, s.rowKeys);
    else if (s.kind === 'sync-cycle' && !needsBypass) problems.push(`${f} runs a full cycle without the bypass step it belongs to`);
  });
  plan.rows.forEach((r, i) => {
    if ((r.route === 'ad-write' || r.route === 'graph-patch') && !stepFor.has(r.key)) problems.push(`${where}.rows[${i}] (${r.upn}) is routed ${r.route} but no step writes it`);
    if (r.route === 'bypass-cycle' && !needsBypass) problems.push(`${where}.rows[${i}] (${r.upn}) is routed through the bypass but no step turns it on`);
  });
  known(`${where}.blastRadius`, plan.blastRadius.map((b) => b.rowKey));
  if (plan.needsBypass !== needsBypass) problems.push(`${where}.needsBypass is ${plan.needsBypass}, but the steps ${needsBypass ? 'do' : 'do not'} turn the bypass on`);
  return problems;
}

/** Throws a ValidationError naming the first structural problem (and how many more there are). */
export function assertPlanStructure(plan: Plan, where = 'plan'): Plan {
  const problems = planStructureProblems(plan, where);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ValidationError(first.split(' ')[0]!, `is not a plan SyncDrift built: ${first.slice(first.indexOf(' ') + 1)}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}`, { code: 'PLAN_INVALID' });
  }
  return plan;
}
