import { describe, expect, it } from 'vitest';
import { SandboxDirectory } from '../../main/sandbox/directory';
import { guidBytesToText, guidTextToBytes, sidBytesToText } from '../../main/sandbox/ids';
import { parseLdif } from '../../main/sandbox/ldif';
import { SyncDriftError, ValidationError } from '../../main/core/errors';
import type { OnPremUser } from '../../main/core/model';
import type { OnPremDirectory, ScanOptions, ScanResult } from '../../main/onprem/port';

class ManualClock {
  constructor(private t: number) {}
  now = () => new Date(this.t);
  advance(ms: number) {
    this.t += ms;
  }
}

// The GUID of this example is the one Microsoft's docs use to show the byte order.
const GUID = '0c1b6bd7-e1f8-4a1d-8d5a-5e2d3f0a9b11';
const GUID_B64 = guidTextToBytes(GUID).toString('base64');
const SID_BYTES = Buffer.from('010500000000000515000000a1b2c3d4e5f6a7b8c9d0e1f252040000', 'hex');
const CONSISTENCY = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');

const LDIF = `version: 1

# a comment that is ignored
dn: CN=Tim McMichael,OU=Users,DC=corp,DC=contoso,DC=com
objectClass: user
sAMAccountName: testmobile
userPrincipalName: testmobile@contoso.com
displayName: Tim McMichael
objectGUID:: ${GUID_B64}
objectSid:: ${SID_BYTES.toString('base64')}
mobile: 8035551212
otherMobile: +1 803 555 0100
otherMobile: +1 803 555 0101
c: US
whenCreated: 20240105090000.0Z

dn: CN=Zoë Ångström,OU=Users,DC=corp,DC=contoso,DC=com
objectClass: user
sAMAccountName: zangstrom
userPrincipalName: zoe.angstrom@contoso.com
displayName:: ${Buffer.from('Zoë Ångström').toString('base64')}
objectGUID: 5a0e6f0a-1d2c-4b3a-9e8f-7a6b5c4d3e2f
mS-DS-ConsistencyGuid:: ${CONSISTENCY}
objectSid: S-1-5-21-1004336348-1177238915-682003330-1105
mobile: +46 70 123 45 
 67

dn: CN=Administrator,CN=Users,DC=corp,DC=contoso,DC=com
objectClass: user
sAMAccountName: Administrator
isCriticalSystemObject: TRUE
mobile: +1 425 555 0100

dn: CN=MSOL_0a1b2c3d4e5f,CN=Users,DC=corp,DC=contoso,DC=com
objectClass: user
sAMAccountName: MSOL_0a1b2c3d4e5f

dn: CN=Sales,OU=Groups,DC=corp,DC=contoso,DC=com
objectClass: group
sAMAccountName: Sales
`;

async function collect(dir: OnPremDirectory, options?: ScanOptions): Promise<{ users: OnPremUser[]; result: ScanResult }> {
  const it = dir.scan(options);
  const users: OnPremUser[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { users, result: r.value };
    users.push(...r.value);
  }
}

const TIM = 'CN=Tim McMichael,OU=Users,DC=corp,DC=contoso,DC=com';

