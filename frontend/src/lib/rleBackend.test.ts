import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/rle_backend.json';
import { rleToRgba } from './maskRaster';
import { countsFromString, decodeRle, encodeRle, rleArea, rleBbox } from './rle';

interface Case {
  name: string;
  size: number[];
  counts: string;
  area: number;
  bbox: number[];
  row_sums: number[];
  col_sums: number[];
}

/**
 * Masks exactly as the backend produced and stored them (SAM 2 clicks and propagation through
 * the API; see scripts/make_backend_rle_fixture.py), with area, bbox and pixel sums computed by the
 * backend's own codec.
 */
const cases = (fixture.cases as Case[]).map((c) => [c.name, c] as const);

describe('COCO RLE against masks produced by the backend', () => {
  it('has cases of clicked and propagated masks', () => {
    expect(cases.length).toBeGreaterThanOrEqual(2);
  });

  it.each(cases)('%s: decodes to the backend mask and encodes back to the same string', (_name, c) => {
    const [height, width] = c.size as [number, number];
    const mask = decodeRle({ size: [height, width], counts: c.counts });
    const rowSums = new Array<number>(height).fill(0);
    const colSums = new Array<number>(width).fill(0);
    for (let x = 0; x < width; x += 1) {
      for (let y = 0; y < height; y += 1) {
        const v = mask.data[x * height + y] as number;
        rowSums[y] = (rowSums[y] as number) + v;
        colSums[x] = (colSums[x] as number) + v;
      }
    }
    expect(rowSums).toEqual(c.row_sums);
    expect(colSums).toEqual(c.col_sums);
    expect(encodeRle(mask).counts).toBe(c.counts);
  });

  it.each(cases)('%s: area and bbox as the backend computes them', (_name, c) => {
    const runs = countsFromString(c.counts);
    expect(rleArea(runs)).toBe(c.area);
    expect(rleBbox(runs, c.size[0] as number)).toEqual(c.bbox);
  });

  it.each(cases)('%s: the overlay raster covers exactly the mask pixels', (_name, c) => {
    const raster = rleToRgba({ size: [c.size[0] as number, c.size[1] as number], counts: c.counts }, [1, 2, 3]);
    expect([raster.x, raster.y, raster.width, raster.height]).toEqual(c.bbox);
    let drawn = 0;
    for (let i = 3; i < raster.pixels.length; i += 4) if ((raster.pixels[i] as number) > 0) drawn += 1;
    expect(drawn).toBe(c.area);
  });
});
