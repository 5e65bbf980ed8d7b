/**
 * affected-users.csv: one line per user in the package, RFC 4180 (CRLF, quotes doubled), UTF-8
 * without BOM. A cell that a spreadsheet would run as a formula (starting with = @ tab CR, or + - unless
 * only phone-number characters follow) gets a leading apostrophe; phone numbers like +1 803… and
 * +18035551212 are left as they are, while +1+HYPERLINK(…) is not a phone number.
 */
import type { DriftRow } from '../core/model';
import { NOT_READABLE } from '../drift/other-mobile';

export const CSV_COLUMNS = [
  'upn',
  'displayName',
  'status',
  'supportRequest',
  'cloudObjectId',
  'onPremisesImmutableId',
  'onPremMobile',
  'cloudMobilePhone',
  'onPremNormalized',
  'cloudNormalized',
  'onPremOtherMobile',
  'cloudAlternateMobilePhones',
  'onPremChangedAt',
  'onPremChangeSource',
  'cloudLastSyncAt',
  'cloudChangedAt',
  'cloudChangedBy',
  'cloudChangeState',
  'match',
  'sourceAnchor',
  'objectGuid',
  'objectSid',
  'distinguishedName',
  'samAccountName',
  'flags',
  'cause',
  'file',
] as const;

/** What a phone number is written with after its leading + or - (masked digits too): a spreadsheet can compute nothing from it. */
const PHONE_LIKE = /^[+-][\d\s().\-/•]*$/;

export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !PHONE_LIKE.test(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CsvUser {
  row: DriftRow;
  askSupport: boolean;
  file: string;
}

export function renderAffectedUsersCsv(users: readonly CsvUser[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const { row, askSupport, file } of users) {
    const o = row.onPrem;
    const c = row.cloud;
    const cells: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null | undefined> = {
      upn: row.upn,
      displayName: c?.displayName ?? o?.displayName,
      status: row.status,
      supportRequest: askSupport ? 'yes' : 'no',
      cloudObjectId: c?.id,
      onPremisesImmutableId: c?.immutableId,
      onPremMobile: o?.value,
      cloudMobilePhone: c?.value,
      onPremNormalized: row.normalized.onPrem,
      cloudNormalized: row.normalized.cloud,
      // Multi-valued: joined with ';'. The cloud side cannot be read (Graph has no AlternateMobilePhones).
      onPremOtherMobile: row.otherMobile ? row.otherMobile.onPrem.join(';') : o?.otherMobile.join(';'),
      cloudAlternateMobilePhones: row.otherMobile ? NOT_READABLE : '',
      onPremChangedAt: o?.changedAt,
      onPremChangeSource: o?.changeSource,
      cloudLastSyncAt: c?.lastSyncAt,
      cloudChangedAt: c?.changedAt,
      cloudChangedBy: c?.changedBy,
      cloudChangeState: c?.changeState,
      match: row.match,
      sourceAnchor: o?.sourceAnchor,
      objectGuid: o?.objectGuid,
      objectSid: o?.objectSid,
      distinguishedName: o?.dn,
      samAccountName: o?.samAccountName,
      flags: row.flags.join(';'),
      cause: row.cause,
      file,
    };
    lines.push(CSV_COLUMNS.map((k) => csvCell(cells[k])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
