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

/**
 * How many users a plan changes: every row with an intended end state, plus every blast-radius user
 * the bypass touches. The guided flow names this number in its confirmation and the service checks it.
 */
export function affectedUserCount(plan: Plan): number {
  const keys = new Set<string>();
  for (const r of plan.rows) if (r.intended && r.action !== 'skip' && r.action !== 'support-case') keys.add(r.key);
  for (const b of plan.blastRadius) keys.add(b.rowKey);
  return keys.size;
}
