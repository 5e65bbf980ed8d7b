/**
 * The demo: the sandbox directory loaded from assets/demo/directory.ldif, the sandbox tenant and the
 * sync simulator, with a scripted history replayed through the same code paths a real tenant would
 * take (sync cycles, legacy cloud edits, Graph writes, on-prem edits). The result shows the field
 * report's `testmobile` story and every status the product classifies.
 *
 * Times are relative to `now` (the demo always looks fresh); ids and values are deterministic except
 * cloud object ids of sync-provisioned users and audit record ids.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Clock } from '../core/ports';
import { ValidationError, formatIssues } from '../core/errors';
import type { OnPremUser } from '../core/model';
import { SandboxDirectory } from './directory';
import type { SandboxUserSeed, SecondDcOptions } from './directory-entry';
import { userSeedsFromLdif } from './directory-ldif';
import { SyncSimulator } from './sync';
import type { SandboxSyncRule } from './connect-rules';
import { TenantStore } from './tenant';
import type { AuditActor, TenantUser } from './tenant-model';
import { DEMO_BASE_DN, DEMO_CAST, DEMO_CLOUD_ONLY, type CastMember, type DemoRole } from './demo-cast';
import { deterministicGuid } from './ids';
import { mulberry32 } from '../core/prng';

export const DEMO_TENANT_ID = '7d3c1a52-5b8e-4f0a-9c61-2e4d8b9f0a13';
export const DEMO_INITIAL_DOMAIN = 'contoso-sandbox.onmicrosoft.com';
export const DEMO_SYNC_SERVER = 'AADCONNECT01';

/**
 * The demo's custom Entra Connect rule (#18): Pune's users get their mobile in E.164 on the way to
 * Entra ID, so without the engine's view they look like format-only drift, with it rule-formatted.
 * No cast member lives in Pune. Not in the state file: buildDemo and restoreSandbox both set it.
 */
export const DEMO_SYNC_RULES: readonly SandboxSyncRule[] = [
  { name: 'Custom - In from AD - Mobile E.164 (Pune)', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Pune,DC=corp,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '91' } },
];

const DAY = 86_400_000;
const MIN = 60_000;

/** A clock the demo script moves by hand; once released it follows the system clock. */
export class ScriptedClock implements Clock {
  private fixed: number | null;
  constructor(start: Date | null) {
    this.fixed = start ? start.getTime() : null;
  }
  now(): Date {
    return new Date(this.fixed ?? Date.now());
  }
  set(t: number): void {
    this.fixed = t;
  }
  release(): void {
    this.fixed = null;
  }
}

export interface DemoOptions {
  /** "Now" of the story (default: the system time). The history ends shortly before it. */
  now?: Date;
  /** LDIF text; default: loadDemoLdif(). */
  ldif?: string;
  /** Simulate a second DC with this replication lag (remediation can wait for replication). */
  secondDc?: SecondDcOptions | null;
  /**
   * Keep the scripted clock frozen at `now` after building (tests). Default false: the returned
   * objects follow the system clock from then on.
   */
  freezeClock?: boolean;
}

export interface DemoPerson {
  sam: string;
  role: DemoRole | 'scatter-override' | 'scatter-format' | 'scatter-cleared' | 'scatter-pending';
  dn: string;
  upn: string;
  /** Cloud object id, null when the person has none (unmatched-onprem). */
  cloudUserId: string | null;
}

export interface SandboxDemo {
  directory: SandboxDirectory;
  tenant: TenantStore;
  sync: SyncSimulator;
  /** The scripted clock (released unless freezeClock). */
  clock: ScriptedClock;
  /** Who plays which part, for tests, docs and the UI's guided tour. */
  people: DemoPerson[];
  builtAt: string;
}

/**
 * Reads the demo directory: SYNCDRIFT_DEMO_LDIF, else assets/demo/directory.ldif next to the source
 * tree or a dist/ bundle (both sit two folders below the root), else dist/assets/demo/.
 */
