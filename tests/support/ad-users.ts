/**
 * Realistic test users for an AD domain: the shapes that break naive tools (unicode, apostrophes,
 * commas and asterisks in names, several phone formats, a consistency GUID that differs from
 * objectGUID, the accounts Entra Connect's default scope leaves out). Deterministic for a given
 * count and seed, so a cached directory and the tests that read it agree without a database.
 */
import { mulberry32 as rng } from '../../main/core/prng';

export const TEST_BASE_DN = 'DC=syncdrift,DC=test';
export const TEST_UPN_SUFFIX = 'syncdrift.test';
/** Password of the accounts that can bind (service, reader, disabled, must-change). Test only. */
export const TEST_USER_PASSWORD = 'Sync-Drift-Us3r!';

export type TestOu = 'Staff' | 'Contractors' | 'Service Accounts' | 'Special';

export interface TestUser {
  ou: TestOu;
  /** Relative DN value of CN (unescaped; the DN builder escapes it). */
  cn: string;
  sAMAccountName: string;
  userPrincipalName: string;
  givenName: string | null;
  sn: string | null;
  displayName: string;
  mobile: string | null;
  otherMobile: string[];
  telephoneNumber: string | null;
  c: string | null;
  adminDescription: string | null;
  /** Raw 16 bytes for mS-DS-ConsistencyGuid (differs from the objectGUID the DC assigns). */
  consistencyGuid: Buffer | null;
  /** Set for accounts that must be able to bind. */
  password: string | null;
  disabled: boolean;
  /** pwdLastSet=0: AD answers bind with sub-code 773. */
  mustChangePassword: boolean;
  /**
   * pwdLastSet as a FILETIME (decimal) in the past, older than the domain's maxPwdAge (42 days):
   * AD answers bind with sub-code 532. LDAP only accepts 0 or -1 here, so the offline load sets it.
   */
  passwordLastSet: string | null;
  /** What Entra Connect's default user scope decides for this account. */
  expectInScope: boolean;
}

/** Ready-made identities the tests refer to by role. */
export const SPECIAL = {
  serviceAccount: 'svc-syncdrift',
  reader: 'reader-syncdrift',
  disabled: 'disabled.user',
  mustChange: 'newhire.user',
  passwordExpired: 'expired.password',
  apostrophe: 'zoe.obrien',
  consistency: 'casey.anchor',
  comma: 'john.smith.comma',
  star: 'star.man',
} as const;

