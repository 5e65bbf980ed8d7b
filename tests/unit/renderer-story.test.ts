import { describe, expect, it } from 'vitest';
import { buildStory } from '../../renderer/src/details/story';
import { makeRow } from '../support/fake-api';
import type { RowDetails } from '../../preload/contract';

const row = makeRow(0, {
  status: 'cloud-override',
  upn: 'testmobile@contoso.com',
  onPrem: { ...makeRow(0).onPrem!, value: '0987654321', changedAt: '2026-11-17T10:00:00Z' },
  cloud: { ...makeRow(0).cloud!, value: '1234567890', changedAt: '2026-11-09T10:00:00Z', changedBy: 'kim@contoso.com' },
});

const details = (audit: RowDetails['audit']): RowDetails => ({
  row,
  timeline: [
    { at: '2026-11-17T10:30:00Z', kind: 'sync', label: 'Last sync of this user' },
    { at: '2026-11-09T10:00:00Z', kind: 'cloud-change', label: 'Cloud mobile changed by kim@contoso.com' },
    { at: '2026-11-17T10:00:00Z', kind: 'onprem-change', label: 'AD mobile changed (version 3)' },
  ],
  audit,
  views: [],
});

describe('the details story', () => {
  it('tells the field report in time order with values and actors from the audit log', () => {
    const story = buildStory(
      details({
        state: 'known',
        message: '',
        records: [
          { at: '2026-11-09T10:00:00Z', actor: 'kim@contoso.com', oldValue: '9991112222', newValue: '1234567890', syncWrite: false },
          { at: '2026-10-01T10:00:00Z', actor: 'Sync_DC1_abc', oldValue: '8035551212', newValue: '9991112222', syncWrite: true },
        ],
      }),
    );
    expect(story.map((e) => [e.kind, e.label, e.note ?? ''])).toEqual([
      ['sync', 'Sync wrote mobilePhone 8035551212 → 9991112222 (Sync_DC1_abc)', ''],
      ['cloud-change', 'Cloud mobilePhone edited 9991112222 → 1234567890 by kim@contoso.com', ''],
      ['onprem-change', 'AD mobile changed (version 3): now 0987654321', ''],
      ['sync', 'Last sync of this user', "AD's 0987654321 was not applied: the cloud kept 1234567890 (override)"],
    ]);
  });

  it('keeps the service’s cloud change line when the audit log has no records, and claims no values', () => {
    const story = buildStory(details({ state: 'outside-retention', message: 'older than 30 days', records: [] }));
    expect(story.map((e) => e.label)).toContain('Cloud mobile changed by kim@contoso.com');
    expect(story.map((e) => e.label).join(' ')).not.toContain('9991112222');
  });

  it('adds no override note to rows that are not overrides', () => {
    const story = buildStory({ ...details({ state: 'none-found', message: '', records: [] }), row: { ...row, status: 'pending-sync' } });
    expect(story.some((e) => e.note)).toBe(false);
  });
});
