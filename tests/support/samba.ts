/**
 * Test harness: a real Samba AD domain controller on a loopback address, provisioned and loaded
 * once per (name, users, seed) and cached under .cache/samba/<name>. See docs/testing.md.
 *
 * Safety rules this file keeps:
 * - It only ever signals a process whose pid it recorded itself AND whose command line names this
 *   cache's smb.conf: a DC somebody else started is never touched.
 * - One DC per name at a time, across processes: a lock directory serialises start/stop and lease
 *   files count the users; the last lease holder to call stop() stops the DC.
 * - Every test that mutates the directory gets a pristine copy (reset, the default) when it is the
 *   first user of a stopped DC.
 */
import { spawn, spawnSync, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, openSync, closeSync, statSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { installCommand, missingPackages } from '../../scripts/system-packages.mjs';
import { generateTestUsers, TEST_BASE_DN, TEST_UPN_SUFFIX, userDn, type TestUser } from './ad-users';

export * from './ad-users';

const run = promisify(execFile);

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '..', '..');
/** Bump when the generator or the load changes: cached directories of another version are rebuilt. */
const DATASET_VERSION = 4;

export const SAMBA_REALM = 'SYNCDRIFT.TEST';
export const SAMBA_DOMAIN = 'SYNCDRIFT';
/** Administrator password of every test DC. Test only; never a real secret. */
export const SAMBA_ADMIN_PASSWORD = 'Sync-Drift-Adm1n!';

export interface SambaDcOptions {
  /** Cache key and lock name ([a-z0-9-]); different names get different directories and addresses. */
  name: string;
  /** Bulk users besides the special accounts (half in OU=Staff, half in OU=Contractors). Default 200. */
  users?: number;
  seed?: number;
  /**
   * Restore the pristine loaded directory before starting (default true). Only applies when this
   * call starts the DC; a DC already running for another lease holder is shared as it is.
   */
  reset?: boolean;
  /**
   * The certificate the DC presents on LDAPS/StartTLS: 'valid' (default; SAN = its IP and
   * dc1.syncdrift.test, signed by the test CA) or 'expired' (same names and CA, validity in 2020).
   * A DC already running with the other one is restarted when nobody else holds a lease on it.
   */
  certificate?: ServerCertificate;
  /** Progress lines (provisioning, loading); default: stderr. */
  log?: (line: string) => void;
}

export interface SambaDc {
  name: string;
  /** ldaps://IP:636 */
  url: string;
  /** ldap://IP:389 (StartTLS) */
  ldapUrl: string;
  host: string;
  baseDn: string;
  realm: string;
  upnSuffix: string;
  /** Administrator's DN; `adminUpn` binds too. */
  bindDn: string;
  adminUpn: string;
  password: string;
  /** PEM of the test CA that signed the DC's certificate (SAN = IP and dc1.syncdrift.test). */
  caFile: string;
  /** PEM of a CA that did not sign it, for "untrusted CA" tests. */
  untrustedCaFile: string;
  /** The generated users that were loaded (the pristine state). */
  users: TestUser[];
  /** Provisioned target dir (smb.conf under etc/, sam.ldb under private/), for capture scripts. */
  dcDir: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Why the Samba suites are skipped here, or null. The only reason is "not root": the harness binds
 * ports 389/636 and adds a 127.0.0.N address to lo. tests/support/global-setup.ts prints it once.
 * Missing packages or a DC that cannot be provisioned or started are failures, not skips: startSambaDc
 * throws with the cause.
 */
export function sambaSkipReason(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'not root: the Samba AD DC harness must run as root (it binds ports 389/636 and adds a 127.0.0.N address to lo)';
  }
  return null;
}

/** Throws, naming the missing Debian packages and the command, when the harness cannot run. */
function assertSambaInstalled(): void {
  const needed = ['samba', 'samba-ad-dc', 'samba-ad-provision', 'ldap-utils', 'openssl', 'iproute2', 'python3'];
  const { missing } = missingPackages(needed);
  if (missing.length) {
    throw new Error(`Samba AD DC cannot run: the Debian packages ${missing.join(', ')} are not installed (npm test installs scripts/system-packages.txt; by hand: ${installCommand(missing)})`);
  }
}

