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
  // Fields the API always sends (the generated schema's MaskletOutput requires them).
  review_round: 0,
  submitted_at: null,
  is_ground_truth: false,
  consensus_discarded: false,
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
      asOf: 0,
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

describe('local writes against live refetches', () => {
  const counts = (state: WorkspaceData, index: number) => state.frames.get(1)?.get(index)?.rle.counts;
  const refetch = (asOf: number, frames: MaskletFrame[]) =>
    ({ type: 'framesLoaded', maskletId: 1, start: 0, end: 10, frames, asOf }) as const;

  it('keeps a pending edit when a refetch asked before it answers after it', () => {
    // given: a refetch asked for now (say, for the undo's own event) ...
    let state = loaded();
    const asked = state.writeSeq;
    // ... and a brush stroke on frame 2 made before its answer arrives, not saved yet
    state = workspaceReducer(state, {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [frame(2, 'edited', 'stroke')],
      deleted: [],
    });
    // when: the refetch answers with the server's older mask of frame 2 (and news for frame 5)
    state = workspaceReducer(state, refetch(asked, [frame(2, 'propagated', 'old'), frame(5, 'propagated', 'five')]));
    // then: the stroke stays on screen; the other frames take the server's data
    expect(counts(state, 2)).toBe('stroke');
    expect(state.frames.get(1)?.get(2)?.origin).toBe('edited');
    expect(counts(state, 5)).toBe('five');
    expect(state.frames.get(1)?.has(0)).toBe(false); // gone on the server, not written here
  });

  it('keeps a pending edit even against a refetch asked after it (the server may not have it yet)', () => {
    let state = workspaceReducer(loaded(), {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [],
      deleted: [5],
    });
    state = workspaceReducer(state, refetch(state.writeSeq, [frame(5, 'propagated', 'server')]));
    expect(state.frames.get(1)?.has(5)).toBe(false); // the pending deletion wins
  });

  it('applies server data again once the write is acknowledged, but not answers asked before that', () => {
    let state = workspaceReducer(loaded(), {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [frame(2, 'edited', 'stroke')],
      deleted: [],
    });
    const duringWrite = state.writeSeq;
    state = workspaceReducer(state, { type: 'localWriteSettled', maskletId: 1, frameIndices: [2] });
    expect(state.local.get(1)?.get(2)?.pending).toBe(0);
    // An answer to a request sent while the write was on its way may predate it on the server.
    state = workspaceReducer(state, refetch(duringWrite, [frame(2, 'propagated', 'stale')]));
    expect(counts(state, 2)).toBe('stroke');
    // A refetch asked after the acknowledgement (another person's later change) applies.
    state = workspaceReducer(state, refetch(state.writeSeq, [frame(2, 'propagated', 'newer')]));
    expect(counts(state, 2)).toBe('newer');
  });

  it('protects a frame until its last overlapping write settles', () => {
    let state = loaded();
    for (const c of ['first', 'second']) {
      state = workspaceReducer(state, {
        type: 'localWriteStarted',
        maskletId: 1,
        frames: [frame(2, 'edited', c)],
        deleted: [],
      });
    }
    state = workspaceReducer(state, { type: 'localWriteSettled', maskletId: 1, frameIndices: [2] });
    state = workspaceReducer(state, refetch(state.writeSeq, [frame(2, 'propagated', 'server')]));
    expect(counts(state, 2)).toBe('second'); // the second stroke is still on its way
    state = workspaceReducer(state, { type: 'localWriteSettled', maskletId: 1, frameIndices: [2] });
    state = workspaceReducer(state, refetch(state.writeSeq, [frame(2, 'propagated', 'server')]));
    expect(counts(state, 2)).toBe('server');
  });

  it('restores the earlier mask when a write is dropped, and lets a reload replace everything', () => {
    let state = workspaceReducer(loaded(), {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [frame(1, 'edited', 'stroke')],
      deleted: [],
    });
    state = workspaceReducer(state, {
      type: 'localWriteSettled',
      maskletId: 1,
      frameIndices: [1],
      restore: { frames: [frame(1, 'propagated', 'x')], deleted: [] },
    });
    expect(counts(state, 1)).toBe('x');
    // A write stuck behind a conflict: choosing "reload the object" gives up on it.
    state = workspaceReducer(state, {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [frame(5, 'edited', 'mine')],
      deleted: [],
    });
    state = workspaceReducer(state, { type: 'localWritesDropped', maskletId: 1 });
    state = workspaceReducer(state, refetch(state.writeSeq, [frame(5, 'propagated', 'theirs')]));
    expect(counts(state, 5)).toBe('theirs');
  });

  it('keeps a pending edit through a full reload, and a click answer does not overwrite it', () => {
    let state = workspaceReducer(loaded(), {
      type: 'localWriteStarted',
      maskletId: 1,
      frames: [frame(2, 'edited', 'stroke')],
      deleted: [],
    });
    state = workspaceReducer(state, {
      type: 'framesSet',
      maskletId: 1,
      frames: [frame(2, 'click', 'click'), frame(3, 'click', 'click3')],
      deleted: [],
    });
    expect(counts(state, 2)).toBe('stroke');
    expect(counts(state, 3)).toBe('click3');
    state = workspaceReducer(state, {
      type: 'loaded',
      masklets: [masklet(1)],
      frames: new Map([[1, [frame(2, 'propagated', 'server')]]]),
      prompts: new Map<number, Prompt[]>(),
    });
    expect(counts(state, 2)).toBe('stroke');
    expect(state.local.get(1)?.get(2)?.pending).toBe(1);
  });

  it('a click answer is newer than a refetch asked before it', () => {
    let state = loaded();
    const asked = state.writeSeq;
    state = workspaceReducer(state, {
      type: 'framesSet',
      maskletId: 1,
      frames: [frame(4, 'click', 'click')],
      deleted: [],
    });
    state = workspaceReducer(state, refetch(asked, []));
    expect(counts(state, 4)).toBe('click');
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
