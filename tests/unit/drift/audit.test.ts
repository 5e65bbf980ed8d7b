import { describe, expect, it } from 'vitest';
import { parseDirectoryAudits, parseAuditValue } from '../../../main/drift/audit';

const target = (id: string, props: Array<{ displayName: string; oldValue?: string; newValue?: string }>) => ({
  id,
  displayName: null,
  type: 'User',
  userPrincipalName: 'adele.vance@contoso.com',
  modifiedProperties: props,
});

const record = (over: Record<string, unknown>) => ({
  id: 'Directory_0c4f1a2b-1111-4e5f-9a7b-000000000001_ABC12_1',
  category: 'UserManagement',
  correlationId: '5b7e1c3d-2222-4a1b-8c9d-0123456789ab',
  result: 'success',
  resultReason: '',
  activityDisplayName: 'Update user',
  activityDateTime: '2024-05-07T09:15:42.8101234Z',
  loggedByService: 'Core Directory',
  operationType: 'Update',
  initiatedBy: { app: null, user: { id: '9e1d5f7a-0000-4000-8000-000000000010', displayName: null, userPrincipalName: 'admin@contoso.onmicrosoft.com', ipAddress: '' } },
  targetResources: [target('87d349ed-44d7-43e1-9a83-5f2406dee5bd', [
    { displayName: 'MobilePhone', oldValue: '["+1 425 555 0100"]', newValue: '["+1 206 555 0199"]' },
    { displayName: 'Included Updated Properties', oldValue: '', newValue: '"MobilePhone"' },
  ])],
  additionalDetails: [],
  ...over,
});

describe('directoryAudit parser', () => {
  it('extracts a cloud edit with its actor and values', () => {
    const r = parseDirectoryAudits({ '@odata.context': 'x', value: [record({})] });
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]).toMatchObject({
      targetId: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
      actor: 'admin@contoso.onmicrosoft.com',
      actorKind: 'user',
      syncWrite: false,
      oldValue: '+1 425 555 0100',
      newValue: '+1 206 555 0199',
    });
  });

  it('recognises sync writes by Action Client Name and by Sync_/ConnectSyncProvisioning_ initiators', () => {
    const byClient = record({
      id: 'r2',
      initiatedBy: { user: { userPrincipalName: 'someone@contoso.com' } },
      targetResources: [target('u2', [
        { displayName: 'Mobile', oldValue: '[]', newValue: '["+1 425 555 0101"]' },
        { displayName: 'Action Client Name', oldValue: '', newValue: '["DirectorySync"]' },
      ])],
    });
    const bySyncUser = record({ id: 'r3', initiatedBy: { user: { userPrincipalName: 'Sync_DC01_8a1b2c3d4e5f@contoso.onmicrosoft.com' } }, targetResources: [target('u3', [{ displayName: 'Mobile', newValue: '["1"]' }])] });
    const byApp = record({ id: 'r4', initiatedBy: { app: { displayName: 'ConnectSyncProvisioning_DC01_0123abcd' }, user: null }, targetResources: [target('u4', [{ displayName: 'MobilePhone', newValue: '[]' }])] });
    const r = parseDirectoryAudits([byClient, bySyncUser, byApp]);
    expect(r.changes.map((c) => c.syncWrite)).toEqual([true, true, true]);
    expect(r.changes[2]).toMatchObject({ actor: 'ConnectSyncProvisioning_DC01_0123abcd', actorKind: 'app', newValue: null });
    expect(r.changes[0]!.oldValue).toBeNull();
  });

  it('keeps the latest change per user whatever the input order', () => {
    const older = record({ id: 'a', activityDateTime: '2024-05-01T00:00:00Z' });
    const newer = record({ id: 'b', activityDateTime: '2024-06-01T00:00:00Z' });
    expect(parseDirectoryAudits([newer, older]).latestByUser.get('87d349ed-44d7-43e1-9a83-5f2406dee5bd')?.recordId).toBe('b');
    expect(parseDirectoryAudits([older, newer]).latestByUser.get('87d349ed-44d7-43e1-9a83-5f2406dee5bd')?.recordId).toBe('b');
  });

  it('ignores other activities, failures and updates that do not touch the mobile phone', () => {
    const r = parseDirectoryAudits([
      record({ id: 'x1', activityDisplayName: 'Add user' }),
      record({ id: 'x2', result: 'failure' }),
      record({ id: 'x3', targetResources: [target('u9', [{ displayName: 'Department', newValue: '["Sales"]' }])] }),
    ]);
    expect(r.changes).toHaveLength(0);
    expect(r.skipped).toBe(0);
  });

  it('skips malformed records with a counted warning naming the field', () => {
    const r = parseDirectoryAudits([record({ id: 'ok' }), { id: 'bad', activityDisplayName: 'Update user', activityDateTime: 'yesterday', targetResources: [] }, 42, null]);
    expect(r.changes).toHaveLength(1);
    expect(r.skipped).toBe(3);
    expect(r.warnings[0]).toMatch(/^audit record \[1\]: activityDateTime/);
  });

  it('reads the string forms of values', () => {
    expect(parseAuditValue('["+1 425 555 0100"]')).toBe('+1 425 555 0100');
    expect(parseAuditValue('[]')).toBeNull();
    expect(parseAuditValue('"DirectorySync"')).toBe('DirectorySync');
    expect(parseAuditValue('+1 425 555 0100')).toBe('+1 425 555 0100');
    expect(parseAuditValue(null)).toBeNull();
  });
});

