import { describe, expect, it } from 'vitest';
import type { CompressedRle } from './rle';
import { describeChange, planRedo, planUndo, sameRle, UndoStack, type UndoEntry } from './undo';

const rle = (counts: string): CompressedRle => ({ size: [4, 4], counts });
const A = rle('04<0');
const B = rle('1214');
const C = rle('0g0');

const entry = (over: Partial<UndoEntry> = {}): UndoEntry => ({
  maskletId: 7,
  frame: 3,
  kind: 'brush',
  before: { rle: A, origin: 'propagated' },
  after: B,
  ...over,
});

describe('planUndo', () => {
  it('writes the previous mask back, with its origin', () => {
    expect(planUndo(entry(), B)).toEqual({
      kind: 'write',
      maskletId: 7,
      frame: 3,
      mask: { rle: A, origin: 'propagated' },
    });
  });

  it('takes the prompt of a click back with the mask', () => {
    expect(planUndo(entry({ kind: 'click', promptId: 41 }), B)).toEqual({
      kind: 'write',
      maskletId: 7,
      frame: 3,
      mask: { rle: A, origin: 'propagated' },
      target: { promptId: 41 },
    });
    expect(planUndo(entry({ kind: 'click', before: null, promptId: 42 }), B)).toEqual({
      kind: 'delete',
      maskletId: 7,
      frame: 3,
      target: { promptId: 42 },
    });
  });

  it("takes a saved edit's SAM 2 log entry back with the mask", () => {
    expect(planUndo(entry({ editSeq: 12 }), B)).toEqual({
      kind: 'write',
      maskletId: 7,
      frame: 3,
      mask: { rle: A, origin: 'propagated' },
      target: { editSeq: 12 },
    });
  });

  it("learns an edit's log entry once the write is answered, done or undone", () => {
    const stack = UndoStack.empty()
      .push(entry({ after: B }))
      .push(entry({ frame: 4, after: B }));
    expect(stack.withEditSeq(7, 3, B, 21).entries.map((e) => e.editSeq)).toEqual([21, undefined]);
    expect(stack.undo().withEditSeq(7, 4, B, 22).lastUndone?.editSeq).toBe(22);
    expect(stack.withEditSeq(7, 3, C, 23).entries.map((e) => e.editSeq)).toEqual([undefined, undefined]);
  });

  it('deletes the frame mask when there was none before', () => {
    expect(planUndo(entry({ before: null, kind: 'click' }), B)).toEqual({ kind: 'delete', maskletId: 7, frame: 3 });
  });

  it('refuses when the mask changed since (propagation, another person)', () => {
    const plan = planUndo(entry(), C);
    expect(plan.kind).toBe('stale');
    if (plan.kind === 'stale') expect(plan.reason).toContain('brush stroke on frame 3');
  });

  it('refuses when the frame mask was deleted since', () => {
    expect(planUndo(entry(), undefined).kind).toBe('stale');
  });

  it('says when there is nothing to undo', () => {
    expect(planUndo(undefined, undefined)).toEqual({ kind: 'empty' });
  });
});

describe('planRedo', () => {
  it("writes the stroke's mask again when the frame still shows what the undo left", () => {
    expect(planRedo(entry(), A)).toEqual({
      kind: 'write',
      maskletId: 7,
      frame: 3,
      mask: { rle: B, origin: 'edited' },
    });
  });

  it('sends a click to SAM 2 again', () => {
    const click = entry({
      kind: 'click',
      before: null,
      promptId: 4,
      prompt: { points: [[0.5, 0.5, 1]], clear_old: false },
    });
    expect(planRedo(click, undefined)).toEqual({
      kind: 'prompt',
      maskletId: 7,
      frame: 3,
      prompt: { points: [[0.5, 0.5, 1]], clear_old: false },
    });
  });

  it('refuses when the mask changed after the undo', () => {
    const plan = planRedo(entry(), C);
    expect(plan.kind).toBe('stale');
    expect(plan.kind === 'stale' && plan.reason).toMatch(/cannot be redone/);
    expect(planRedo(undefined, undefined)).toEqual({ kind: 'empty' });
  });
});

describe('UndoStack', () => {
  it('moves an undone change to redo, and a new change clears redo', () => {
    const stack = UndoStack.empty()
      .push(entry({ frame: 1 }))
      .push(entry({ frame: 2 }));
    const undone = stack.undo();
    expect(undone.last?.frame).toBe(1);
    expect(undone.lastUndone?.frame).toBe(2);
    const redone = undone.redo(entry({ frame: 2, promptId: 9 }));
    expect(redone.last?.promptId).toBe(9);
    expect(redone.lastUndone).toBeUndefined();
    expect(undone.push(entry({ frame: 5 })).lastUndone).toBeUndefined();
    expect(undone.dropUndone().lastUndone).toBeUndefined();
    expect(UndoStack.empty().undo().size).toBe(0);
  });

  it('undoes newest first and is immutable', () => {
    const empty = UndoStack.empty();
    const one = empty.push(entry({ frame: 1 }));
    const two = one.push(entry({ frame: 2 }));
    expect(empty.size).toBe(0);
    expect(two.last?.frame).toBe(2);
    expect(two.undo().last?.frame).toBe(1);
    expect(two.size).toBe(2);
  });

  it('keeps at most LIMIT entries, dropping the oldest', () => {
    let stack = UndoStack.empty();
    for (let i = 0; i < UndoStack.LIMIT + 5; i += 1) stack = stack.push(entry({ frame: i }));
    expect(stack.size).toBe(UndoStack.LIMIT);
    expect(stack.entries[0]?.frame).toBe(5);
  });

  it('forgets a deleted object', () => {
    const stack = UndoStack.empty()
      .push(entry({ maskletId: 1 }))
      .push(entry({ maskletId: 2 }))
      .push(entry({ maskletId: 1 }));
    expect(stack.withoutMasklet(1).entries.map((e) => e.maskletId)).toEqual([2]);
    expect(stack.undo().withoutMasklet(1).lastUndone).toBeUndefined();
  });
});

describe('helpers', () => {
  it('compares RLEs by value', () => {
    expect(sameRle(A, rle('04<0'))).toBe(true);
    expect(sameRle(A, B)).toBe(false);
    expect(sameRle(A, { size: [2, 8], counts: '04<0' })).toBe(false);
    expect(sameRle(undefined, undefined)).toBe(true);
    expect(sameRle(A, undefined)).toBe(false);
  });

  it('describes a change in words', () => {
    expect(describeChange({ kind: 'eraser', frame: 12 })).toBe('eraser stroke on frame 12');
    expect(describeChange({ kind: 'box', frame: 0 })).toBe('box on frame 0');
  });
});
