import { describe, expect, it } from 'vitest';
import {
  clampFrame,
  formatFrameTime,
  frameToTime,
  frameUrl,
  parseFrameInput,
  prefetchWindow,
  timeToFrame,
} from './frames';

describe('clampFrame', () => {
  it('keeps indices inside the video and rounds to whole frames', () => {
    expect(clampFrame(-3, 10)).toBe(0);
    expect(clampFrame(10, 10)).toBe(9);
    expect(clampFrame(4.6, 10)).toBe(5);
    expect(clampFrame(Number.NaN, 10)).toBe(0);
    expect(clampFrame(3, 0)).toBe(0);
  });
});

describe('frame <-> time', () => {
  it('maps every frame to its start time and back at common rates', () => {
    for (const fps of [24, 25, 30, 30000 / 1001, 60]) {
      for (let i = 0; i < 500; i += 1) {
        expect(timeToFrame(frameToTime(i, fps), fps, 500)).toBe(i);
      }
    }
  });

  it('survives float error at frame boundaries', () => {
    expect(0.29 * 100).toBeLessThan(29); // the float product this guards against
    expect(timeToFrame(0.29, 100, 1000)).toBe(29);
  });

  it('stays on a frame for its whole display interval', () => {
    expect(timeToFrame(1 / 24 - 1e-4, 24, 100)).toBe(0);
    expect(timeToFrame(1 / 24 + 1e-4, 24, 100)).toBe(1);
  });

  it('clamps times outside the video', () => {
    expect(timeToFrame(-1, 24, 100)).toBe(0);
    expect(timeToFrame(1000, 24, 100)).toBe(99);
  });

  it('rejects a non-positive fps', () => {
    expect(() => frameToTime(1, 0)).toThrow(RangeError);
    expect(() => timeToFrame(1, Number.NaN, 10)).toThrow(RangeError);
  });

  it('formats time as mm:ss.cc', () => {
    expect(formatFrameTime(0, 24)).toBe('00:00.00');
    expect(formatFrameTime(1500, 25)).toBe('01:00.00');
    expect(formatFrameTime(37, 24)).toBe('00:01.54');
  });
});

describe('prefetchWindow', () => {
  it('lists the next frames nearest first', () => {
    expect(prefetchWindow(5, 100, 3)).toEqual([6, 7, 8]);
  });

  it('stops at the last frame', () => {
    expect(prefetchWindow(97, 100, 10)).toEqual([98, 99]);
    expect(prefetchWindow(99, 100, 10)).toEqual([]);
  });

  it('goes backwards when stepping back', () => {
    expect(prefetchWindow(2, 100, 10, -1)).toEqual([1, 0]);
  });
});

describe('frameUrl', () => {
  it('fills the API template', () => {
    expect(frameUrl('/api/v1/videos/7/frames/{frame}.jpg', 42)).toBe('/api/v1/videos/7/frames/42.jpg');
  });

  it('refuses a template without a frame slot', () => {
    expect(() => frameUrl('/api/v1/videos/7/frames/', 1)).toThrow(/\{frame\}/);
  });
});

describe('parseFrameInput', () => {
  it('accepts frame numbers of this video', () => {
    expect(parseFrameInput(' 0 ', 10)).toEqual({ ok: true, index: 0 });
    expect(parseFrameInput('9', 10)).toEqual({ ok: true, index: 9 });
  });

  it('explains what is wrong otherwise', () => {
    expect(parseFrameInput('10', 10)).toEqual({ ok: false, message: 'Frames go from 0 to 9.' });
    expect(parseFrameInput('-1', 10)).toMatchObject({ ok: false });
    expect(parseFrameInput('3.5', 10)).toMatchObject({ ok: false });
    expect(parseFrameInput('', 10)).toMatchObject({ ok: false });
  });
});
