/**
 * The sandbox directory's entries: the stored shape of an AD user (zod, as the serialized state is
 * validated on restore), the seeds and changes admins apply, and the helpers that read an entry
 * (scope, per-attribute change metadata, tracked attribute values). directory.ts holds the directory.
 */
import { z } from 'zod';
import type { AttributeChange } from '../core/model';
import { isoDateTime } from '../core/model';
import { ValidationError } from '../core/errors';
import type { Clock } from '../core/ports';
import { scopeExclusion, type RawEntry } from '../onprem/entry';

/** Attributes that carry per-attribute change metadata (keys of OnPremUser.changes). */
export const TRACKED_ATTRIBUTES = [
  'mobile',
  'otherMobile',
  'telephoneNumber',
  'c',
  'displayName',
  'userPrincipalName',
  'sAMAccountName',
  'mS-DS-ConsistencyGuid',
  'adminDescription',
] as const;
export type TrackedAttribute = (typeof TRACKED_ATTRIBUTES)[number];

export const AttrMeta = z.object({
  changedAt: isoDateTime,
  version: z.number().int().positive(),
  originatingDc: z.string(),
  originatingUsn: z.number().int(),
  localUsn: z.number().int(),
});
export type AttrMeta = z.infer<typeof AttrMeta>;

export const MobileVersion = z.object({ value: z.string().nullable(), meta: AttrMeta.nullable(), at: z.number() });

export const Entry = z.object({
  dn: z.string(),
  cn: z.string(),
  objectGuid: z.string(),
  consistencyGuid: z.string().nullable(),
  objectSid: z.string().nullable(),
  upn: z.string().nullable(),
  samAccountName: z.string().nullable(),
  displayName: z.string().nullable(),
  mobile: z.string().nullable(),
  otherMobile: z.array(z.string()),
  telephoneNumber: z.string().nullable(),
  c: z.string().nullable(),
  isCriticalSystemObject: z.boolean(),
  adminDescription: z.string().nullable(),
  mailNickname: z.string().nullable(),
  msExchRecipientTypeDetails: z.number().nullable(),
  whenCreated: isoDateTime,
  whenChanged: isoDateTime,
  usnCreated: z.number().int(),
  usnChanged: z.number().int(),
  isDeleted: z.boolean(),
  meta: z.record(z.string(), AttrMeta),
  /** Recent `mobile` versions with the time they were written, for the lagging second DC. */
  mobileLog: z.array(MobileVersion),
});
export type Entry = z.infer<typeof Entry>;

export const SerializedDirectory = z.object({
  format: z.literal('syncdrift-sandbox-directory'),
  version: z.literal(1),
  sourceId: z.string(),
  baseDn: z.string(),
  dcName: z.string(),
  invocationId: z.string(),
  secondDc: z.object({ name: z.string(), invocationId: z.string(), lagMs: z.number().nonnegative() }).nullable(),
  highestUsn: z.number().int(),
  entries: z.array(Entry),
});
export type SerializedDirectory = z.infer<typeof SerializedDirectory>;

/** What a new sandbox user is made of; everything but the DN and sAMAccountName may be left out. */
export interface SandboxUserSeed {
  dn: string;
  samAccountName: string | null;
  objectGuid?: string;
  /** Base64 of the 16 raw bytes; null or absent when empty. */
  consistencyGuid?: string | null;
  objectSid?: string | null;
  upn?: string | null;
  displayName?: string | null;
  mobile?: string | null;
  otherMobile?: string[];
  telephoneNumber?: string | null;
  c?: string | null;
  isCriticalSystemObject?: boolean;
  adminDescription?: string | null;
  mailNickname?: string | null;
  msExchRecipientTypeDetails?: number | null;
  whenCreated?: string;
}

/** An on-prem admin's edit (Set-ADUser / Set-User). `undefined` leaves an attribute alone, null clears it. */
export interface SandboxUserChange {
  mobile?: string | null;
  otherMobile?: string[];
  telephoneNumber?: string | null;
  c?: string | null;
  displayName?: string | null;
  upn?: string | null;
  samAccountName?: string | null;
  consistencyGuid?: string | null;
  adminDescription?: string | null;
}

export interface SecondDcOptions {
  name: string;
  /** How long a change on the primary DC takes to show on the second one. */
  lagMs: number;
  invocationId?: string;
}

export interface SandboxDirectoryOptions {
  sourceId?: string;
  baseDn?: string;
  dcName?: string;
  invocationId?: string;
  clock?: Clock;
  /** Simulates a second DC that sees `mobile` changes only after a replication lag. */
  secondDc?: SecondDcOptions | null;
}

export const MOBILE_MAX = 64;

export function sanitizeMobile(v: string | null | undefined, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (v === '') return null; // AD has no empty strings: writing '' clears the attribute
  if (v.length > MOBILE_MAX)
    throw new ValidationError(field, `mobile holds at most ${MOBILE_MAX} characters (AD schema range 1–64), got ${v.length}`);
  return v;
}

export function rdnValue(dn: string): string {
  const first = /^\s*[A-Za-z]+=((?:\\.|[^,\\])*)/.exec(dn);
  return (first?.[1] ?? dn).replace(/\\(.)/g, '$1');
}

export const norm = (dn: string) => dn.trim().toLowerCase();

/** Entra Connect's default user scope, by the same rules the LDAP adapter applies (main/onprem/entry.ts). */
export function scopeOf(e: Entry): { inScope: boolean; reason: string | null } {
  if (e.isDeleted) return { inScope: false, reason: 'deleted object (tombstone)' };
  const attrs: RawEntry['attrs'] = {};
  const put = (name: string, v: string | null) => {
    if (v !== null) attrs[name.toLowerCase()] = [v];
  };
  put('isCriticalSystemObject', e.isCriticalSystemObject ? 'TRUE' : null);
  put('sAMAccountName', e.samAccountName);
  put('mailNickname', e.mailNickname);
  put('adminDescription', e.adminDescription);
  put('msExchRecipientTypeDetails', e.msExchRecipientTypeDetails === null ? null : String(e.msExchRecipientTypeDetails));
  const reason = scopeExclusion({ dn: e.dn, attrs });
  return { inScope: reason === null, reason };
}

export function toChange(m: AttrMeta): AttributeChange {
  return { changedAt: m.changedAt, version: m.version, source: 'sandbox', originatingDc: m.originatingDc };
}

export function emptyToNull(v: string | null | undefined): string | null | undefined {
  return v === '' ? null : v;
}

export function show(v: string | null): string {
  return v === null ? '(empty)' : `"${v}"`;
}

export function attrValue(e: Entry, attr: TrackedAttribute): string | null {
  switch (attr) {
    case 'mobile':
      return e.mobile;
    case 'otherMobile':
      return e.otherMobile.length ? e.otherMobile.join(';') : null;
    case 'telephoneNumber':
      return e.telephoneNumber;
    case 'c':
      return e.c;
    case 'displayName':
      return e.displayName;
    case 'userPrincipalName':
      return e.upn;
    case 'sAMAccountName':
      return e.samAccountName;
    case 'mS-DS-ConsistencyGuid':
      return e.consistencyGuid;
    case 'adminDescription':
      return e.adminDescription;
  }
}
