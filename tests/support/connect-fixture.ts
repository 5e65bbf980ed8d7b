/**
 * Connect exports of `count` users for the reader's tests: every seventh without mobile, every
 * fifth with an otherMobile, every third not yet in Entra ID, and a custom rule reformatting the
 * Sales OU's mobile to E.164. `cn` names user i (the DN's first RDN value).
 */
import { connectExports } from '../../main/sandbox/connect-rules';

export const testAnchor = (i: number): string => Buffer.from(`anchor-${String(i).padStart(8, '0')}`).toString('base64');

export function seededConnectExports(count: number, cn: (i: number) => string = (i) => `User ${i}`): ReturnType<typeof connectExports> {
  return connectExports({
    entries: Array.from({ length: count }, (_, i) => ({
      anchor: testAnchor(i),
      dn: `CN=${cn(i)},OU=${i % 2 ? 'Sales' : 'Finance'},DC=contoso,DC=com`,
      mobile: i % 7 === 0 ? null : `+1 425 555 ${String(i % 10000).padStart(4, '0')}`,
      otherMobile: i % 5 === 0 ? ['+1 425 555 9000'] : [],
      cloudId: i % 3 === 0 ? null : `0b7c2f9e-4d11-4c2a-9f5e-${String(i).padStart(12, '0')}`,
    })),
    rules: [{ name: 'Custom - Mobile E.164', precedence: 50, connector: 'contoso.com', dnSuffix: 'OU=Sales,DC=contoso,DC=com', transform: { kind: 'e164', countryCode: '1' } }],
    adConnector: 'contoso.com',
    lastExportAt: '2026-12-06T10:00:00.000Z',
  });
}
