/**
 * Cloud Sync answers are validated field by field (#18): a schema, a provisioning log entry or a
 * provisionOnDemand answer that does not have the shape Microsoft documents fails naming the field,
 * and a mapping expression is named by its functions and AD attributes.
 */
import { describe, expect, it } from 'vitest';
import { describeSource, parseCloudSyncSchema, parseOnDemand, parseProvisioningEntry, renderSource } from '../../main/cloud/cloud-sync';

const at = { servicePrincipalId: 'sp', jobId: 'AD2AADProvisioning.x.y', origin: '/servicePrincipals/sp/synchronization/jobs/AD2AADProvisioning.x.y/schema' };
const userRule = (attributeMappings: unknown[]) => ({
  synchronizationRules: [{ id: 'rule1', objectMappings: [{ name: 'Provision Active Directory users', enabled: true, sourceObjectName: 'user', targetObjectName: 'User', attributeMappings }] }],
});

describe('Cloud Sync schema', () => {
  it('tells a direct flow from an expression and names what the expression reads', () => {
    const s = parseCloudSyncSchema(
      userRule([
        { targetAttributeName: 'mobile', source: { type: 'Function', name: 'Replace', parameters: [{ key: 'source', value: { type: 'Attribute', name: 'mobile' } }, { key: 'regexPattern', value: { type: 'Constant', name: '^0' } }] } },
        { targetAttributeName: 'otherMobile', source: { type: 'Attribute', name: 'otherMobile', expression: '[otherMobile]' } },
        { targetAttributeName: 'displayName', source: { type: 'Attribute', name: 'displayName' } },
      ]),
      at,
    );
    expect(s.ruleId).toBe('rule1');
    expect(s.mappings).toHaveLength(2);
    expect(s.mappings[0]).toMatchObject({ target: 'mobile', transforms: true, functions: ['Replace'], sources: ['mobile'], expression: 'Replace([mobile], "^0")' });
    expect(s.mappings[1]).toMatchObject({ target: 'otherMobile', transforms: false, expression: 'direct' });
  });

  it('names a mapping from another attribute as that attribute, not direct', () => {
    expect(describeSource('mobile', { type: 'Attribute', name: 'telephoneNumber', expression: null, parameters: [] })).toMatchObject({ expression: '[telephoneNumber]', transforms: false, sources: ['telephoneNumber'] });
    expect(renderSource({ type: 'Constant', name: 'a"b', expression: null, parameters: [] })).toBe('"a\\"b"');
  });

  it('fails naming the field when a mapping source has no type', () => {
    expect(() => parseCloudSyncSchema(userRule([{ targetAttributeName: 'mobile', source: { name: 'mobile' } }]), at)).toThrow(/schema\.synchronizationRules\[0\]\.objectMappings\[0\]\.attributeMappings\[0\]\.source\.type/);
  });

  it('fails when no user mapping is enabled', () => {
    expect(() => parseCloudSyncSchema({ synchronizationRules: [] }, at)).toThrow(/no enabled user object mapping/);
  });
});

describe('provisioning log entries', () => {
  const good = {
    id: 'e1',
    activityDateTime: '2026-12-06T10:00:00Z',
    jobId: 'AD2AADProvisioning.x.y',
    provisioningAction: 'update',
    provisioningStatusInfo: { status: 'failure', errorInformation: { errorCode: 'AzureActiveDirectoryConflictEncountered', reason: 'Another object holds the UPN.' } },
    sourceIdentity: { id: 'guid', displayName: 'A' },
    targetIdentity: { id: 'oid' },
    modifiedProperties: [{ displayName: 'mobile', oldValue: null, newValue: '+1' }],
  };
  it('reads status, error and modified properties', () => {
    expect(parseProvisioningEntry(good, 'value[0]')).toMatchObject({ status: 'failure', errorCode: 'AzureActiveDirectoryConflictEncountered', reason: 'Another object holds the UPN.', targetId: 'oid', modified: [{ name: 'mobile', oldValue: null, newValue: '+1' }] });
  });
  it('fails naming the field of a bad status', () => {
    expect(() => parseProvisioningEntry({ ...good, provisioningStatusInfo: { status: 'done' } }, 'value[3]')).toThrow(/value\[3\]\.provisioningStatusInfo\.status/);
    expect(() => parseProvisioningEntry({ ...good, activityDateTime: 'yesterday' }, 'value[0]')).toThrow(/value\[0\]\.activityDateTime/);
  });
});

describe('provisionOnDemand answers', () => {
  it('reads the status and the modified properties out of the value text', () => {
    const r = parseOnDemand({ key: 'k', value: JSON.stringify([{ provisioningStatusInfo: { status: 'success' }, modifiedProperties: [{ displayName: 'mobile', oldValue: 'a', newValue: 'b' }] }]) });
    expect(r).toMatchObject({ status: 'success', modified: [{ name: 'mobile', oldValue: 'a', newValue: 'b' }] });
  });
  it('fails naming the field when the value is not JSON or has no status', () => {
    expect(() => parseOnDemand({ key: 'k' })).toThrow(/provisionOnDemand\.value/);
    expect(() => parseOnDemand({ key: 'k', value: 'nope' })).toThrow(/provisionOnDemand\.value: is not JSON/);
    expect(() => parseOnDemand({ key: 'k', value: '{}' })).toThrow(/no status/);
  });
});
