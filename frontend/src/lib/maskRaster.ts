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
/** The selected object's inside: more opaque than the others, so it stands out in its own colour. */
export const HIGHLIGHT_FILL_ALPHA = 200;

/**
 * A mask's coloured pixels, cropped to its bounding box: pixel (i, j) of the raster is frame pixel
 * (x + i * step, y + j * step). `step` > 1 when the mask is shown smaller than the frame: a
 * raster finer than the screen costs decoding time and shows nothing more.
 */
export interface MaskRaster {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Frame pixels per raster pixel, along each axis. */
  step: number;
  /** Row-major RGBA, `width * height * 4` bytes; empty when the mask is. */
  pixels: Uint8ClampedArray<ArrayBuffer>;
}

export interface OutlineStyle {
  /** Outline thickness in frame pixels: what reads as ~1.5 screen pixels once the frame is scaled. */
  width: number;
  /** The selected object: a more opaque inside (and the caller makes its outline thicker). */
  highlight: boolean;
}

/**
 * Row-major RGBA of a mask in `color`, cropped to the mask's bounding box (memory and work follow
 * the object's size, not the frame's) and sampled every `step` frame pixels: inside pixels get
 * FILL_ALPHA (HIGHLIGHT_FILL_ALPHA for the selected object), pixels within `outline.width` of the
 * mask's edge (along a row or a column) EDGE_ALPHA, so touching objects stay apart and the
 * selected one stands out, all in the object's colour; the rest stays transparent.
 */
export function rleToRgba(
  rle: CompressedRle,
  color: Rgb,
  outline: OutlineStyle = { width: 1, highlight: false },
  step = 1,
): MaskRaster {
  const [height, width] = rle.size;
  const counts = countsFromString(rle.counts);
  const total = width * height;
  let covered = 0;
  for (const run of counts) covered += run;
  if (covered !== total) throw new RleError(`RLE runs cover ${covered} of ${total} pixels.`);
  const [bx, by, bw, bh] = rleBbox(counts, height);
  if (bw === 0 || bh === 0) return { x: 0, y: 0, width: 0, height: 0, step, pixels: new Uint8ClampedArray(0) };
  // The sampling grid: frame pixels whose coordinates are multiples of `step`, inside the box.
  const gx0 = Math.ceil(bx / step);
  const gy0 = Math.ceil(by / step);
  const rw = Math.max(1, Math.floor((bx + bw - 1) / step) - gx0 + 1);
  const rh = Math.max(1, Math.floor((by + bh - 1) / step) - gy0 + 1);
  // Foreground, column-major like the RLE: each run's part of a column is one fill.
  const inside = new Uint8Array(rw * rh);
  let pos = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const run = counts[i] as number;
    if (i % 2 === 1) {
      const end = pos + run;
      for (let p = pos; p < end;) {
        const x = (p / height) | 0;
        const columnEnd = Math.min(end, (x + 1) * height);
        if (x % step === 0) {
          const j0 = Math.ceil((p - x * height) / step) - gy0;
          const j1 = Math.floor((columnEnd - 1 - x * height) / step) - gy0;
          if (j1 >= j0) inside.fill(1, (x / step - gx0) * rh + j0, (x / step - gx0) * rh + j1 + 1);
        }
        p = columnEnd;
      }
    }
    pos += run;
  }
  const near = nearEdge(inside, rw, rh, Math.max(1, Math.round(outline.width / step)));
  const pixels = new Uint8ClampedArray(new ArrayBuffer(rw * rh * 4));
  const words = new Uint32Array(pixels.buffer);
  // Little-endian: ABGR in one word is RGBA in bytes (every browser this app targets is little-endian).
  const word = (rgb: Rgb, alpha: number) => ((alpha << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
  const fill = word(color, outline.highlight ? HIGHLIGHT_FILL_ALPHA : FILL_ALPHA);
  const edge = word(color, EDGE_ALPHA);
  for (let i = 0; i < rw; i += 1) {
    const column = i * rh;
    for (let j = 0; j < rh; j += 1) {
      if (inside[column + j] === 1) words[j * rw + i] = near[column + j] === 1 ? edge : fill;
    }
  }
  return { x: gx0 * step, y: gy0 * step, width: rw, height: rh, step, pixels };
}

/**
 * 1 for foreground pixels at most `t` pixels from the background along their row or column (the
 * box's border counts as background: the box is tight). `inside` is column-major, `w` columns of
 * `h`; two passes per axis, linear in the box.
 */
function nearEdge(inside: Uint8Array, w: number, h: number, t: number): Uint8Array {
  const near = new Uint8Array(inside.length);
  const run = new Int32Array(Math.max(w, h));
  // Down each column (contiguous).
  for (let i = 0; i < w; i += 1) {
    const base = i * h;
    let n = 0;
    for (let j = 0; j < h; j += 1) {
      n = inside[base + j] === 1 ? n + 1 : 0;
      run[j] = n;
    }
    n = 0;
    for (let j = h - 1; j >= 0; j -= 1) {
      n = inside[base + j] === 1 ? n + 1 : 0;
      if (n > 0 && (n <= t || (run[j] as number) <= t)) near[base + j] = 1;
    }
  }
  // Along each row (stride h).
  for (let j = 0; j < h; j += 1) {
    let n = 0;
    for (let i = 0; i < w; i += 1) {
      n = inside[i * h + j] === 1 ? n + 1 : 0;
      run[i] = n;
    }
    n = 0;
    for (let i = w - 1; i >= 0; i -= 1) {
      n = inside[i * h + j] === 1 ? n + 1 : 0;
      if (n > 0 && (n <= t || (run[i] as number) <= t)) near[i * h + j] = 1;
    }
  }
  return near;
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
