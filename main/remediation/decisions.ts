/**
 * Decisions per drift row: suggested defaults from the timeline, and bulk decisions by status or by
 * a list of users. Pure.
 */
import type { Decision, DecisionAction, DriftReport, DriftRow, DriftStatus } from '../core/model';
import { DecisionAction as DecisionActionSchema, DriftStatus as DriftStatusSchema } from '../core/model';
import { ValidationError } from '../core/errors';
import { formatTime } from '../drift/cause';
import { isAfter } from '../drift/classify';

export interface Suggestion {
  action: DecisionAction;
  reason: string;
  /** True when the suggestion is to ask somebody before anything is overwritten. */
  ask: boolean;
}

/**
 * The suggested decision for one row. A cloud value set by a person after AD last changed is the
 * newer truth as far as anybody can tell: suggest asking, never overwriting it by default.
 */
export function suggestDecision(row: DriftRow): Suggestion {
  const cloudBy = row.cloud?.changedBy ?? 'somebody';
  const cloudAt = row.cloud?.changedAt ?? null;
  const adAt = row.onPrem?.changedAt ?? null;
  switch (row.status) {
    case 'in-sync':
      return { action: 'skip', reason: 'Both sides agree.', ask: false };
    case 'unmatched-onprem':
    case 'unmatched-cloud':
      return { action: 'skip', reason: 'No matched pair: there is no value on the other side to keep or push. Fix the match (scope, anchor) first.', ask: false };
    case 'pending-sync':
      return { action: 'skip', reason: 'AD changed after the last sync: the next cycle should carry it. Rescan after it before deciding.', ask: false };
    case 'format-only':
      return { action: 'keep-onprem', reason: 'Same number in other text: the AD text wins and nothing is lost (the cloud edit very likely set an override).', ask: false };
    case 'cloud-missing':
      return { action: 'keep-onprem', reason: 'The cloud value is empty: pushing the AD value fills it.', ask: false };
    case 'onprem-missing':
      return { action: 'keep-cloud', reason: 'AD is empty: copying the cloud value into AD keeps it (the bypass would clear it otherwise).', ask: false };
    case 'cloud-override': {
      const state = row.cloud?.changeState;
      if (cloudAt && row.cloud?.changedBy && isAfter(cloudAt, adAt)) {
        return {
          action: 'skip',
          reason: `${cloudBy} set the cloud value on ${formatTime(cloudAt)}, after AD last changed${adAt ? ` (${formatTime(adAt)})` : ''}: ask which number is right before overwriting either side.`,
          ask: true,
        };
      }
      if (adAt && (isAfter(adAt, cloudAt) || state === 'outside-retention' || state === 'none-found')) {
        return {
          action: 'keep-onprem',
          reason: cloudAt
            ? `AD changed on ${formatTime(adAt)}, after the cloud edit (${formatTime(cloudAt)}): the AD value is the newer one.`
            : `AD changed on ${formatTime(adAt)}; the cloud edit is older than the audit log keeps: the AD value is most likely the newer one.`,
          ask: false,
        };
      }
      return { action: 'skip', reason: 'When the cloud value was set is unknown (audit log unavailable or still loading): decide by asking the user.', ask: true };
    }
  }
}

export type BulkAction = DecisionAction | 'suggested';

export interface BulkRules {
  /** Action per status, for rows in the selection. */
  byStatus?: Partial<Record<DriftStatus, BulkAction>>;
  /** Restricts `byStatus` to these users (UPNs, case-insensitive, either side's UPN). */
  users?: readonly string[];
  /** Actions per status for rows outside `users` (the blast radius needs a decision too). */
  others?: Partial<Record<DriftStatus, BulkAction>>;
  /** Explicit decisions; they win over the rules. */
  explicit?: readonly Decision[];
}

export interface BulkResult {
  decisions: Decision[];
  /** Row keys in the admin's selection (the users list, or every row when no list was given). */
  selected: string[];
  /** Users of the list that no row of the report carries. */
  unknownUsers: string[];
}

function rowUpns(row: DriftRow): string[] {
  return [row.upn, row.onPrem?.upn ?? null, row.cloud?.upn ?? null].filter((u): u is string => !!u).map((u) => u.toLowerCase());
}

/** Applies bulk rules to a report: decisions for every row the rules reach. */
export function decideBulk(report: DriftReport, rules: BulkRules): BulkResult {
  const wanted = rules.users ? new Set(rules.users.map((u) => u.trim().toLowerCase()).filter(Boolean)) : null;
  const seen = new Set<string>();
  const decisions = new Map<string, Decision>();
  const selected: string[] = [];
  for (const row of report.rows) {
    const upns = rowUpns(row);
    const inList = wanted ? upns.some((u) => wanted.has(u)) : true;
    if (wanted) for (const u of upns) if (wanted.has(u)) seen.add(u);
    if (inList) selected.push(row.key);
    const rule = inList ? rules.byStatus?.[row.status] : rules.others?.[row.status];
    if (!rule) continue;
    if (rule === 'suggested') {
      const s = suggestDecision(row);
      decisions.set(row.key, { rowKey: row.key, action: s.action, reason: `suggested: ${s.reason}` });
    } else decisions.set(row.key, { rowKey: row.key, action: rule });
  }
  for (const d of rules.explicit ?? []) decisions.set(d.rowKey, d);
  const unknownUsers = wanted ? [...wanted].filter((u) => !seen.has(u)) : [];
  return { decisions: [...decisions.values()], selected, unknownUsers };
}

/** Parses `STATUS=ACTION` (ACTION may be `suggested`); `field` names the argument in errors. */
export function parseDecideArg(arg: string, field = '--decide'): [DriftStatus, BulkAction] {
  const m = /^([a-z-]+)=([a-z-]+)$/.exec(arg.trim());
  if (!m) throw new ValidationError(field, `"${arg}" must look like STATUS=ACTION, e.g. cloud-override=keep-onprem`);
  const status = DriftStatusSchema.safeParse(m[1]);
  if (!status.success) throw new ValidationError(field, `unknown status "${m[1]}"; one of ${DriftStatusSchema.options.join(', ')}`);
  if (m[2] === 'suggested') return [status.data, 'suggested'];
  const action = DecisionActionSchema.safeParse(m[2]);
  if (!action.success) throw new ValidationError(field, `unknown action "${m[2]}"; one of ${DecisionActionSchema.options.join(', ')} or suggested`);
  return [status.data, action.data];
}
