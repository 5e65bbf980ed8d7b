/**
 * Masked copies: plans and sessions that came with a masked workspace export (main/workspace/
 * transfer.ts). Their phone values are bullets (`+1 803 ••• ••12`), so they can be read on the
 * workstation that imported them, but never applied, preflighted, resumed or undone there: a write
 * would put bullets into AD or Entra ID, and a compare-and-set against them would misjudge every user.
 * A copy is known by its mark (the import sets `masked`, whatever the file said) or by a masked value
 * in the plan, so a hand-edited file that drops the mark is refused too.
 */
import { SyncDriftError } from '../core/errors';
import { isMaskedPhone } from '../workspace/mask';
import type { StoredSession } from './journal';
import type { Plan } from './plan-schema';

/** Every phone value a plan holds: its rows' AD and cloud values, what its steps expect and write, its blast radius. */
function planValues(plan: Plan): string[] {
  const out: Array<string | null | undefined> = [];
  for (const r of plan.rows) out.push(r.onPrem?.value, r.cloud?.value, r.intended?.onPrem, r.intended?.cloud, ...(r.onPrem?.otherMobile ?? []));
  for (const s of plan.steps) if (s.kind === 'ad-write' || s.kind === 'graph-patch') out.push(s.expected, s.next);
  for (const b of plan.blastRadius) out.push(b.onPremValue, b.cloudValue);
  for (const p of plan.otherMobile?.pushed ?? []) out.push(...p.values);
  return out.filter((v): v is string => typeof v === 'string');
}

/** True when the plan holds a masked phone value (it came from a masked export). */
export function planIsMasked(plan: Plan): boolean {
  return planValues(plan).some(isMaskedPhone);
}

const WHERE = 'Run it on the workstation that holds the real values, or import a workspace exported with --no-mask.';

const IMPORTED_WHY = 'a plan or journal from a file is what the file says, and this workspace never checked it (undo would write the values it names)';

/**
 * Refuses a masked plan (PLAN_MASKED), and one an import brought (`imported`: PLAN_IMPORTED), before
 * anything reads or writes a directory.
 */
export function refuseMaskedPlan(plan: Plan, marked = false, imported = false): void {
  if (!marked && !planIsMasked(plan)) {
    if (imported) throw new SyncDriftError('validation', 'PLAN_IMPORTED', `Plan ${plan.id} came with a workspace export: it can be read here but not preflighted or applied, since ${IMPORTED_WHY}. Nothing was written. Build a plan from the scan here.`);
    return;
  }
  throw new SyncDriftError('validation', 'PLAN_MASKED', `Plan ${plan.id} came from a masked workspace export: its phone numbers are masked, so it can be read here but not preflighted or applied. Nothing was written. ${WHERE}`);
}

/** True when the session is a masked copy: marked by the import, or its plan holds masked values. (An unmasked import: `imported`.) */
export function sessionIsMasked(s: Pick<StoredSession, 'masked' | 'plan'>, plan: Plan | null): boolean {
  return s.masked === true || (plan !== null && planIsMasked(plan));
}

/** Refuses to resume or undo a masked copy (SESSION_MASKED) before it is claimed. */
export function refuseMaskedSession(id: string, s: Pick<StoredSession, 'masked' | 'imported' | 'plan'>, plan: Plan | null, what: 'resumed' | 'undone'): void {
  if (!sessionIsMasked(s, plan)) {
    if (s.imported) throw new SyncDriftError('validation', 'SESSION_IMPORTED', `Session ${id} came with a workspace export: it can be read here but not ${what}, since ${IMPORTED_WHY}. Nothing was written. Resume or undo it on the workstation that ran it.`);
    return;
  }
  throw new SyncDriftError('validation', 'SESSION_MASKED', `Session ${id} came from a masked workspace export: its phone numbers are masked, so it can be read here but not ${what}. Nothing was written. ${WHERE}`);
}

/** What a session list says about a masked copy, in place of its own message. */
export const MASKED_SESSION_MESSAGE = 'Masked copy from a workspace export: read only (it cannot be resumed or undone here).';
/** The same for a copy an unmasked export brought. */
export const IMPORTED_SESSION_MESSAGE = 'Copy from a workspace export: read only (resume or undo it on the workstation that ran it).';
