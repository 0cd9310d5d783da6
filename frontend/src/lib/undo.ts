/**
 * Undo and redo of prompts and edits. Every change the workspace makes replaces one frame's mask
 * of one object, so an entry remembers that frame's mask before and after; undo puts "before"
 * back, redo makes the change again (a click is sent to SAM 2 again, a stroke's mask written).
 * A click and a saved edit are also taken out of the video's SAM 2 state (the server undoes
 * the prompt or the edit's log entry, as if it had never happened), so the next click or
 * propagation does not build on them.
 *
 * Neither may destroy someone else's work: if the frame's mask is no longer the one the change
 * produced (undo) or replaced (redo), because a propagation or another annotator wrote it since,
 * the entry is stale and the action refuses, saying why.
 */
import type { FrameOrigin, PromptBox, PromptPoint } from '../api/masklets';
import type { CompressedRle } from './rle';

export interface FrameMaskState {
  rle: CompressedRle;
  origin: FrameOrigin;
}

export type ChangeKind = 'click' | 'box' | 'brush' | 'eraser';

export interface UndoEntry {
  maskletId: number;
  frame: number;
  kind: ChangeKind;
  /** The frame's mask before the change; null when the frame had none. */
  before: FrameMaskState | null;
  /** The mask the change produced. */
  after: CompressedRle;
  /** The stored prompt a click or box made: undoing it also takes the prompt back. */
  promptId?: number;
  /** The SAM 2 log entry a saved brush or eraser edit made: undoing it takes the edit back
   * out of SAM 2's state too (unknown until the write is answered). */
  editSeq?: number;
  /** What was sent to SAM 2 (a click or box): redo sends it again. */
  prompt?: PromptInput;
}

export interface PromptInput {
  points: PromptPoint[];
  box?: PromptBox;
  clear_old: boolean;
}

/** What the server takes back with an undo: a prompt, or an edit's SAM 2 log entry. */
export type UndoTarget = { promptId: number } | { editSeq: number };

export type UndoPlan =
  | { kind: 'write'; maskletId: number; frame: number; mask: FrameMaskState; target?: UndoTarget }
  | { kind: 'delete'; maskletId: number; frame: number; target?: UndoTarget }
  | { kind: 'stale'; reason: string }
  | { kind: 'empty' };

export function sameRle(a: CompressedRle | null | undefined, b: CompressedRle | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.counts === b.counts && a.size[0] === b.size[0] && a.size[1] === b.size[1];
}

const KIND_WORDS: Record<ChangeKind, string> = {
  click: 'click',
  box: 'box',
  brush: 'brush stroke',
  eraser: 'eraser stroke',
};

export function describeChange(entry: Pick<UndoEntry, 'kind' | 'frame'>): string {
  return `${KIND_WORDS[entry.kind]} on frame ${entry.frame}`;
}

/** What undoing `entry` means, given the frame's mask now (undefined: the frame has none). */
export function planUndo(entry: UndoEntry | undefined, current: CompressedRle | undefined): UndoPlan {
  if (entry === undefined) return { kind: 'empty' };
  if (!sameRle(current, entry.after)) {
    return {
      kind: 'stale',
      reason: `The ${describeChange(entry)} cannot be undone: that mask was changed since (by a propagation or another person).`,
    };
  }
  const target: { target?: UndoTarget } =
    entry.promptId !== undefined
      ? { target: { promptId: entry.promptId } }
      : entry.editSeq !== undefined
        ? { target: { editSeq: entry.editSeq } }
        : {};
  if (entry.before === null) return { kind: 'delete', maskletId: entry.maskletId, frame: entry.frame, ...target };
  return { kind: 'write', maskletId: entry.maskletId, frame: entry.frame, mask: entry.before, ...target };
}

export type RedoPlan =
  | { kind: 'write'; maskletId: number; frame: number; mask: FrameMaskState }
  | { kind: 'prompt'; maskletId: number; frame: number; prompt: PromptInput }
  | { kind: 'stale'; reason: string }
  | { kind: 'empty' };

/** What redoing `entry` (an undone change) means, given the frame's mask now. */
export function planRedo(entry: UndoEntry | undefined, current: CompressedRle | undefined): RedoPlan {
  if (entry === undefined) return { kind: 'empty' };
  if (!sameRle(current, entry.before?.rle ?? undefined)) {
    return {
      kind: 'stale',
      reason: `The ${describeChange(entry)} cannot be redone: that mask was changed since (by a propagation or another person).`,
    };
  }
  if (entry.prompt !== undefined) {
    return { kind: 'prompt', maskletId: entry.maskletId, frame: entry.frame, prompt: entry.prompt };
  }
  return {
    kind: 'write',
    maskletId: entry.maskletId,
    frame: entry.frame,
    mask: { rle: entry.after, origin: 'edited' },
  };
}

/**
 * Bounded history, newest last, and the changes undone since the last new one (redo, newest
 * last). Immutable: every operation returns a new stack. A new change clears the redo list, as
 * in every editor.
 */
export class UndoStack {
  static readonly LIMIT = 100;

  private constructor(
    readonly entries: readonly UndoEntry[],
    readonly undone: readonly UndoEntry[] = [],
  ) {}

  static empty(): UndoStack {
    return new UndoStack([]);
  }

  get last(): UndoEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** The change redo would make again. */
  get lastUndone(): UndoEntry | undefined {
    return this.undone[this.undone.length - 1];
  }

  get size(): number {
    return this.entries.length;
  }

  /** A new change: it can be undone, and nothing undone before can be redone any more. */
  push(entry: UndoEntry): UndoStack {
    return new UndoStack(UndoStack.bounded([...this.entries, entry]));
  }

  /** The newest change was undone: it moves to the redo list. */
  undo(): UndoStack {
    const last = this.last;
    if (last === undefined) return this;
    return new UndoStack(this.entries.slice(0, -1), UndoStack.bounded([...this.undone, last]));
  }

  /** The newest undone change was made again, as `redone` (a click gets a new prompt id). */
  redo(redone: UndoEntry): UndoStack {
    return new UndoStack(UndoStack.bounded([...this.entries, redone]), this.undone.slice(0, -1));
  }

  /** The newest undone change cannot be made again (stale): it is forgotten. */
  dropUndone(): UndoStack {
    return new UndoStack(this.entries, this.undone.slice(0, -1));
  }

  /** A saved edit's SAM 2 log entry is known now (the write's answer): its entry (the newest one
   * of that object and frame with that mask, done or undone) remembers it for an undo. */
  withEditSeq(maskletId: number, frame: number, after: CompressedRle, seq: number): UndoStack {
    const mark = (list: readonly UndoEntry[]): UndoEntry[] => {
      const at = list.findLastIndex(
        (e) => e.maskletId === maskletId && e.frame === frame && e.promptId === undefined && sameRle(e.after, after),
      );
      return at < 0 ? [...list] : list.map((e, i) => (i === at ? { ...e, editSeq: seq } : e));
    };
    return new UndoStack(mark(this.entries), mark(this.undone));
  }

  /** Forget everything about an object (it was deleted). */
  withoutMasklet(maskletId: number): UndoStack {
    const keep = (e: UndoEntry) => e.maskletId !== maskletId;
    return new UndoStack(this.entries.filter(keep), this.undone.filter(keep));
  }

  private static bounded(entries: UndoEntry[]): UndoEntry[] {
    return entries.slice(Math.max(0, entries.length - UndoStack.LIMIT));
  }
}
