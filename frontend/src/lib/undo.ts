/**
 * Undo of the last prompt or edit. Every change the workspace makes replaces one frame's mask of
 * one object, so an entry remembers that frame's mask before and after; undo writes "before" back.
 *
 * Undo must never destroy someone else's work: if the frame's mask is no longer the one this
 * change produced (a propagation or another annotator wrote it since), the entry is stale and
 * undo refuses, saying why.
 */
import type { FrameOrigin } from '../api/masklets';
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
}

export type UndoPlan =
  | { kind: 'write'; maskletId: number; frame: number; mask: FrameMaskState; promptId?: number }
  | { kind: 'delete'; maskletId: number; frame: number; promptId?: number }
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
  const prompt = entry.promptId !== undefined ? { promptId: entry.promptId } : {};
  if (entry.before === null) return { kind: 'delete', maskletId: entry.maskletId, frame: entry.frame, ...prompt };
  return { kind: 'write', maskletId: entry.maskletId, frame: entry.frame, mask: entry.before, ...prompt };
}

/** Bounded history, newest last. Immutable: every operation returns a new stack. */
export class UndoStack {
  static readonly LIMIT = 100;

  private constructor(readonly entries: readonly UndoEntry[]) {}

  static empty(): UndoStack {
    return new UndoStack([]);
  }

  get last(): UndoEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  get size(): number {
    return this.entries.length;
  }

  push(entry: UndoEntry): UndoStack {
    const entries = [...this.entries, entry];
    return new UndoStack(entries.slice(Math.max(0, entries.length - UndoStack.LIMIT)));
  }

  pop(): UndoStack {
    return new UndoStack(this.entries.slice(0, -1));
  }

  /** Forget everything about an object (it was deleted). */
  withoutMasklet(maskletId: number): UndoStack {
    return new UndoStack(this.entries.filter((e) => e.maskletId !== maskletId));
  }
}
