import { describe, expect, it } from 'vitest';
import type { Label } from '../../api/projects';
import { freeHotkey, hotkeyHolders, moved, nextColor, rangeText, splitPoints } from './manageModel';

const label = (id: number, name: string, hotkey: number | null): Label => ({
  id,
  name,
  color: '#000000',
  order: id,
  hotkey,
});

describe('splitPoints', () => {
  // The same cases as tests/backend/projects/test_tasks.py: the preview equals the server's split.
  it.each([
    [0, 10, 1, 2, [0, 5, 10]],
    [0, 10, 1, 3, [0, 3, 6, 10]],
    [0, 24, 4, 2, [0, 12, 24]],
    [3, 21, 4, 2, [3, 12, 21]],
    [0, 3, 1, 3, [0, 1, 2, 3]],
  ])('splits [%i, %i) every %i among %i', (start, end, step, parts, expected) => {
    expect(splitPoints(start, end, step, parts)).toEqual(expected);
  });
  it('cannot split fewer annotation frames than parts', () => {
    expect(splitPoints(0, 8, 4, 3)).toBeNull();
    expect(splitPoints(0, 8, 1, 0)).toBeNull();
  });
});

describe('moved', () => {
  it('moves up and down and stops at the ends', () => {
    expect(moved(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
  });
});

describe('hotkeys', () => {
  const labels = [label(1, 'person', 1), label(2, 'car', 3), label(3, 'tree', null)];
  it('names the holders of the other labels', () => {
    expect([...hotkeyHolders(labels, 2)]).toEqual([[1, 'person']]);
  });
  it('finds the first free key', () => {
    expect(freeHotkey(labels)).toBe(2);
    expect(freeHotkey([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => label(k, `l${k}`, k)))).toBeNull();
  });
});

describe('nextColor', () => {
  it('skips colours in use', () => {
    expect(nextColor([{ color: '#E6194B' }])).toBe('#3cb44b');
  });
});

describe('rangeText', () => {
  it('shows inclusive frame numbers', () => {
    expect(rangeText(0, 50, 100)).toBe('frames 0–49');
    expect(rangeText(50, null, 100)).toBe('frames 50–99');
    expect(rangeText(5, null, null)).toBe('frames 5–end');
  });
});
