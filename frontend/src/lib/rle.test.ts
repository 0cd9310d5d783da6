import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/rle_pycocotools.json';
import {
  countsFromString,
  countsToMask,
  countsToString,
  decodeRle,
  encodeRle,
  maskToCounts,
  RleError,
  rleArea,
  rleBbox,
} from './rle';

interface Case {
  name: string;
  size: number[];
  counts: string;
  runs: number[];
  area: number;
  bbox: number[];
}

function size(c: Case): [number, number] {
  const [h, w] = c.size;
  if (h === undefined || w === undefined) throw new Error(`bad fixture size in ${c.name}`);
  return [h, w];
}

/** Column-major mask from the fixture's human-readable row strings. */
function maskFromRows(rows: string[], height: number, width: number): Uint8Array {
  const data = new Uint8Array(height * width);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x += 1) data[x * height + y] = row[x] === '1' ? 1 : 0;
  });
  return data;
}

const allCases: Case[] = [...fixture.synthetic, ...fixture.sav];

describe('COCO RLE against pycocotools', () => {
  it.each(allCases.map((c) => [c.name, c] as const))('%s: string <-> runs', (_name, c) => {
    expect(countsFromString(c.counts)).toEqual(c.runs);
    expect(countsToString(c.runs)).toBe(c.counts);
  });

  it.each(allCases.map((c) => [c.name, c] as const))('%s: area and bbox', (_name, c) => {
    const [height] = size(c);
    expect(rleArea(c.runs)).toBe(c.area);
    expect(rleBbox(c.runs, height)).toEqual(c.bbox);
  });

  it.each(fixture.synthetic.map((c) => [c.name, c] as const))(
    '%s: decodes to the exact column-major mask and encodes back',
    (_name, c) => {
      const [height, width] = size(c);
      const expected = maskFromRows(c.rows, height, width);
      const decoded = decodeRle({ size: [height, width], counts: c.counts });
      expect(decoded.height).toBe(height);
      expect(decoded.width).toBe(width);
      expect(Array.from(decoded.data)).toEqual(Array.from(expected));
      expect(encodeRle({ height, width, data: expected })).toEqual({
        size: [height, width],
        counts: c.counts,
      });
    },
  );

  it.each(fixture.sav.map((c) => [c.name, c] as const))(
    '%s: pixels match pycocotools.decode and the string round-trips',
    (_name, c) => {
      const [height, width] = size(c);
      const decoded = decodeRle({ size: [height, width], counts: c.counts });
      for (const [y, x, value] of c.samples) {
        expect(decoded.data[(x as number) * height + (y as number)], `pixel y=${y} x=${x}`).toBe(value);
      }
      expect(encodeRle(decoded).counts).toBe(c.counts);
    },
  );
});

describe('RLE edge cases', () => {
  it('round-trips runs that need seven 5-bit groups (beyond 32-bit shifts)', () => {
    const runs = [2 ** 31 + 5, 3, 2 ** 30, 1];
    expect(countsFromString(countsToString(runs))).toEqual(runs);
  });

  it('treats any non-zero byte as foreground when encoding', () => {
    expect(maskToCounts(Uint8Array.from([0, 255, 7, 0]))).toEqual([1, 2, 1]);
  });

  it('rejects runs that do not cover the mask exactly', () => {
    expect(() => countsToMask([2, 1], 2, 2)).toThrow(RleError);
    expect(() => countsToMask([3, 2], 2, 2)).toThrow(/exceed/);
  });

  it('rejects truncated and out-of-alphabet strings', () => {
    // '`' is 48 + 0x30: the continuation bit is set but nothing follows.
    expect(() => countsFromString('`')).toThrow(/Truncated/);
    expect(() => countsFromString('1 ')).toThrow(/Invalid RLE character/);
  });

  it('rejects a mask whose byte length does not match its size', () => {
    expect(() => encodeRle({ height: 2, width: 2, data: new Uint8Array(3) })).toThrow(RleError);
  });
});
