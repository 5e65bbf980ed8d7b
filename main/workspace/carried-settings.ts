/**
 * The settings records a workspace export carries, and what a masked export does with each. The
 * settings table is not only preferences: the remediation service keeps its own copy of every plan
 * it built there, who owns it, each session's outcome and each undo report, all of them full of
 * phone numbers. A masked export carries each kind it knows, masked like the rows are; a key it does
 * not know may hold anything, so a masked export leaves it out and says so.
 */
import { maskRecordPhones } from './mask';

/** The remediation service's records (main/api/remediation-service.ts keeps them under these keys). */
export const REMEDIATION_SETTINGS = {
  /** The service's own copy of a plan it built: `remediation:plan:<planId>`. */
  plan: 'remediation:plan:',
  /** Which scan and profile a plan belongs to: `remediation:plan-owner:<planId>`. */
  owner: 'remediation:plan-owner:',
  /** A session's last outcome: `remediation:outcome:<sessionId>`. */
  outcome: 'remediation:outcome:',
  /** A session's undo report: `remediation:undo:<sessionId>`. */
  undo: 'remediation:undo:',
} as const;

/** The app's UI preferences (`prefs:<scope>`: layout, grid columns and sort) and the retention setting: nothing personal. */
const AS_IS = (key: string) => key === 'retention' || key.startsWith('prefs:');

export type MaskedSetting = { json: string } | { leftOut: string };

/**
 * A settings record as a masked export carries it: as it is (preferences, retention), masked
 * (plans, outcomes, undo reports), marked masked (a plan's owner, so an import knows its plan is a
 * masked copy), or left out with the reason (a key this build does not know).
 */
export function maskedSetting(key: string, json: string): MaskedSetting {
  if (AS_IS(key)) return { json };
  if (key.startsWith(REMEDIATION_SETTINGS.owner)) return { json: JSON.stringify(markMasked(JSON.parse(json))) };
  if (key.startsWith(REMEDIATION_SETTINGS.plan) || key.startsWith(REMEDIATION_SETTINGS.outcome) || key.startsWith(REMEDIATION_SETTINGS.undo)) {
    return { json: JSON.stringify(maskRecordPhones(JSON.parse(json))) };
  }
  return { leftOut: 'a setting this build does not know how to mask' };
}

/** An object record with `masked: true` (anything else as it is). */
export function markMasked(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, masked: true } : value;
}

/** An object record with `imported: true` (a session or plan owner an import brought: read only). */
export function markImported(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, imported: true } : value;
}
