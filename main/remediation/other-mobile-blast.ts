/**
 * otherMobile in the blast radius of a bypass plan (#17 point 11). The bypass persists AD's Mobile
 * and OtherMobile (Graph, onPremisesDirectorySynchronizationFeature) and a full cycle updates "only
 * objects with a different MobilePhone or AlternateMobilePhones value" (how-to-bypassdirsyncoverrides,
 * 2025-04-09). Graph cannot read AlternateMobilePhones, so which of those users differ is unknown:
 * every synced user with AD otherMobile values is counted and named as one whose values the bypass
 * will push wherever the cloud differs, and the plan says that none of it can be recorded or verified.
 * Pure.
 */
import type { DriftReport, DriftRow } from '../core/model';
import type { OtherMobileBlast } from './plan-schema';

/** How many UPNs the plan's sentences name before "and N more" (the full list is in plan.otherMobile). */
const NAMED_IN_TEXT = 20;

function pushes(r: DriftRow): boolean {
  if (!r.onPrem || !r.cloud || r.cloud.managed) return false;
  // Reports from before the otherMobile view: AD's values alone say the bypass pushes them.
  return r.otherMobile ? r.otherMobile.verdict === 'bypass-pushes' : r.onPrem.otherMobile.some((v) => v.trim() !== '');
}

function mayClear(r: DriftRow): boolean {
  return r.otherMobile?.verdict === 'bypass-may-clear';
}

export function otherMobileBlast(report: DriftReport): OtherMobileBlast {
  const pushed = report.rows.filter(pushes).map((r) => ({ rowKey: r.key, upn: r.upn, values: [...(r.otherMobile?.onPrem ?? r.onPrem!.otherMobile)] }));
  const cleared = report.rows.filter(mayClear).length;
  return { pushed, mayClear: cleared, note: otherMobileSentence(pushed.map((p) => p.upn), cleared) };
}

function named(upns: readonly string[]): string {
  const shown = upns.slice(0, NAMED_IN_TEXT).join(', ');
  return upns.length > NAMED_IN_TEXT ? `${shown} and ${upns.length - NAMED_IN_TEXT} more` : shown;
}

/** The plan's warning: who gets AD otherMobile pushed, and what nobody can read. */
export function otherMobileSentence(upns: readonly string[], mayClearCount: number): string {
  const who =
    upns.length === 0
      ? 'No synced user in the scan has AD otherMobile values.'
      : `${upns.length} synced user(s) in the scan have AD otherMobile values the bypass will push wherever the cloud differs: ${named(upns)}.`;
  const empty = mayClearCount > 0 ? ` ${mayClearCount} other synced user(s) have an empty AD otherMobile: any AlternateMobilePhones they hold in the cloud are likely cleared.` : '';
  return `AlternateMobilePhones is overwritten from AD otherMobile too (the bypass persists Mobile and OtherMobile). ${who}${empty} AlternateMobilePhones is not readable through Graph v1.0, so its cloud values cannot be listed, recorded before the bypass, or verified after the cycle.`;
}

/** The plan's cannot-undo line. */
export function otherMobileCannotUndo(blast: OtherMobileBlast): string {
  const who = blast.pushed.length > 0 ? ` (${blast.pushed.length} user(s) with AD otherMobile values: ${named(blast.pushed.map((p) => p.upn))})` : '';
  return `AlternateMobilePhones values overwritten from otherMobile${who} cannot be recorded or restored: Graph v1.0 cannot read them.`;
}

/**
 * Undo's not-restored line for AlternateMobilePhones once a cycle ran after the bypass: it names
 * the users whose AD otherMobile went out (the first NAMED_IN_TEXT in the sentence, all of them in
 * `users`), since nothing could read their cloud values to record or restore. Plans from before the
 * otherMobile blast radius have no names: the line says that instead of inventing them.
 */
export function otherMobileNotRestored(blast: OtherMobileBlast | undefined): { message: string; users: string[] } {
  const why = 'AlternateMobilePhones is not readable through Graph v1.0, so their cloud values were never recorded and cannot be restored.';
  if (!blast) return { message: 'AlternateMobilePhones values overwritten from otherMobile could not be recorded and are not restored (this plan predates the otherMobile list, so who was affected is not known).', users: [] };
  const users = blast.pushed.map((p) => p.upn);
  const empty =
    blast.mayClear > 0
      ? ` ${blast.mayClear} other synced user(s) had an empty AD otherMobile: AlternateMobilePhones values they held in the cloud were likely cleared and cannot be restored either.`
      : '';
  const who =
    users.length > 0
      ? `AlternateMobilePhones not restored for ${users.length} user(s) whose AD otherMobile values the bypass pushed wherever the cloud differed: ${named(users)}. ${why}`
      : `No user in the plan's scan had AD otherMobile values to push. ${why}`;
  return { message: `${who}${empty}`, users };
}

/**
 * What a session's outcome adds once the bypass and the cycle ran: whose AD otherMobile went out,
 * and that verification read only what Graph can read. Null when the plan pushed no otherMobile.
 */
export function otherMobileOutcomeNote(plan: { otherMobile?: OtherMobileBlast | undefined }): string | null {
  const pushed = plan.otherMobile?.pushed ?? [];
  if (pushed.length === 0) return null;
  return `AD otherMobile of ${pushed.length} user(s) (${named(pushed.map((p) => p.upn))}) went out with the bypass wherever the cloud differed; AlternateMobilePhones is not readable through Graph v1.0, so this verification could not check it.`;
}

/**
 * Appends the otherMobile note to an outcome whose session reached verification (completed or
 * verify-timeout: every step before verify, the bypass and the cycle included, is done, also when an
 * earlier run did them and this one resumed).
 */
export function withOtherMobileNote<T extends { state: string; message: string | null }>(plan: { otherMobile?: OtherMobileBlast | undefined }, out: T): T {
  const note = otherMobileOutcomeNote(plan);
  if (!note || (out.state !== 'completed' && out.state !== 'verify-timeout')) return out;
  return { ...out, message: out.message ? `${out.message} ${note}` : note };
}