/** RFC 4514 escaping of an attribute value inside a DN. */
export function escapeDnValue(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL must be escaped by RFC 4514
  let out = value.replace(/[\\,+"<>;=\u0000]/g, (ch) => (ch === '\u0000' ? '\\00' : `\\${ch}`));
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export function userDn(u: Pick<TestUser, 'cn' | 'ou'>, baseDn = TEST_BASE_DN): string {
  return `CN=${escapeDnValue(u.cn)},OU=${escapeDnValue(u.ou)},${baseDn}`;
}


const GIVEN = ['Anna', 'Ben', 'Chloé', 'Dmitri', 'Élodie', 'Farah', 'Görkem', 'Hanna', 'Ímani', 'Jürgen', 'Kenji', 'Léa', 'Mateo', 'Nnamdi', 'Oksana', 'Priya', 'Quinn', 'Ruairí', 'Søren', 'Tomás', 'Uxía', 'Vikram', 'Wen', 'Xóchitl', 'Yusuf', 'Zofia'];
const FAMILY = ["O'Connor", 'Müller', 'Núñez', 'Smith', 'Åberg', 'Kowalczyk', "D'Souza", 'Nguyen', 'Ødegaard', 'García', 'Papadopoulos', 'Li', 'Brown', 'Łukasiewicz', 'Fernández', 'Schröder', 'Kim', 'Patel', "N'Diaye", 'Tanaka'];

function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .replace(/å/gi, 'a')
    .replace(/ł/gi, 'l')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

/** Phone formats as admins really type them; `c` says which region a national format belongs to. */
function phone(r: () => number, i: number): { mobile: string | null; c: string | null } {
  const n = String(i % 10000).padStart(4, '0');
  const roll = r();
  if (roll < 0.15) return { mobile: null, c: 'US' };
  if (roll < 0.35) return { mobile: `+1 425 555 ${n}`, c: 'US' };
  if (roll < 0.45) return { mobile: `(425) 555-${n}`, c: 'US' };
  if (roll < 0.52) return { mobile: `425.555.${n}`, c: 'US' };
  if (roll < 0.62) return { mobile: `+44 7700 90${n}`, c: 'GB' };
  if (roll < 0.7) return { mobile: `07700 90${n}`, c: 'GB' };
  if (roll < 0.8) return { mobile: `+49 (0)151 2345${n}`, c: 'DE' };
  if (roll < 0.88) return { mobile: `+14255550${n.slice(1)}`, c: 'US' };
  if (roll < 0.94) return { mobile: `+1 425 555 ${n} x${(i % 900) + 100}`, c: 'US' };
  if (roll < 0.97) return { mobile: `0151/2345${n}`, c: 'DE' };
  return { mobile: 'ask reception', c: null };
}

function base(partial: Partial<TestUser> & Pick<TestUser, 'ou' | 'cn' | 'sAMAccountName' | 'displayName'>): TestUser {
  return {
    userPrincipalName: `${partial.sAMAccountName}@${TEST_UPN_SUFFIX}`,
    givenName: null,
    sn: null,
    mobile: null,
    otherMobile: [],
    telephoneNumber: null,
    c: null,
    adminDescription: null,
    consistencyGuid: null,
    password: null,
    disabled: false,
    mustChangePassword: false,
    passwordLastSet: null,
    expectInScope: true,
    ...partial,
  };
}

/** The fixed accounts every generated directory holds, whatever its size. */
export function specialUsers(): TestUser[] {
  const guid = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
  return [
    base({ ou: 'Service Accounts', cn: 'svc-syncdrift', sAMAccountName: SPECIAL.serviceAccount, displayName: 'SyncDrift service', password: TEST_USER_PASSWORD }),
    base({ ou: 'Service Accounts', cn: 'reader-syncdrift', sAMAccountName: SPECIAL.reader, displayName: 'SyncDrift reader', password: TEST_USER_PASSWORD }),
    base({ ou: 'Special', cn: 'Disabled User', sAMAccountName: SPECIAL.disabled, displayName: 'Disabled User', password: TEST_USER_PASSWORD, disabled: true, mobile: '+1 425 555 0190', c: 'US' }),
    base({ ou: 'Special', cn: 'New Hire', sAMAccountName: SPECIAL.mustChange, displayName: 'New Hire', password: TEST_USER_PASSWORD, mustChangePassword: true }),
    // 2020-01-01T00:00:00Z as a FILETIME.
    base({ ou: 'Special', cn: 'Expired Password', sAMAccountName: SPECIAL.passwordExpired, displayName: 'Expired Password', password: TEST_USER_PASSWORD, passwordLastSet: '132223104000000000' }),
    base({ ou: 'Special', cn: "Zoë O'Brien", sAMAccountName: SPECIAL.apostrophe, givenName: 'Zoë', sn: "O'Brien", displayName: "Zoë O'Brien", mobile: '+353 87 123 4567', c: 'IE', otherMobile: ['+353 86 000 0001', '+353 86 000 0002'] }),
    base({ ou: 'Special', cn: 'Casey Anchor', sAMAccountName: SPECIAL.consistency, displayName: 'Casey Anchor', consistencyGuid: guid, mobile: '+1 (425) 555-0177', c: 'US' }),
    base({ ou: 'Special', cn: 'Smith, John', sAMAccountName: SPECIAL.comma, givenName: 'John', sn: 'Smith', displayName: 'Smith, John', mobile: '425-555-0178', c: 'US', telephoneNumber: '+1 425 555 0100' }),
    base({ ou: 'Special', cn: 'Star*Man (Ops)', sAMAccountName: SPECIAL.star, displayName: 'Star*Man (Ops)', mobile: '+44 20 7946 0958', c: 'GB' }),
    base({ ou: 'Special', cn: '山田 太郎', sAMAccountName: 'taro.yamada', givenName: '太郎', sn: '山田', displayName: '山田 太郎', mobile: '090-1234-5678', c: 'JP' }),
    // Out of Entra Connect's default scope:
    base({ ou: 'Service Accounts', cn: 'MSOL_0a1b2c3d4e5f', sAMAccountName: 'MSOL_0a1b2c3d4e5f', displayName: 'MSOL_0a1b2c3d4e5f', expectInScope: false }),
    base({ ou: 'Service Accounts', cn: 'AAD_0123456789ab', sAMAccountName: 'AAD_0123456789ab', displayName: 'AAD_0123456789ab', expectInScope: false }),
    base({ ou: 'Service Accounts', cn: 'SUPPORT_388945a0', sAMAccountName: 'SUPPORT_388945a0', displayName: 'SUPPORT_388945a0', expectInScope: false }),
    base({ ou: 'Service Accounts', cn: 'CAS_{4f2e}', sAMAccountName: 'CAS_{4f2e}', displayName: 'CAS_{4f2e}', expectInScope: false }),
    base({ ou: 'Special', cn: 'Excluded By Description', sAMAccountName: 'excluded.desc', displayName: 'Excluded By Description', adminDescription: 'User_DoNotSync', mobile: '+1 425 555 0199', c: 'US', expectInScope: false }),
  ];
}

/**
 * `count` bulk users, half in OU=Staff and half in OU=Contractors (so one directory serves two scan
 * sizes), plus the special accounts. Deterministic for (count, seed).
 */
export function generateTestUsers(count: number, seed = 42): TestUser[] {
  const r = rng(seed);
  const users: TestUser[] = specialUsers();
  for (let i = 0; i < count; i++) {
    const given = GIVEN[Math.floor(r() * GIVEN.length)] ?? 'Anna';
    const family = FAMILY[Math.floor(r() * FAMILY.length)] ?? 'Smith';
    // sAMAccountName is limited to 20 characters: 6 + 1 + 5 + up to 6 digits.
    const sam = `${ascii(given).slice(0, 6)}.${ascii(family).slice(0, 5)}${i}`;
    const { mobile, c } = phone(r, i);
    users.push(
      base({
        ou: i < count / 2 ? 'Staff' : 'Contractors',
        cn: `${given} ${family} ${i}`,
        sAMAccountName: sam,
        givenName: given,
        sn: family,
        displayName: `${given} ${family}`,
        mobile,
        c,
        otherMobile: r() < 0.05 ? [`+1 206 555 ${String(i % 10000).padStart(4, '0')}`] : [],
        telephoneNumber: r() < 0.5 ? `+1 425 882 ${String(i % 10000).padStart(4, '0')}` : null,
        consistencyGuid: r() < 0.02 ? Buffer.from(Array.from({ length: 16 }, () => Math.floor(r() * 256))) : null,
      }),
    );
  }
  return users;
}