export function loadDemoLdif(path?: string): string {
  const explicit = path ?? process.env.SYNCDRIFT_DEMO_LDIF;
  const candidates = explicit
    ? [explicit]
    : [
        new URL('../../assets/demo/directory.ldif', import.meta.url),
        new URL('../assets/demo/directory.ldif', import.meta.url),
      ].map((u) => fileURLToPath(u));
  for (const file of candidates) {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      if (explicit) throw new ValidationError(file, 'the demo directory could not be read', { cause: e });
    }
  }
  throw new ValidationError(candidates.join(' or '), 'the demo directory was not found (set SYNCDRIFT_DEMO_LDIF to its path)');
}


/** Another text of the same number, as people retype it (separators dropped or added). */
export function reformatNumber(v: string): string {
  const compact = v.replace(/[\s\-().]/g, '');
  if (compact !== v) return compact;
  const plus = compact.startsWith('+') ? '+' : '';
  const d = compact.replace(/^\+/, '');
  return `${plus}${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`.trim();
}

/** A different number with the same shape: the last four digits changed. */
function otherNumber(v: string, rnd: () => number): string {
  let changed = 0;
  const chars = v.split('');
  for (let i = chars.length - 1; i >= 0 && changed < 4; i--) {
    const c = chars[i] ?? '';
    if (/\d/.test(c)) {
      chars[i] = String((Number(c) + 1 + Math.floor(rnd() * 8)) % 10);
      changed++;
    }
  }
  return chars.join('');
}

