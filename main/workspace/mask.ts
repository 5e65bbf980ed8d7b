/**
 * Masking of phone numbers in exports: "+1 803 555 0112" → "+1 803 ••• ••12". The country code and
 * the first group after it stay (they say where a number belongs, not whose it is), and the last two
 * digits stay so an admin can tell rows apart; every other digit becomes a bullet.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { EngineObject } from '../core/engine-view';

const BULLET = '\u2022';

function maskDigits(text: string, keepLast: number): string {
  let seen = 0;
  const chars = [...text];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (!/\d/.test(chars[i]!)) continue;
    seen++;
    if (seen > keepLast) chars[i] = BULLET;
  }
  return chars.join('');
}

/** True for a value maskPhone wrote (it holds the bullet no phone number has). */
export function isMaskedPhone(value: string): boolean {
  return value.includes(BULLET);
}

/** Masks one phone value; values already masked stay as they are. */
export function maskPhone(value: string): string {
  if (isMaskedPhone(value)) return value;
  const trimmed = value.trim();
  if (trimmed === '') return value;
  let phone: ReturnType<typeof parsePhoneNumberFromString>;
  try {
    phone = trimmed.startsWith('+') ? parsePhoneNumberFromString(trimmed.replace(/;ext=/, ' ext. '), { extract: false }) : undefined;
  } catch {
    phone = undefined;
  }
  if (phone && phone.isPossible()) {
    const groups = phone.formatInternational().replace(/\s+ext\..*$/, '').split(' ');
    const head = groups.slice(0, 2).join(' ');
    const tail = groups.slice(2).join(' ');
    const masked = tail ? `${head} ${maskDigits(tail, 2)}` : maskDigits(head, 2);
    return phone.ext ? `${masked} ext. ${BULLET.repeat(phone.ext.length)}` : masked;
  }
  // Unknown shape: keep a leading + and the last two digits only.
  return maskDigits(trimmed, 2);
}

/** Keys under which phone values travel in snapshots, rows, audit records and journal payloads. */
export const PHONE_KEYS: ReadonlySet<string> = new Set([
  'mobile',
  'otherMobile',
  'telephoneNumber',
  'mobilePhone',
  'businessPhones',
  'value',
  'oldValue',
  'newValue',
  'expected',
  'next',
  'previous',
  'written',
  // normalized.{onPrem,cloud} are strings; the same keys holding objects are walked instead.
  'onPrem',
  'cloud',
  // otherMobile.normalized: the E.164 forms of AD otherMobile (row.normalized, an object, is walked).
  'normalized',
]);

/** Returns a copy with every phone value masked (strings, or arrays of strings, under PHONE_KEYS). */
export function maskPhonesDeep(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && PHONE_KEYS.has(key) ? maskPhone(value) : value;
  if (Array.isArray(value)) return value.map((v) => maskPhonesDeep(v, key));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskPhonesDeep(v, k);
  return out;
}

/**
 * What may be a phone number in free text: digits with the separators numbers are written with,
 * an optional + or (area) in front; without a +, not glued to a word (a GUID's segment, `x-123`).
 */
const NUMBER_IN_TEXT = /(?:(?<![\d+])\+|(?<![\w+]|\w[-./]))\(?\d[\d ()./-]*\d(?![\w]|[-./]\w)/g;
/** Runs of digits that are dates or addresses, not numbers: 2025-03-01 14, 01.03.2025, 10.0.0.12. */
const NOT_A_NUMBER = [/^\d{4}-\d{2}-\d{2}(?!\d)/, /^\d{1,2}[./]\d{1,2}[./]\d{2,4}(?!\d)/, /^\d{4}\/\d{2}\/\d{2}(?!\d)/, /^\d{1,3}(\.\d{1,3}){3}$/];
/** Fewer digits than this are counts, pids, percentages; a phone number has more. */
const MIN_DIGITS_IN_TEXT = 7;

/**
 * Free text (a message, a reason, a note) with anything that looks like a phone number masked where
 * it stands: every run of 7 or more digits written as numbers are (`"0987654321"`, `(803) 555-0150`,
 * `+49 (0)171 047 2394`), dates and IPv4 addresses excepted. Words, ids and short numbers stay.
 */
export function maskPhonesInText(text: string): string {
  return text.replace(NUMBER_IN_TEXT, (m) => {
    const bare = m.replace(/^[+(]+/, '');
    if (m.replace(/\D/g, '').length < MIN_DIGITS_IN_TEXT || NOT_A_NUMBER.some((r) => r.test(bare))) return m;
    return maskPhone(m);
  });
}

/** Keys under which remediation records (plans, outcomes, undo reports, journal steps) hold a phone value. */
const RECORD_VALUE_KEYS: ReadonlySet<string> = new Set([
  ...PHONE_KEYS,
  // plan.blastRadius[], undo offers[], preflight conflicts[], the sweep's changed[]
  'onPremValue',
  'cloudValue',
  'recordedCloudValue',
  'currentCloudValue',
  'currentOnPremValue',
  'planned',
  'actual',
  'before',
  'after',
  // plan.otherMobile.pushed[].values (strings); record-cloud-values' values[] (objects, walked)
  'values',
]);
/** Keys under which they hold free text that may quote a value. */
const RECORD_TEXT_KEYS: ReadonlySet<string> = new Set(['message', 'reason', 'note', 'notes', 'warnings', 'effect', 'nextStep', 'instructions', 'cannotUndo', 'supportCase', 'error', 'problems', 'summary', 'why']);

/**
 * A remediation record as a masked export carries it: a plan, a session (its plan and meta), a
 * session's outcome, an undo report, a journal step's data, a scan's meta. Phone values (by key, as
 * the records' shapes name them) are masked as maskPhone masks a row's; free text is masked with
 * maskPhonesInText; the record-cloud-values step's `tenant` list of `[id, upn, mobilePhone]` has its
 * third element masked. Ids, UPNs, DNs, states, counts and times stay.
 */
export function maskRecordPhones(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    if (key === undefined) return value;
    if (RECORD_VALUE_KEYS.has(key)) return maskPhone(value);
    return RECORD_TEXT_KEYS.has(key) ? maskPhonesInText(value) : value;
  }
  if (Array.isArray(value)) {
    if (key === 'tenant') return value.map((t) => (Array.isArray(t) && typeof t[2] === 'string' ? [t[0], t[1], maskPhone(t[2]), ...t.slice(3)] : maskRecordPhones(t, key)));
    return value.map((v) => maskRecordPhones(v, key));
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskRecordPhones(v, k);
  return out;
}

/**
 * An engine object as a masked export carries it: the exported mobile and otherMobile values masked,
 * and in its reason (an engine error may quote the value) those values and any other number, as free
 * text is masked (maskPhonesInText). Join
 * keys, states, rules and evidence stay: they are not phone numbers.
 */
export function maskEngineObject(o: EngineObject): EngineObject {
  const values = o.exported ? [o.exported.mobile, ...o.exported.otherMobile].filter((v): v is string => v !== null && v.trim() !== '') : [];
  let reason = o.reason;
  if (reason !== null) {
    // Longest first, so a value inside another is not half-masked.
    for (const v of [...values].sort((a, b) => b.length - a.length)) reason = reason.split(v).join(maskPhone(v));
    reason = maskPhonesInText(reason);
  }
  const exported = o.exported ? { mobile: o.exported.mobile === null ? null : maskPhone(o.exported.mobile), otherMobile: o.exported.otherMobile.map(maskPhone) } : null;
  return { ...o, exported, reason };
}
