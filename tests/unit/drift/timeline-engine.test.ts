/**
 * The timeline gets the engine's export time (#18 point 4): for a row joined to Entra Connect's view,
 * the last export run on its connector (from the run history) is an event citing the run-history
 * record; the label carries no phone value (a masked evidence package keeps the timeline as is).
 * Rows without engine data get no such event.
 */
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../../main/drift/engine';
import { timelineOf } from '../../../main/drift/timeline';
import type { EngineObject } from '../../../main/core/engine-view';
import { adUser, entraTwin } from './fixtures';

const ad = adUser(21, { given: 'Maren', sn: 'Solberg', mobile: '+1 425 555 0121', mobileChangedAt: '2025-12-01T08:00:00.000Z' });
const engine: EngineObject = {
  engine: 'connect',
  sourceAnchor: ad.sourceAnchor,
  onPremDn: null,
  cloudId: null,
  state: 'exported',
  exported: { mobile: '+1 425 555 0121', otherMobile: [] },
  exportedAt: '2025-12-06T03:01:00.000Z',
  rule: { name: 'In from AD - User Common', precedence: 104, expression: 'direct', sources: ['mobile'], connector: 'contoso.com' },
  reason: null,
  evidence: [
    { source: 'Export-ADSyncToolsObjects', origin: 'aad-cs.xml', line: 40 },
    { source: 'Get-ADSyncRule', origin: 'sync-rules.json', line: 2 },
    { source: 'Get-ADSyncRunProfileResult', origin: 'run-history.json', line: 7 },
  ],
};

describe('the timeline with the engine view', () => {
  it('has the last export run, in time order, citing the run-history record and no value', () => {
    const cloud = entraTwin(ad, { mobilePhone: '+1 206 555 0199', onPremisesLastSyncDateTime: '2025-12-06T03:02:00.000Z' });
    const row = computeDrift([ad], [cloud], { defaultRegion: 'US', engineObjects: [engine] }).rows[0]!;
    const tl = timelineOf(row);
    const ex = tl.find((e) => e.kind === 'engine-export');
    expect(ex).toEqual({ at: '2025-12-06T03:01:00.000Z', kind: 'engine-export', label: "Entra Connect's last export run for this user's connector space (Get-ADSyncRunProfileResult run-history.json:7)" });
    expect(tl.map((e) => e.kind)).toEqual(['onprem-change', 'engine-export', 'sync']);
    expect(ex!.label).not.toMatch(/\d{3} \d{4}/);
    const plain = computeDrift([ad], [cloud], { defaultRegion: 'US' }).rows[0]!;
    expect(timelineOf(plain).some((e) => e.kind === 'engine-export')).toBe(false);
  });
});
