import { describe, expect, it } from 'vitest';
import type { Label } from '../../api/projects';
import { labelForKey, newObjectName, objectColor, workspaceLabels } from './labels';

const label = (id: number, extra: Partial<Label> = {}): Label => ({
  id,
  name: `l${id}`,
  color: `#00000${id}`,
  order: 0,
  hotkey: null,
  ...extra,
});

describe('workspaceLabels', () => {
  it('orders by the project order and uses the server hotkeys', () => {
    const labels = workspaceLabels([
      label(1, { order: 2, hotkey: 3 }),
      label(2, { order: 0, hotkey: null }),
      label(3, { order: 1, hotkey: 1 }),
    ]);
    expect(labels.map((l) => [l.id, l.key])).toEqual([
      [2, null],
      [3, 1],
      [1, 3],
    ]);
    expect(labelForKey(labels, 3)?.id).toBe(1);
    expect(labelForKey(labels, 2)).toBeUndefined();
  });

  it('keys labels by position when the project set no hotkey, nine at most', () => {
    const labels = workspaceLabels(Array.from({ length: 11 }, (_, i) => label(i + 1)));
    expect(labels.map((l) => l.key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, null, null]);
  });
});

describe('objectColor and newObjectName', () => {
  it('colours an object as its label, and numbers new objects per label', () => {
    const labels = [label(1, { color: '#ff0000' })];
    expect(objectColor({ label: 1, color: '#123456' }, labels)).toBe('#ff0000');
    expect(objectColor({ label: null, color: '#123456' }, labels)).toBe('#123456');
    expect(newObjectName(labels[0] as Label, [{ label: 1 }, { label: 2 }])).toBe('l1 2');
  });
});