export function sambaCacheRoot(): string {
  return process.env.SYNCDRIFT_SAMBA_CACHE ?? join(REPO_ROOT, '.cache', 'samba');
}

interface Manifest {
  version: number;
  users: number;
  seed: number;
  loadSeconds: number;
}

export type ServerCertificate = 'valid' | 'expired';

interface RunState {
  pid: number;
  /** Kernel start time of the process (jiffies since boot): guards against a reused pid. */
  startTime: string;
  ip: string;
  conf: string;
  startedAt: string;
  /** Absent in states written before the option existed: 'valid'. */
  certificate?: ServerCertificate;
}

const inProcess = new Map<string, { refs: number; dc: Promise<SambaDc>; realStop: () => Promise<void> }>();
let leaseCounter = 0;

/**
 * Starts (or joins) the DC called `name`. Several test files, or a test and a benchmark, may call
 * this concurrently: they share one DC, and it stops when the last one calls stop().
 */
export async function startSambaDc(options: SambaDcOptions): Promise<SambaDc> {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(options.name)) throw new Error(`startSambaDc: bad name '${options.name}' (use [a-z0-9-])`);
  const existing = inProcess.get(options.name);
  if (existing) {
    existing.refs++;
    const dc = await existing.dc;
    return { ...dc, stop: () => releaseInProcess(options.name) };
  }
  let realStop: () => Promise<void> = async () => {};
  const dcPromise = startForProcess(options).then((r) => {
    realStop = r.stop;
    const entry = inProcess.get(options.name);
    if (entry) entry.realStop = r.stop;
    return r;
  });
  inProcess.set(options.name, { refs: 1, dc: dcPromise, realStop });
  try {
    const dc = await dcPromise;
    return { ...dc, stop: () => releaseInProcess(options.name) };
  } catch (e) {
    inProcess.delete(options.name);
    throw e;
  }
}

async function releaseInProcess(name: string): Promise<void> {
  const entry = inProcess.get(name);
  if (!entry) return;
  entry.refs--;
  if (entry.refs > 0) return;
  inProcess.delete(name);
  await entry.realStop();
}

