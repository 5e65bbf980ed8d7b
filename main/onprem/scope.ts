/**
 * Entra Connect's default user scope ("In from AD - User Join" and the out-of-box filters of the
 * default configuration), as one pure function so the LDAP adapter, the sandbox directory and the
 * sync simulator agree on which users a Connect server would synchronize.
 *
 * Source: Microsoft Entra Connect Sync, "Understanding the default configuration" (user out-of-box
 * rules). Connect's admin-chosen domain/OU/group filtering is not part of the default scope; callers
 * that scan a narrower or wider base must say so themselves.
 */

/** The attributes the default scope looks at. Missing attributes are `null`/`undefined`. */
export interface ScopeInput {
  /** Present (any value, TRUE in practice) on Administrator, Guest, krbtgt and other system objects. */
  isCriticalSystemObject?: boolean | string | null;
  samAccountName: string | null;
  mailNickname?: string | null;
  adminDescription?: string | null;
  /** Exchange recipient type bit field, as a number or its decimal text. */
  msExchRecipientTypeDetails?: number | bigint | string | null;
  isDeleted?: boolean;
}

export interface ScopeVerdict {
  inScope: boolean;
  /** Why the default scope leaves the object out; null when in scope. */
  reason: string | null;
}

/**
 * Exchange recipient types that "would not work in Exchange Online" and are left out by the default
 * rules: BitAnd(msExchRecipientTypeDetails, &H21C07000) > 0, i.e. public folder (0x1000), system
 * attendant (0x2000), system mailbox (0x4000), Microsoft Exchange (0x400000), arbitration
 * (0x800000), mailbox plan (0x1000000) and discovery (0x20000000) mailboxes.
 */
export const EXCLUDED_RECIPIENT_TYPE_MASK = 0x21c07000n;

function recipientTypeBits(v: ScopeInput['msExchRecipientTypeDetails']): bigint | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
  return /^-?\d+$/.test(v.trim()) ? BigInt(v.trim()) : null;
}

function isPresentTrue(v: ScopeInput['isCriticalSystemObject']): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  // Connect tests IsPresent(), and AD only ever stores TRUE there; a literal FALSE is treated as absent.
  return v.trim().toUpperCase() !== 'FALSE' && v.trim() !== '';
}

const startsWithCi = (s: string, prefix: string) => s.slice(0, prefix.length).toUpperCase() === prefix.toUpperCase();

/** Applies Entra Connect's default user scope to one AD user. */
export function connectDefaultUserScope(u: ScopeInput): ScopeVerdict {
  const out = (reason: string): ScopeVerdict => ({ inScope: false, reason });
  if (u.isDeleted) return out('deleted object (tombstone)');
  if (isPresentTrue(u.isCriticalSystemObject)) return out('isCriticalSystemObject is set (built-in system account)');
  const sam = u.samAccountName?.trim() ?? '';
  if (!sam) return out('no sAMAccountName');
  if (startsWithCi(sam, 'MSOL_')) return out('sAMAccountName starts with MSOL_ (Connect service account)');
  if (startsWithCi(sam, 'AAD_')) return out('sAMAccountName starts with AAD_ (Connect service account)');
  if (sam.toUpperCase() === 'SUPPORT_388945A0') return out('SUPPORT_388945a0 (Exchange system account)');
  if (startsWithCi(sam, 'CAS_') && sam.includes('}')) return out('sAMAccountName CAS_{…} (Exchange system mailbox)');
  const nick = u.mailNickname?.trim() ?? '';
  if (startsWithCi(nick, 'SystemMailbox{')) return out('mailNickname SystemMailbox{…} (Exchange system mailbox)');
  if (startsWithCi(nick, 'CAS_') && nick.includes('}')) return out('mailNickname CAS_{…} (Exchange system mailbox)');
  const bits = recipientTypeBits(u.msExchRecipientTypeDetails);
  if (bits !== null && (bits & EXCLUDED_RECIPIENT_TYPE_MASK) !== 0n) {
    return out(`msExchRecipientTypeDetails ${bits} is an Exchange system recipient type`);
  }
  if (startsWithCi(u.adminDescription?.trim() ?? '', 'User_')) {
    return out('adminDescription starts with User_ (object written back from the cloud)');
  }
  return { inScope: true, reason: null };
}
