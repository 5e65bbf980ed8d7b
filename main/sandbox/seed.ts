/**
 * Deterministic demo/benchmark population: realistic synchronized users generated from a seed, so a
 * 100k-user tenant is the same on every run and builds in about a second. The on-prem side can use
 * `seedPeople` with the same seed to build the matching AD objects.
 */
import { prng } from './limits';
import type { TenantStore } from './tenant';
import type { AuditActor } from './tenant-model';

const FIRST = [
  'Ada',
  'Adele',
  'Alex',
  'Amir',
  'Ana',
  'Anders',
  'Aoife',
  'Bea',
  'Ben',
  'Carla',
  'Chen',
  'Dara',
  'David',
  'Elif',
  'Emma',
  'Farah',
  'Felix',
  'Grace',
  'Hana',
  'Ivan',
  'Jana',
  'Jonas',
  'Kai',
  'Kofi',
  'Lara',
  'Liam',
  'Lucia',
  'Mads',
  'Maya',
  'Mei',
  'Nia',
  'Noah',
  'Olga',
  'Omar',
  'Pia',
  'Priya',
  'Rafael',
  'Rosa',
  'Sami',
  'Sara',
  'Sven',
  'Tariq',
  'Ugo',
  'Vera',
  'Wei',
  'Yara',
  'Yusuf',
  'Zoe',
];
const LAST = [
  'Andersen',
  'Baker',
  'Becker',
  'Chowdhury',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Larsen',
  'Lee',
  'Martin',
  'Meyer',
  'Moreau',
  'Nakamura',
  'Nguyen',
  'Novak',
  "O'Brien",
  'Okafor',
  'Patel',
  'Popescu',
  'Rossi',
  'Santos',
  'Schmidt',
  'Silva',
  'Smith',
  'Tanaka',
  'Weber',
  'Wilson',
  'Yilmaz',
  'Zhang',
];
const OUS = ['Sales', 'Finance', 'Engineering', 'Support', 'Operations', 'Legal', 'Marketing'];
/** Phone styles admins really type: E.164, national, with dashes, with spaces. */
const STYLES: ((n: number) => string)[] = [
  (n) => `+1 425 555 ${String(n % 10000).padStart(4, '0')}`,
  (n) => `+14255550${String(n % 1000).padStart(3, '0')}`,
  (n) => `(425) 555-${String(n % 10000).padStart(4, '0')}`,
  (n) => `+44 20 7946 ${String(n % 10000).padStart(4, '0')}`,
  (n) => `+49 30 901820${String(n % 100).padStart(2, '0')}`,
  (n) => `+33 1 23 45 ${String(n % 100).padStart(2, '0')} ${String((n * 7) % 100).padStart(2, '0')}`,
];

export interface SeedPerson {
  index: number;
  /** Cloud object id. */
  id: string;
  givenName: string;
  surname: string;
  displayName: string;
  samAccountName: string;
  userPrincipalName: string;
  dn: string;
  /** Base64 of the 16 anchor bytes (see anchorBytes()). */
  immutableId: string;
  sid: string;
  mobile: string | null;
  otherMobile: string[];
  telephoneNumber: string | null;
}

export interface SeedOptions {
  count: number;
  seed?: number;
  /** UPN suffix / AD DNS domain. */
  domain?: string;
  /** Share of people with no mobile (default 0.1). */
  noMobileRate?: number;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Four random uint32 words (16 bytes, little-endian per word). */
function words(rand: () => number): [number, number, number, number] {
  return [(rand() * 4294967296) >>> 0, (rand() * 4294967296) >>> 0, (rand() * 4294967296) >>> 0, (rand() * 4294967296) >>> 0];
}

function byteAt(w: readonly number[], i: number): number {
  return (w[i >> 2]! >>> (8 * (i & 3))) & 0xff;
}

/**
 * Base64 of the 16 bytes, built without Buffers: seeding 100k+ users allocates millions of small
 * objects otherwise, and the garbage collector dominates.
 */
function base64Of(w: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < 15; i += 3) {
    const n = (byteAt(w, i) << 16) | (byteAt(w, i + 1) << 8) | byteAt(w, i + 2);
    out.push(B64[(n >> 18) & 63]!, B64[(n >> 12) & 63]!, B64[(n >> 6) & 63]!, B64[n & 63]!);
  }
  const last = byteAt(w, 15);
  out.push(B64[last >> 2]!, B64[(last & 3) << 4]!, '==');
  return out.join('');
}

function guidOf(w: readonly number[]): string {
  const h = w.map((x) => x.toString(16).padStart(8, '0')).join('');
  return [
    h.slice(0, 8),
    h.slice(8, 12),
    `4${h.slice(13, 16)}`,
    `${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}`,
    h.slice(20, 32),
  ].join('-');
}