async function startForProcess(options: SambaDcOptions): Promise<SambaDc> {
  const reason = sambaSkipReason();
  if (reason) throw new Error(`Samba AD DC unavailable: ${reason}`);
  assertSambaInstalled();
  const log = options.log ?? ((l: string) => process.stderr.write(`[samba:${options.name}] ${l}\n`));
  const users = options.users ?? 200;
  const seed = options.seed ?? 42;
  const certificate = options.certificate ?? 'valid';
  const dir = join(sambaCacheRoot(), options.name);
  mkdirSync(join(dir, 'leases'), { recursive: true });
  const lease = join(dir, 'leases', `${process.pid}-${++leaseCounter}`);

  const release = await lock(dir, log);
  try {
    const generated = generateTestUsers(users, seed);
    const running = runningState(dir);
    const others = liveLeases(dir);
    if (running && others.length === 0) {
      const m = readManifest(dir);
      const matches = m?.users === users && m.seed === seed && m.version === DATASET_VERSION;
      if (options.reset !== false || !matches || (running.certificate ?? 'valid') !== certificate) {
        log(`stopping our own DC (pid ${running.pid}) before a fresh start`);
        await killOurs(dir, running);
      }
    } else if (running && others.length > 0) {
      const m = readManifest(dir);
      if (m?.users !== users || m.seed !== seed) {
        throw new Error(`Samba DC '${options.name}' is running for another user with ${m?.users} users (seed ${m?.seed}); asked for ${users} (seed ${seed}). Use another name.`);
      }
      if ((running.certificate ?? 'valid') !== certificate) {
        throw new Error(`Samba DC '${options.name}' is running for another user with the ${running.certificate ?? 'valid'} certificate; asked for the ${certificate} one. Use another name or wait.`);
      }
    }
    let state = runningState(dir);
    if (!state) {
      await ensureGolden(dir, users, seed, generated, log);
      if (options.reset !== false || !existsSync(join(dir, 'dc', 'etc', 'smb.conf'))) {
        rmSync(join(dir, 'dc'), { recursive: true, force: true });
        await run('cp', ['-a', '--reflink=auto', join(dir, 'golden'), join(dir, 'dc')]);
      }
      const ip = await chooseAddress(options.name, dir);
      await ensureOnLoopback(ip);
      ensureCerts(dir, ip);
      state = await launch(dir, ip, certificate, log);
    }
    writeFileSync(lease, String(process.pid));
    const tls = join(dir, 'tls');
    const s = state;
    const dc: SambaDc = {
      name: options.name,
      url: `ldaps://${s.ip}:636`,
      ldapUrl: `ldap://${s.ip}:389`,
      host: s.ip,
      baseDn: TEST_BASE_DN,
      realm: SAMBA_REALM,
      upnSuffix: TEST_UPN_SUFFIX,
      bindDn: `CN=Administrator,CN=Users,${TEST_BASE_DN}`,
      adminUpn: `Administrator@${TEST_UPN_SUFFIX}`,
      password: SAMBA_ADMIN_PASSWORD,
      caFile: join(tls, 'ca.pem'),
      untrustedCaFile: join(tls, 'untrusted-ca.pem'),
      users: generated,
      dcDir: join(dir, 'dc'),
      pid: s.pid,
      stop: () => stopLease(dir, lease, log),
    };
    return dc;
  } finally {
    release();
  }
}

