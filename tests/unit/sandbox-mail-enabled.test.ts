/**
 * Mail-enabled synced users answer a Graph write with a different refusal than other synced users
 * (the user source-of-authority how-to: "The error message differs for mail-enabled users, but
 * updates still aren't allowed"). The sandbox tenant models it and the in-process port types it
 * (#17 point 10).
 */
import { describe, expect, it } from 'vitest';
import { sandboxCloudPort } from '../../main/remediation';
import { MAIL_ENABLED_MESSAGE, SOA_MESSAGE } from '../../main/sandbox/graph-users';
import { TenantStore } from '../../main/sandbox/tenant';
import type { AuditActor } from '../../main/sandbox/tenant-model';

const actor: AuditActor = { kind: 'user', id: '00000000-0000-0000-0000-00000000a001', userPrincipalName: 'admin@sandbox.example' };

function tenantWithUsers() {
  const t = new TenantStore();
  const base = { onPremisesSyncEnabled: true, onPremisesLastSyncAt: Date.now(), mobilePhone: '+1 425 555 0100' } as const;
  const mailUser = t.createUser({ ...base, userPrincipalName: 'mail.user@sandbox.example', mail: 'mail.user@sandbox.example', onPremisesImmutableId: 'AAAAAAAAAAAAAAAAAAAAAQ==' });
  const plain = t.createUser({ ...base, userPrincipalName: 'plain.user@sandbox.example', onPremisesImmutableId: 'AAAAAAAAAAAAAAAAAAAAAg==' });
  return { t, mailUser, plain };
}

describe('a mail-enabled synced user refuses a cloud write with its own answer', () => {
  it('the tenant store says why: mail-enabled, nothing applied', () => {
    const { t, mailUser, plain } = tenantWithUsers();
    expect(t.cloudWrite(mailUser.id, { mobilePhone: '+1 425 555 0199' }, actor)).toMatchObject({ ok: false, reason: 'mail-enabled' });
    expect(t.cloudWrite(plain.id, { mobilePhone: '+1 425 555 0199' }, actor)).toMatchObject({ ok: false, reason: 'onprem-mastered' });
    expect(t.getUser(mailUser.id)!.mobilePhone).toBe('+1 425 555 0100');
    expect(MAIL_ENABLED_MESSAGE).not.toBe(SOA_MESSAGE);
  });

  it('survives serialize/restore, and older snapshots without mail restore as not mail-enabled', () => {
    const { t, mailUser } = tenantWithUsers();
    const back = TenantStore.restore(t.serialize());
    expect(back.getUser(mailUser.id)!.mail).toBe('mail.user@sandbox.example');
    const old = JSON.parse(JSON.stringify(t.serialize())) as { users: Record<string, unknown>[] };
    for (const u of old.users) delete u.mail;
    expect(TenantStore.restore(old as never).getUser(mailUser.id)!.mail).toBeNull();
  });

  it('the in-process port types it GRAPH_MAIL_ENABLED_READONLY, other synced users stay GRAPH_SOA_READONLY', async () => {
    const { t, mailUser, plain } = tenantWithUsers();
    const port = sandboxCloudPort(t, { actor });
    const r = await port.patchMobile([
      { userId: mailUser.id, mobilePhone: '+1 425 555 0198' },
      { userId: plain.id, mobilePhone: '+1 425 555 0197' },
    ]);
    expect(r.results[0]).toMatchObject({ ok: false, status: 400, error: { code: 'GRAPH_MAIL_ENABLED_READONLY', kind: 'conflict' } });
    expect(r.results[0]!.error!.message).toMatch(/mail-enabled/);
    expect(r.results[1]).toMatchObject({ ok: false, status: 400, error: { code: 'GRAPH_SOA_READONLY' } });
  });
});
