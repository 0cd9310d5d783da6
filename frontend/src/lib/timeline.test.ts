import { describe, expect, it } from 'vitest';
import { frameMarks, keyframesOf, nextKeyframe, nextMarked, presentCount, segmentsOf, strongerMark } from './timeline';

describe('timeline marks', () => {
  it('marks each frame by its mask origin, prompts winning', () => {
    const marks = frameMarks(
      8,
      [
        { frame_index: 1, origin: 'propagated' },
        { frame_index: 2, origin: 'click' },
        { frame_index: 3, origin: 'edited' },
        { frame_index: 4, origin: 'imported' },
        // A propagation with overwrite replaced the clicked mask of frame 5; its prompt still anchors it.
        { frame_index: 5, origin: 'propagated' },
      ],
      [5],
    );
    expect(marks).toEqual(['none', 'propagated', 'prompted', 'edited', 'imported', 'prompted', 'none', 'none']);
  });

  it('marks empty masks as empty (absent, not unvisited) and ignores frames outside the video', () => {
    const marks = frameMarks(
      4,
      [
        { frame_index: 0, origin: 'propagated', area: 0 },
        { frame_index: 1, origin: 'propagated', area: 12 },
        { frame_index: 2, origin: 'edited', area: 0 }, // erased to nothing by hand
        { frame_index: 7, origin: 'edited', area: 5 },
      ],
      [-1, 9],
    );
    expect(marks).toEqual(['empty', 'propagated', 'empty', 'none']);
    expect(presentCount(marks)).toBe(1);
  });

  it('walks keyframes: prompted and edited frames, and pinned ones', () => {
    const marks = frameMarks(
      20,
      [
        { frame_index: 2, origin: 'click' },
        { frame_index: 3, origin: 'propagated' },
        { frame_index: 9, origin: 'edited' },
      ],
      [14],
    );
    const keyframes = keyframesOf(marks, [5, 9, 30]);
    expect(keyframes).toEqual([2, 5, 9, 14]);
    expect(nextKeyframe(keyframes, 2, 1)).toBe(5);
    expect(nextKeyframe(keyframes, 3, -1)).toBe(2);
    expect(nextKeyframe(keyframes, 14, 1)).toBeNull();
    expect(nextKeyframe(keyframes, 2, -1)).toBeNull();
  });

  it('turns marks into runs, leaving gaps out', () => {
    expect(
      segmentsOf(['prompted', 'propagated', 'propagated', 'none', 'none', 'propagated', 'edited', 'edited']),
    ).toEqual([
      { start: 0, end: 1, mark: 'prompted' },
      { start: 1, end: 3, mark: 'propagated' },
      { start: 5, end: 6, mark: 'propagated' },
      { start: 6, end: 8, mark: 'edited' },
    ]);
    expect(segmentsOf([])).toEqual([]);
    expect(segmentsOf(['none', 'none'])).toEqual([]);
  });

  it('finds the next and previous marked frame', () => {
    const marks = frameMarks(
      10,
      [
        { frame_index: 2, origin: 'click' },
        { frame_index: 7, origin: 'propagated' },
      ],
      [],
    );
    expect(nextMarked(marks, 2, 1)).toBe(7);
    expect(nextMarked(marks, 7, -1)).toBe(2);
    expect(nextMarked(marks, 7, 1)).toBeNull();
    expect(nextMarked(marks, 2, -1)).toBeNull();
  });

  it('ranks marks by how much a person was involved', () => {
    expect(strongerMark('propagated', 'edited')).toBe('edited');
    expect(strongerMark('prompted', 'edited')).toBe('prompted');
    expect(strongerMark('none', 'imported')).toBe('imported');
  });
});
