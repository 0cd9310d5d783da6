/**
 * Turning COCO RLE masks into coloured RGBA pixels, and painting into binary masks. Pure functions
 * over typed arrays: the mask worker calls them off the main thread, the brush on it, tests directly.
 */
import { countsFromString, RleError, rleBbox, type CompressedRle } from './rle';

export type Rgb = readonly [number, number, number];

/** `#rrggbb` to `[r, g, b]`; an unreadable colour becomes a visible magenta rather than nothing. */
export function parseHexColor(color: string): Rgb {
  const match = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!match) return [255, 0, 255];
  const value = parseInt(match[1] as string, 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/** Alpha of a mask's inside and of its outline; the layer's opacity then scales both. */
export const FILL_ALPHA = 150;
export const EDGE_ALPHA = 255;

/** A mask's coloured pixels, cropped to its bounding box `(x, y, width, height)` in frame pixels. */
export interface MaskRaster {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Row-major RGBA, `width * height * 4` bytes; empty when the mask is. */
  pixels: Uint8ClampedArray<ArrayBuffer>;
}

/**
 * Row-major RGBA of a mask in `color`, cropped to the mask's bounding box (memory and drawing cost
 * follow the object's size, not the frame's): inside pixels get FILL_ALPHA, pixels on the mask's
 * edge EDGE_ALPHA (so touching objects stay apart), the rest stays transparent. Walks the
 * foreground runs only, so the work is proportional to the mask's area.
 */
export function rleToRgba(rle: CompressedRle, color: Rgb): MaskRaster {
  const [height, width] = rle.size;
  const counts = countsFromString(rle.counts);
  const total = width * height;
  let covered = 0;
  for (const run of counts) covered += run;
  if (covered !== total) throw new RleError(`RLE runs cover ${covered} of ${total} pixels.`);
  const [bx, by, bw, bh] = rleBbox(counts, height);
  const pixels = new Uint8ClampedArray(new ArrayBuffer(bw * bh * 4));
  if (bw === 0 || bh === 0) return { x: 0, y: 0, width: 0, height: 0, pixels };
  const words = new Uint32Array(pixels.buffer);
  // Little-endian: ABGR in one word is RGBA in bytes (every browser this app targets is little-endian).
  const rgb = (color[2] << 16) | (color[1] << 8) | color[0];
  const fill = ((FILL_ALPHA << 24) | rgb) >>> 0;
  const edge = ((EDGE_ALPHA << 24) | rgb) >>> 0;
  const forEachForeground = (visit: (k: number, cx: number, cy: number) => void): void => {
    let pos = 0;
    for (let i = 0; i < counts.length; i += 1) {
      const run = counts[i] as number;
      if (i % 2 === 1) {
        for (let p = pos; p < pos + run; p += 1) {
          const x = (p / height) | 0;
          const cx = x - bx;
          const cy = p - x * height - by;
          visit(cy * bw + cx, cx, cy);
        }
      }
      pos += run;
    }
  };
  forEachForeground((k) => {
    words[k] = fill;
  });
  // Outline: a foreground pixel with a 4-neighbour that is background or outside the box (the box is
  // tight, so outside it is background too).
  forEachForeground((k, cx, cy) => {
    if (
      cx === 0 ||
      cy === 0 ||
      cx === bw - 1 ||
      cy === bh - 1 ||
      words[k - 1] === 0 ||
      words[k + 1] === 0 ||
      words[k - bw] === 0 ||
      words[k + bw] === 0
    ) {
      words[k] = edge;
    }
  });
  return { x: bx, y: by, width: bw, height: bh, pixels };
}

/**
 * Set (value 1) or clear (value 0) a filled disc in a column-major binary mask, clipped to it.
 * `cx`, `cy`, `radius` in frame pixels.
 */
export function paintDisc(
  data: Uint8Array,
  height: number,
  width: number,
  cx: number,
  cy: number,
  radius: number,
  value: 0 | 1,
): void {
  const r2 = radius * radius;
  const x0 = Math.max(0, Math.floor(cx - radius));
  const x1 = Math.min(width - 1, Math.ceil(cx + radius));
  for (let x = x0; x <= x1; x += 1) {
    const dx = x + 0.5 - cx;
    const half = r2 - dx * dx;
    if (half < 0) continue;
    const h = Math.sqrt(half);
    const y0 = Math.max(0, Math.ceil(cy - h - 0.5));
    const y1 = Math.min(height - 1, Math.floor(cy + h - 0.5));
    if (y1 >= y0) data.fill(value, x * height + y0, x * height + y1 + 1);
  }
}

/** Paint discs along the segment a->b, close enough that a fast stroke leaves no gaps. */
export function paintSegment(
  data: Uint8Array,
  height: number,
  width: number,
  a: { x: number; y: number },
  b: { x: number; y: number },
  radius: number,
  value: 0 | 1,
): void {
  const distance = Math.hypot(b.x - a.x, b.y - a.y);
  const steps = Math.max(1, Math.ceil(distance / Math.max(1, radius / 2)));
  for (let i = 0; i <= steps; i += 1) {
    const t = i / steps;
    paintDisc(data, height, width, a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, radius, value);
  }
}
