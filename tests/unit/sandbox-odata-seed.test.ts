import { describe, expect, it } from 'vitest';
import { parseFilter, TokenCodec, FilterSyntaxError } from '../../main/sandbox/odata';
import { anchorBytes, seedPeople, seedTenant } from '../../main/sandbox/seed';
import { TenantStore } from '../../main/sandbox/tenant';

describe('sandbox $filter parser', () => {
  it('reads the clauses the Graph readers send', () => {
    expect(parseFilter("onPremisesSyncEnabled eq true and userPrincipalName eq 'o''brien@contoso.example'")).toEqual([
      { op: 'eq', prop: 'onPremisesSyncEnabled', value: true },
      { op: 'eq', prop: 'userPrincipalName', value: "o'brien@contoso.example" },
    ]);
    expect(parseFilter("id in ('a', 'b')")).toEqual([{ op: 'in', prop: 'id', values: ['a', 'b'] }]);
    expect(parseFilter("activityDateTime ge 2025-04-01T00:00:00Z and targetResources/any(t: t/id eq 'x')")).toEqual([
      { op: 'ge', prop: 'activityDateTime', value: '2025-04-01T00:00:00Z' },
      { op: 'any-eq', prop: 'targetResources/id', value: 'x' },
    ]);
    expect(parseFilter("startswith(displayName,'Ad')")).toEqual([{ op: 'startswith', prop: 'displayName', value: 'Ad' }]);
  });

  it('refuses what it does not understand instead of ignoring it', () => {
    expect(() => parseFilter("a eq 'x' or b eq 'y'")).toThrow(FilterSyntaxError);
    expect(() => parseFilter("a eq 'x")).toThrow(/unterminated/);
    expect(() => parseFilter('a has 1')).toThrow(/operator/);
  });
});

describe('opaque tokens', () => {
  it('round-trips and rejects tampering or another endpoint', () => {
    const c = new TokenCodec(Buffer.alloc(32, 1));
    const t = c.encode('users', { o: 42 });
    expect(c.decode('users', t)).toEqual({ o: 42 });
    expect(c.decode('audits', t)).toBeUndefined();
    const [body, mac] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'users', p: { o: 1 } })).toString('base64url');
    expect(c.decode('users', `${forged}.${mac}`)).toBeUndefined();
    expect(body).not.toContain('42');
  });
});

describe('seeded population', () => {
  it('is identical for the same seed and has valid anchors, SIDs and GUIDs', () => {
    const a = [...seedPeople({ count: 50, seed: 9 })];
    const b = [...seedPeople({ count: 50, seed: 9 })];
    expect(a).toEqual(b);
    expect([...seedPeople({ count: 50, seed: 10 })][0]!.id).not.toBe(a[0]!.id);
    for (const p of a) {
      expect(anchorBytes(p)).toHaveLength(16);
      expect(anchorBytes(p).toString('base64')).toBe(p.immutableId);
      expect(p.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(p.sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(p.dn).toMatch(/^CN=.+,OU=Staff,DC=contoso,DC=example$/);
    }
    expect(new Set(a.map((p) => p.immutableId)).size).toBe(50);
  });

  it('seeds synced users with overrides that hold against sync', () => {
    const store = new TenantStore();
    const r = seedTenant(store, { count: 400, seed: 3, overrideRate: 0.1, unsyncedRate: 0.05 });
    expect(store.userCount).toBe(400);
    const overridden = [...store.listUsers()].filter((u) => u.dirSyncOverride);
    expect(overridden).toHaveLength(r.overrides);
    expect(r.overrides).toBeGreaterThan(20);
    const u = overridden[0]!;
    const res = store.syncWrite({
      kind: 'update',
      immutableId: u.onPremisesImmutableId!,
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 1' },
    });
    expect(res.suppressedByOverride).toEqual(['mobilePhone']);
  });
});

describe('loopback redirect URIs', () => {
  it('match on any port for localhost, exactly otherwise', async () => {
    const { redirectMatches } = await import('../../main/sandbox/identity');
    expect(redirectMatches('http://localhost', 'http://localhost:51234')).toBe(true);
    expect(redirectMatches('http://localhost', 'http://localhost:51234/')).toBe(true);
    expect(redirectMatches('http://localhost', 'http://127.0.0.1:51234')).toBe(false);
    expect(redirectMatches('http://localhost', 'http://localhost:51234/other')).toBe(false);
    expect(redirectMatches('https://app.example/cb', 'https://app.example/cb')).toBe(true);
    expect(redirectMatches('https://app.example/cb', 'https://evil.example/cb')).toBe(false);
  });
});
