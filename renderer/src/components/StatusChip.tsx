import type { DriftStatus } from '../../../preload/contract';
import { STATUS_LABEL } from '../grid/model';

/** Colour plus text plus a glyph: status must never be told by colour alone. */
const GLYPH: Record<DriftStatus, string> = {
  'cloud-override': '⚑',
  'format-only': '≈',
  'cloud-missing': '∅',
  'onprem-missing': '∅',
  'pending-sync': '⟳',
  'unmatched-onprem': '?',
  'unmatched-cloud': '?',
  'in-sync': '✓',
  'rule-formatted': '⇄',
};

export function StatusChip({ status }: { status: DriftStatus }) {
  return (
    <span className={`chip chip-${status}`} data-status={status}>
      <span aria-hidden="true" className="chip-glyph">
        {GLYPH[status]}
      </span>
      {STATUS_LABEL[status]}
    </span>
  );
}
