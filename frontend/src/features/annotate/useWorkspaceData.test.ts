import { describe, expect, it } from 'vitest';
import type { WorkspaceBundle } from '../../api/masklets';
import { loadRestOfBundle, writtenFrames } from './useWorkspaceData';

/** A server with `perPage` frames per answer on a video of `frames` frames. */
function server(frames: number, perPage: number) {
  const asked: string[] = [];
  const fetch = (range: { start: number; end?: number }): Promise<WorkspaceBundle> => {
    asked.push(`${range.start}-${range.end ?? ''}`);
    const end = Math.min(range.end ?? frames, range.start + perPage);
    const nextStart = end < (range.end ?? frames) ? end : end < frames ? end : null;
    return Promise.resolve({
      cursor: 0,
      masklets: [],
      frame_start: range.start,
      frame_end: end,
      next_start: nextStart,
      masks: [],
      prompts: [],
      pins: [],
    });
  };
  return { asked, fetch };
}

describe('loadRestOfBundle', () => {
  it('follows next_start to the end, then loads what lies before the first view', async () => {
    const s = server(100, 30);
    const first = await s.fetch({ start: 40 });
    const pages: string[] = [];
    await loadRestOfBundle(
      first,
      s.fetch,
      (p) => pages.push(`${p.frame_start}-${p.frame_end}`),
      () => false,
    );
    expect(pages).toEqual(['70-100', '0-30', '30-40']);
    expect(s.asked).toEqual(['40-', '70-', '0-40', '30-40']);
  });

  it('asks for nothing more when the first answer held everything', async () => {
    const s = server(50, 100);
    const first = await s.fetch({ start: 0 });
    const pages: string[] = [];
    await loadRestOfBundle(
      first,
      s.fetch,
      (p) => pages.push(`${p.frame_start}`),
      () => false,
    );
    expect(pages).toEqual([]);
  });

  it('stops when the workspace is closed', async () => {
    const s = server(100, 10);
    const first = await s.fetch({ start: 0 });
    let pages = 0;
    await loadRestOfBundle(
      first,
      s.fetch,
      () => (pages += 1),
      () => pages >= 2,
    );
    expect(pages).toBe(2);
  });
});

describe('writtenFrames', () => {
  it("reads a propagated batch's frames per masklet, and nothing from an event without them", () => {
    expect(writtenFrames({ job: 4, frames: { '12': [0, 1, 2], '13': [0] } })).toEqual([
      [12, [0, 1, 2]],
      [13, [0]],
    ]);
    expect(writtenFrames({ job: 4, proposed: 3 })).toEqual([]);
    expect(writtenFrames({ frames: { '12': 'all' } })).toEqual([]);
  });
});
