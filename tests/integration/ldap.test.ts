/**
 * The LDAP adapter against a real Samba AD DC (tests/support/samba.ts): paging, scope, decoders on
 * real binary values, incremental rescans, compare-and-set writes, TLS and bind errors.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { BerReader, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncDriftError } from '../../main/core/errors';
import type { OnPremUser } from '../../main/core/model';
import { guidFromText } from '../../main/onprem/decoders';
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile, type OnPremSourceInput } from '../../main/core/onprem-profile';
import { sambaSkipReason, SPECIAL, startSambaDc, TEST_USER_PASSWORD, userDn, type SambaDc, type TestUser } from '../support/samba';

const unavailable = sambaSkipReason();

const BULK = 240;

describe.skipIf(unavailable !== null)('LDAP adapter against a Samba AD DC', () => {
  let dc: SambaDc;
  const opened: LdapDirectory[] = [];

  beforeAll(async () => {
    dc = await startSambaDc({ name: 'ldap-it', users: BULK });
  });
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await dc?.stop();
  });

  function directory(overrides: Partial<OnPremSourceInput> = {}, password?: string): LdapDirectory {
    const [source] = parseOnPremProfile({ url: dc.url, bindDn: dc.adminUpn, baseDn: dc.baseDn, caFile: dc.caFile, ...overrides });
    if (!source) throw new Error('no source');
    const d = new LdapDirectory(source, { getPassword: async () => password ?? dc.password });
    opened.push(d);
    return d;
  }

  async function scanAll(d: LdapDirectory, options: Parameters<LdapDirectory['scan']>[0] = {}) {
    const pages: OnPremUser[][] = [];
    const it = d.scan(options);
    for (;;) {
      const n = await it.next();
      if (n.done) return { pages, users: pages.flat(), result: n.value };
      pages.push(n.value);
    }
  }

  async function admin(): Promise<Client> {
    const c = new Client({ url: dc.url, tlsOptions: { ca: readFileSync(dc.caFile) } });
    await c.bind(dc.bindDn, dc.password);
    return c;
  }

  const byRole = (sam: string): TestUser => {
    const u = dc.users.find((x) => x.sAMAccountName === sam);
    if (!u) throw new Error(`no generated user ${sam}`);
    return u;
  };

  async function errorOf(p: Promise<unknown>): Promise<SyncDriftError> {
    try {
      await p;
    } catch (e) {
      if (e instanceof SyncDriftError) return e;
      throw e;
    }
    throw new Error('expected an error');
  }

  it('streams every in-scope user in more than one page, with progress', async () => {
    const events: number[] = [];
    const waits: Array<{ pages: number; message: string }> = [];
    const { pages, users, result } = await scanAll(directory(), {
      pageSize: 50,
      heartbeatMs: 1,
      onProgress: (e) => {
        events.push(e.pages ?? 0);
        if (e.message) waits.push({ pages: e.pages ?? 0, message: e.message });
      },
    });
    expect(pages.length).toBeGreaterThan(1);
    const expected = dc.users.filter((u) => u.expectInScope).map((u) => u.sAMAccountName).sort();
    expect(users.map((u) => u.samAccountName).sort()).toEqual(expected);
    expect(result.objects).toBe(expected.length);
    expect(result.incremental).toBe(false);
    expect(result.watermark?.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.max(...events)).toBe(pages.length);
    // While the DC computed the first page, progress kept ticking and said why nothing came yet.
    expect(waits.find((w) => w.pages === 0)?.message).toMatch(/waiting for the DC to return the first page/);
  });

  it("leaves out what Entra Connect's default scope leaves out, and says why when asked", async () => {
    const { users } = await scanAll(directory(), { includeOutOfScope: true, pageSize: 500 });
    const reason = (sam: string) => users.find((u) => u.samAccountName === sam)?.scopeReason;
    expect(reason('Administrator')).toMatch(/critical system object/);
    expect(reason('krbtgt')).toMatch(/critical system object/);
    expect(reason('MSOL_0a1b2c3d4e5f')).toMatch(/MSOL_/);
    expect(reason('AAD_0123456789ab')).toMatch(/AAD_/);
    expect(reason('SUPPORT_388945a0')).toMatch(/SUPPORT_388945a0/);
    expect(reason('CAS_{4f2e}')).toMatch(/CAS_/);
    expect(reason('excluded.desc')).toMatch(/adminDescription/);
    for (const u of dc.users) {
      const got = users.find((x) => x.samAccountName === u.sAMAccountName);
      expect(got?.inScope, u.sAMAccountName).toBe(u.expectInScope);
    }
  });

  it('scans only the selected search bases and ANDs a validated extra filter', async () => {
    const { users } = await scanAll(directory({ searchBases: [`OU=Special,${dc.baseDn}`], filter: '(c=US)' }));
    const expected = dc.users.filter((u) => u.ou === 'Special' && u.expectInScope && u.c === 'US').map((u) => u.sAMAccountName).sort();
    expect(users.map((u) => u.samAccountName).sort()).toEqual(expected);
    expect(() => directory({ filter: '(c=US' })).toThrow(/onPrem.filter/);
  });

  it("keeps unicode, apostrophes, commas and multi-values intact", async () => {
    const { users } = await scanAll(directory({ searchBases: [`OU=Special,${dc.baseDn}`] }));
    const zoe = users.find((u) => u.samAccountName === SPECIAL.apostrophe);
    expect(zoe?.displayName).toBe("Zoë O'Brien");
    expect(zoe?.otherMobile.sort()).toEqual(['+353 86 000 0001', '+353 86 000 0002']);
    expect(zoe?.dn).toBe(userDn(byRole(SPECIAL.apostrophe)));
    const smith = users.find((u) => u.samAccountName === SPECIAL.comma);
    expect(smith?.dn).toBe(`CN=Smith\\, John,OU=Special,${dc.baseDn}`);
    expect(users.find((u) => u.samAccountName === 'taro.yamada')?.displayName).toBe('山田 太郎');
    const star = await directory().readUser(userDn(byRole(SPECIAL.star)));
    expect(star?.displayName).toBe('Star*Man (Ops)');
  });

  it('anchors on mS-DS-ConsistencyGuid where set, on objectGUID elsewhere, and decodes the SID', async () => {
    const d = directory();
    const casey = await d.readUser(userDn(byRole(SPECIAL.consistency)));
    const given = byRole(SPECIAL.consistency).consistencyGuid?.toString('base64');
    expect(casey?.consistencyGuid).toBe(given);
    expect(casey?.sourceAnchor).toBe(given);
    expect(guidFromText(casey?.objectGuid ?? '').toString('base64')).not.toBe(given);
    const zoe = await d.readUser(userDn(byRole(SPECIAL.apostrophe)));
    expect(zoe?.consistencyGuid).toBeNull();
    expect(zoe?.sourceAnchor).toBe(guidFromText(zoe?.objectGuid ?? '').toString('base64'));
    expect(zoe?.objectSid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
    const byGuid = directory({ sourceAnchor: 'objectGUID' });
    const casey2 = await byGuid.readUser(userDn(byRole(SPECIAL.consistency)));
    expect(casey2?.sourceAnchor).toBe(guidFromText(casey2?.objectGuid ?? '').toString('base64'));
  });

  it('reads the time and version of mobile from replPropertyMetaData, and a write bumps them', async () => {
    const d = directory();
    const dn = userDn(byRole(SPECIAL.star));
    const before = await d.readUser(dn);
    expect(before?.changes.mobile?.source).toBe('replPropertyMetaData');
    const v0 = before?.changes.mobile?.version ?? 0;
    expect(v0).toBeGreaterThanOrEqual(1);
    const t0 = Date.now();
    const res = await d.writeMobile({ dn, expected: before?.mobile ?? null, next: '+44 20 7946 0000' });
    expect(res.previous).toBe('+44 20 7946 0958');
    // Windows counts one modify as one version; Samba 4.17 counts the delete and the add (+2).
    expect(res.change?.version).toBeGreaterThan(v0);
    expect(Math.abs(Date.parse(res.change?.changedAt ?? '') - t0)).toBeLessThan(5_000);
    const states = await d.replicaStates(dn);
    expect(states).toEqual([{ dc: dc.url, value: '+44 20 7946 0000', change: res.change }]);
  });

  it('refuses a stale write in AD itself and returns the previous value of a good one', async () => {
    const d = directory();
    const dn = userDn(byRole(SPECIAL.comma));
    const stale = await errorOf(d.writeMobile({ dn, expected: '+1 000 000 0000', next: '+1 425 555 0111' }));
    expect(stale.kind).toBe('conflict');
    expect(stale.message).toMatch(/now '425-555-0178'/);
    const addOnTop = await errorOf(d.writeMobile({ dn, expected: null, next: '+1 425 555 0111' }));
    expect(addOnTop.kind).toBe('conflict');
    expect((await d.readUser(dn))?.mobile).toBe('425-555-0178');
    const ok = await d.writeMobile({ dn, expected: '425-555-0178', next: '+1 425 555 0111' });
    expect(ok.previous).toBe('425-555-0178');
    expect((await d.readUser(dn))?.mobile).toBe('+1 425 555 0111');
    const cleared = await d.writeMobile({ dn, expected: '+1 425 555 0111', next: null });
    expect(cleared.written).toBeNull();
    expect((await d.readUser(dn))?.mobile).toBeNull();
  });

  it('names the missing right when the bind account may not write mobile', async () => {
    const reader = directory({ bindDn: `${SPECIAL.reader}@${dc.upnSuffix}` }, TEST_USER_PASSWORD);
    const e = await errorOf(reader.writeMobile({ dn: userDn(byRole(SPECIAL.apostrophe)), expected: '+353 87 123 4567', next: '+353 87 000 0000' }));
    expect(e.kind).toBe('permission');
    expect(e.message).toMatch(/Write mobile/);
  });

  it('incremental rescan sees exactly the changed, deleted and moved users', async () => {
    const bases = ['Staff', 'Contractors', 'Special', 'Service Accounts'].map((ou) => `OU=${ou},${dc.baseDn}`);
    const d = directory({ searchBases: bases });
    const first = await scanAll(d, { pageSize: 200 });
    const mark = first.result.watermark;
    expect(mark).not.toBeNull();
    const staff = first.users.filter((u) => u.dn.includes('OU=Staff'));
    const [changed, deleted, moved] = staff;
    if (!changed || !deleted || !moved || !mark) throw new Error('need three staff users');
    await d.writeMobile({ dn: changed.dn, expected: changed.mobile, next: '+1 425 555 9999' });
    const c = await admin();
    try {
      await c.del(deleted.dn);
      await c.modifyDN(moved.dn, `CN=${moved.dn.slice(3).split(/(?<!\\),/)[0]},OU=Outside,${dc.baseDn}`);
    } finally {
      await c.unbind();
    }
    const second = await scanAll(d, { since: mark });
    expect(second.result.incremental).toBe(true);
    const got = new Map(second.users.map((u) => [u.objectGuid, u]));
    expect([...got.keys()].sort()).toEqual([changed.objectGuid, deleted.objectGuid, moved.objectGuid].sort());
    expect(got.get(changed.objectGuid)).toMatchObject({ mobile: '+1 425 555 9999', inScope: true, isDeleted: false });
    expect(got.get(deleted.objectGuid)?.isDeleted).toBe(true);
    expect(got.get(moved.objectGuid)).toMatchObject({ inScope: false, scopeReason: 'outside the scanned search bases', isDeleted: false });
    expect(second.result.watermark?.highestUsn).toBeGreaterThan(mark.highestUsn);
    const none = await scanAll(d, { since: second.result.watermark ?? undefined });
    expect(none.users).toEqual([]);
    const other = await scanAll(d, { since: { invocationId: '00000000-0000-0000-0000-000000000000', highestUsn: 1 }, pageSize: 1000 });
    expect(other.result.incremental).toBe(false);
  });

  it("asks the DC for the profile's time limit on every search, not ldapts' 10 s default", async () => {
    // A DC computes the first page of a paged search over the whole result set; Samba needs more
    // than 10 s for that from about 50k users and then aborts the scan with "Operations error".
    const d = directory({ timeouts: { connectMs: 10_000, operationMs: 300_000 } });
    await d.watermark();
    const socket = (d as unknown as { client: { socket: { write: (...a: unknown[]) => boolean } } }).client.socket;
    const sent: Buffer[] = [];
    const write = socket.write.bind(socket);
    socket.write = (...a: unknown[]) => {
      if (Buffer.isBuffer(a[0])) sent.push(a[0]);
      return write(...a);
    };
    const { pages } = await scanAll(d, { pageSize: 100 });
    expect(pages.length).toBeGreaterThan(1);
    expect(await d.readUser(userDn(byRole(SPECIAL.consistency)))).not.toBeNull();
    // LDAPMessage { messageID, [APPLICATION 3] SearchRequest { base, scope, deref, sizeLimit, timeLimit, ... } }
    const timeLimits = sent.flatMap((b) => {
      const r = new BerReader(b);
      r.readSequence();
      r.readInt();
      if (r.readSequence() !== 0x63) return [];
      r.readString();
      r.readEnumeration();
      r.readEnumeration();
      r.readInt();
      return [r.readInt()];
    });
    // RootDSE + invocationId, one request per page, and the single-user read.
    expect(timeLimits.length).toBeGreaterThanOrEqual(pages.length + 3);
    expect(new Set(timeLimits)).toEqual(new Set([300]));
  });

  it('works over StartTLS with the test CA and stops when cancelled', async () => {
    const d = directory({ url: dc.ldapUrl });
    const ac = new AbortController();
    const it = d.scan({ pageSize: 20, signal: ac.signal });
    const firstPage = await it.next();
    expect(firstPage.done).toBe(false);
    ac.abort();
    const e = await errorOf(it.next());
    expect(e.kind).toBe('cancelled');
  });

  it('fails clearly on an untrusted CA, a wrong pin, and accepts the right pin', async () => {
    const untrusted = await errorOf(directory({ caFile: dc.untrustedCaFile }).readUser(dc.bindDn));
    expect(untrusted.kind).toBe('connection');
    expect(untrusted.code).toBe('LDAP_TLS_UNTRUSTED');
    expect(untrusted.message).toMatch(/not issued by a trusted CA.*caFile/);
    const noCa = await errorOf(directory({ caFile: undefined }).readUser(dc.bindDn));
    expect(noCa.code).toBe('LDAP_TLS_UNTRUSTED');
    const pinned = await errorOf(directory({ certificatePin: '00'.repeat(32) }).readUser(dc.bindDn));
    expect(pinned.code).toBe('LDAP_TLS_PIN');
    const conf = readFileSync(`${dc.dcDir}/../tls/server-${dc.host}.pem`);
    const good = directory({ certificatePin: new X509Certificate(conf).fingerprint256 });
    expect((await good.readUser(dc.bindDn))?.samAccountName).toBe('Administrator');
  });

  it("maps AD's bind sub-codes to what an admin can act on", async () => {
    const wrong = await errorOf(directory({}, 'not-the-password').readUser(dc.bindDn));
    expect(wrong).toMatchObject({ kind: 'auth', code: 'LDAP_BIND_52E' });
    expect(wrong.message).toBe(`LDAP bind refused for ${dc.adminUpn}: the password is wrong (AD 52e).`);
    const disabled = await errorOf(directory({ bindDn: `${SPECIAL.disabled}@${dc.upnSuffix}` }, TEST_USER_PASSWORD).readUser(dc.bindDn));
    expect(disabled.code).toBe('LDAP_BIND_533');
    const mustChange = await errorOf(directory({ bindDn: `${SPECIAL.mustChange}@${dc.upnSuffix}` }, TEST_USER_PASSWORD).readUser(dc.bindDn));
    expect(mustChange.code).toBe('LDAP_BIND_773');
    const svc = directory({ bindDn: `SYNCDRIFT\\${SPECIAL.serviceAccount}` }, TEST_USER_PASSWORD);
    expect((await svc.readUser(dc.bindDn))?.samAccountName).toBe('Administrator');
  });

  it('refuses plain LDAP unless allowed, and reports a DC that is not there', async () => {
    expect(() => directory({ url: dc.ldapUrl, startTls: false })).toThrow(/allowPlainLdap/);
    const plain = await errorOf(directory({ url: dc.ldapUrl, startTls: false, allowPlainLdap: true }).readUser(dc.bindDn));
    expect(plain.kind).toBe('auth');
    expect(plain.code).toBe('LDAP_STRONG_AUTH');
    const down = await errorOf(directory({ url: `ldaps://${dc.host}:1636`, timeouts: { connectMs: 2000, operationMs: 5000 } }).readUser(dc.bindDn));
    expect(down).toMatchObject({ kind: 'connection', code: 'LDAP_REFUSED' });
  });
});
