/**
 * The sandbox directory's LDIF: user seeds read from LDIF content (ldifde exports, the demo's cast)
 * and an entry written back as LDIF records.
 */
import { ValidationError } from '../core/errors';
import { anchorFromGuidText, guidBytesToText, isGuidText, isSidText, sidBytesToText } from './ids';
import { parseLdif, formatLdifLine, type LdifRecord } from './ldif';
import { MOBILE_MAX, type Entry, type SandboxUserSeed } from './directory-entry';

/** AD GeneralizedTime (20240131120000.0Z) or ISO -> ISO. */
export function parseAdTime(text: string, where: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text.trim());
  if (m) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  const t = Date.parse(text);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(text.trim()))
    throw new ValidationError(where, `"${text}" is not a time (20240131120000.0Z or ISO 8601)`);
  return new Date(t).toISOString();
}

export function formatAdTime(iso: string): string {
  return iso.replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, '.0Z');
}

/** The user records of LDIF content (objectClass user/inetOrgPerson, not computers), validated. */
export function userSeedsFromLdif(source: string, file = 'ldif'): SandboxUserSeed[] {
  const out: SandboxUserSeed[] = [];
  for (const rec of parseLdif(source, file)) {
    const classes = (rec.attrs.get('objectclass') ?? []).map((v) => v.text.toLowerCase());
    if (classes.length > 0 && !classes.includes('user') && !classes.includes('inetorgperson')) continue;
    if (classes.includes('computer')) continue;
    out.push(seedFromLdif(rec, file));
  }
  return out;
}

export function seedFromLdif(rec: LdifRecord, file: string): SandboxUserSeed {
  const one = (name: string) => rec.attrs.get(name.toLowerCase())?.[0];
  const text = (name: string) => {
    const v = one(name);
    return v ? v.text : null;
  };
  const where = (name: string) => `${file}:${one(name)?.line ?? rec.line}`;
  const guidAttr = one('objectGUID');
  let objectGuid: string | undefined;
  if (guidAttr) {
    objectGuid = guidAttr.base64
      ? guidBytesToText(guidAttr.bytes, where('objectGUID'))
      : guidAttr.text.trim().replace(/^\{|\}$/g, '');
    if (!isGuidText(objectGuid)) throw new ValidationError(where('objectGUID'), `"${guidAttr.text}" is not a GUID`);
  }
  const cg = one('mS-DS-ConsistencyGuid');
  let consistencyGuid: string | null = null;
  if (cg) {
    if (!cg.base64)
      throw new ValidationError(where('mS-DS-ConsistencyGuid'), 'must be base64 (mS-DS-ConsistencyGuid:: …) as ldifde writes it');
    if (cg.bytes.length !== 16)
      throw new ValidationError(where('mS-DS-ConsistencyGuid'), `must be 16 bytes, got ${cg.bytes.length}`);
    consistencyGuid = cg.bytes.toString('base64');
  }
  const sidAttr = one('objectSid');
  let objectSid: string | null = null;
  if (sidAttr) {
    objectSid = sidAttr.base64 ? sidBytesToText(sidAttr.bytes, where('objectSid')) : sidAttr.text.trim();
    if (!isSidText(objectSid)) throw new ValidationError(where('objectSid'), `"${objectSid}" is not a SID`);
  }
  const rtd = text('msExchRecipientTypeDetails');
  if (rtd !== null && !/^-?\d+$/.test(rtd.trim()))
    throw new ValidationError(where('msExchRecipientTypeDetails'), `"${rtd}" is not a number`);
  const mobile = text('mobile');
  if (mobile !== null && mobile.length > MOBILE_MAX)
    throw new ValidationError(where('mobile'), `mobile holds at most ${MOBILE_MAX} characters`);
  const crit = text('isCriticalSystemObject');
  const created = text('whenCreated');
  return {
    dn: rec.dn,
    samAccountName: text('sAMAccountName'),
    objectGuid,
    consistencyGuid,
    objectSid,
    upn: text('userPrincipalName'),
    displayName: text('displayName'),
    mobile,
    otherMobile: (rec.attrs.get('othermobile') ?? []).map((v) => v.text),
    telephoneNumber: text('telephoneNumber'),
    c: text('c'),
    isCriticalSystemObject: crit !== null && crit.trim().toUpperCase() === 'TRUE',
    adminDescription: text('adminDescription'),
    mailNickname: text('mailNickname'),
    msExchRecipientTypeDetails: rtd === null ? null : Number(rtd),
    whenCreated: created === null ? undefined : parseAdTime(created, where('whenCreated')),
  };
}

export function entryToLdif(e: Entry): string[] {
  const lines: string[] = [
    formatLdifLine('dn', e.dn),
    'objectClass: top',
    'objectClass: person',
    'objectClass: organizationalPerson',
    'objectClass: user',
  ];
  const add = (name: string, v: string | Buffer | null) => {
    if (v !== null) lines.push(formatLdifLine(name, v));
  };
  add('cn', e.cn);
  add('sAMAccountName', e.samAccountName);
  add('userPrincipalName', e.upn);
  add('displayName', e.displayName);
  add('objectGUID', Buffer.from(anchorFromGuidText(e.objectGuid), 'base64'));
  add('mS-DS-ConsistencyGuid', e.consistencyGuid === null ? null : Buffer.from(e.consistencyGuid, 'base64'));
  add('objectSid', e.objectSid);
  add('mobile', e.mobile);
  for (const m of e.otherMobile) add('otherMobile', m);
  add('telephoneNumber', e.telephoneNumber);
  add('c', e.c);
  if (e.isCriticalSystemObject) add('isCriticalSystemObject', 'TRUE');
  add('adminDescription', e.adminDescription);
  add('mailNickname', e.mailNickname);
  add('msExchRecipientTypeDetails', e.msExchRecipientTypeDetails === null ? null : String(e.msExchRecipientTypeDetails));
  add('whenCreated', formatAdTime(e.whenCreated));
  return lines;
}
