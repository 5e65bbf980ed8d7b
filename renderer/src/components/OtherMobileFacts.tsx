/**
 * AD otherMobile in the details drawer (#17 point 11): AD's values, each normalized, and the cloud
 * side said plainly to be unreadable (Graph has no AlternateMobilePhones), with what a bypass does.
 */
import type { DriftRow } from '../../../preload/contract';
import { formatTime } from '../lib/download';

const VERDICT: Record<NonNullable<DriftRow['otherMobile']>['verdict'], string> = {
  'bypass-pushes': 'the bypass pushes these values; verification cannot read them back',
  'bypass-may-clear': 'the bypass likely clears any cloud values; verification cannot read them back',
  'not-flowing': 'AD does not flow to this user; the bypass does not touch it',
};

export function OtherMobileFacts({ row }: { row: DriftRow }) {
  const om = row.otherMobile;
  if (!om) {
    // A report from before the comparison: AD's values as the row kept them, nothing else claimed.
    if (!row.onPrem?.otherMobile.length) return null;
    return (
      <p data-testid="details-othermobile">
        <strong>AD otherMobile: </strong>
        {row.onPrem.otherMobile.join(', ')} · Entra ID AlternateMobilePhones: not readable through Graph v1.0
      </p>
    );
  }
  return (
    <div data-testid="details-othermobile">
      <p>
        <strong>AD otherMobile: </strong>
        {om.onPrem.length === 0
          ? '(empty)'
          : om.onPrem.map((v, i) => `${v}${om.normalized[i] && om.normalized[i] !== v ? ` (${om.normalized[i]})` : ''}`).join(', ')}
        {om.changedAt && <span className="muted"> · changed {formatTime(om.changedAt)}</span>}
        {' · '}
        <strong>Entra ID AlternateMobilePhones: </strong>not readable through Graph v1.0 · {VERDICT[om.verdict]}
      </p>
      <p className="muted" data-testid="details-othermobile-note">
        {om.note}
      </p>
    </div>
  );
}
