/**
 * The details timeline as a story an admin can read: the service's dated events (on-prem change,
 * sync, cloud change) merged with the audit log's records, which carry the old and new values and
 * who made the change. Pure, so it is tested on its own.
 */
import type { RowDetails } from '../../../preload/contract';

export interface StoryEvent {
  at: string;
  kind: 'onprem-change' | 'sync' | 'cloud-change' | 'authority-change' | 'engine-export';
  label: string;
  /** Set where the label claims something derived from the row rather than read (shown as such). */
  note?: string;
}

const v = (s: string | null) => (s === null || s === '' ? '(empty)' : s);

export function buildStory(d: RowDetails): StoryEvent[] {
  const { row } = d;
  const records = d.audit.state === 'known' ? d.audit.records : [];
  const events: StoryEvent[] = [];
  for (const e of d.timeline) {
    // Audit records tell the same cloud changes with their values; keep the service's line only without them.
    if (e.kind === 'cloud-change' && records.length > 0) continue;
    let label = e.label;
    let note: string | undefined;
    if (e.kind === 'onprem-change' && row.onPrem && e.at === row.onPrem.changedAt) label = `${label}: now ${v(row.onPrem.value)}`;
    if (e.kind === 'sync' && row.status === 'cloud-override' && row.onPrem && row.cloud && row.onPrem.changedAt && e.at > row.onPrem.changedAt)
      note = `AD's ${v(row.onPrem.value)} was not applied: the cloud kept ${v(row.cloud.value)} (override)`;
    events.push({ at: e.at, kind: e.kind, label, ...(note ? { note } : {}) });
  }
  for (const r of records) {
    events.push(
      r.syncWrite
        ? { at: r.at, kind: 'sync', label: `Sync wrote mobilePhone ${v(r.oldValue)} → ${v(r.newValue)} (${r.actor})` }
        : { at: r.at, kind: 'cloud-change', label: `Cloud mobilePhone edited ${v(r.oldValue)} → ${v(r.newValue)} by ${r.actor}` },
    );
  }
  // Stable by time; ISO strings from one service compare correctly as text.
  return events.map((e, i) => [e, i] as const).sort((a, b) => (a[0].at < b[0].at ? -1 : a[0].at > b[0].at ? 1 : a[1] - b[1])).map(([e]) => e);
}
