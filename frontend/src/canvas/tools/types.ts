/**
 * The contract between the canvas and its tools (one module per tool). A tool turns pointer
 * input on the frame into an `Interaction` (modes.ts) and, when the pointer is released, into a
 * typed event; it never calls the API.
 */
import type { CanvasEvent } from '../events';
import type { FramePoint, Interaction } from '../modes';
import type { Rect } from '../viewport';
import type { CompressedRle } from '../../lib/rle';

/** What a tool acts on: the selected object, or (id null) the new object of the picked label. */
export interface TargetObject {
  id: number | null;
  color: string;
  /** Its mask on the frame on screen, if any. */
  mask: CompressedRle | undefined;
}

export interface ToolHost {
  /** The frame on screen: the one the tool's result belongs to. */
  readonly frame: number;
  readonly target: TargetObject;
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Brush radius, frame pixels. */
  readonly brushRadius: number;
  emit(event: CanvasEvent): void;
  /** The target's mask as drawn now (a stroke starts from the picture, not a re-decode). */
  drawnMask(): { image: CanvasImageSource; x: number; y: number; width: number; height: number } | undefined;
  /** Keep a finished stroke on screen until its mask comes back. */
  showPreview(rle: CompressedRle, canvas: HTMLCanvasElement): void;
}

export interface FeedbackContext {
  ctx: CanvasRenderingContext2D;
  /** Where the frame lies on the overlay, canvas pixels. */
  rect: Rect;
  /** Canvas pixels per CSS pixel. */
  ratio: number;
  /** The pointer over the overlay, CSS pixels, or null when it is elsewhere. */
  hover: { x: number; y: number } | null;
  frameWidth: number;
  brushRadius: number;
}

export interface Tool {
  /** The pointer went down on the frame at `at`. */
  down(host: ToolHost, at: FramePoint, interaction: Interaction): Interaction;
  /** It moved with the button held (`at` clamped to the frame). */
  move(host: ToolHost, at: FramePoint, interaction: Interaction): Interaction;
  /** Released; `click` when it moved no farther than a click does, `at` null off the frame. */
  up(host: ToolHost, interaction: Interaction, at: FramePoint | null, click: boolean): void;
  /** Drawn over the masks: the box being dragged, the brush's reach. */
  feedback?(fc: FeedbackContext, interaction: Interaction): void;
  /** Drawn instead of the target's mask while the tool works on it (a stroke). */
  live?(interaction: Interaction): HTMLCanvasElement | null;
  /** The interaction was dropped (Escape, tool change, frame change). */
  cancel?(): void;
}
