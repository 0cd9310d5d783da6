/** Messages between the main thread and masks.worker.ts. */
import type { CompressedRle } from '../lib/rle';
import type { OutlineStyle, Rgb } from '../lib/maskRaster';

export interface DecodeRequest {
  type: 'decode';
  id: number;
  rle: CompressedRle;
  color: Rgb;
  outline: OutlineStyle;
  /** Frame pixels per bitmap pixel (see MaskRaster). */
  step: number;
}

export type MaskWorkerRequest = DecodeRequest;

export type MaskWorkerResponse =
  /** The mask's pixels cropped to its bounding box, whose top-left is (x, y) in frame pixels. */
  | { type: 'decoded'; id: number; bitmap: ImageBitmap; x: number; y: number; step: number; decodeMs: number }
  /** The mask has no foreground pixel: nothing to draw. */
  | { type: 'empty'; id: number }
  | { type: 'error'; id: number; message: string };

/** Messages between the main thread and frames.worker.ts (see canvas/frameWorkerSource.ts). */
export type FrameWorkerRequest =
  /** Which video: the URLs its frames come from. Sent once, first. */
  | { type: 'video'; frameUrlTemplate: string; chunkUrlTemplate?: string; chunkSize?: number }
  /** Fetch a chunk (or one frame) and hold its encoded frames under handles `firstHandle` onwards. */
  | { type: 'chunk'; id: number; chunk: number; firstHandle: number }
  | { type: 'frame'; id: number; frame: number; handle: number }
  /** Decode a held frame. */
  | { type: 'decode'; id: number; handle: number }
  /** Stop a fetch nobody wants any more. */
  | { type: 'abort'; id: number }
  /** Forget held frames. */
  | { type: 'release'; handles: number[] };

export type FrameWorkerResponse =
  /** A fetch finished: the byte size of each frame now held, in frame order from the first handle. */
  | { type: 'held'; id: number; firstHandle: number; sizes: number[] }
  | { type: 'decoded'; id: number; bitmap: ImageBitmap }
  | { type: 'failed'; id: number; message: string; status: number | null };
