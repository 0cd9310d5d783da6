/**
 * Which workspace controls can be used right now, and why not: a reviewer edits no masks, an
 * annotator only the objects of their own tasks, an object under review or accepted keeps its
 * masks until it is sent back, and the SAM 2 tools need SAM 2. Controls say so (disabled, with
 * the reason in their title) instead of silently ignoring clicks or failing on the server.
 */
import type { Masklet, MaskletStatus } from '../../api/masklets';
import type { ProjectRole, Task } from '../../api/projects';
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
 * Why this user may not change this object (its masks, name, label, or delete it), or null when
 * they may: the server's rule (masklet_check_editor) — managers edit everything, annotators the
 * objects of tasks assigned to them, reviewers nothing.
 */
export function ownerReason(
  role: ProjectRole,
  userId: number,
  masklet: Pick<Masklet, 'task'> | undefined,
  tasks: readonly Task[],
): string | null {
  if (role === 'manager' || masklet === undefined) return role === 'reviewer' ? REVIEWER_REASON : null;
  if (role === 'reviewer') return REVIEWER_REASON;
  const task = tasks.find((t) => t.id === masklet.task);
  if (task === undefined) return 'this object is in no task of yours; annotators edit only objects of their own tasks';
  if (task.assignee?.id !== userId) {
    return `this object belongs to ${task.assignee ? `${task.assignee.username}'s` : "another annotator's"} task`;
  }
  return null;
}

/**
 * A tool button: `key` is its shortcut; `status` that of the selected object (undefined: none
 * selected, so a click offers to add one); `denied` why this user may not edit it;
 * `sam2` why SAM 2 cannot answer now (null: it can).
 */
export function toolAccess(
  mode: ToolMode,
  key: string,
  { denied, status, sam2 }: { denied: string | null; status: MaskletStatus | undefined; sam2: string | null },
): Access {
  const name = `${TOOL_LABELS[mode]} (${key})`;
  if (!editsMasks(mode)) return { enabled: true, title: name };
  if (denied !== null) return { enabled: false, title: `${name}: unavailable, ${denied}` };
  const locked = lockReason(status);
  if (locked !== null) return { enabled: false, title: `${name}: unavailable, ${locked}` };
  if (needsSam2(mode) && sam2 !== null) return { enabled: false, title: `${name}: unavailable, ${sam2}` };
  return { enabled: true, title: name };
}

/** The Undo button, for the newest change on the stack and the status of the object it changed. */
export function undoAccess(entry: UndoEntry | undefined, status: MaskletStatus | undefined): Access {
  if (entry === undefined) return { enabled: false, title: 'Nothing to undo' };
  const change = describeChange(entry);
  const locked = lockReason(status);
  if (locked !== null) return { enabled: false, title: `The ${change} cannot be undone: ${locked}` };
  return { enabled: true, title: `Undo the ${change} (Z or Ctrl + Z)` };
}

/** The Redo button, for the newest undone change. */
export function redoAccess(entry: UndoEntry | undefined, status: MaskletStatus | undefined): Access {
  if (entry === undefined) return { enabled: false, title: 'Nothing to redo' };
  const change = describeChange(entry);
  const locked = lockReason(status);
  if (locked !== null) return { enabled: false, title: `The ${change} cannot be redone: ${locked}` };
  return { enabled: true, title: `Redo the ${change} (Ctrl + Shift + Z or Ctrl + Y)` };
}
