import { describe, expect, it } from 'vitest';
import { maskToCounts } from '../../lib/rle';
import type { ConsensusPair } from '../../api/quality';
import { frameAgreement, maskletIdOf, pairRows, rleIntersection, runsIoU, worstFrame } from './consensusData';

/** A pseudo-random 0/1 mask (deterministic LCG), blobby enough to have long runs. */
function randomMask(seed: number, size: number): Uint8Array {
  let s = seed;
  const out = new Uint8Array(size);
  let v = 0;
  for (let i = 0; i < size; i += 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    if (s % 7 === 0) v = 1 - v;
    out[i] = v;
  }
  return out;
}

function bruteIntersection(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] && b[i]) n += 1;
  return n;
}

describe('rleIntersection', () => {
  it('matches a pixel-by-pixel count on random masks', () => {
    for (let seed = 1; seed < 30; seed += 1) {
      const a = randomMask(seed, 40 * 30);
      const b = randomMask(seed * 7919, 40 * 30);
      expect(rleIntersection(maskToCounts(a), maskToCounts(b))).toBe(bruteIntersection(a, b));
    }
  });

  it('handles masks that start with foreground (a zero first run)', () => {
    const a = Uint8Array.from([1, 1, 0, 0, 1, 1]);
    const b = Uint8Array.from([1, 0, 0, 1, 1, 0]);
    expect(maskToCounts(a)[0]).toBe(0);
    expect(rleIntersection(maskToCounts(a), maskToCounts(b))).toBe(2);
  });
});

describe('runsIoU', () => {
  it('is 1 for two empty masks and 0 when only one is empty', () => {
    expect(runsIoU([6], [6])).toBe(1);
    expect(runsIoU(undefined, undefined)).toBe(1);
    expect(runsIoU([2, 2, 2], undefined)).toBe(0);
    expect(runsIoU([6], [2, 2, 2])).toBe(0);
  });

  it('is intersection over union', () => {
    // a: pixels 0-3, b: pixels 2-5 -> 2 / 6
    expect(runsIoU([0, 4, 2], [2, 4])).toBeCloseTo(2 / 6, 12);
  });
});

describe('frameAgreement', () => {
  it('averages pairwise IoU per frame and finds the worst frame', () => {
    const full = [0, 4];
    const half = [2, 2];
    const v1 = new Map([
      [0, full],
      [1, full],
    ]);
    const v2 = new Map([
      [0, full],
      [1, half],
      [3, half],
    ]);
    const agreement = frameAgreement([v1, v2]);
    expect(agreement).toEqual([
      { frame: 0, iou: 1 },
      { frame: 1, iou: 0.5 },
      { frame: 3, iou: 0 },
    ]);
    expect(worstFrame(agreement)).toEqual({ frame: 3, iou: 0 });
    expect(worstFrame([])).toBeNull();
  });
});

describe('pairRows', () => {
  it('lists matches worst first, then each side’s unmatched masklets', () => {
    const pair: ConsensusPair = {
      a: { id: 1, username: 'ann' },
      b: { id: 2, username: 'ben' },
      matches: [
        { masklet_a: 10, masklet_b: 20, j: 0.9, f: 0.8, jf: 0.85 },
        { masklet_a: 11, masklet_b: 21, j: 0.5, f: 0.4, jf: 0.45 },
      ],
      unmatched_a: [12],
      unmatched_b: [22, 23],
      j: 0.7,
      f: 0.6,
      jf: 0.65,
    };
    expect(pairRows(pair).map((r) => r.kind + (r.kind === 'only_b' ? r.b : r.a))).toEqual([
      'match11',
      'match10',
      'only_a12',
      'only_b22',
      'only_b23',
    ]);
  });

  it('reads ids from numbers or objects', () => {
    expect(maskletIdOf(4)).toBe(4);
    expect(maskletIdOf({ id: 5 })).toBe(5);
  });
});
