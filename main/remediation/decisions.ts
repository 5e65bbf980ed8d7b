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
  /** Other actions just as defensible, each with what it keeps and what it loses. */
  alternatives?: Array<{ action: DecisionAction; reason: string }>;
}

/** Strict E.164: "+" and 2-15 digits, nothing else (what Graph and Teams show as canonical). */
const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * When AD's `mobile` itself last changed, or null: only per-attribute replication metadata (or the
 * sandbox's per-attribute record) says that. `whenChanged` is the whole object's last change (a
 * password reset, a group change), not the mobile's, so it gives no time.
 */
export function mobileChangedAt(row: DriftRow): string | null {
  const p = row.onPrem;
  if (!p || !p.changedAt || p.changeSource === 'whenChanged') return null;
  return p.changedAt;
}

const SYNC_COMPARES =
  'Entra Connect compares the strings, so for sync this is real drift (every full cycle sees a difference) unless a custom sync rule or a Cloud Sync expression mapping reformats mobile';

function formatOnly(row: DriftRow): Suggestion {
  const cloudText = row.cloud?.value?.trim() ?? '';
  const adText = row.onPrem?.value?.trim() ?? '';
  const cloudE164 = E164.test(cloudText) && cloudText === row.normalized.cloud;
  const adE164 = E164.test(adText) && adText === row.normalized.onPrem;
  // The cloud edit often added what AD lacks: the country code (E.164 or "+81 90-…").
  const preferCloud = (cloudE164 && !adE164) || (cloudText.startsWith('+') && !adText.startsWith('+'));
  const cloudForm = cloudE164 ? "the cloud's E.164 form" : cloudText.startsWith('+') ? "the cloud's international form (E.164 with separators)" : "the cloud's formatting";
  const keepCloud = {
    action: 'keep-cloud' as const,
    reason: `Write ${cloudForm} into AD mobile, as the cloud has it: both sides then hold the same text (AD's own formatting is replaced). ${SYNC_COMPARES}.`,
  };
  const keepOnPrem = {
    action: 'keep-onprem' as const,
    reason: `Push the AD text to the cloud: the same number, but ${cloudForm} is lost (the cloud edit very likely set an override). ${SYNC_COMPARES}.`,
  };
  const [first, second] = preferCloud ? [keepCloud, keepOnPrem] : [keepOnPrem, keepCloud];
  return { action: first.action, reason: first.reason, ask: false, alternatives: [second] };
}

/**
 * A cloud value that differs while the audit log holds no cloud change since its retention start
 * (`cloud.auditCoveredFrom`): the cloud edit is older than that. AD is newer only when its mobile
 * change is known (replication metadata) and lies inside the window; otherwise nobody can tell.
 */
function outsideRetention(row: DriftRow): Suggestion {
  const since = row.cloud?.auditCoveredFrom ?? null;
  const adAt = mobileChangedAt(row);
  const window = since ? `the audit log holds no cloud change since ${formatTime(since)}` : 'the audit log holds no cloud change, and how far back it reaches is unknown';
  if (!adAt) {
    const when = row.onPrem?.changeSource === 'whenChanged' ? ` (only the account's whenChanged, ${formatTime(row.onPrem.changedAt)}, is known, and that is not the mobile's change time)` : '';
    return {
      action: 'skip',
      reason: `Which value is newer is unknown: when AD mobile changed is unknown${when}, and ${window}. Nothing is suggested: the admin decides (ask the user which number is right).`,
      ask: true,
    };
  }
  if (since && isAfter(adAt, since)) {
    return {
      action: 'keep-onprem',
      reason: `AD mobile changed on ${formatTime(adAt)} (replication metadata), inside the audit window, and ${window}: the cloud edit is older, the AD value is the newer one.`,
      ask: false,
    };
  }
  return {
    action: 'skip',
    reason: `Which value is newer is unknown: AD mobile changed on ${formatTime(adAt)}, and ${window}, so the cloud edit may be older or newer than the AD change. Nothing is suggested: the admin decides (ask the user which number is right).`,
    ask: true,
  };
}

/**
 * The suggested decision for one row. A cloud value set by a person after AD last changed is the
 * newer truth as far as anybody can tell: suggest asking, never overwriting it by default. Times
 * are compared only where both are known (docs/remediation.md, "Suggestions").
 */
export function suggestDecision(row: DriftRow): Suggestion {
  const cloudBy = row.cloud?.changedBy ?? 'somebody';
  const cloudAt = row.cloud?.changedAt ?? null;
  const adAt = mobileChangedAt(row);
  switch (row.status) {
    case 'in-sync':
      return { action: 'skip', reason: 'Both sides agree.', ask: false };
    case 'rule-formatted':
      return { action: 'skip', reason: `Entra ID holds what the sync rule${row.engine?.rule ? ` "${row.engine.rule.name}"` : ''} exports: no override, nothing to push.`, ask: false };
    case 'unmatched-onprem':
    case 'unmatched-cloud':
      return { action: 'skip', reason: 'No matched pair: there is no value on the other side to keep or push. Fix the match (scope, anchor) first.', ask: false };
    case 'pending-sync':
      return { action: 'skip', reason: 'AD changed after the last sync: the next cycle should carry it. Rescan after it before deciding.', ask: false };
    case 'format-only':
      return formatOnly(row);
    case 'cloud-missing':
      return { action: 'keep-onprem', reason: 'The cloud value is empty: pushing the AD value fills it.', ask: false };
    case 'onprem-missing':
      return { action: 'keep-cloud', reason: 'AD is empty: copying the cloud value into AD keeps it (the bypass would clear it otherwise).', ask: false };
    case 'cloud-override': {
      const state = row.cloud?.changeState;
      // The AD side's time for "the cloud edit came after AD": whenChanged bounds the mobile change from above, so it may serve here.
      const adBound = row.onPrem?.changedAt ?? null;
      // Only a person's edit is "the newer truth"; a sync write (Connect or Cloud Sync) is AD arriving.
      if (cloudAt && row.cloud?.changedBy && !row.cloud.changedBySync && isAfter(cloudAt, adBound)) {
        return {
          action: 'skip',
          reason: `${cloudBy} set the cloud value on ${formatTime(cloudAt)}, after AD last changed${adBound ? ` (${formatTime(adBound)})` : ''}: ask which number is right before overwriting either side.`,
          ask: true,
        };
      }
      if (state === 'outside-retention' || state === 'none-found') return outsideRetention(row);
      if (cloudAt && adAt && isAfter(adAt, cloudAt)) {
        return {
          action: 'keep-onprem',
          reason: `AD mobile changed on ${formatTime(adAt)} (replication metadata), after the cloud edit (${formatTime(cloudAt)}): the AD value is the newer one.`,
          ask: false,
        };
      }
      if (cloudAt && !adAt) {
        return {
          action: 'skip',
          reason: `The cloud value was set on ${formatTime(cloudAt)}; when AD mobile changed is unknown (whenChanged, ${formatTime(row.onPrem?.changedAt)}, is the account's last change, not the mobile's): the admin decides.`,
          ask: true,
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
