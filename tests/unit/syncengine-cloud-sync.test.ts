/**
 * Cloud Sync's view per user from provisioning logs (#18): the newest successful export of mobile
 * is what Cloud Sync exported; a newer failure is an error with its code and reason, a newer skip is
 * not-exported; a user whose logs never touch mobile gets no engine object; a failure logged before
 * the user had a cloud object (source id only) still joins by its anchor.
 */
import { describe, expect, it } from 'vitest';
import { buildCloudSyncEngineObjects, type CloudSyncLogView } from '../../main/syncengine/cloud-sync';

const mapping = { target: 'mobile' as const, objectMapping: 'Provision Active Directory users', expression: 'direct', sources: ['mobile'], transforms: false, functions: [] };
const entry = (p: Partial<CloudSyncLogView> & { id: string; activityDateTime: string }): CloudSyncLogView => ({
  action: 'update',
  status: 'success',
  errorCode: null,
  reason: null,
  sourceId: '1a2b3c4d-0000-4000-8000-000000000001',
  sourceName: 'A',
  targetId: 'oid-1',
  modified: [],
  steps: [],
  ...p,
});
const build = (logs: CloudSyncLogView[]) => buildCloudSyncEngineObjects({ jobId: 'AD2AADProvisioning.t.x', schemaOrigin: '/schema', mappings: [mapping], logs });

describe('Cloud Sync engine objects from provisioning logs', () => {
  it('takes the newest successful export of mobile, even when later runs did not touch it', () => {
    const { objects } = build([
      entry({ id: 'old', activityDateTime: '2026-12-01T00:00:00Z', modified: [{ name: 'mobile', oldValue: null, newValue: '+1 1' }] }),
      entry({ id: 'new', activityDateTime: '2026-12-02T00:00:00Z', modified: [{ name: 'mobile', oldValue: '+1 1', newValue: '+1 2' }, { name: 'otherMobile', oldValue: null, newValue: '["+1 3"]' }] }),
      entry({ id: 'later', activityDateTime: '2026-12-03T00:00:00Z', modified: [{ name: 'displayName', oldValue: 'a', newValue: 'b' }] }),
    ]);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ engine: 'cloud-sync', state: 'exported', cloudId: 'oid-1', exported: { mobile: '+1 2', otherMobile: ['+1 3'] }, exportedAt: '2026-12-02T00:00:00Z', evidence: [{ source: 'provisioning-log', origin: '/auditLogs/provisioning/new' }, { source: 'synchronization-schema' }] });
    expect(objects[0]!.rule).toMatchObject({ name: 'Provision Active Directory users: mobile', expression: 'direct', precedence: null });
    expect(objects[0]!.sourceAnchor).toBe('TTwrGgAAAECAAAAAAAAAAQ==');
  });

  it('a newer failure is an error naming code and reason; a newer skip is not-exported', () => {
    const [failed] = build([
      entry({ id: 'ok', activityDateTime: '2026-12-01T00:00:00Z', modified: [{ name: 'mobile', oldValue: null, newValue: '+1 1' }] }),
      entry({ id: 'bad', activityDateTime: '2026-12-02T00:00:00Z', status: 'failure', errorCode: 'AzureActiveDirectoryConflictEncountered', reason: 'Another object holds the proxy address.' }),
    ]).objects;
    expect(failed).toMatchObject({ state: 'error', exported: null, evidence: [{ origin: '/auditLogs/provisioning/bad' }, { source: 'synchronization-schema' }] });
    expect(failed!.reason).toMatch(/provisioning failed 2026-12-02 00:00 UTC \(AzureActiveDirectoryConflictEncountered: Another object holds the proxy address\.\)/);
    const [skipped] = build([entry({ id: 's', activityDateTime: '2026-12-02T00:00:00Z', status: 'skipped', errorCode: 'NotEffectivelyEntitled', reason: 'The user is out of scope.' })]).objects;
    expect(skipped).toMatchObject({ state: 'not-exported' });
    expect(skipped!.reason).toMatch(/skipped the user .*NotEffectivelyEntitled: The user is out of scope/);
  });

  it('gives no object for a user whose logs never touch mobile, and folds source-only failures into the user', () => {
    expect(build([entry({ id: 'd', activityDateTime: '2026-12-02T00:00:00Z', modified: [{ name: 'displayName', oldValue: 'a', newValue: 'b' }] })]).objects).toEqual([]);
    const { objects, stats } = build([
      entry({ id: 'early', activityDateTime: '2026-12-03T00:00:00Z', status: 'failure', targetId: null, errorCode: 'X', reason: 'y' }),
      entry({ id: 'create', activityDateTime: '2026-12-01T00:00:00Z', action: 'create', modified: [{ name: 'mobile', oldValue: null, newValue: '+1 1' }] }),
    ]);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ state: 'error', cloudId: 'oid-1' });
    expect(stats).toMatchObject({ users: 1, errors: 1, logEntries: 2 });
  });
});
