/**
 * An export older than AD's value is not a rule's format (#18, found by the demo scan joining the
 * engine's view): AD changed after the last sync, the engine still holds (and Entra ID shows) the value
 * it exported before, and the rule is a direct flow. That is pending-sync, the next cycle carries it;
 * it was shown as rule-formatted ("the rule reformats AD's mobile"), which no direct flow can do.
 */
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../../main/drift/engine';
import type { EngineObject } from '../../../main/core/engine-view';
import { adUser, entraTwin } from './fixtures';

const engineOf = (anchor: string, mobile: string, expression: string): EngineObject => ({
  engine: 'connect',
  sourceAnchor: anchor,
  onPremDn: null,
  cloudId: null,
  state: 'exported',
  exported: { mobile, otherMobile: [] },
  exportedAt: '2025-12-06T03:01:00.000Z',
  rule: { name: expression === 'direct' ? 'In from AD - User Common' : 'Custom - Mobile E.164', precedence: expression === 'direct' ? 104 : 50, expression, sources: ['mobile'], connector: 'contoso.com' },
  reason: null,
  evidence: [{ source: 'Export-ADSyncToolsObjects', origin: 'cs.xml', line: 3 }],
});

describe('an export older than AD', () => {
  it('is pending-sync when AD changed after the last sync and a direct flow exported the old value Entra holds', () => {
    const ad = adUser(9, { given: 'Noor', sn: 'Haddad', mobile: '+1 425 555 0199', mobileChangedAt: '2025-12-06T05:00:00.000Z' });
    const cloud = entraTwin(ad, { mobilePhone: '+1 425 555 0109', onPremisesLastSyncDateTime: '2025-12-06T03:01:00.000Z' });
    expect(computeDrift([ad], [cloud], { defaultRegion: 'US' }).rows[0]!.status).toBe('pending-sync');
    const row = computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: [engineOf(ad.sourceAnchor, '+1 425 555 0109', 'direct')] }).rows[0]!;
    expect(row.status).toBe('pending-sync');
    expect(row.flags).not.toContain('rule-formatted');
    expect(row.cause).toMatch(/exported before AD changed/);
  });

  it('a direct flow whose export differs from AD names a stale export, never a rule\u2019s format, even without change times', () => {
    const ad = adUser(10, { given: 'Ines', sn: 'Moreau', mobile: '+1 425 555 0110' });
    const cloud = entraTwin(ad, { mobilePhone: '+1 425 555 0111' });
    const row = computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: [engineOf(ad.sourceAnchor, '+1 425 555 0111', 'direct')] }).rows[0]!;
    expect(row.status).not.toBe('rule-formatted');
    expect(row.cause).toMatch(/exported before AD changed/);
  });

  it('a reformatting rule still makes rule-formatted', () => {
    const ad = adUser(11, { given: 'Tariq', sn: 'Aziz', mobile: '+1 425 555 0112' });
    const cloud = entraTwin(ad, { mobilePhone: '+14255550112' });
    expect(computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: [engineOf(ad.sourceAnchor, '+14255550112', 'IIF(...)')] }).rows[0]!.status).toBe('rule-formatted');
  });
});
