import { describe, expect, it } from 'vitest';
import {
  EDGE_ALPHA,
  FILL_ALPHA,
  HIGHLIGHT_FILL_ALPHA,
  paintDisc,
  paintSegment,
  parseHexColor,
  rleToRgba,
} from './maskRaster';
import { decodeRle, encodeRle } from './rle';

/** Column-major mask from row strings ('1' = foreground). */
function maskOf(rows: string[]): { height: number; width: number; data: Uint8Array } {
  const height = rows.length;
  const width = rows[0]?.length ?? 0;
  const data = new Uint8Array(height * width);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x += 1) data[x * height + y] = row[x] === '1' ? 1 : 0;
  });
  return { height, width, data };
}

describe('rleToRgba', () => {
  it('crops to the bounding box, colours the inside and outlines the edge', () => {
    const rle = encodeRle(
      maskOf([
        '000000', //
        '001110',
        '001110',
        '001110',
        '000000',
      ]),
    );
    const raster = rleToRgba(rle, [10, 20, 30]);
    expect([raster.x, raster.y, raster.width, raster.height]).toEqual([2, 1, 3, 3]);
    const alpha = (x: number, y: number) => raster.pixels[(y * raster.width + x) * 4 + 3];
    const rgb = (x: number, y: number) => [
      ...raster.pixels.slice((y * raster.width + x) * 4, (y * raster.width + x) * 4 + 3),
    ];
    expect(alpha(1, 1)).toBe(FILL_ALPHA); // the one inside pixel
    for (const [x, y] of [
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1],
      [2, 1],
      [0, 2],
      [1, 2],
      [2, 2],
    ] as const) {
      expect(alpha(x, y)).toBe(EDGE_ALPHA);
    }
    expect(rgb(1, 1)).toEqual([10, 20, 30]);
  });

  it('leaves holes transparent and row-major order right for non-square masks', () => {
    const rle = encodeRle(maskOf(['1111111', '1000001', '1111111']));
    const raster = rleToRgba(rle, [255, 0, 0]);
    expect([raster.width, raster.height]).toEqual([7, 3]);
    for (let x = 1; x < 6; x += 1) expect(raster.pixels[(1 * 7 + x) * 4 + 3]).toBe(0);
    expect(raster.pixels[(1 * 7 + 0) * 4 + 3]).toBe(EDGE_ALPHA);
  });

  it('gives an empty raster for an empty mask', () => {
    const raster = rleToRgba(encodeRle(maskOf(['000', '000'])), [1, 2, 3]);
    expect(raster.width).toBe(0);
    expect(raster.pixels.length).toBe(0);
  });

  it('rejects runs that do not cover the mask', () => {
    expect(() => rleToRgba({ size: [3, 3], counts: '05' }, [0, 0, 0])).toThrow(/cover/);
  });
});

describe('brush painting', () => {
  it('paints a clipped disc into a column-major mask and erases it again', () => {
    const height = 20;
    const width = 30;
    const data = new Uint8Array(height * width);
    paintDisc(data, height, width, 0, 10, 5, 1); // half outside the left edge
    const at = (x: number, y: number) => data[x * height + y];
    expect(at(0, 10)).toBe(1);
    expect(at(4, 10)).toBe(1);
    expect(at(6, 10)).toBe(0);
    expect(at(0, 4)).toBe(0);
    const painted = data.reduce((n, v) => n + v, 0);
    expect(painted).toBeGreaterThan(30); // ~ half of pi * 25
    expect(painted).toBeLessThan(50);
    paintDisc(data, height, width, 0, 10, 6, 0);
    expect(data.every((v) => v === 0)).toBe(true);
  });

  it('leaves no gap along a fast stroke', () => {
    const height = 40;
    const width = 200;
    const data = new Uint8Array(height * width);
    paintSegment(data, height, width, { x: 10, y: 20 }, { x: 190, y: 20 }, 3, 1);
    for (let x = 10; x <= 190; x += 1) expect(data[x * height + 20]).toBe(1);
    // And the RLE of the result round-trips.
    const rle = encodeRle({ height, width, data });
    expect(decodeRle(rle).data).toEqual(data);
  });
});

describe('parseHexColor', () => {
  it('reads #rrggbb and falls back to magenta', () => {
    expect(parseHexColor('#1f77b4')).toEqual([31, 119, 180]);
    expect(parseHexColor('#FFFFFF')).toEqual([255, 255, 255]);
    expect(parseHexColor('red')).toEqual([255, 0, 255]);
  });
});

describe('outlines', () => {
  const square = (n: number) => encodeRle(maskOf(Array.from({ length: n }, () => '1'.repeat(n))));
  const alphas = (raster: { pixels: Uint8ClampedArray; width: number }, row: number) =>
    Array.from({ length: raster.width }, (_, x) => raster.pixels[(row * raster.width + x) * 4 + 3]);

  it('draws an outline as thick as asked, inside the mask', () => {
    const thin = rleToRgba(square(8), [1, 2, 3], { width: 1, highlight: false });
    const thick = rleToRgba(square(8), [1, 2, 3], { width: 2, highlight: false });
    const E = EDGE_ALPHA;
    const F = FILL_ALPHA;
    expect(alphas(thin, 4)).toEqual([E, F, F, F, F, F, F, E]);
    expect(alphas(thick, 4)).toEqual([E, E, F, F, F, F, E, E]);
    expect(alphas(thick, 0)).toEqual(Array(8).fill(E));
  });

  it('fills the selected object more opaquely, in its own colour', () => {
    const raster = rleToRgba(square(8), [10, 20, 30], { width: 1, highlight: true });
    expect(alphas(raster, 4)[3]).toBe(HIGHLIGHT_FILL_ALPHA);
    expect(Array.from(raster.pixels.slice(0, 3))).toEqual([10, 20, 30]);
  });
});

describe('sampling every step pixels', () => {
  it('draws the frame pixels at multiples of the step, exactly as the full raster has them', () => {
    // a ragged random mask, 23 x 17
    const rows = Array.from({ length: 17 }, (_, y) =>
      Array.from({ length: 23 }, (_, x) => ((x * 7 + y * 13) % 11 < 6 && x > 2 && y > 1 ? '1' : '0')).join(''),
    );
    const rle = encodeRle(maskOf(rows));
    const full = rleToRgba(rle, [1, 2, 3]);
    const half = rleToRgba(rle, [1, 2, 3], { width: 2, highlight: false }, 2);
    expect(half.step).toBe(2);
    expect(half.x % 2).toBe(0);
    expect(half.y % 2).toBe(0);
    const alpha = (r: typeof full, fx: number, fy: number) => {
      const i = (fx - r.x) / r.step;
      const j = (fy - r.y) / r.step;
      if (i < 0 || j < 0 || i >= r.width || j >= r.height) return 0;
      return r.pixels[(j * r.width + i) * 4 + 3] as number;
    };
    for (let fy = 0; fy < 17; fy += 2) {
      for (let fx = 0; fx < 23; fx += 2) {
        expect(alpha(half, fx, fy) > 0, `(${fx}, ${fy})`).toBe(alpha(full, fx, fy) > 0);
      }
    }
  });
});
