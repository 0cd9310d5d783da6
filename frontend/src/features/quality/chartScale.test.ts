import { describe, expect, it } from 'vitest';
import { bandScale, formatTick, labelIndices, linearScale, niceStep, niceTicks } from './chartScale';

describe('niceStep', () => {
  it.each([
    [0.7, 1],
    [1, 1],
    [1.2, 2],
    [3, 5],
    [7, 10],
    [23, 50],
    [0.03, 0.05],
    [0.3 / 0.1 / 10, 0.5],
  ])('%s -> %s', (raw, step) => {
    expect(niceStep(raw)).toBeCloseTo(step, 12);
  });

  it('falls back to 1 for zero, negative or infinite input', () => {
    expect(niceStep(0)).toBe(1);
    expect(niceStep(-3)).toBe(1);
    expect(niceStep(Infinity)).toBe(1);
  });
});

describe('niceTicks', () => {
  it('covers the maximum from 0 in nice steps', () => {
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(101)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(0.87)).toEqual([0, 0.5, 1]);
  });

  it('gives an axis 0..1 for empty or all-zero data', () => {
    expect(niceTicks(0)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 4, true)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN, 4, true)).toEqual([0, 1]);
  });

  it('keeps whole steps for counts', () => {
    expect(niceTicks(3, 4, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(2, 4, true)).toEqual([0, 1, 2]);
  });

  it('has no float noise', () => {
    for (const t of niceTicks(0.3)) expect(String(t).length).toBeLessThan(5);
  });
});

describe('linearScale', () => {
  it('maps a domain onto a reversed range (a y axis)', () => {
    const y = linearScale([0, 40], [200, 10]);
    expect(y(0)).toBe(200);
    expect(y(40)).toBe(10);
    expect(y(20)).toBe(105);
  });

  it('puts everything in the middle of an empty domain', () => {
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });
});

describe('bandScale', () => {
  it('splits the width into equal slots with centred bars', () => {
    const band = bandScale(4, 0, 400, 0.5);
    expect(band.bandwidth).toBe(50);
    expect(band.x(0)).toBe(25);
    expect(band.center(0)).toBe(50);
    expect(band.x(3)).toBe(325);
    expect(band.center(3)).toBe(350);
  });

  it('has no width without categories', () => {
    expect(bandScale(0, 0, 400).bandwidth).toBe(0);
  });
});

describe('labelIndices', () => {
  it('shows every label when they fit', () => {
    expect(labelIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
  });

  it('thins labels evenly and always keeps the last one', () => {
    const picked = labelIndices(30, 10);
    expect(picked.length).toBeLessThanOrEqual(10);
    expect(picked[picked.length - 1]).toBe(29);
    expect(picked).toEqual([2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
    expect(labelIndices(90, 10).at(-1)).toBe(89);
    expect(labelIndices(0, 10)).toEqual([]);
  });
});

describe('formatTick', () => {
  it('formats counts, thousands and fractions', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(1200)).toBe('1 200');
    expect(formatTick(25_000)).toBe('25k');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
  });
});
