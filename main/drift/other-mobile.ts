/**
 * AD `otherMobile` beside `mobile` (#17 point 11). The tenant-wide bypass persists "the values of
 * Mobile and OtherMobile in on-premises AD ... instead of values of MobilePhone or
 * AlternateMobilePhones" (Graph, onPremisesDirectorySynchronizationFeature), but Microsoft Graph's
 * user resource has no AlternateMobilePhones property (v1.0 and beta; only the retired MSOnline
 * module showed it), so the cloud side can never be read or verified. This module says exactly that
 * instead of guessing: AD's values, each normalized like mobile, and what a bypass would do. Pure.
 */
import type { OnPremUser, OtherMobileView } from '../core/model';
import type { EngineFlows } from '../core/engine-view';
import type { CountryCode } from 'libphonenumber-js/core';
import type { PhoneNormalizer } from './normalize';

/** Row flag: AD otherMobile has values a bypass would push, and nothing can read the cloud's to compare. */
export const OTHER_MOBILE_UNVERIFIABLE = 'othermobile-unverifiable';
/** Row flag: an otherMobile value is not a possible phone number (compared and shown by its digits). */
export const OTHER_MOBILE_UNPARSEABLE = 'othermobile-unparseable';

export const NOT_READABLE = 'not readable through Graph v1.0';

/** How the user relates to the bypass: AD flows to it (synced), it does not (managed), or there is no cloud twin. */
export type OtherMobileFlow = 'synced' | 'managed' | 'unmatched';

const READ =
  'Entra ID\u2019s AlternateMobilePhones is not readable through Graph v1.0 (the user resource has no such property, nor in beta; no supported API reads or writes it)';

function held(n: number): string {
  return n === 0 ? 'AD otherMobile is empty' : `AD otherMobile holds ${n} value${n === 1 ? '' : 's'}`;
}

export function otherMobileNote(count: number, verdict: OtherMobileView['verdict'], flow: OtherMobileFlow): string {
  switch (verdict) {
    case 'bypass-pushes':
      return `${held(count)}. ${READ}, so SyncDrift cannot tell whether the cloud differs. The bypass (BypassDirSyncOverrides) with a full cycle persists AD\u2019s Mobile and OtherMobile, so it will push these values wherever the cloud differs, and verification after the cycle cannot read them back.`;
    case 'bypass-may-clear':
      return `${held(count)}. ${READ}, so whether the cloud holds values is unknown; if it does, the bypass with a full cycle likely clears them (it overwrites the values that differ from AD), and verification cannot read them back.`;
    default:
      return flow === 'unmatched'
        ? `${held(count)}. This account has no cloud twin, so nothing flows; ${READ.charAt(0).toLowerCase()}${READ.slice(1)}.`
        : `${held(count)}. AD no longer flows to this user, so the bypass does not touch AlternateMobilePhones; ${READ.charAt(0).toLowerCase()}${READ.slice(1)}.`;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map((v) => v.trim()).filter((v) => v !== ''));
  const y = new Set(b.map((v) => v.trim()).filter((v) => v !== ''));
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/**
 * Whether the engine's exported otherMobile changes a row's otherMobile note: it does where AD's
 * values flow and the engine exports another set (what otherMobileView adds a sentence for).
 */
export function engineFormDiffers(view: Pick<OtherMobileView, 'verdict' | 'onPrem'>, engineExported: readonly string[] | null | undefined): boolean {
  return view.verdict !== 'not-flowing' && !!engineExported && !sameSet(engineExported, view.onPrem);
}

/**
 * The row's otherMobile view and the flags it adds. `engineExported`: what the sync engine exports
 * for otherMobile when its exports were joined (a rule may reformat it; that form is what goes out).
 */
export function otherMobileView(
  u: Pick<OnPremUser, 'otherMobile' | 'changes'>,
  region: CountryCode | null,
  norm: PhoneNormalizer,
  flow: OtherMobileFlow,
  engineExported?: readonly string[] | null,
  flows?: EngineFlows | null,
): { view: OtherMobileView; flags: string[] } {
  const flags: string[] = [];
  const onPrem = u.otherMobile.filter((v) => v.trim() !== '');
  const normalized: string[] = [];
  let unparseable = false;
  for (const v of onPrem) {
    const n = norm.normalize(v, region);
    if (n && !n.parsed) unparseable = true;
    normalized.push(n?.value ?? '');
  }
  // Cloud Sync without a mapping toward otherMobile: AD's values never flow, whatever the bypass says.
  const unmapped = flow === 'synced' && flows?.engine === 'cloud-sync' && !flows.otherMobile.mapped;
  const verdict: OtherMobileView['verdict'] = flow !== 'synced' || unmapped ? 'not-flowing' : onPrem.length > 0 ? 'bypass-pushes' : 'bypass-may-clear';
  if (verdict === 'bypass-pushes') flags.push(OTHER_MOBILE_UNVERIFIABLE);
  if (unparseable) flags.push(OTHER_MOBILE_UNPARSEABLE);
  const changedAt = u.changes['otherMobile']?.changedAt ?? null;
  let note = unmapped
    ? `${held(onPrem.length)}. Cloud Sync\u2019s job schema has no mapping toward otherMobile (read from ${flows!.otherMobile.origin}), so AD otherMobile does not flow to AlternateMobilePhones and the bypass does not push it; ${READ.charAt(0).toLowerCase()}${READ.slice(1)}.`
    : otherMobileNote(onPrem.length, verdict, flow);
  if (!unmapped && verdict !== 'not-flowing' && flows?.engine === 'cloud-sync') {
    note += ` Cloud Sync\u2019s job schema maps otherMobile (${flows.otherMobile.expression ?? 'direct'}), so AD otherMobile flows to AlternateMobilePhones.`;
  }
  if (engineFormDiffers({ verdict, onPrem }, engineExported)) {
    const n = engineExported!.filter((v) => v.trim() !== '').length;
    note += ` The sync engine exports otherMobile in another form (${n} value${n === 1 ? '' : 's'}): that form, not AD\u2019s text, is what the bypass pushes.`;
  }
  return { view: { onPrem, normalized, changedAt, cloud: 'not-readable', verdict, note }, flags };
}
