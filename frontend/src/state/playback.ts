/**
 * Playback timing, free of the DOM so it can be tested with a fake clock.
 *
 * Playback runs on a clock anchored at (frame, time): the frame due at time t is
 * `anchorFrame + floor((t - anchorTime) * fps)`. When the due frame is not decoded yet, playback
 * shows the next frame instead (if ready) or waits, and restarts the clock from there: a slow network
 * slows playback down but never makes it jump over frames nobody saw. Frames are only dropped when
 * the display itself is slower than the video's fps.
 */

export interface PlaybackClock {
  anchorFrame: number;
  /** Milliseconds, on the same clock as `now` (performance.now()). */
  anchorMs: number;
}

/** Float slack so that exactly `k / fps` seconds after the anchor is frame `anchor + k`. */
const EPSILON_FRAMES = 1e-6;

export function dueFrame(clock: PlaybackClock, nowMs: number, fps: number): number {
  return clock.anchorFrame + Math.floor(((nowMs - clock.anchorMs) * fps) / 1000 + EPSILON_FRAMES);
}

export interface TickInput {
  clock: PlaybackClock;
  nowMs: number;
  fps: number;
  /** The frame on screen. */
  shown: number;
  lastFrame: number;
  isReady: (index: number) => boolean;
}

export interface TickResult {
  /** Frame to draw now, or null to keep the current one. */
  show: number | null;
  clock: PlaybackClock;
  /** Waiting for a frame to arrive. */
  buffering: boolean;
  /** The last frame is (now) on screen: playback stops. */
  ended: boolean;
}

export function playbackTick({ clock, nowMs, fps, shown, lastFrame, isReady }: TickInput): TickResult {
  const due = Math.min(dueFrame(clock, nowMs, fps), lastFrame);
  if (due <= shown) return { show: null, clock, buffering: false, ended: shown >= lastFrame };
  if (isReady(due)) return { show: due, clock, buffering: false, ended: due === lastFrame };
  const next = shown + 1;
  if (next !== due && isReady(next)) {
    return { show: next, clock: { anchorFrame: next, anchorMs: nowMs }, buffering: false, ended: next === lastFrame };
  }
  // Hold the clock so the next frame is due the moment it arrives, and the rest follow at fps.
  return { show: null, clock: { anchorFrame: next, anchorMs: nowMs }, buffering: true, ended: false };
}
