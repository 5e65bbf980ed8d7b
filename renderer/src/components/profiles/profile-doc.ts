/**
 * The profile document as the editor handles it: a plain record, the new profile's template, and
 * readers that tolerate a field of the wrong shape.
 */
export type Doc = Record<string, unknown>;

export const NEW_PROFILE: Doc = {
  name: 'New profile',
  onPrem: [{ id: 'dc1', url: 'ldaps://dc1.contoso.com', bindDn: 'svc-syncdrift@contoso.com', baseDn: 'DC=contoso,DC=com' }],
  cloud: {
    environment: 'global',
    tenantId: 'contoso.onmicrosoft.com',
    clientId: '00000000-0000-0000-0000-000000000000',
    auth: { type: 'deviceCode' },
  },
};

export function asRecord(v: unknown): Doc {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {};
}
export function sourcesOf(doc: Doc): Doc[] {
  const op = doc['onPrem'];
  if (Array.isArray(op)) return op.map(asRecord);
  return op ? [asRecord(op)] : [];
}
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