/** Builds the demo state with its whole scripted history. */
export async function buildDemo(options: DemoOptions = {}): Promise<SandboxDemo> {
  const now = (options.now ?? new Date()).getTime();
  const clock = new ScriptedClock(new Date(now - 400 * DAY));
  const at = (t: number) => clock.set(t);
  const rnd = mulberry32(1212);

  const seeds = userSeedsFromLdif(options.ldif ?? loadDemoLdif(), 'directory.ldif');
  const castBySam = new Map(DEMO_CAST.map((m) => [m.sam, m]));
  const heldBack = new Map<string, SandboxUserSeed>();
  const directory = new SandboxDirectory({ clock, baseDn: DEMO_BASE_DN, secondDc: options.secondDc ?? null });
  for (const seed of seeds) {
    const cast = seed.samAccountName ? castBySam.get(seed.samAccountName) : undefined;
    // People who join after the last cycle exist on-prem only from then on.
    if (cast?.role === 'unmatched-onprem') heldBack.set(cast.sam, seed);
    else directory.addUser(seed);
  }
  const tenant = new TenantStore({
    clock,
    tenantId: DEMO_TENANT_ID,
    organization: {
      displayName: 'Contoso (sandbox demo)',
      initialDomain: DEMO_INITIAL_DOMAIN,
      verifiedDomains: [DEMO_INITIAL_DOMAIN, 'contoso.com'],
    },
  });
  const sync = new SyncSimulator(directory, tenant, { clock, server: DEMO_SYNC_SERVER, rules: DEMO_SYNC_RULES });

  // Cloud-only accounts, among them the help desk that did the legacy edits.
  at(now - 420 * DAY);
  const helpdeskUser = tenant.createUser({
    id: deterministicGuid('demo-cloud/helpdesk'),
    userPrincipalName: `kim.akers@${DEMO_INITIAL_DOMAIN}`,
    displayName: 'Kim Akers (Help Desk)',
    usageLocation: 'US',
  });
  const helpdesk: AuditActor = {
    kind: 'user',
    id: helpdeskUser.id,
    userPrincipalName: helpdeskUser.userPrincipalName,
    displayName: helpdeskUser.displayName,
    ipAddress: '203.0.113.24',
  };
  for (const c of DEMO_CLOUD_ONLY) {
    tenant.createUser({
      id: deterministicGuid(`demo-cloud/${c.upnLocal}`),
      userPrincipalName: `${c.upnLocal}@contoso.com`,
      displayName: c.displayName,
      mobilePhone: c.mobilePhone,
    });
  }

  // Connect is installed: the first (initial) cycle provisions every in-scope user.
  at(now - 400 * DAY);
  await runSync(sync, 'initial');

  // Ordinary churn over the year: people change phones, the delta cycles carry it.
  const population = directory.allUsers().filter((u) => u.inScope && !castBySam.has(u.samAccountName ?? ''));
  population.sort((a, b) => (a.samAccountName ?? '').localeCompare(b.samAccountName ?? ''));
  at(now - 200 * DAY);
  for (const u of population) {
    if (u.mobile && rnd() < 0.06) directory.modifyUser(u.dn, { mobile: otherNumber(u.mobile, rnd) });
  }
  at(now - 200 * DAY + 30 * MIN);
  await runSync(sync, 'delta');

  const cloudOf = (u: OnPremUser): TenantUser => {
    const c = tenant.findByImmutableId(u.sourceAnchor);
    if (!c) throw new Error(`demo: ${u.samAccountName} was not provisioned`);
    return c;
  };
  const self = (c: TenantUser): AuditActor => ({
    kind: 'user',
    id: c.id,
    userPrincipalName: c.userPrincipalName,
    displayName: c.displayName,
    ipAddress: '198.51.100.7',
  });
  const people: DemoPerson[] = [];
  const onPrem = (sam: string): OnPremUser => {
    const u = directory.find(sam);
    if (!u) throw new Error(`demo: ${sam} is not in the demo directory`);
    return u;
  };

  // The field report: 8035551212 synced at install; 9991112222 syncs; a cloud edit to 1234567890
  // sets the override; on-prem 0987654321 is then ignored. Every step after install lies inside the
  // 30-day audit retention, so the timeline can tell the whole story (the sync record's old value
  // is 8035551212).
  const tm = onPrem('testmobile');
  at(now - 25 * DAY);
  directory.modifyUser(tm.dn, { mobile: '9991112222' });
  at(now - 25 * DAY + 30 * MIN);
  await runSync(sync, 'delta');
  at(now - 20 * DAY);
  tenant.legacyCloudEdit(cloudOf(tm).id, '1234567890', helpdesk);
  at(now - 12 * DAY);
  directory.modifyUser(tm.dn, { mobile: '0987654321' });
  at(now - 12 * DAY + 30 * MIN);
  await runSync(sync, 'delta');
  people.push({
    sam: 'testmobile',
    role: 'field-report',
    dn: tm.dn,
    upn: cloudOf(tm).userPrincipalName,
    cloudUserId: cloudOf(tm).id,
  });

  // The cast's cloud edits, in time order.
  const edits = DEMO_CAST.filter((m) => m.editedDaysAgo !== undefined).sort(
    (a, b) => (b.editedDaysAgo ?? 0) - (a.editedDaysAgo ?? 0),
  );
  for (const m of edits) castEdit(m);
  function castEdit(m: CastMember): void {
    const u = onPrem(m.sam);
    const c = cloudOf(u);
    const actor = m.editedBy === 'self' ? self(c) : helpdesk;
    const t = now - (m.editedDaysAgo ?? 1) * DAY;
    switch (m.role) {
      case 'cloud-override':
      case 'format-only':
      case 'cloud-missing':
      case 'onprem-missing':
        at(t);
        tenant.legacyCloudEdit(c.id, m.cloudValue ?? null, actor);
        break;
      case 'alternate-edited':
        at(t);
        tenant.legacyCloudEdit(c.id, null, actor, {
          property: 'alternateMobilePhones',
          alternateMobilePhones: m.cloudAlternates ?? [],
        });
        break;
      case 'once-synced':
        // Taken out of sync long ago (object converted to cloud-only); Graph accepts edits since.
        at(t - 90 * DAY);
        tenant.stopSync(c.id);
        at(t);
        expectWrite(tenant.cloudWrite(c.id, { mobilePhone: m.cloudValue ?? null }, helpdesk), m.sam);
        break;
      case 'cloud-managed':
        at(t - 2 * DAY);
        tenant.setCloudManaged(c.id, true, helpdesk);
        at(t);
        expectWrite(tenant.cloudWrite(c.id, { mobilePhone: m.cloudValue ?? null }, helpdesk), m.sam);
        break;
      default:
        break;
    }
  }

  // Scattered old edits across the population, so the grid has the proportions of a real tenant.
  for (const u of population) {
    const r = rnd();
    const t = now - Math.floor(2 + rnd() * 120) * DAY - Math.floor(rnd() * 600) * MIN;
    const c = tenant.findByImmutableId(u.sourceAnchor);
    if (!c || !u.mobile) continue;
    const actor = rnd() < 0.6 ? self(c) : helpdesk;
    if (r < 0.05) {
      at(t);
      tenant.legacyCloudEdit(c.id, otherNumber(u.mobile, rnd), actor);
      people.push({
        sam: u.samAccountName ?? '',
        role: 'scatter-override',
        dn: u.dn,
        upn: c.userPrincipalName,
        cloudUserId: c.id,
      });
    } else if (r < 0.08) {
      at(t);
      tenant.legacyCloudEdit(c.id, reformatNumber(u.mobile), actor);
      people.push({ sam: u.samAccountName ?? '', role: 'scatter-format', dn: u.dn, upn: c.userPrincipalName, cloudUserId: c.id });
    } else if (r < 0.09) {
      at(t);
      tenant.legacyCloudEdit(c.id, null, actor);
      people.push({
        sam: u.samAccountName ?? '',
        role: 'scatter-cleared',
        dn: u.dn,
        upn: c.userPrincipalName,
        cloudUserId: c.id,
      });
    }
  }

  // Regular cycles; the last one shortly before "now".
  at(now - 1 * DAY);
  await runSync(sync, 'delta');
  at(now - 35 * MIN);
  await runSync(sync, 'delta');

  // After the last cycle: AD changes not synced yet, a new hire, two leavers.
  at(now - 20 * MIN);
  for (const m of DEMO_CAST.filter((x) => x.role === 'pending-sync'))
    directory.modifyUser(onPrem(m.sam).dn, { mobile: m.laterOnPrem ?? null });
  const scatterPending = population.filter(() => rnd() < 0.03);
  for (const u of scatterPending) {
    const fresh = directory.find(u.samAccountName ?? '');
    if (fresh?.mobile && !people.some((p) => p.sam === fresh.samAccountName)) {
      directory.modifyUser(fresh.dn, { mobile: otherNumber(fresh.mobile, rnd) });
      const c = tenant.findByImmutableId(fresh.sourceAnchor);
      people.push({
        sam: fresh.samAccountName ?? '',
        role: 'scatter-pending',
        dn: fresh.dn,
        upn: c?.userPrincipalName ?? '',
        cloudUserId: c?.id ?? null,
      });
    }
  }
  at(now - 15 * MIN);
  for (const seed of heldBack.values()) directory.addUser({ ...seed, whenCreated: new Date(now - 15 * MIN).toISOString() });
  at(now - 10 * MIN);
  const leavers = DEMO_CAST.filter((m) => m.role === 'unmatched-cloud').map((m) => onPrem(m.sam));
  const leaverClouds = leavers.map((u) => cloudOf(u));
  for (const u of leavers) directory.deleteUser(u.dn);

  // Who is who, for tests and the guided tour.
  for (const m of DEMO_CAST) {
    if (m.role === 'field-report') continue;
    if (m.role === 'unmatched-cloud') {
      const i = leavers.findIndex((u) => u.samAccountName === m.sam);
      const c = leaverClouds[i];
      people.push({
        sam: m.sam,
        role: m.role,
        dn: leavers[i]?.dn ?? '',
        upn: c?.userPrincipalName ?? '',
        cloudUserId: c?.id ?? null,
      });
      continue;
    }
    const u = onPrem(m.sam);
    const c = tenant.findByImmutableId(u.sourceAnchor);
    people.push({ sam: m.sam, role: m.role, dn: u.dn, upn: c?.userPrincipalName ?? u.upn ?? '', cloudUserId: c?.id ?? null });
  }

  at(now);
  if (!options.freezeClock) clock.release();
  return { directory, tenant, sync, clock, people, builtAt: new Date(now).toISOString() };
}

