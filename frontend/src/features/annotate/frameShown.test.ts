import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_REST_MS, FrameShownReporter } from './frameShown';

describe('FrameShownReporter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a frame once it rested on screen, and nothing while scrubbing', () => {
    const sent: number[] = [];
    const reporter = new FrameShownReporter((frame) => sent.push(frame));
    // when: scrubbing through frames 1-4 faster than the rest time, then resting on 5
    for (const frame of [1, 2, 3, 4, 5]) {
      reporter.show(frame);
      vi.advanceTimersByTime(FRAME_REST_MS / 3);
    }
    vi.advanceTimersByTime(FRAME_REST_MS);
    // then: only frame 5 was sent
    expect(sent).toEqual([5]);
  });

  it('keeps counting when the same frame is shown again while resting', () => {
    const sent: number[] = [];
    const reporter = new FrameShownReporter((frame) => sent.push(frame));
    reporter.show(3);
    vi.advanceTimersByTime(FRAME_REST_MS - 1);
    reporter.show(3); // another change of the player's state, same frame
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([3]);
  });

  it('does not send the same frame twice in a row, and cancel drops the waiting one', () => {
    const sent: number[] = [];
    const reporter = new FrameShownReporter((frame) => sent.push(frame));
    reporter.show(7);
    vi.advanceTimersByTime(FRAME_REST_MS);
    reporter.show(7);
    vi.advanceTimersByTime(FRAME_REST_MS);
    reporter.show(8);
    reporter.cancel();
    vi.advanceTimersByTime(FRAME_REST_MS);
    expect(sent).toEqual([7]);
  });
});
