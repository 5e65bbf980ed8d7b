/**
 * Verdicts with the sync engine's view as the third side (issue 18): a rule's reformatting is
 * 'rule-formatted', not an override; an exported value equal to AD that Entra ID does not hold is a
 * confirmed override citing the connector space; a not-exported user says why; without engine data
 * nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../../main/drift/engine';
import { DriftReport } from '../../../main/core/model';
import type { EngineObject } from '../../../main/core/engine-view';
import { adUser, entraTwin } from './fixtures';

const exported = (anchor: string, mobile: string | null, over: Partial<EngineObject> = {}): EngineObject => ({
  engine: 'connect',
  sourceAnchor: anchor,
  onPremDn: null,
  cloudId: null,
  state: 'exported',
  exported: { mobile, otherMobile: [] },
  exportedAt: '2025-12-06T03:01:00.000Z',
  rule: { name: 'In from AD - User Common', precedence: 104, expression: 'direct', sources: ['mobile'], connector: 'contoso.com' },
  reason: null,
  evidence: [{ source: 'Get-ADSyncCSObject', origin: 'aad-cs.json', line: 12 }],
  ...over,
});

const E164 = { name: 'Custom - Mobile E.164', precedence: 50, expression: 'Replace([mobile]," ","")', sources: ['mobile'], connector: 'contoso.com' };

describe('verdicts with the engine view', () => {
  const ad = adUser(7, { given: 'Lidia', sn: 'Holloway', mobile: '+1 425 555 0107' });

  it('without engine data a reformatted cloud value stays format-only and rows carry no engine field', () => {
    const [row] = computeDrift([ad], [entraTwin(ad, { mobilePhone: '+14255550107' })], { defaultRegion: 'US' }).rows;
    expect(row!.status).toBe('format-only');
    expect(row!).not.toHaveProperty('engine');
  });

  it('marks a value the rule reformatted, and Entra holds as exported, rule-formatted naming rule, precedence and expression', () => {
    const engine = [exported(ad.sourceAnchor, '+14255550107', { rule: E164 })];
    const r = computeDrift([ad], [entraTwin(ad, { mobilePhone: '+14255550107' })], { defaultRegion: 'US', engineObjects: engine });
    const row = r.rows[0]!;
    expect(row.status).toBe('rule-formatted');
    expect(row.flags).toContain('rule-formatted');
    expect(row.cause).toMatch(/rule "Custom - Mobile E\.164", precedence 50, expression Replace\(\[mobile\]," ",""\)/);
    expect(row.cause).toMatch(/no override/);
    expect(row.engine?.rule?.name).toBe('Custom - Mobile E.164');
    expect(r.summary.byStatus['rule-formatted']).toBe(1);
    DriftReport.parse({ generatedAt: '2025-12-06T04:00:00Z', profile: 'x', summary: r.summary, rows: r.rows });
  });

  it('an exported value equal to AD that Entra does not hold is a confirmed override citing the connector space, even where times said pending', () => {
    const stuck = adUser(8, { given: 'Grady', sn: 'Archie', mobile: '+1 425 555 0177', mobileChangedAt: '2025-12-06T02:40:00Z' });
    const cloud = entraTwin(stuck, { mobilePhone: '+1 425 555 0100', onPremisesLastSyncDateTime: '2025-12-06T02:30:00Z' });
    expect(computeDrift([stuck], [cloud], { defaultRegion: 'US' }).rows[0]!.status).toBe('pending-sync');
    const row = computeDrift([stuck], [cloud], { defaultRegion: 'US', engineObjects: [exported(stuck.sourceAnchor, '+1 425 555 0177')] }).rows[0]!;
    expect(row.status).toBe('cloud-override');
    expect(row.flags).toContain('override-confirmed');
    expect(row.cause).toMatch(/^Confirmed override: Entra Connect exported mobile exactly as AD holds it .*Get-ADSyncCSObject aad-cs\.json:12/);
    expect(row.cause).not.toMatch(/\d{3} \d{4}/);
  });

  it('says why a user was not exported and keeps the value status', () => {
    const other = adUser(9, { given: 'Nestor', sn: 'Wilke', mobile: '+1 425 555 0109' });
    const engine = [exported(other.sourceAnchor, null, { state: 'not-exported', exported: null, rule: null, reason: 'a disconnector in the AD connector space of contoso.com: outside the sync scope' })];
    const row = computeDrift([other], [entraTwin(other, { mobilePhone: '+1 425 555 0999' })], { defaultRegion: 'US', engineObjects: engine }).rows[0]!;
    expect(row.status).toBe('cloud-override');
    expect(row.flags).toContain('engine-not-exported');
    expect(row.cause).toMatch(/^Entra Connect has not exported mobile for this user: a disconnector .*outside the sync scope/);
  });

  it('a rule that reformats while Entra holds something else names the rule and confirms the override', () => {
    const engine = [exported(ad.sourceAnchor, '+14255550107', { rule: E164 })];
    const row = computeDrift([ad], [entraTwin(ad, { mobilePhone: '+1 206 555 0199' })], { defaultRegion: 'US', engineObjects: engine }).rows[0]!;
    expect(row.status).toBe('cloud-override');
    expect(row.cause).toMatch(/Custom - Mobile E\.164/);
    expect(row.flags).toContain('override-confirmed');
  });

  it('joins by Entra object id when the anchor is unknown, and gives engine null to a row the export lacks', () => {
    const cloud = entraTwin(ad, { mobilePhone: '+14255550107' });
    const engine = [exported('bm90LXRoaXMtdXNlcg==', '+14255550107', { rule: E164, sourceAnchor: null, cloudId: cloud.id.toUpperCase() })];
    expect(computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: engine }).rows[0]!.status).toBe('rule-formatted');
    const none = computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: [] }).rows[0]!;
    expect(none.status).toBe('format-only');
    expect(none.engine).toBeNull();
  });
});
