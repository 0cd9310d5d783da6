/**
 * Telling SAM 2 which frame the annotator rests on, so that the worker holding the video encodes
 * it before the first click (the click then skips the image encoder). A frame counts once it was
 * shown for `restMs` without moving on; scrubbing sends nothing, and a frame is not sent twice in a
 * row. Framework-free, so the rule is tested with fake timers.
 */
export type FrameShownSender = (frame: number) => void;

/** How long a frame must stay on screen before SAM 2 is asked to encode it. */
export const FRAME_REST_MS = 300;

export class FrameShownReporter {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sent: number | null = null;
  private pending: number | null = null;

  constructor(
    private readonly send: FrameShownSender,
    private readonly restMs = FRAME_REST_MS,
  ) {}

  /** The frame on screen changed (or was first shown). */
  show(frame: number): void {
    if (this.timer !== null && frame === this.pending) return; // still resting on it
    this.cancel();
    if (frame === this.sent) return;
    this.pending = frame;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sent = frame;
      this.send(frame);
    }, this.restMs);
  }

  /** Nothing is sent for the frame waiting to count (the page goes away, or SAM 2 is off). */
  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