async function stopLease(dir: string, lease: string, log: (l: string) => void): Promise<void> {
  const release = await lock(dir, log);
  try {
    rmSync(lease, { force: true });
    if (liveLeases(dir).length > 0) return;
    const state = runningState(dir);
    if (state) await killOurs(dir, state);
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------------------------
// Provisioning and loading (cached)

function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

async function ensureGolden(dir: string, users: number, seed: number, generated: TestUser[], log: (l: string) => void): Promise<void> {
  const m = readManifest(dir);
  if (m && m.users === users && m.seed === seed && m.version === DATASET_VERSION && existsSync(join(dir, 'golden', 'private', 'sam.ldb'))) return;
  rmSync(join(dir, 'golden.json'), { force: true });
  rmSync(join(dir, 'golden'), { recursive: true, force: true });
  rmSync(join(dir, 'dc'), { recursive: true, force: true });
  const target = join(dir, 'dc');
  log(`provisioning a Samba AD DC in ${target} (about 10 s)`);
  const t0 = Date.now();
  await run(
    'samba-tool',
    [
      'domain',
      'provision',
      `--targetdir=${target}`,
      `--realm=${SAMBA_REALM}`,
      `--domain=${SAMBA_DOMAIN}`,
      '--server-role=dc',
      '--dns-backend=NONE',
      '--host-name=DC1',
      '--host-ip=127.0.0.1',
      `--adminpass=${SAMBA_ADMIN_PASSWORD}`,
      '--option=interfaces=127.0.0.1',
      '--option=bind interfaces only=yes',
      `--option=pid directory=${join(target, 'run')}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const jsonl = join(dir, 'load.jsonl');
  writeFileSync(jsonl, loadEntries(generated).map((e) => JSON.stringify(e)).join('\n'));
  log(`loading ${generated.length} users offline into sam.ldb (roughly 300-400 users/s on an idle core; cached afterwards)`);
  const stdout = await loadOffline(join(target, 'etc', 'smb.conf'), join(target, 'private', 'sam.ldb'), jsonl, log);
  rmSync(jsonl, { force: true });
  log(`loaded: ${stdout.trim()}`);
  await run('cp', ['-a', '--reflink=auto', target, join(dir, 'golden')]);
  const manifest: Manifest = { version: DATASET_VERSION, users, seed, loadSeconds: Math.round((Date.now() - t0) / 1000) };
  writeFileSync(join(dir, 'golden.json'), JSON.stringify(manifest, null, 2));
}

/** Runs samba-load.py, forwarding its progress lines (stderr) to `log`; resolves with its stdout. */
function loadOffline(conf: string, sam: string, jsonl: string, log: (l: string) => void): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/usr/bin/python3', [join(HERE, 'samba-load.py'), conf, sam, jsonl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const errors: string[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const lines = stderr.split('\n');
      stderr = lines.pop() ?? '';
      for (const l of lines) {
        if (l.startsWith('{"progress"')) log(`load ${l}`);
        else if (l.trim()) errors.push(l);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`samba-load.py exited ${code}: ${[...errors, stderr].join('\n').slice(-2000)}`))));
  });
}

interface LoadEntry {
  dn: string;
  attrs: Record<string, string[]>;
  binary?: Record<string, string[]>;
  /** Written after the add with Samba's bypass control (LDAP accepts only 0 or -1). */
  pwdLastSet?: string;
}

const OUS = ['Staff', 'Contractors', 'Service Accounts', 'Special', 'Moved', 'Outside'];

function loadEntries(users: TestUser[]): LoadEntry[] {
  const out: LoadEntry[] = OUS.map((ou) => ({ dn: `OU=${ou},${TEST_BASE_DN}`, attrs: { objectClass: ['organizationalUnit'] } }));
  for (const u of users) {
    const attrs: Record<string, string[]> = {
      objectClass: ['user'],
      sAMAccountName: [u.sAMAccountName],
      userPrincipalName: [u.userPrincipalName],
      displayName: [u.displayName],
    };
    const opt: Array<[string, string | null]> = [
      ['givenName', u.givenName],
      ['sn', u.sn],
      ['mobile', u.mobile],
      ['telephoneNumber', u.telephoneNumber],
      ['c', u.c],
      ['adminDescription', u.adminDescription],
    ];
    for (const [k, v] of opt) if (v !== null) attrs[k] = [v];
    if (u.otherMobile.length) attrs.otherMobile = u.otherMobile;
    const binary: Record<string, string[]> = {};
    if (u.consistencyGuid) binary['mS-DS-ConsistencyGuid'] = [u.consistencyGuid.toString('base64')];
    if (u.password) {
      binary.unicodePwd = [Buffer.from(`"${u.password}"`, 'utf16le').toString('base64')];
      attrs.userAccountControl = [String(u.disabled ? 514 : 512)];
      if (u.mustChangePassword) attrs.pwdLastSet = ['0'];
    }
    out.push({ dn: userDn(u), attrs, binary, ...(u.passwordLastSet ? { pwdLastSet: u.passwordLastSet } : {}) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Addresses, certificates, process

async function portFree(ip: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({ host: ip, port, exclusive: true }, () => srv.close(() => res(true)));
  });
}

/** A 127.0.0.N this name keeps across runs; claims live in <cache>/ips so two names never share one. */
async function chooseAddress(name: string, dir: string): Promise<string> {
  const claims = join(sambaCacheRoot(), 'ips');
  mkdirSync(claims, { recursive: true });
  const own = readdirSync(claims).find((f) => readFileSync(join(claims, f), 'utf8').trim() === name);
  const candidates = own ? [own] : [];
  for (let n = 20; n < 250; n++) candidates.push(`127.0.0.${n}`);
  for (const ip of candidates) {
    const claim = join(claims, ip);
    if (ip !== own) {
      try {
        closeSync(openSync(claim, 'wx'));
        writeFileSync(claim, name);
      } catch {
        continue; // another name holds it
      }
    }
    if ((await portFree(ip, 389)) && (await portFree(ip, 636))) {
      writeFileSync(join(dir, 'ip'), ip);
      return ip;
    }
    if (ip !== own) rmSync(claim, { force: true });
  }
  throw new Error('No free loopback address 127.0.0.20-249 with ports 389 and 636 free: another LDAP server holds them all.');
}

async function ensureOnLoopback(ip: string): Promise<void> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']);
  if (stdout.includes(`inet ${ip}/`)) return;
  try {
    await run('ip', ['addr', 'add', `${ip}/8`, 'dev', 'lo']);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot add ${ip} to lo (needs root / CAP_NET_ADMIN): ${msg}`, { cause: e });
  }
}

function openssl(args: string[]): void {
  // Synchronous on purpose: tiny, and only once per name/IP.
  const r = spawnSyncChecked('openssl', args);
  if (r !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed`);
}

function spawnSyncChecked(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) process.stderr.write(r.stderr);
  return r.status ?? 1;
}

function makeCa(tls: string, base: string, cn: string): void {
  if (existsSync(join(tls, `${base}.pem`))) return;
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, `${base}.key`), '-out', join(tls, `${base}.pem`), '-days', '3650', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function ensureCerts(dir: string, ip: string): void {
  const tls = join(dir, 'tls');
  mkdirSync(tls, { recursive: true, mode: 0o700 });
  makeCa(tls, 'ca', 'SyncDrift Test CA');
  makeCa(tls, 'untrusted-ca', 'Some Other CA');
  const cert = join(tls, `server-${ip}.pem`);
  const key = join(tls, `server-${ip}.key`);
  const csr = join(tls, `server-${ip}.csr`);
  const ext = join(tls, `server-${ip}.ext`);
  if (!existsSync(cert)) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=dc1.syncdrift.test']);
    writeFileSync(ext, `subjectAltName=IP:${ip},DNS:dc1.syncdrift.test\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', join(tls, 'ca.pem'), '-CAkey', join(tls, 'ca.key'), '-CAcreateserial', '-out', cert, '-days', '3650', '-extfile', ext]);
  }
  const expired = join(tls, `server-${ip}-expired.pem`);
  if (!existsSync(expired)) {
    if (!existsSync(csr)) openssl(['req', '-new', '-key', key, '-out', csr, '-subj', '/CN=dc1.syncdrift.test']);
    // Same key, names and CA, validity in the past: `openssl x509 -req` cannot backdate (OpenSSL
    // 3.0 has no -not_before), `openssl ca -startdate/-enddate` can; it wants a minimal CA setup.
    const caDir = join(tls, 'ca-db');
    rmSync(caDir, { recursive: true, force: true });
    mkdirSync(join(caDir, 'new'), { recursive: true });
    writeFileSync(join(caDir, 'index.txt'), '');
    writeFileSync(join(caDir, 'serial'), '1000\n');
    const cnf = join(caDir, 'ca.cnf');
    writeFileSync(cnf, `[ca]\ndefault_ca = test\n[test]\ndatabase = ${join(caDir, 'index.txt')}\nnew_certs_dir = ${join(caDir, 'new')}\nserial = ${join(caDir, 'serial')}\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n`);
    openssl(['ca', '-batch', '-notext', '-config', cnf, '-cert', join(tls, 'ca.pem'), '-keyfile', join(tls, 'ca.key'), '-in', csr, '-out', expired, '-startdate', '20200101000000Z', '-enddate', '20201231000000Z', '-extfile', ext]);
  }
}

function runningState(dir: string): RunState | null {
  let s: RunState;
  try {
    s = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunState;
  } catch {
    return null;
  }
  if (!isOurSamba(s)) {
    rmSync(join(dir, 'run.json'), { force: true });
    return null;
  }
  return s;
}

/**
 * The only processes this harness ever signals: the executable is samba, it started at the kernel
 * time we recorded when we spawned it (a reused pid fails this), and samba's own pid file in our
 * pid directory names it. Samba rewrites its command line and environment, so those cannot tell.
 */
function isOurSamba(s: RunState): boolean {
  try {
    if (!readlinkSync(`/proc/${s.pid}/exe`).endsWith('/samba')) return false;
    if (processStartTime(s.pid) !== s.startTime) return false;
    const pidFile = join(dirname(dirname(s.conf)), 'run', 'samba.pid');
    return !existsSync(pidFile) || Number(readFileSync(pidFile, 'utf8').trim()) === s.pid;
  } catch {
    return false;
  }
}

function processStartTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; starttime is field 22 overall.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? '';
}

function liveLeases(dir: string): string[] {
  const leases = join(dir, 'leases');
  return readdirSync(leases).filter((f) => {
    const pid = Number(f.split('-')[0]);
    if (pidAlive(pid)) return true;
    rmSync(join(leases, f), { force: true });
    return false;
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killOurs(dir: string, s: RunState): Promise<void> {
  if (!isOurSamba(s)) return;
  // samba -F leads its own process group (spawned detached): the group holds its prefork workers.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-s.pid, sig);
    } catch {
      try {
        process.kill(s.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 100 && isOurSamba(s); i++) await new Promise((r) => setTimeout(r, 100));
  if (isOurSamba(s)) signal('SIGKILL');
  for (let i = 0; i < 50 && pidAlive(s.pid); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(join(dir, 'run.json'), { force: true });
}

async function launch(dir: string, ip: string, certificate: ServerCertificate, log: (l: string) => void): Promise<RunState> {
  const conf = join(dir, 'dc', 'etc', 'smb.conf');
  const tls = join(dir, 'tls');
  const logFile = join(dir, 'samba.log');
  const out = openSync(logFile, 'w');
  const child = spawn(
    '/usr/sbin/samba',
    [
      '-F',
      '--debug-stdout',
      '-s',
      conf,
      '--option=server services=ldap',
      `--option=interfaces=${ip}`,
      '--option=bind interfaces only=yes',
      `--option=pid directory=${join(dir, 'dc', 'run')}`,
      `--option=tls keyfile=${join(tls, `server-${ip}.key`)}`,
      `--option=tls certfile=${join(tls, certificate === 'expired' ? `server-${ip}-expired.pem` : `server-${ip}.pem`)}`,
      `--option=tls cafile=${join(tls, 'ca.pem')}`,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('samba did not start (no pid)');
  const state: RunState = { pid, startTime: processStartTime(pid), ip, conf, startedAt: new Date().toISOString(), certificate };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(state));
  const t0 = Date.now();
  let lastError = '';
  while (Date.now() - t0 < 60_000) {
    if (!pidAlive(pid)) break;
    // An expired certificate is the point of that mode: the probe only asks whether LDAPS answers.
    const tlsOptions = certificate === 'expired' ? { rejectUnauthorized: false } : { ca: readFileSync(join(tls, 'ca.pem')) };
    const client = new Client({ url: `ldaps://${ip}:636`, connectTimeout: 2000, timeout: 5000, tlsOptions });
    try {
      await client.bind(`Administrator@${TEST_UPN_SUFFIX}`, SAMBA_ADMIN_PASSWORD);
      log(`DC up on ${ip} (pid ${pid}) after ${Date.now() - t0} ms`);
      return state;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    } finally {
      await client.unbind().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
  await killOurs(dir, state);
  throw new Error(`Samba DC on ${ip} did not answer LDAPS within 60 s (last error: ${lastError}). samba.log tail:\n${tail}`);
}

// ---------------------------------------------------------------------------------------------
// Cross-process lock: mkdir is atomic; a lock whose holder died is taken over.

async function lock(dir: string, log: (l: string) => void): Promise<() => void> {
  const path = join(dir, '.lock');
  const t0 = Date.now();
  let warned = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(path, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      const age = (() => {
        try {
          return Date.now() - statSync(path).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((holder && !pidAlive(holder)) || (!holder && age > 10_000)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (!warned && Date.now() - t0 > 2000) {
        log(`waiting for another process (pid ${holder}) that is provisioning or starting this DC`);
        warned = true;
      }
      if (Date.now() - t0 > 60 * 60 * 1000) throw new Error(`Timed out waiting for the lock ${path}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