describe('sandbox directory', () => {
  it('loads users from LDIF with their identities encoded as AD holds them', () => {
    const dir = SandboxDirectory.fromLdif(LDIF, { file: 'demo.ldif' });
    const tim = dir.find('testmobile');
    expect(tim?.objectGuid).toBe(GUID);
    // No consistency GUID: the anchor is the objectGUID's raw bytes, not its text.
    expect(tim?.sourceAnchor).toBe(GUID_B64);
    expect(tim?.consistencyGuid).toBeNull();
    expect(tim?.objectSid).toBe('S-1-5-21-3569595041-3098015461-4074885321-1106');
    expect(tim?.otherMobile).toEqual(['+1 803 555 0100', '+1 803 555 0101']);
    expect(tim?.country).toBe('US');
    expect(tim?.changes.mobile).toMatchObject({ changedAt: '2024-01-05T09:00:00.000Z', version: 1, source: 'sandbox' });
    const zoe = dir.find('zoe.angstrom@contoso.com');
    expect(zoe?.displayName).toBe('Zoë Ångström');
    expect(zoe?.sourceAnchor).toBe(CONSISTENCY);
    expect(zoe?.mobile).toBe('+46 70 123 45 67'); // folded line joined
    expect(dir.allUsers()).toHaveLength(4); // the group is not a user
  });

  it('keeps critical system objects and Connect service accounts, out of scope with the reason', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const scoped = await collect(dir);
    expect(scoped.users.map((u) => u.samAccountName).sort()).toEqual(['testmobile', 'zangstrom']);
    const all = await collect(dir, { includeOutOfScope: true });
    const admin = all.users.find((u) => u.samAccountName === 'Administrator');
    expect(admin).toMatchObject({ inScope: false });
    expect(admin?.scopeReason).toMatch(/isCriticalSystemObject/);
    expect(all.users.find((u) => u.samAccountName?.startsWith('MSOL_'))?.scopeReason).toMatch(/MSOL_/);
  });

  it('stamps per-attribute change time and version on each originating write, and skips no-op writes', () => {
    const clock = new ManualClock(Date.parse('2025-03-01T10:00:00Z'));
    const dir = SandboxDirectory.fromLdif(LDIF, { clock });
    const before = dir.find('testmobile');
    clock.advance(60_000);
    const after = dir.modifyUser(TIM, { mobile: '9991112222' });
    expect(after.mobile).toBe('9991112222');
    expect(after.changes.mobile).toMatchObject({ changedAt: '2025-03-01T10:01:00.000Z', version: 2 });
    expect(after.changes.otherMobile?.version).toBe(1);
    expect(after.usnChanged).toBeGreaterThan(before?.usnChanged ?? Infinity);
    clock.advance(60_000);
    const again = dir.modifyUser(TIM, { mobile: '9991112222' });
    expect(again.changes.mobile?.version).toBe(2);
    expect(again.usnChanged).toBe(after.usnChanged);
    const cleared = dir.modifyUser(TIM, { mobile: '' });
    expect(cleared.mobile).toBeNull();
    expect(cleared.changes.mobile?.version).toBe(3);
  });

  it('returns only objects changed since a watermark, tombstones included', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const first = await collect(dir);
    expect(first.result.incremental).toBe(false);
    const mark = first.result.watermark;
    expect(mark?.invocationId).toBe(dir.invocationId);
    dir.modifyUser(TIM, { mobile: '9991112222' });
    dir.deleteUser('CN=Zoë Ångström,OU=Users,DC=corp,DC=contoso,DC=com');
    const delta = await collect(dir, { since: mark ?? undefined });
    expect(delta.result.incremental).toBe(true);
    expect(delta.users.map((u) => [u.samAccountName, u.isDeleted])).toEqual([
      ['testmobile', false],
      ['zangstrom', true],
    ]);
    expect(delta.users[1]?.dn).toMatch(/\\0ADEL:.*CN=Deleted Objects/);
    expect(await dir.readUser('CN=Zoë Ångström,OU=Users,DC=corp,DC=contoso,DC=com')).toBeNull();
    const nothing = await collect(dir, { since: delta.result.watermark ?? undefined });
    expect(nothing.users).toEqual([]);
    const foreign = await collect(dir, { since: { invocationId: '11111111-2222-3333-4444-555555555555', highestUsn: 1 } });
    expect(foreign.result.incremental).toBe(false);
    expect(foreign.users.map((u) => u.samAccountName)).toEqual(['testmobile']);
  });

  it('reports an object that left scope on an incremental read, marked out of scope', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const mark = (await collect(dir)).result.watermark ?? undefined;
    dir.modifyUser(TIM, { adminDescription: 'User_testmobile' });
    const delta = await collect(dir, { since: mark });
    expect(delta.users.map((u) => [u.samAccountName, u.inScope])).toEqual([['testmobile', false]]);
    expect((await collect(dir)).users.map((u) => u.samAccountName)).toEqual(['zangstrom']);
  });

  it('pages the scan and reports progress', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const pages: number[] = [];
    const it = dir.scan({ pageSize: 1, includeOutOfScope: true, onProgress: (e) => pages.push(e.done) });
    let count = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) count += r.value.length === 1 ? 1 : 100;
    expect(count).toBe(4);
    expect(pages).toEqual([1, 2, 3, 4]);
  });

  it('refuses a mobile write whose expected value is stale, and writes when it matches', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const err = await dir.writeMobile({ dn: TIM, expected: '0000000000', next: '1234567890' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncDriftError);
    expect((err as SyncDriftError).kind).toBe('conflict');
    expect((err as SyncDriftError).message).toContain('"8035551212"');
    expect(dir.find('testmobile')?.mobile).toBe('8035551212');
    const ok = await dir.writeMobile({ dn: TIM, expected: '8035551212', next: '1234567890' });
    expect(ok).toMatchObject({ previous: '8035551212', written: '1234567890' });
    expect(ok.change?.version).toBe(2);
    await expect(dir.writeMobile({ dn: TIM, expected: '8035551212', next: null })).rejects.toMatchObject({ kind: 'conflict' });
    await expect(dir.writeMobile({ dn: 'CN=Nobody,DC=corp,DC=contoso,DC=com', expected: null, next: '1' })).rejects.toMatchObject(
      { kind: 'not-found' },
    );
    await expect(dir.writeMobile({ dn: TIM, expected: '1234567890', next: 'x'.repeat(65) })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('shows a second DC that sees a write only after the replication lag', async () => {
    const clock = new ManualClock(Date.parse('2025-03-01T10:00:00Z'));
    const dir = SandboxDirectory.fromLdif(LDIF, { clock, secondDc: { name: 'DC02', lagMs: 5 * 60_000 } });
    clock.advance(10 * 60_000);
    await dir.writeMobile({ dn: TIM, expected: '8035551212', next: '0987654321' });
    clock.advance(60_000);
    const early = await dir.replicaStates(TIM);
    expect(early.map((s) => [s.dc, s.value])).toEqual([
      ['DC01', '0987654321'],
      ['DC02', '8035551212'],
    ]);
    clock.advance(5 * 60_000);
    const later = await dir.replicaStates(TIM, ['DC02']);
    expect(later[0]).toMatchObject({ dc: 'DC02', value: '0987654321' });
    expect(later[0]?.change?.version).toBe(2);
    const unknown = await dir.replicaStates(TIM, ['DC09']);
    expect(unknown[0]?.error).toMatch(/unknown domain controller/);
  });

  it('survives serialize/restore with USNs, metadata and tombstones intact', async () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const mark = (await collect(dir)).result.watermark;
    dir.modifyUser(TIM, { mobile: '9991112222', otherMobile: [] });
    dir.deleteUser('CN=Zoë Ångström,OU=Users,DC=corp,DC=contoso,DC=com');
    const copy = SandboxDirectory.fromSerialized(dir.serialize());
    expect(copy.find('testmobile')).toEqual(dir.find('testmobile'));
    expect(copy.highestCommittedUsn).toBe(dir.highestCommittedUsn);
    const delta = await collect(copy, { since: mark ?? undefined });
    expect(delta.users.map((u) => u.samAccountName)).toEqual(['testmobile', 'zangstrom']);
    expect(() => copy.restore('{"format":"something-else"}')).toThrow(ValidationError);
  });

  it('round-trips its own LDIF export', () => {
    const dir = SandboxDirectory.fromLdif(LDIF);
    const again = SandboxDirectory.fromLdif(dir.toLdif());
    const strip = (u: OnPremUser | null) => u && { ...u, usnChanged: 0, changes: {}, whenChanged: null };
    for (const u of dir.allUsers()) expect(strip(again.find(u.samAccountName ?? ''))).toEqual(strip(u));
  });

  it('names file and line of bad LDIF input', () => {
    expect(() =>
      SandboxDirectory.fromLdif('dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a\nobjectGUID: not-a-guid\n', {
        file: 'bad.ldif',
      }),
    ).toThrow(/bad\.ldif:4/);
    expect(() => parseLdif('dn: CN=a\nthis line is wrong\n', 'x.ldif')).toThrow(/x\.ldif:2/);
    expect(() => parseLdif('dn: CN=a\nchangetype: modify\n', 'x.ldif')).toThrow(/changetype/);
    expect(() =>
      SandboxDirectory.fromLdif('dn: CN=a,DC=x\nsAMAccountName: a\nmobile: ' + '1'.repeat(70) + '\n', { file: 'm.ldif' }),
    ).toThrow(/m\.ldif:3/);
  });
});

