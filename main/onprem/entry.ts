/**
 * From a raw directory entry (LDAP answer or an import line) to the domain's OnPremUser, and
 * Entra Connect's default user scope. Shared by the LDAP adapter and the offline imports so the
 * two give identical users for identical data.
 */
import { ValidationError } from '../core/errors';
import type { OnPremUser } from '../core/model';
import { attributeChange, generalizedTimeToIso, guidToText, sidToText, sourceAnchor } from './decoders';

/** Attribute values keyed by lower-cased attribute name; binary attributes as Buffers. */
export interface RawEntry {
  dn: string;
  attrs: Record<string, Array<string | Buffer>>;
}

/** What the scan asks for. */
export const USER_ATTRIBUTES = [
  'objectGUID',
  'objectSid',
  'mS-DS-ConsistencyGuid',
  'userPrincipalName',
  'sAMAccountName',
  'displayName',
  'mobile',
  'otherMobile',
  'telephoneNumber',
  'c',
  'whenChanged',
  'uSNChanged',
  'isDeleted',
  'isCriticalSystemObject',
  'adminDescription',
  'mailNickname',
  'msExchRecipientTypeDetails',
  'msDS-ReplAttributeMetaData',
  'replPropertyMetaData',
] as const;

/**
 * What an offline export carries: the scan's attributes less the two a DC only hands to a live read
 * (tombstones' isDeleted; the constructed msDS-ReplAttributeMetaData), plus objectClass.
 */
export const EXPORTED_ATTRIBUTES: readonly string[] = ['objectClass', ...USER_ATTRIBUTES.filter((a) => a !== 'isDeleted' && a !== 'msDS-ReplAttributeMetaData')];

export const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid', 'mS-DS-ConsistencyGuid', 'replPropertyMetaData'] as const;

/** Metadata is kept for these attributes on every user. */
export const TRACKED_ATTRIBUTES = ['mobile', 'otherMobile', 'telephoneNumber'] as const;

function text(v: string | Buffer | undefined): string | null {
  if (v === undefined) return null;
  return typeof v === 'string' ? v : v.toString('utf8');
}

function bytes(v: string | Buffer | undefined, field: string, where: string): Buffer | null {
  if (v === undefined) return null;
  if (typeof v !== 'string') return v;
  throw new ValidationError(where, `${field} must be binary`);
}

/** Where Entra Connect's default user scope ("In from AD - User Join" / cloudFiltered) leaves the object out; null when in scope. */
export function scopeExclusion(e: RawEntry): string | null {
  const one = (n: string) => text(e.attrs[n.toLowerCase()]?.[0]);
  if ((one('isCriticalSystemObject') ?? '').toUpperCase() === 'TRUE') return 'critical system object (isCriticalSystemObject=TRUE)';
  const sam = one('sAMAccountName');
  if (!sam) return 'no sAMAccountName';
  if (sam.startsWith('MSOL_')) return 'Entra Connect service account (MSOL_)';
  if (sam.startsWith('AAD_')) return 'Entra Connect service account (AAD_)';
  if (sam === 'SUPPORT_388945a0') return 'built-in SUPPORT_388945a0 account';
  if (sam.startsWith('CAS_') && sam.includes('}')) return 'Exchange CAS system account (CAS_{…})';
  const nick = one('mailNickname') ?? '';
  if (nick.startsWith('SystemMailbox{')) return 'Exchange system mailbox (SystemMailbox{…})';
  if (nick.startsWith('CAS_') && nick.includes('}')) return 'Exchange CAS system mailbox';
  const rtd = one('msExchRecipientTypeDetails');
  if (rtd && /^\d+$/.test(rtd) && (BigInt(rtd) & 0x21c07000n) !== 0n) return `Exchange system mailbox (msExchRecipientTypeDetails=${rtd})`;
  if ((one('adminDescription') ?? '').startsWith('User_')) return 'adminDescription starts with User_ (excluded from sync)';
  // Only split the DN when it can hold a conflict name at all (the split is the costly part).
  if (/CNF:/i.test(e.dn) && /\\0ACNF:/i.test(e.dn.split(/(?<!\\),/)[0] ?? '')) return 'replication conflict object (CNF)';
  return null;
}

const NONE: Array<string | Buffer> = [];
const NONE_TEXT: readonly string[] = [];

/** Values of a lower-cased attribute name (module-level, not a per-entry closure: scans call this ~20 times per user). */
function values(e: RawEntry, lower: string): Array<string | Buffer> {
  return e.attrs[lower] ?? NONE;
}

/** Maps one entry to an OnPremUser. Throws ValidationError (field = `where`) on malformed binary data. */
export function toOnPremUser(e: RawEntry, ctx: { sourceId: string; anchorAttribute: string; where?: string }): OnPremUser {
  const where = ctx.where ?? e.dn;
  // Keys of RawEntry are lower-cased: constant lower-case names, no per-user closures.
  const a = (lower: string) => values(e, lower);
  const one = (lower: string) => text(values(e, lower)[0]);
  const guid = bytes(a('objectguid')[0], 'objectGUID', where);
  if (!guid) throw new ValidationError(where, 'objectGUID is missing');
  if (guid.length !== 16) throw new ValidationError(where, `objectGUID has ${guid.length} bytes, not 16`);
  const consistency = bytes(a('ms-ds-consistencyguid')[0], 'mS-DS-ConsistencyGuid', where);
  const anchorLower = ctx.anchorAttribute.toLowerCase();
  const anchorValue = anchorLower === 'objectguid' ? null : anchorLower === 'ms-ds-consistencyguid' ? consistency : bytes(a(anchorLower)[0], ctx.anchorAttribute, where);
  const sid = bytes(a('objectsid')[0], 'objectSid', where);
  let whenChanged: string | null;
  try {
    whenChanged = generalizedTimeToIso(one('whenchanged'));
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`${where} whenChanged`, err.message.replace(/^whenChanged: /, ''), { cause: err });
    throw err;
  }
  const usn = one('usnchanged');
  const xmlValues = a('msds-replattributemetadata');
  const xml = xmlValues.length ? xmlValues.map((v) => text(v) ?? '') : NONE_TEXT;
  const binMeta = bytes(a('replpropertymetadata')[0], 'replPropertyMetaData', where);
  const changes: OnPremUser['changes'] = {};
  for (const attr of TRACKED_ATTRIBUTES) {
    try {
      changes[attr] = attributeChange(attr, { xml, binary: binMeta, whenChanged });
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(where, err.message, { cause: err });
      throw err;
    }
  }
  const exclusion = scopeExclusion(e);
  return {
    sourceId: ctx.sourceId,
    dn: e.dn,
    objectGuid: guidToText(guid),
    consistencyGuid: consistency && consistency.length > 0 ? consistency.toString('base64') : null,
    sourceAnchor: sourceAnchor(guid, anchorValue),
    objectSid: sid ? sidToText(sid) : null,
    upn: one('userprincipalname'),
    samAccountName: one('samaccountname'),
    displayName: one('displayname'),
    mobile: one('mobile'),
    otherMobile: a('othermobile').map((v) => text(v) ?? ''),
    telephoneNumber: one('telephonenumber'),
    country: one('c'),
    whenChanged,
    usnChanged: usn !== null && /^\d+$/.test(usn) ? Number(usn) : null,
    isDeleted: (one('isdeleted') ?? '').toUpperCase() === 'TRUE',
    changes,
    inScope: exclusion === null,
    scopeReason: exclusion,
  };
}