/** The help desk account of the demo, as the initiator of legacy edits made from the UI. */
export function demoHelpdeskActor(tenant: TenantStore): AuditActor {
  const u = tenant.findByUpn(`kim.akers@${DEMO_INITIAL_DOMAIN}`);
  if (!u)
    return { kind: 'user', id: deterministicGuid('demo-cloud/helpdesk'), userPrincipalName: `kim.akers@${DEMO_INITIAL_DOMAIN}` };
  return { kind: 'user', id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName };
}

/** Rebuilds the demo from scratch (the UI's "Reset demo"). The caller swaps its references. */
export function resetDemo(options: DemoOptions = {}): Promise<SandboxDemo> {
  return buildDemo(options);
}

function expectWrite(r: ReturnType<TenantStore['cloudWrite']>, sam: string): void {
  if (!r.ok) throw new Error(`demo: the Graph write for ${sam} was refused (${r.reason})`);
}

async function runSync(sync: SyncSimulator, type: 'delta' | 'initial'): Promise<void> {
  const report = await sync.runCycle(type);
  // The story must not go on over a broken cycle: it would show statuses the script did not make.
  if (report.errors.length > 0)
    throw new Error(`demo: the ${type} cycle failed: ${report.errors.map((e) => e.message).join('; ')}`);
}