describe('identity encodings', () => {
  it('reverses the first three GUID groups, as .NET ToByteArray does', () => {
    expect(guidTextToBytes('00112233-4455-6677-8899-aabbccddeeff').toString('hex')).toBe('33221100554477668899aabbccddeeff');
    expect(guidBytesToText(Buffer.from('33221100554477668899aabbccddeeff', 'hex'))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });
  it('decodes a binary SID', () => {
    expect(sidBytesToText(Buffer.from('01020000000000052000000020020000', 'hex'))).toBe('S-1-5-32-544');
  });
});

describe("Entra Connect's default user scope in the sandbox", () => {
  const dn = (cn: string) => `CN=${cn},CN=Users,DC=corp,DC=contoso,DC=com`;
  it.each([
    [{ dn: dn('a'), samAccountName: 'AAD_1a2b3c' }, /AAD_/],
    [{ dn: dn('b'), samAccountName: 'SUPPORT_388945a0' }, /SUPPORT_388945a0/],
    [{ dn: dn('c'), samAccountName: 'CAS_{1a2b}' }, /CAS_/],
    [
      { dn: dn('d'), samAccountName: 'sm1', mailNickname: 'SystemMailbox{e0dc1c29-89c3-4034-b678-e6c29d823ed9}' },
      /SystemMailbox/,
    ],
    [{ dn: dn('e'), samAccountName: 'sm2', msExchRecipientTypeDetails: 536870912 }, /msExchRecipientTypeDetails/],
    [{ dn: dn('f'), samAccountName: 'wb1', adminDescription: 'User_jdoe' }, /User_/],
  ])('leaves out %o', (seed, reason) => {
    const dir = new SandboxDirectory();
    const u = dir.addUser(seed);
    expect(u.inScope).toBe(false);
    expect(u.scopeReason).toMatch(reason);
  });
  it('keeps ordinary users, mailboxes and CAS_ names without a brace; a change of adminDescription takes one out', () => {
    const dir = new SandboxDirectory();
    expect(dir.addUser({ dn: dn('g'), samAccountName: 'jdoe', msExchRecipientTypeDetails: 1 }).inScope).toBe(true);
    expect(dir.addUser({ dn: dn('h'), samAccountName: 'CAS_admin' }).inScope).toBe(true);
    expect(dir.modifyUser(dn('g'), { adminDescription: 'User_x' }).inScope).toBe(false);
  });
});
