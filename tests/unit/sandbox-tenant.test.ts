import { describe, expect, it } from 'vitest';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';
import type { Clock } from '../../main/core/ports';

function testClock(start = Date.parse('2025-03-01T08:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

const admin: AuditActor = {
  kind: 'user',
  id: '11111111-1111-1111-1111-111111111111',
  userPrincipalName: 'admin@contoso.example',
};

function syncedUser(store: TenantStore, n: number) {
  return store.syncWrite({
    kind: 'add',
    immutableId: `anchor${n}==`,
    server: 'CONNECT01',
    attributes: {
      userPrincipalName: `user${n}@contoso.example`,
      displayName: `User ${n}`,
      mobilePhone: `+1 425 555 01${String(n).padStart(2, '0')}`,
    },
  });
}

describe('sandbox tenant store', () => {
  it('keeps the cloud mobile after a legacy edit until the bypass is enabled', () => {
    const clock = testClock();
    const store = new TenantStore({ clock });
    const id = syncedUser(store, 1).userId!;
    store.legacyCloudEdit(id, '+1 206 555 0199', admin);
    const r1 = store.syncWrite({
      kind: 'update',
      immutableId: 'anchor1==',
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 425 555 0142' },
    });
    expect(r1.suppressedByOverride).toEqual(['mobilePhone']);
    expect(store.getUser(id)!.mobilePhone).toBe('+1 206 555 0199');
    store.setFeatures({ bypassDirSyncOverridesEnabled: true }, admin);
    const r2 = store.syncWrite({
      kind: 'update',
      immutableId: 'anchor1==',
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 425 555 0142' },
    });
    expect(r2.applied).toEqual(['mobilePhone']);
    expect(store.getUser(id)!.mobilePhone).toBe('+1 425 555 0142');
  });

  it('writes sync audit records with DirectorySync as action client and a Sync_ initiator', () => {
    const store = new TenantStore({ clock: testClock() });
    syncedUser(store, 2);
    store.syncWrite({
      kind: 'update',
      immutableId: 'anchor2==',
      server: 'CONNECT01',
      attributes: { mobilePhone: '+1 425 555 9999' },
    });
    const page = store.queryAudits({ activityDisplayName: 'Update user', top: 10 });
    expect(page.records).toHaveLength(1);
    const rec = page.records[0]!;
    expect(rec.initiatedBy.kind === 'user' && rec.initiatedBy.userPrincipalName).toMatch(/^Sync_CONNECT01_[0-9a-f]{12}@/);
    const props = rec.targets[0]!.modifiedProperties;
    expect(props.find((p) => p.displayName === 'Action Client Name')?.newValue).toBe('"DirectorySync"');
    const mobile = props.find((p) => p.displayName === 'Mobile')!;
    expect(JSON.parse(mobile.oldValue!)).toEqual(['+1 425 555 0102']);
    expect(JSON.parse(mobile.newValue!)).toEqual(['+1 425 555 9999']);
  });

  it('refuses a cloud write of mobilePhone for a synced user and accepts it once cloud managed', () => {
    const store = new TenantStore({ clock: testClock() });
    const id = syncedUser(store, 3).userId!;
    expect(store.cloudWrite(id, { mobilePhone: '+1 1' }, admin)).toEqual({
      ok: false,
      reason: 'onprem-mastered',
      properties: ['mobilePhone'],
    });
    store.setCloudManaged(id, true, admin);
    expect(store.cloudWrite(id, { mobilePhone: '+1 1' }, admin)).toEqual({ ok: true, changed: ['mobilePhone'] });
  });

  it('pages the audit log newest first and hides records outside retention', () => {
    const clock = testClock();
    const store = new TenantStore({ clock, auditRetentionDays: 7 });
    const id = syncedUser(store, 4).userId!;
    for (let i = 0; i < 5; i++) {
      clock.advance(3 * 86_400_000);
      store.legacyCloudEdit(id, `+1 555 000${i}`, admin);
    }
    const p1 = store.queryAudits({ targetId: id, activityDisplayName: 'Update user', top: 1 });
    expect(p1.records.map((r) => r.targets[0]!.modifiedProperties[0]!.newValue)).toEqual(['["+1 555 0004"]']);
    const p2 = store.queryAudits({ targetId: id, activityDisplayName: 'Update user', top: 10, after: p1.next! });
    // 7 days back from the last edit: edits 3 (3 days before) and 2 (6 days before) remain.
    expect(p2.records.map((r) => r.targets[0]!.modifiedProperties[0]!.newValue)).toEqual(['["+1 555 0003"]', '["+1 555 0002"]']);
    expect(p2.next).toBeNull();
  });

  it('round-trips through serialize/restore with hidden state and delta sequence intact', () => {
    const clock = testClock();
    const store = new TenantStore({ clock });
    const id = syncedUser(store, 5).userId!;
    store.legacyCloudEdit(id, '+44 20 7946 0000', admin);
    const { clientSecret, app } = store.registerApp({ displayName: 'reader', appRoles: ['User.Read.All'] });
    const json = JSON.parse(JSON.stringify(store.serialize())) as unknown;
    expect(JSON.stringify(json)).not.toContain(clientSecret!);
    const back = TenantStore.restore(json, { clock });
    expect(back.getUser(id)!.dirSyncOverride).toBe(true);
    expect(back.currentSeq).toBe(store.currentSeq);
    expect(back.verifyClientSecret(app.appId, clientSecret!)).toBe(true);
    expect(back.queryAudits({ targetId: id, top: 10 }).records).toHaveLength(2);
    expect(() => TenantStore.restore({ format: 'syncdrift-sandbox-tenant', version: 1 })).toThrow(/tenantId/);
  });

  it('reports changes since a delta sequence, deletions included', () => {
    const store = new TenantStore({ clock: testClock() });
    syncedUser(store, 6);
    const b = syncedUser(store, 7).userId!;
    const token = store.currentSeq;
    store.syncWrite({ kind: 'delete', immutableId: 'anchor6==', server: 'CONNECT01' });
    store.legacyCloudEdit(b, '+1 555 7777', admin);
    const changed = [...store.changedSince(token)];
    expect(changed.map((u) => [u.userPrincipalName, u.deletedAt !== null])).toEqual([
      ['user6@contoso.example', true],
      ['user7@contoso.example', false],
    ]);
    expect(store.userCount).toBe(1);
  });
});
