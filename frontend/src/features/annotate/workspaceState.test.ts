import { describe, expect, it } from 'vitest';
import type { Masklet, MaskletFrame, Prompt } from '../../api/masklets';
import { propagationRange } from './useWorkspace';
import { EMPTY_WORKSPACE, nextColor, PALETTE, rangeOf, workspaceReducer, type WorkspaceData } from './workspaceState';

const masklet = (id: number, version = 1, name = ''): Masklet => ({
  id,
  video: 1,
  task: null,
  label: null,
  name,
  color: '#e6194b',
  source: 'manual',
  status: 'draft',
  version,
});

const frame = (index: number, origin: MaskletFrame['origin'] = 'propagated', counts = 'x'): MaskletFrame => ({
  frame_index: index,
  rle: { size: [2, 2], counts },
  origin,
  score: null,
  area: 1,
  bbox: [0, 0, 1, 1],
});

function loaded(): WorkspaceData {
  return workspaceReducer(EMPTY_WORKSPACE, {
    type: 'loaded',
    masklets: [masklet(2), masklet(1)],
    frames: new Map([
      [1, [frame(0, 'click'), frame(1), frame(2), frame(5)]],
      [2, []],
    ]),
    prompts: new Map<number, Prompt[]>(),
  });
}

describe('workspaceReducer', () => {
  it('orders objects by id and indexes frames by frame number', () => {
    const state = loaded();
    expect(state.masklets.map((m) => m.id)).toEqual([1, 2]);
    expect([...(state.frames.get(1)?.keys() ?? [])]).toEqual([0, 1, 2, 5]);
  });

  it('replaces a fetched range: frames in it that the server no longer has are gone', () => {
    const state = workspaceReducer(loaded(), {
      type: 'framesLoaded',
      maskletId: 1,
      start: 1,
      end: 3,
      frames: [frame(2, 'propagated', 'new')],
    });
    const frames = state.frames.get(1);
    expect([...(frames?.keys() ?? [])].sort()).toEqual([0, 2, 5]);
    expect(frames?.get(2)?.rle.counts).toBe('new');
    expect(frames?.get(5)?.rle.counts).toBe('x'); // outside the range: untouched
  });

  it('applies local edits and deletions', () => {
    const state = workspaceReducer(loaded(), {
      type: 'framesSet',
      maskletId: 1,
      frames: [frame(7, 'edited')],
      deleted: [0],
    });
    expect(state.frames.get(1)?.has(0)).toBe(false);
    expect(state.frames.get(1)?.get(7)?.origin).toBe('edited');
  });

  it('never rolls a version back when an older answer arrives late', () => {
    let state = workspaceReducer(loaded(), { type: 'maskletSaved', masklet: masklet(1, 5, 'new name') });
    state = workspaceReducer(state, { type: 'maskletSaved', masklet: masklet(1, 3, 'old name') });
    expect(state.masklets[0]).toMatchObject({ version: 5, name: 'new name' });
    state = workspaceReducer(state, { type: 'versionSeen', maskletId: 1, version: 4 });
    expect(state.masklets[0]?.version).toBe(5);
    state = workspaceReducer(state, { type: 'versionSeen', maskletId: 1, version: 9 });
    expect(state.masklets[0]?.version).toBe(9);
  });

  it('adds a new object with no frames, and removes one with its frames and prompts', () => {
    let state = workspaceReducer(loaded(), { type: 'maskletSaved', masklet: masklet(3) });
    expect(state.masklets.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(state.frames.get(3)?.size).toBe(0);
    state = workspaceReducer(state, { type: 'maskletRemoved', id: 1 });
    expect(state.masklets.map((m) => m.id)).toEqual([2, 3]);
    expect(state.frames.has(1)).toBe(false);
  });

  it('ignores frames and prompts of objects it does not know (deleted meanwhile)', () => {
    const state = loaded();
    expect(workspaceReducer(state, { type: 'framesSet', maskletId: 99, frames: [frame(1)], deleted: [] })).toBe(state);
    expect(workspaceReducer(state, { type: 'promptsLoaded', maskletId: 99, prompts: [] })).toBe(state);
  });
});

describe('helpers', () => {
  it('covers frame lists with one range', () => {
    expect(rangeOf([5, 2, 9])).toEqual({ start: 2, end: 10 });
    expect(rangeOf([])).toBeNull();
  });

  it('picks an unused palette colour', () => {
    expect(nextColor([])).toBe(PALETTE[0]);
    expect(nextColor([PALETTE[0] as string, (PALETTE[1] as string).toUpperCase()])).toBe(PALETTE[2]);
  });

  it('bounds a limited propagation on the side(s) it goes', () => {
    expect(propagationRange(10, 'forward', 5, 100)).toEqual({ frame_end: 16 });
    expect(propagationRange(10, 'backward', 5, 100)).toEqual({ frame_start: 5 });
    expect(propagationRange(2, 'both', 5, 10)).toEqual({ frame_start: 0, frame_end: 8 });
    expect(propagationRange(8, 'forward', 50, 10)).toEqual({ frame_end: 10 });
    expect(propagationRange(8, 'both', null, 10)).toEqual({});
  });
});
