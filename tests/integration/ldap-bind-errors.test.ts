/**
 * Bind and TLS failures an admin meets, produced for real by the Samba AD DC (the same cached DC
 * as ldap.test.ts): AD's bind sub-codes 532/701/530/531/775, an unknown user, a certificate that
 * does not name the host, and an expired DC certificate. Samba sends the Windows diagnostic
 * format ("… AcceptSecurityContext error, data 775, v1db1"); where it differs from Windows (no 525)
 * the test pins what Samba does and tests/unit/onprem/ldap-errors.test.ts covers the Windows line.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Attribute, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncDriftError } from '../../main/core/errors';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile, type OnPremSourceInput } from '../../main/core/onprem-profile';
import { sambaSkipReason, SPECIAL, startSambaDc, TEST_USER_PASSWORD, type SambaDc } from '../support/samba';

const unavailable = sambaSkipReason();

const BULK = 240;
/** 1970-01-01 as a FILETIME: any accountExpires in the past gives 701. */
const LONG_AGO = '116444736000000000';

describe.skipIf(unavailable !== null)('LDAP bind and TLS failures against a Samba AD DC', () => {
  let dc: SambaDc | null = null;
  let admin: Client | null = null;
  const opened: LdapDirectory[] = [];
  const servers: Server[] = [];

  const the = (): SambaDc => {
    if (!dc) throw new Error('no DC');
    return dc;
  };

  beforeAll(async () => {
    dc = await startSambaDc({ name: 'ldap-it', users: BULK });
    admin = new Client({ url: dc.url, tlsOptions: { ca: readFileSync(dc.caFile) } });
    await admin.bind(dc.bindDn, dc.password);
    const special = `OU=Special,${dc.baseDn}`;
    const pwd = Buffer.from(`"${TEST_USER_PASSWORD}"`, 'utf16le');
    const add = async (cn: string, extra: Record<string, string | Buffer>) => {
      const dn = `CN=${cn},${special}`;
      const attrs: Record<string, string | Buffer> = { objectClass: 'user', sAMAccountName: cn, userPrincipalName: `${cn}@${the().upnSuffix}`, unicodePwd: pwd, userAccountControl: '512', ...extra };
      await admin?.add(dn, Object.entries(attrs).map(([type, v]) => (typeof v === 'string' ? new Attribute({ type, values: [v] }) : new Attribute({ type, values: [v] }))));
      return dn;
    };
    await add('acct.expired', { accountExpires: LONG_AGO });
    // 21 bytes = 168 hours of the week, all bits clear: never allowed to log on.
    await add('no.hours', { logonHours: Buffer.alloc(21) });
    await add('one.workstation', { userWorkstations: 'NOWHERE' });
    // Lockout through a fine-grained password policy on this user only, so the domain policy
    // (and the Administrator the other tests bind as) stays as provisioned.
    const locked = await add('locked.out', {});
    const pso = `CN=syncdrift-lockout-test,CN=Password Settings Container,CN=System,${dc.baseDn}`;
    await admin.add(pso, {
      objectClass: 'msDS-PasswordSettings',
      'msDS-PasswordSettingsPrecedence': '10',
      'msDS-PasswordReversibleEncryptionEnabled': 'FALSE',
      'msDS-PasswordHistoryLength': '0',
      'msDS-PasswordComplexityEnabled': 'FALSE',
      'msDS-MinimumPasswordLength': '0',
      'msDS-MinimumPasswordAge': '0',
      'msDS-MaximumPasswordAge': '-36288000000000',
      'msDS-LockoutThreshold': '2',
      'msDS-LockoutObservationWindow': '-18000000000',
      'msDS-LockoutDuration': '-18000000000',
      'msDS-PSOAppliesTo': locked,
    });
  });

  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    for (const s of servers) s.close();
    await admin?.unbind().catch(() => {});
    // The accounts and the policy added here stay in this DC's copy: the next test file that
    // starts it gets a fresh copy of the loaded directory (reset).
    await dc?.stop();
  });

  function directory(overrides: Partial<OnPremSourceInput> = {}, password?: string): LdapDirectory {
    const d0 = the();
    const [source] = parseOnPremProfile({ url: d0.url, bindDn: d0.adminUpn, baseDn: d0.baseDn, caFile: d0.caFile, timeouts: { connectMs: 5000, operationMs: 10000 }, ...overrides });
    if (!source) throw new Error('no source');
    const d = new LdapDirectory(source, { getPassword: async () => password ?? d0.password });
    opened.push(d);
    return d;
  }

  const asUser = (sam: string, password = TEST_USER_PASSWORD) => directory({ bindDn: `${sam}@${the().upnSuffix}` }, password);

  async function errorOf(p: Promise<unknown>): Promise<SyncDriftError> {
    try {
      await p;
    } catch (e) {
      if (e instanceof SyncDriftError) return e;
      throw e;
    }
    throw new Error('expected an error');
  }

  /** A plain TCP relay on 127.0.0.1 to the DC: TLS still ends at Samba, only the name we dial differs. */
  async function relay(port: number): Promise<number> {
    const target = the().host;
    const server = createServer((inbound: Socket) => {
      const outbound = connect({ host: target, port });
      inbound.pipe(outbound).pipe(inbound);
      const close = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', close);
      outbound.on('error', close);
    });
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('relay has no port');
    return addr.port;
  }

  it('532: a password older than the maximum password age', async () => {
    const e = await errorOf(asUser(SPECIAL.passwordExpired).readUser(the().bindDn));
    expect(e).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_532' });
    expect(e.message).toBe(`LDAP bind refused for ${SPECIAL.passwordExpired}@${the().upnSuffix}: the password has expired (AD 532).`);
  });

  it('701: accountExpires in the past', async () => {
    const e = await errorOf(asUser('acct.expired').readUser(the().bindDn));
    expect(e).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_701' });
    expect(e.message).toMatch(/the account has expired \(AD 701\)/);
  });

  it('530 and 531: logon hours and userWorkstations', async () => {
    const hours = await errorOf(asUser('no.hours').readUser(the().bindDn));
    expect(hours).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_530' });
    expect(hours.message).toMatch(/may not log on at this time \(logon hours\)/);
    const ws = await errorOf(asUser('one.workstation').readUser(the().bindDn));
    expect(ws).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_531' });
    expect(ws.message).toMatch(/may not log on from this workstation/);
  });

  it('775: locked out after the threshold of wrong passwords, even with the right one', async () => {
    for (let i = 0; i < 2; i++) {
      const wrong = await errorOf(asUser('locked.out', `wrong-${i}`).readUser(the().bindDn));
      expect(wrong.code).toBe('LDAP_BIND_52E');
    }
    const e = await errorOf(asUser('locked.out').readUser(the().bindDn));
    expect(e).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_775' });
    expect(e.message).toMatch(/the account is locked out \(AD 775\)/);
  });

  it('an unknown user: Samba answers 52e (Windows sends 525), by UPN, DN and DOMAIN\\name alike', async () => {
    // Samba does not tell a missing account from a wrong password; the admin still sees the
    // bind name in the message, and the 525 mapping is covered on the Windows text in unit tests.
    for (const bindDn of [`nobody.here@${the().upnSuffix}`, `CN=Nobody Here,OU=Special,${the().baseDn}`, 'SYNCDRIFT\\nobody.here']) {
      const e = await errorOf(directory({ bindDn }, TEST_USER_PASSWORD).readUser(the().bindDn));
      expect(e.code, bindDn).toBe('LDAP_BIND_52E');
      expect(e.message).toContain(`for ${bindDn}`);
    }
  });

  it('a certificate that does not name the host we dialled (LDAPS and StartTLS)', async () => {
    const ldaps = await relay(636);
    for (const host of ['127.0.0.1', 'localhost']) {
      const e = await errorOf(directory({ url: `ldaps://${host}:${ldaps}` }).readUser(the().bindDn));
      expect(e, host).toMatchObject({ kind: 'connection', code: 'LDAP_TLS_NAME' });
      expect(e.message).toMatch(/does not name this host/);
    }
    const ldap = await relay(389);
    const e = await errorOf(directory({ url: `ldap://localhost:${ldap}` }).readUser(the().bindDn));
    expect(e).toMatchObject({ kind: 'connection', code: 'LDAP_TLS_NAME' });
    // The relay itself is transparent: with the name check switched off the same path binds.
    const through = new Client({ url: `ldaps://127.0.0.1:${ldaps}`, tlsOptions: { ca: readFileSync(the().caFile), checkServerIdentity: () => undefined } });
    try {
      await through.bind(the().bindDn, the().password);
    } finally {
      await through.unbind().catch(() => {});
    }
  });

  it('an expired DC certificate (the DC restarted with one issued for 2020)', async () => {
    const running = the();
    await running.stop();
    dc = null;
    dc = await startSambaDc({ name: 'ldap-it', users: BULK, reset: false, certificate: 'expired' });
    const e = await errorOf(directory().readUser(the().bindDn));
    expect(e).toMatchObject({ kind: 'connection', code: 'LDAP_TLS_EXPIRED' });
    expect(e.message).toBe(`TLS to ${the().url} failed: the DC's certificate has expired. Renew it on the DC.`);
  });
});
