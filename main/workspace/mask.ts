/**
 * Masking of phone numbers in exports: "+1 803 555 0112" → "+1 803 ••• ••12". The country code and
 * the first group after it stay (they say where a number belongs, not whose it is), and the last two
 * digits stay so an admin can tell rows apart; every other digit becomes a bullet.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

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

/** Masks one phone value; values already masked stay as they are. */
export function maskPhone(value: string): string {
  if (value.includes(BULLET)) return value;
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
