import { describe, expect, it } from 'vitest';
import { ROLE, evaluatePermissions, type Capability, type CapabilityCheck } from '../../main/cloud/permissions';

const byCap = (list: CapabilityCheck[]) => Object.fromEntries(list.map((c) => [c.capability, c])) as Record<Capability, CapabilityCheck>;

describe('permission check', () => {
  it('grants everything to a delegated Global Administrator with the consented scopes', () => {
    const r = byCap(
      evaluatePermissions({
        kind: 'delegated',
        grantedScopes: ['User.Read.All', 'AuditLog.Read.All', 'Directory.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All', 'User-Phone.ReadWrite.All', 'User-OnPremisesSyncBehavior.ReadWrite.All', 'Synchronization.ReadWrite.All'],
        directoryRoleIds: [ROLE.globalAdministrator],
        appRoles: null,
      }),
    );
    for (const c of Object.values(r)) expect(c.state, c.capability).toBe('granted');
  });

  it('restarting the Cloud Sync job needs Synchronization.ReadWrite.All and a role Microsoft documents for it', () => {
    const hybrid = byCap(evaluatePermissions({ kind: 'delegated', grantedScopes: ['Synchronization.ReadWrite.All'], directoryRoleIds: [ROLE.hybridIdentityAdministrator], appRoles: null }));
    expect(hybrid.restartSyncJob.state).toBe('granted');
    const noScope = byCap(evaluatePermissions({ kind: 'delegated', grantedScopes: ['User.Read.All'], directoryRoleIds: [ROLE.globalAdministrator], appRoles: null }));
    expect(noScope.restartSyncJob).toMatchObject({ state: 'missing', grant: expect.stringContaining('Synchronization.ReadWrite.All') });
    const userAdmin = byCap(evaluatePermissions({ kind: 'delegated', grantedScopes: ['Synchronization.ReadWrite.All'], directoryRoleIds: [ROLE.userAdministrator], appRoles: null }));
    expect(userAdmin.restartSyncJob.state).toBe('missing');
    expect(userAdmin.restartSyncJob.grant).toMatch(/Hybrid Identity Administrator/);
    const app = byCap(evaluatePermissions({ kind: 'app', grantedScopes: [], directoryRoleIds: null, appRoles: ['Synchronization.ReadWrite.All'] }));
    expect(app.restartSyncJob.state).toBe('granted');
  });

  it('names the Global Administrator role when a User Administrator tries the bypass', () => {
    const r = byCap(evaluatePermissions({ kind: 'delegated', grantedScopes: ['User.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All', 'User-Phone.ReadWrite.All'], directoryRoleIds: [ROLE.userAdministrator], appRoles: null }));
    expect(r.flipBypass.state).toBe('missing');
    expect(r.flipBypass.grant).toMatch(/Global Administrator/);
    expect(r.writeMobilePhone.state).toBe('granted');
    expect(r.readAuditLog).toMatchObject({ state: 'missing', source: 'scopes' });
    expect(r.readAuditLog.grant).toMatch(/AuditLog\.Read\.All/);
  });

  it('says unknown, not granted, when the ID token carried no wids', () => {
    const r = byCap(evaluatePermissions({ kind: 'delegated', grantedScopes: ['OnPremDirectorySynchronization.Read.All'], directoryRoleIds: null, appRoles: null }));
    expect(r.readBypass.state).toBe('unknown');
    expect(r.readBypass.reason).toMatch(/wids/);
  });

  it('refuses the bypass to an app-only sign-in whatever roles it has', () => {
    const r = byCap(evaluatePermissions({ kind: 'app', grantedScopes: [], directoryRoleIds: null, appRoles: ['Directory.ReadWrite.All'] }));
    expect(r.readBypass).toMatchObject({ state: 'missing', source: 'rule' });
    expect(r.scanUsers.state).toBe('granted');
  });

  it('reports unknown for app sessions without stated roles, and lets a probe decide', () => {
    const r = byCap(evaluatePermissions({ kind: 'app', grantedScopes: [], directoryRoleIds: null, appRoles: null }, { scanUsers: { status: 200 }, readAuditLog: { status: 403, message: 'Insufficient privileges' } }));
    expect(r.writeMobilePhone.state).toBe('unknown');
    expect(r.scanUsers).toMatchObject({ state: 'granted', source: 'probe' });
    expect(r.readAuditLog).toMatchObject({ state: 'missing', source: 'probe' });
    expect(r.readAuditLog.grant).toMatch(/AuditLog\.Read\.All/);
    expect(r.readAuditLog.reason).toMatch(/403: Insufficient privileges/);
  });

  it('needs Directory.Read.All on top of AuditLog.Read.All for an app', () => {
    const r = byCap(evaluatePermissions({ kind: 'app', grantedScopes: [], directoryRoleIds: null, appRoles: ['AuditLog.Read.All'] }));
    expect(r.readAuditLog.state).toBe('missing');
    expect(r.readAuditLog.grant).toMatch(/^Directory\.Read\.All/);
  });
});
