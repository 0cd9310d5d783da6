/** Messages between the main thread and masks.worker.ts. */
import type { CompressedRle } from '../lib/rle';
import type { Rgb } from '../lib/maskRaster';

export interface DecodeRequest {
  type: 'decode';
  id: number;
  rle: CompressedRle;
  color: Rgb;
}

export type MaskWorkerRequest = DecodeRequest;

export type MaskWorkerResponse =
  /** The mask's pixels cropped to its bounding box, whose top-left is (x, y) in frame pixels. */
  | { type: 'decoded'; id: number; bitmap: ImageBitmap; x: number; y: number; decodeMs: number }
  /** The mask has no foreground pixel: nothing to draw. */
  | { type: 'empty'; id: number }
  | { type: 'error'; id: number; message: string };
