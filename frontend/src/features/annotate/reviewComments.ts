/**
 * Reviewers' comments as the annotator sees them: numbered in frame order (the number is what the
 * pin on the canvas shows), the pins of the frame on screen, and what to say about the status.
 */
import type { MaskletStatus } from '../../api/masklets';
import type { ReviewComment, StatusChange } from '../../api/reviews';
import type { PinMarker } from '../../canvas/AnnotationCanvas';

export interface NumberedComment {
  number: number;
  comment: ReviewComment;
}

/** Open comments first, then by frame, then oldest first; numbered 1.. in that order. */
export function numberComments(comments: readonly ReviewComment[]): NumberedComment[] {
  return [...comments]
    .sort(
      (a, b) =>
        Number(a.resolved) - Number(b.resolved) ||
        a.frame_index - b.frame_index ||
        a.created_at.localeCompare(b.created_at) ||
        a.id - b.id,
    )
    .map((comment, i) => ({ number: i + 1, comment }));
}

/**
 * Pins to draw on `frame`: the open comments pinned there, and the one being looked at even when
 * resolved. Comments on the whole frame (no point) have no pin.
 */
export function commentPinMarkers(
  numbered: readonly NumberedComment[],
  frame: number,
  activeId: number | null,
): PinMarker[] {
  return numbered.flatMap(({ number, comment: c }) => {
    if (c.frame_index !== frame || c.x === null || c.y === null) return [];
    const active = c.id === activeId;
    if (c.resolved && !active) return [];
    return [{ x: c.x, y: c.y, label: String(number), active }];
  });
}

/** A plain sentence about what the status means for the annotator; null for a draft. */
export function statusMessage(status: MaskletStatus): string | null {
  switch (status) {
    case 'submitted':
      return 'Under review: its masks cannot change until a reviewer has judged it.';
    case 'accepted':
      return 'Accepted: its masks are final and read-only.';
    case 'rejected':
      return 'Rejected: fix what the comments below point at, then submit it again.';
    case 'reworked':
      return 'Being fixed after a rejection: submit it again when the comments are addressed.';
    default:
      return null;
  }
}

/** The last rejection (by a reviewer or a manager), for "why was this sent back". */
export function lastRejection(history: readonly StatusChange[]): StatusChange | null {
  let last: StatusChange | null = null;
  for (const change of history) {
    if (change.to_status === 'rejected' && (last === null || change.created_at >= last.created_at)) last = change;
  }
  return last;
}
