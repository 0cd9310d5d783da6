import type { MaskletStatus } from '../../api/masklets';
import { STATUS_LABELS } from '../../api/reviews';

/** A masklet's review status as a coloured pill. */
export function StatusBadge({ status }: { status: MaskletStatus }) {
  return (
    <span className={`status-badge status-badge-${status}`} data-testid="status-badge" data-status={status}>
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}