describe('Cloud Sync writes and "Included Updated Properties" (#17 point 7)', () => {
  it('counts the Cloud Sync service account and the provisioning service app as sync writes, not cloud edits', () => {
    // Cloud Sync writes carry no "Action Client Name: DirectorySync" in the sandbox (and none is documented).
    const byCloudSyncAccount = record({
      id: 'cs1',
      initiatedBy: { app: null, user: { id: 'a1', displayName: 'On-Premises Directory Synchronization Service Account', userPrincipalName: 'ADToAADSyncServiceAccount@contoso.onmicrosoft.com' } },
      targetResources: [target('u10', [
        { displayName: 'Mobile', oldValue: '["+1 425 555 0100"]', newValue: '["+1 425 555 0177"]' },
        { displayName: 'Included Updated Properties', oldValue: '', newValue: '"Mobile"' },
      ])],
    });
    const bySyncFabric = record({
      id: 'cs2',
      initiatedBy: { user: null, app: { appId: '00000014-0000-0000-c000-000000000000', displayName: 'Microsoft.Azure.SyncFabric', servicePrincipalId: null } },
      targetResources: [target('u11', [
        { displayName: 'Mobile', oldValue: '[]', newValue: '["+1 425 555 0178"]' },
        { displayName: 'Included Updated Properties', oldValue: '', newValue: '"Mobile"' },
      ])],
    });
    const r = parseDirectoryAudits([byCloudSyncAccount, bySyncFabric]);
    expect(r.changes.map((c) => [c.targetId, c.syncWrite, c.syncEngine])).toEqual([
      ['u10', true, 'cloud-sync'],
      ['u11', true, 'cloud-sync'],
    ]);
  });

  it('names the engine of Connect writes too', () => {
    const r = parseDirectoryAudits([record({ id: 'c1', initiatedBy: { user: { userPrincipalName: 'Sync_DC01_8a1b2c3d4e5f@contoso.onmicrosoft.com' } }, targetResources: [target('u12', [{ displayName: 'Mobile', newValue: '["1"]' }])] })]);
    expect(r.changes[0]).toMatchObject({ syncWrite: true, syncEngine: 'connect' });
    expect(parseDirectoryAudits([record({})]).changes[0]).toMatchObject({ syncWrite: false, syncEngine: null });
  });

  it('takes the mobile change from "Included Updated Properties" where the value entry is missing', () => {
    const r = parseDirectoryAudits([
      record({
        id: 'inc1',
        targetResources: [target('u13', [
          { displayName: 'Included Updated Properties', oldValue: '', newValue: '"TelephoneNumber, Mobile"' },
          { displayName: 'TelephoneNumber', oldValue: '["1"]', newValue: '["2"]' },
        ])],
      }),
    ]);
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]).toMatchObject({ targetId: 'u13', valuesRecorded: false, oldValue: null, newValue: null });
  });

  it('does not take a record for a mobile change when its "Included Updated Properties" does not name mobile', () => {
    const r = parseDirectoryAudits([
      record({
        id: 'inc2',
        targetResources: [target('u14', [
          // A record that carries the value but says it updated only the office phone.
          { displayName: 'Mobile', oldValue: '["+1 425 555 0100"]', newValue: '["+1 425 555 0100"]' },
          { displayName: 'Included Updated Properties', oldValue: '', newValue: '"TelephoneNumber"' },
        ])],
      }),
    ]);
    expect(r.changes).toHaveLength(0);
  });
});
