/**
 * What the per-object timeline shows: for every frame, whether the object is there and how its mask
 * came to be. Pure, so the rules are tested without a browser.
 */
import type { FrameOrigin } from '../api/masklets';

/** Ordered by how much a person was involved; a frame shows the strongest that applies. */
export type FrameMark = 'none' | 'propagated' | 'imported' | 'edited' | 'prompted';

const RANK: Record<FrameMark, number> = { none: 0, propagated: 1, imported: 2, edited: 3, prompted: 4 };

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
 * clicked mask, but the frame still anchors the object). Empty masks (area 0) count as absent.
 */
export function frameMarks(
  frameCount: number,
  frames: Iterable<{ frame_index: number; origin: FrameOrigin; area?: number }>,
  promptFrames: Iterable<number>,
): FrameMark[] {
  const marks: FrameMark[] = new Array<FrameMark>(Math.max(0, frameCount)).fill('none');
  for (const frame of frames) {
    if (frame.frame_index < 0 || frame.frame_index >= frameCount) continue;
    if (frame.area === 0) continue;
    marks[frame.frame_index] = markOfOrigin(frame.origin);
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

/** Frames where the object is present, for "N frames" counters. */
export function presentCount(marks: readonly FrameMark[]): number {
  return marks.reduce((n, m) => (m === 'none' ? n : n + 1), 0);
}

/** Nearest frame with a mark before (`-1`) or after (`1`) `from`, or null: "jump to next annotated". */
export function nextMarked(marks: readonly FrameMark[], from: number, direction: 1 | -1): number | null {
  for (let i = from + direction; i >= 0 && i < marks.length; i += direction) {
    if (marks[i] !== 'none') return i;
  }
  return null;
}
