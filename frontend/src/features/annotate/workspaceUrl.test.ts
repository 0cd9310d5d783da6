import { describe, expect, it } from 'vitest';
import { parseWorkspaceParams, workspacePath, workspaceSearch } from './workspaceUrl';

const parse = (query: string, lastFrame?: number) => parseWorkspaceParams(new URLSearchParams(query), lastFrame);

describe('parseWorkspaceParams', () => {
  it('reads the object and the frame', () => {
    expect(parse('masklet=42&frame=20')).toEqual({ masklet: 42, frame: 20 });
    expect(parse('?frame=0&masklet=7')).toEqual({ masklet: 7, frame: 0 });
  });

  it('leaves out what is missing', () => {
    expect(parse('')).toEqual({ masklet: null, frame: null });
    expect(parse('masklet=3')).toEqual({ masklet: 3, frame: null });
    expect(parse('frame=9')).toEqual({ masklet: null, frame: 9 });
  });

  it('ignores values that are not ids or frame numbers', () => {
    for (const bad of ['0', '-1', 'abc', '1.5', '', '07', '1e3', '12345678901234567']) {
      expect(parse(`masklet=${encodeURIComponent(bad)}`).masklet).toBeNull();
    }
    for (const bad of ['-1', 'abc', '1.5', '', '1e3', '1234567890']) {
      expect(parse(`frame=${encodeURIComponent(bad)}`).frame).toBeNull();
    }
    // The one frame-number parser reads links as it reads what people type: spaces around are fine.
    expect(parse(`frame=${encodeURIComponent(' 3')}`).frame).toBe(3);
  });

  it('clamps the frame to the last one of the video', () => {
    expect(parse('frame=500', 99).frame).toBe(99);
    expect(parse('frame=50', 99).frame).toBe(50);
    expect(parse('frame=500').frame).toBe(500);
  });
});

describe('workspaceSearch and workspacePath', () => {
  it('writes only what is set', () => {
    expect(workspaceSearch({ frame: 3, masklet: null })).toEqual({ frame: '3' });
    expect(workspaceSearch({ frame: 0, masklet: 5 })).toEqual({ frame: '0', masklet: '5' });
    expect(workspacePath(4)).toBe('/videos/4/annotate');
    expect(workspacePath(4, { masklet: 11 })).toBe('/videos/4/annotate?masklet=11');
    expect(workspacePath(4, { masklet: 11, frame: 20 })).toBe('/videos/4/annotate?frame=20&masklet=11');
  });

  it('round-trips through the parser', () => {
    const path = workspacePath(4, { masklet: 11, frame: 20 });
    expect(parse(path.split('?')[1]!)).toEqual({ masklet: 11, frame: 20 });
  });
});