/** The 16 raw bytes of a person's anchor (mS-DS-ConsistencyGuid as AD holds it). */
export function anchorBytes(p: Pick<SeedPerson, 'immutableId'>): Buffer {
  return Buffer.from(p.immutableId, 'base64');
}

/** Generates people deterministically from the seed. */
export function* seedPeople(opts: SeedOptions): Generator<SeedPerson> {
  const rand = prng(opts.seed ?? 42);
  const domain = opts.domain ?? 'contoso.example';
  const dc = domain
    .split('.')
    .map((p) => `DC=${p}`)
    .join(',');
  const domainSid = `S-1-5-21-${(rand() * 4e9) >>> 0}-${(rand() * 4e9) >>> 0}-${(rand() * 4e9) >>> 0}`;
  const noMobile = opts.noMobileRate ?? 0.1;
  for (let i = 0; i < opts.count; i++) {
    const givenName = FIRST[Math.floor(rand() * FIRST.length)]!;
    const surname = LAST[Math.floor(rand() * LAST.length)]!;
    const ou = OUS[Math.floor(rand() * OUS.length)]!;
    const id = guidOf(words(rand));
    const immutableId = base64Of(words(rand));
    const sam = [givenName.slice(0, 1), surname.replace(/[^A-Za-z]/g, ''), i].join('').toLowerCase().slice(0, 20);
    const style = STYLES[Math.floor(rand() * STYLES.length)]!;
    const mobile = rand() < noMobile ? null : style(i * 37 + 11);
    const displayName = [givenName, surname].join(' ');
    yield {
      index: i,
      id,
      givenName,
      surname,
      displayName,
      samAccountName: sam,
      userPrincipalName: [sam, domain].join('@'),
      dn: ['CN=', displayName.replace(/([,+"\\<>;=#])/g, '\\$1'), ' ', i, ',OU=', ou, ',OU=Staff,', dc].join(''),
      immutableId,
      sid: [domainSid, 1100 + i].join('-'),
      mobile,
      otherMobile: rand() < 0.05 ? [style(i * 53 + 7)] : [],
      telephoneNumber: rand() < 0.7 ? ['+1 425 555 ', String((i * 13) % 10000).padStart(4, '0')].join('') : null,
    };
  }
}

export interface SeedTenantOptions extends SeedOptions {
  /** Share of synced users given a legacy cloud edit (DirSyncOverrides + a different cloud value). */
  overrideRate?: number;
  /** Share of users no longer synchronized (onPremisesSyncEnabled false). */
  unsyncedRate?: number;
  /** Connect server name used for the last sync. */
  server?: string;
}

export interface SeedResult {
  users: number;
  overrides: number;
  unsynced: number;
  ms: number;
}

/**
 * Fills a tenant with synced users as if Entra Connect had provisioned them, then applies the
 * optional legacy edits (with audit records). Direct creation, no per-user audit: a 100k tenant's
 * provisioning history would be noise.
 */
export function seedTenant(store: TenantStore, opts: SeedTenantOptions): SeedResult {
  const t0 = performance.now();
  const rand = prng((opts.seed ?? 42) ^ 0x5eed);
  const now = store.clock.now().getTime();
  const domain = opts.domain ?? 'contoso.example';
  const overrideRate = opts.overrideRate ?? 0;
  const unsyncedRate = opts.unsyncedRate ?? 0;
  const editor: AuditActor = {
    kind: 'user',
    id: '00000000-0000-4000-8000-00000000ad01',
    userPrincipalName: `helpdesk@${store.organization.initialDomain}`,
    displayName: 'Helpdesk (legacy portal)',
  };
  let overrides = 0;
  let unsynced = 0;
  for (const p of seedPeople(opts)) {
    const isUnsynced = rand() < unsyncedRate;
    const u = store.createUser({
      id: p.id,
      userPrincipalName: p.userPrincipalName,
      displayName: p.displayName,
      mobilePhone: p.mobile,
      businessPhones: p.telephoneNumber ? [p.telephoneNumber] : [],
      alternateMobilePhones: p.otherMobile,
      onPremisesSyncEnabled: isUnsynced ? false : true,
      onPremisesImmutableId: p.immutableId,
      onPremisesSecurityIdentifier: p.sid,
      onPremisesLastSyncAt: now - Math.floor(rand() * 1_800_000),
      onPremisesDistinguishedName: p.dn,
      onPremisesDomainName: domain,
      onPremisesSamAccountName: p.samAccountName,
      onPremisesUserPrincipalName: p.userPrincipalName,
      usageLocation: 'US',
      createdAt: now - 400 * 86_400_000,
    });
    if (isUnsynced) unsynced++;
    else if (rand() < overrideRate) {
      store.legacyCloudEdit(u.id, `+1 206 555 ${String(p.index % 10000).padStart(4, '0')}`, editor);
      overrides++;
    }
  }
  store.completeSyncCycle();
  return { users: opts.count, overrides, unsynced, ms: Math.round(performance.now() - t0) };
}
