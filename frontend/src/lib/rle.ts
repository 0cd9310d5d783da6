/**
 * COCO run-length encoding, bit-compatible with pycocotools (and so with SA-V and the backend).
 *
 * A mask of `height x width` is flattened column-major (pixel (x, y) sits at `x * height + y`) and
 * described by alternating run lengths that start with background: `[zeros, ones, zeros, ...]`.
 * The compressed string packs each run (for runs past the third, its difference from the run two
 * before) as little-endian 5-bit groups, one printable character each (`group + 48`), bit 0x20
 * meaning "more groups follow" and bit 0x10 of the last group carrying the sign.
 */

export interface CompressedRle {
  /** `[height, width]`, as pycocotools writes it. */
  size: [number, number];
  counts: string;
}

export interface DecodedMask {
  height: number;
  width: number;
  /** `height * width` bytes of 0/1, column-major. */
  data: Uint8Array;
}

export class RleError extends Error {
  override name = 'RleError';
}

/** Decode the compressed string into run lengths. */
export function countsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    // Arithmetic instead of bit operators: JS shifts are 32-bit and a run can need 7 groups (35 bits).
    let value = 0;
    let scale = 1;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RleError(`Truncated RLE string at character ${p}.`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RleError(`Invalid RLE character ${JSON.stringify(s[p])} at ${p}.`);
      value += (c & 0x1f) * scale;
      scale *= 32;
      more = (c & 0x20) !== 0;
      if (!more && (c & 0x10) !== 0) value -= scale; // sign-extend the last group
      p += 1;
    }
    const m = counts.length;
    if (m > 2) value += counts[m - 2] as number;
    if (value < 0) throw new RleError(`Negative run length ${value} at run ${m}.`);
    counts.push(value);
  }
  return counts;
}

/** Encode run lengths into the compressed string (inverse of `countsFromString`). */
export function countsToString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i += 1) {
    let x = counts[i] as number;
    if (i > 2) x -= counts[i - 2] as number;
    let more = true;
    while (more) {
      const c = ((x % 32) + 32) % 32; // low 5 bits, also for negative x
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      out += String.fromCharCode((more ? c | 0x20 : c) + 48);
    }
  }
  return out;
}

/** Expand run lengths into a column-major 0/1 mask. Throws when the runs do not cover the mask exactly. */
export function countsToMask(counts: readonly number[], height: number, width: number): Uint8Array {
  const total = height * width;
  const data = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const run = counts[i] as number;
    if (pos + run > total) throw new RleError(`RLE runs exceed the ${height}x${width} mask.`);
    if (i % 2 === 1) data.fill(1, pos, pos + run);
    pos += run;
  }
  if (pos !== total) throw new RleError(`RLE runs cover ${pos} of ${total} pixels.`);
  return data;
}

/** Run lengths of a column-major mask (any non-zero byte counts as foreground). */
export function maskToCounts(data: Uint8Array): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let i = 0; i < data.length; i += 1) {
    const v = data[i] !== 0 ? 1 : 0;
    if (v !== current) {
      counts.push(run);
      current = v;
      run = 0;
    }
    run += 1;
  }
  counts.push(run);
  return counts;
}

export function decodeRle(rle: CompressedRle): DecodedMask {
  const [height, width] = rle.size;
  return { height, width, data: countsToMask(countsFromString(rle.counts), height, width) };
}

export function encodeRle(mask: DecodedMask): CompressedRle {
  if (mask.data.length !== mask.height * mask.width) {
    throw new RleError(`Mask has ${mask.data.length} bytes, expected ${mask.height}x${mask.width}.`);
  }
  return { size: [mask.height, mask.width], counts: countsToString(maskToCounts(mask.data)) };
}

/** Foreground pixel count. */
export function rleArea(counts: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < counts.length; i += 2) area += counts[i] as number;
  return area;
}

/** Tight bounding box `[x, y, width, height]` in pixels, `[0, 0, 0, 0]` when empty (as pycocotools). */
export function rleBbox(counts: readonly number[], height: number): [number, number, number, number] {
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  let pos = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const run = counts[i] as number;
    if (i % 2 === 1 && run > 0) {
      const first = pos;
      const last = pos + run - 1;
      const x0 = Math.floor(first / height);
      const x1 = Math.floor(last / height);
      xMin = Math.min(xMin, x0);
      xMax = Math.max(xMax, x1);
      if (x0 !== x1) {
        // A run that wraps into the next column holds that column's first row and the previous
        // column's last row, so it spans every row.
        yMin = 0;
        yMax = height - 1;
      } else {
        yMin = Math.min(yMin, first % height);
        yMax = Math.max(yMax, last % height);
      }
    }
    pos += run;
  }
  if (xMin === Infinity) return [0, 0, 0, 0];
  return [xMin, yMin, xMax - xMin + 1, yMax - yMin + 1];
}
