import { describe, expect, it } from 'vitest';
import { AuditRecord } from '../../main/cloud/audit';
import { parseAuditValue, parseDirectoryAudits } from '../../main/drift/audit';
import { graphError } from '../../main/cloud/graph';
import { parseUser } from '../../main/cloud/readers';

const synced = {
  id: '6e1c6b1a-0d1f-4b1e-9a55-3c2f9a1b2c3d',
  userPrincipalName: 'adele.vance@contoso.example',
  displayName: 'Adele Vance',
  mobilePhone: '+1 425 555 0109',
  businessPhones: ['+1 425 555 0100'],
  onPremisesSyncEnabled: true,
  onPremisesImmutableId: 'q3B2p1xHZ0K8b0m1w9Yz1A==',
  onPremisesSecurityIdentifier: 'S-1-5-21-1004336348-1177238915-682003330-1106',
  onPremisesLastSyncDateTime: '2026-02-27T08:30:12Z',
  onPremisesDistinguishedName: 'CN=Adele Vance,OU=Staff,DC=contoso,DC=example',
  onPremisesDomainName: 'contoso.example',
  onPremisesSamAccountName: 'adelev',
  onPremisesUserPrincipalName: 'adele.vance@contoso.example',
};

describe('user items', () => {
  it('reads a synced user and marks it not cloud-writable', () => {
    const r = parseUser(synced);
    expect('user' in r && r.user).toMatchObject({ id: synced.id, mobilePhone: '+1 425 555 0109', cloudManaged: false });
  });
  it('fills properties Graph left out with null and marks a no-longer-synced user writable', () => {
    const r = parseUser({ id: 'x1', userPrincipalName: 'old@contoso.example', onPremisesSyncEnabled: false });
    expect('user' in r && r.user).toMatchObject({ mobilePhone: null, businessPhones: [], cloudManaged: true });
  });
  it('reports a malformed user with its id and the field', () => {
    const r = parseUser({ ...synced, onPremisesLastSyncDateTime: 'yesterday' });
    expect('invalid' in r && r.invalid.id).toBe(synced.id);
    expect('invalid' in r && r.invalid.message).toMatch(/user\.onPremisesLastSyncDateTime/);
  });
});

describe('audit records', () => {
  const record = AuditRecord.parse({
    id: 'Directory_abc',
    activityDateTime: '2026-02-20T10:00:00Z',
    activityDisplayName: 'Update user',
    initiatedBy: { user: { id: 'u1', userPrincipalName: 'Sync_CONNECT01_1a2b3c4d5e6f@contoso.onmicrosoft.com', displayName: null }, app: null },
    targetResources: [
      {
        id: synced.id,
        type: 'User',
        userPrincipalName: synced.userPrincipalName,
        modifiedProperties: [
          { displayName: 'MobilePhone', oldValue: '["+1 425 555 0100"]', newValue: '[]' },
          { displayName: 'Action Client Name', oldValue: null, newValue: '"DirectorySync"' },
        ],
      },
    ],
  });
  it('reads the mobile change under either display name, with JSON-in-string values', () => {
    const [c] = parseDirectoryAudits([record]).changes;
    expect(c).toMatchObject({ targetId: synced.id, oldValue: '+1 425 555 0100', newValue: null, syncWrite: true });
    expect(parseAuditValue('plain text')).toBe('plain text');
  });
});

describe('Graph refusals', () => {
  it('turns the documented on-premises-mastered 400 into GRAPH_SOA_READONLY', () => {
    const e = graphError(400, { error: { code: 'Request_BadRequest', message: 'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.' } }, null, 'writeMobilePhone');
    expect(e.code).toBe('GRAPH_SOA_READONLY');
    expect(e.kind).toBe('conflict');
  });
  it('turns the mail-enabled user\'s different 400 into GRAPH_MAIL_ENABLED_READONLY, not the catch-all GRAPH_400 (#17 point 10)', () => {
    // The SOA how-to: "The error message differs for mail-enabled users, but updates still aren't allowed."
    const e = graphError(400, { error: { code: 'Request_BadRequest', message: 'Unable to update the specified properties for objects that have originated within an external service.' } }, null, 'writeMobilePhone');
    expect(e.code).toBe('GRAPH_MAIL_ENABLED_READONLY');
    expect(e.kind).toBe('conflict');
    expect(e.message).toMatch(/mail-enabled/);
    expect(e.message).toMatch(/AD/);
    expect(e.details).toMatchObject({ graphCode: 'Request_BadRequest', graphMessage: expect.stringMatching(/originated within an external service/) });
  });
  it('keeps other 400s as validation errors', () => {
    expect(graphError(400, { error: { code: 'Request_BadRequest', message: 'Invalid value specified for property mobilePhone' } }, null, 'writeMobilePhone').code).toBe('GRAPH_400');
  });
  it('names the permission to grant on 403', () => {
    const e = graphError(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } }, null, 'readAuditLog');
    expect(e.code).toBe('GRAPH_FORBIDDEN');
    expect(e.message).toMatch(/AuditLog\.Read\.All/);
  });
});
