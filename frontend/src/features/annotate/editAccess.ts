/**
 * Which workspace tools can be used right now, and why not: a reviewer edits no masks, and an
 * object under review or accepted keeps its masks until it is sent back. The buttons say so
 * (disabled, with the reason in their title) instead of silently ignoring clicks.
 */
import type { MaskletStatus } from '../../api/masklets';
import { editsMasks, needsSam2, TOOL_LABELS, type ToolMode } from '../../canvas/modes';
import { describeChange, type UndoEntry } from '../../lib/undo';

export interface Access {
  enabled: boolean;
  /** Tooltip: what the control does, or why it cannot be used now. */
  title: string;
}

/** Why the masks of an object in this status cannot change, or null when they can. */
export function lockReason(status: MaskletStatus | undefined): string | null {
  switch (status) {
    case 'submitted':
      return 'this object is under review; its masks cannot change until a reviewer sends it back';
    case 'accepted':
      return 'this object was accepted; its masks cannot change';
    default:
      return null;
  }
}

export const REVIEWER_REASON = 'reviewers do not edit masks';

/**
 * A tool button: `index` is its place in the toolbar (its number key); `status` that of the
 * selected object (undefined: none selected, so a click offers to add one).
 */
export function toolAccess(
  mode: ToolMode,
  index: number,
  { canEdit, status, sam2Down }: { canEdit: boolean; status: MaskletStatus | undefined; sam2Down: boolean },
): Access {
  const name = `${TOOL_LABELS[mode]} (${index + 1})`;
  if (!editsMasks(mode)) return { enabled: true, title: name };
  if (!canEdit) return { enabled: false, title: `${name}: unavailable, ${REVIEWER_REASON}` };
  const locked = lockReason(status);
  if (locked !== null) return { enabled: false, title: `${name}: unavailable, ${locked}` };
  return { enabled: true, title: needsSam2(mode) && sam2Down ? `${name} — needs SAM 2` : name };
}

/** The Undo button, for the newest change on the stack and the status of the object it changed. */
export function undoAccess(entry: UndoEntry | undefined, status: MaskletStatus | undefined): Access {
  if (entry === undefined) return { enabled: false, title: 'Nothing to undo' };
  const change = describeChange(entry);
  const locked = lockReason(status);
  if (locked !== null) return { enabled: false, title: `The ${change} cannot be undone: ${locked}` };
  return { enabled: true, title: `Undo the ${change} (Z or Ctrl + Z)` };
}

/** The number typed into "Go to frame", or null when it is not a frame of the video. */
export function parseJumpFrame(text: string, lastFrame: number): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n <= lastFrame ? n : null;
}
