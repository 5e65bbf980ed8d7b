/**
 * AD otherMobile beside mobile (#17 point 11): every value normalized, the cloud side said to be
 * unreadable (Graph has no AlternateMobilePhones), and the verdict tells what a bypass does with it.
 */
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../../main/drift/engine';
import { DriftRow } from '../../../main/core/model';
import type { EngineObject } from '../../../main/core/engine-view';
import { adUser, entraTwin } from './fixtures';

const withOther = (n: number, otherMobile: string[], over: Parameters<typeof adUser>[1] = { given: 'Megan', sn: 'Bowen' }) => ({
  ...adUser(n, over),
  otherMobile,
  changes: {
    mobile: { changedAt: '2024-11-04T09:12:33Z', version: 2, source: 'replPropertyMetaData' as const },
    otherMobile: { changedAt: '2024-12-01T08:00:00Z', version: 3, source: 'replPropertyMetaData' as const },
  },
});

describe('otherMobile on the drift row', () => {
  it('normalizes every AD value, says the cloud side is not readable, and that a bypass pushes them unverified', () => {
    const ad = withOther(1, ['(425) 555-0142', '+44 20 7946 0958']);
    const { rows } = computeDrift([ad], [entraTwin(ad)], { defaultRegion: 'US' });
    const row = rows[0]!;
    expect(row.status).toBe('in-sync'); // mobile itself is in sync: otherMobile never changes its status
    expect(row.otherMobile).toEqual({
      onPrem: ['(425) 555-0142', '+44 20 7946 0958'],
      normalized: ['+14255550142', '+442079460958'],
      changedAt: '2024-12-01T08:00:00Z',
      cloud: 'not-readable',
      verdict: 'bypass-pushes',
      note: expect.stringContaining('not readable through Graph v1.0'),
    });
    expect(row.otherMobile!.note).toMatch(/will push these values/);
    expect(row.otherMobile!.note).toMatch(/verification after the cycle cannot read them back/);
    expect(row.otherMobile!.note).not.toMatch(/\d{3}/); // never a phone number in prose
    expect(row.flags).toContain('othermobile-unverifiable');
    expect(() => DriftRow.parse(row)).not.toThrow();
  });

  it('uses the user\u2019s own region for each value and flags values that are not a number', () => {
    const ad = withOther(2, ['020 7946 0958', 'call reception'], { given: 'Isaiah', sn: 'Langer', country: 'GB', mobile: '+44 7700 900123' });
    const row = computeDrift([ad], [entraTwin(ad)], { defaultRegion: 'US' }).rows[0]!;
    expect(row.otherMobile!.normalized).toEqual(['+442079460958', '']);
    expect(row.flags).toContain('othermobile-unparseable');
  });

  it('an empty AD otherMobile of a synced user may be cleared by the bypass: unknown, said so', () => {
    const ad = withOther(3, []);
    const row = computeDrift([ad], [entraTwin(ad)], { defaultRegion: 'US' }).rows[0]!;
    expect(row.otherMobile).toMatchObject({ onPrem: [], normalized: [], cloud: 'not-readable', verdict: 'bypass-may-clear' });
    expect(row.otherMobile!.note).toMatch(/likely clears them/);
    expect(row.flags).not.toContain('othermobile-unverifiable');
  });

  it('a managed user (no longer synced) is not reached by the bypass; an AD account without twin neither', () => {
    const ad = withOther(4, ['+1 425 555 0143']);
    const managed = computeDrift([ad], [entraTwin(ad, { onPremisesSyncEnabled: false })], { defaultRegion: 'US' }).rows[0]!;
    expect(managed.otherMobile?.verdict).toBe('not-flowing');
    expect(managed.otherMobile?.note).toMatch(/does not touch AlternateMobilePhones/);
    expect(managed.flags).not.toContain('othermobile-unverifiable');
    const alone = computeDrift([ad], [], { defaultRegion: 'US' }).rows[0]!;
    expect(alone.status).toBe('unmatched-onprem');
    expect(alone.otherMobile).toMatchObject({ onPrem: ['+1 425 555 0143'], normalized: ['+14255550143'], verdict: 'not-flowing' });
  });

  it('where the sync engine exports otherMobile in another form (a rule), the note says that form is what the bypass pushes', () => {
    const ad = withOther(5, ['+1 425 555 0142']);
    const engine = (otherMobile: string[]): EngineObject[] => [
      {
        engine: 'connect',
        sourceAnchor: ad.sourceAnchor,
        onPremDn: null,
        cloudId: null,
        state: 'exported',
        exported: { mobile: ad.mobile, otherMobile },
        exportedAt: '2025-12-06T03:01:00.000Z',
        rule: { name: 'Custom - otherMobile E.164', precedence: 50, expression: 'Replace([otherMobile]," ","")', sources: ['otherMobile'], connector: 'contoso.com' },
        reason: null,
        evidence: [{ source: 'Get-ADSyncCSObject', origin: 'aad-cs.json', line: 12 }],
      },
    ];
    const reformatted = computeDrift([ad], [entraTwin(ad)], { defaultRegion: 'US', engineObjects: engine(['+14255550142']) }).rows[0]!;
    expect(reformatted.otherMobile?.note).toMatch(/The sync engine exports otherMobile in another form \(1 value\): that form, not AD\u2019s text, is what the bypass pushes\./);
    const verbatim = computeDrift([ad], [entraTwin(ad)], { defaultRegion: 'US', engineObjects: engine(['+1 425 555 0142']) }).rows[0]!;
    expect(verbatim.otherMobile?.note).not.toMatch(/another form/);
  });
});
