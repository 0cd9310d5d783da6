/**
 * What the per-object timeline shows: for every frame, whether the object is there and how its mask
 * came to be. Pure, so the rules are tested without a browser.
 */
import type { FrameOrigin } from '../api/masklets';

/**
 * Ordered by how much a person was involved; a frame shows the strongest that applies. `empty`: a
 * stored mask with no pixel (propagation found the object gone): absent, but not unvisited.
 */
export type FrameMark = 'none' | 'empty' | 'propagated' | 'imported' | 'edited' | 'prompted';

const RANK: Record<FrameMark, number> = { none: 0, empty: 1, propagated: 2, imported: 3, edited: 4, prompted: 5 };

/** Marks where the object is on the frame (`empty` is a verdict that it is not). */
export function isPresent(mark: FrameMark): boolean {
  return mark !== 'none' && mark !== 'empty';
}

export function markOfOrigin(origin: FrameOrigin): FrameMark {
  switch (origin) {
    case 'click':
      return 'prompted';
    case 'edited':
      return 'edited';
    case 'imported':
      return 'imported';
    case 'propagated':
      return 'propagated';
  }
}

/**
 * One mark per frame. A frame with a stored mask is marked by its origin; a frame with a prompt is
 * "prompted" whatever its mask's origin (a propagation with overwrite may have replaced the
 * clicked mask, but the frame still anchors the object). An empty mask (area 0) is `empty`.
 */
export function frameMarks(
  frameCount: number,
  frames: Iterable<{ frame_index: number; origin: FrameOrigin; area?: number }>,
  promptFrames: Iterable<number>,
): FrameMark[] {
  const marks: FrameMark[] = new Array<FrameMark>(Math.max(0, frameCount)).fill('none');
  for (const frame of frames) {
    if (frame.frame_index < 0 || frame.frame_index >= frameCount) continue;
    marks[frame.frame_index] = frame.area === 0 ? 'empty' : markOfOrigin(frame.origin);
  }
  for (const index of promptFrames) {
    if (index >= 0 && index < frameCount) marks[index] = 'prompted';
  }
  return marks;
}

export interface Segment {
  /** First frame, inclusive. */
  start: number;
  /** Last frame, exclusive. */
  end: number;
  mark: FrameMark;
}

/** Runs of equal marks, leaving out 'none' (the timeline's background). */
export function segmentsOf(marks: readonly FrameMark[]): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= marks.length; i += 1) {
    if (i === marks.length || marks[i] !== marks[start]) {
      const mark = marks[start] as FrameMark;
      if (mark !== 'none') segments.push({ start, end: i, mark });
      start = i;
    }
  }
  return segments;
}

/** The stronger of two marks (used when several objects share one summary row). */
export function strongerMark(a: FrameMark, b: FrameMark): FrameMark {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Frames where the object is present, for "N frames" counters (empty masks do not count). */
export function presentCount(marks: readonly FrameMark[]): number {
  return marks.reduce((n, m) => (isPresent(m) ? n + 1 : n), 0);
}

/** Nearest frame with a mark before (`-1`) or after (`1`) `from`, or null: "jump to next annotated". */
export function nextMarked(marks: readonly FrameMark[], from: number, direction: 1 | -1): number | null {
  for (let i = from + direction; i >= 0 && i < marks.length; i += direction) {
    if (marks[i] !== 'none') return i;
  }
  return null;
}

/**
 * Keyframes: the frames a person set (prompted or edited) and the frames a reviewer pinned a
 * comment to, sorted, without repeats. The next/previous keyframe keys walk these.
 */
export function keyframesOf(marks: readonly FrameMark[], pinned: Iterable<number> = []): number[] {
  const frames = new Set<number>();
  marks.forEach((m, i) => {
    if (m === 'prompted' || m === 'edited') frames.add(i);
  });
  for (const f of pinned) if (f >= 0 && f < marks.length) frames.add(f);
  return [...frames].sort((a, b) => a - b);
}

/** The keyframe after (`1`) or before (`-1`) `from`, or null when there is none that way. */
export function nextKeyframe(keyframes: readonly number[], from: number, direction: 1 | -1): number | null {
  if (direction === 1) return keyframes.find((f) => f > from) ?? null;
  for (let i = keyframes.length - 1; i >= 0; i -= 1) if ((keyframes[i] as number) < from) return keyframes[i] as number;
  return null;
}