// ---- persistence (the workspace stores this blob so a demo survives a restart) ----------------

const SandboxBlob = z.object({
  format: z.literal('syncdrift-sandbox'),
  version: z.literal(1),
  builtAt: z.string(),
  directory: z.string(),
  tenant: z.unknown(),
  sync: z.string(),
  people: z.array(
    z.object({ sam: z.string(), role: z.string(), dn: z.string(), upn: z.string(), cloudUserId: z.string().nullable() }),
  ),
});

/** The whole sandbox (both sides and the simulator) as one JSON text. */
export function serializeSandbox(demo: SandboxDemo): string {
  return JSON.stringify({
    format: 'syncdrift-sandbox',
    version: 1,
    builtAt: demo.builtAt,
    directory: demo.directory.serialize(),
    tenant: demo.tenant.serialize(),
    sync: demo.sync.serialize(),
    people: demo.people,
  });
}

/** Restores serializeSandbox() output; the objects follow the system clock (or `clock`). */
export function restoreSandbox(json: string, options: { clock?: Clock } = {}): SandboxDemo {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ValidationError('sandbox state', 'is not JSON', { cause: e });
  }
  const parsed = SandboxBlob.safeParse(raw);
  if (!parsed.success) throw new ValidationError('sandbox state', formatIssues(parsed.error.issues));
  const clock = new ScriptedClock(null);
  const effective: Clock = options.clock ?? clock;
  const directory = SandboxDirectory.fromSerialized(parsed.data.directory, { clock: effective });
  const tenant = TenantStore.restore(parsed.data.tenant, { clock: effective });
  const sync = new SyncSimulator(directory, tenant, { clock: effective, rules: DEMO_SYNC_RULES });
  sync.restore(parsed.data.sync);
  return { directory, tenant, sync, clock, people: parsed.data.people as DemoPerson[], builtAt: parsed.data.builtAt };
}
