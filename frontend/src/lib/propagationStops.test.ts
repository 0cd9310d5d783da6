import { describe, expect, it } from 'vitest';
import { isCorrection, stopMarkers, stopText, type PassStop } from './propagationStops';

const propagated = (...frames: number[]) =>
  frames.map((frame_index) => ({ frame_index, origin: 'propagated' as const }));

describe('isCorrection', () => {
  it('is a correction when a propagated mask lies beyond the frame in the direction', () => {
    // given: an object propagated on frames 4-6
    const objects = [propagated(4, 5, 6)];
    // then: forward from 5 re-propagates 6; forward from 6 has nothing after it
    expect(isCorrection(5, 'forward', objects)).toBe(true);
    expect(isCorrection(6, 'forward', objects)).toBe(false);
    expect(isCorrection(4, 'backward', objects)).toBe(false);
    expect(isCorrection(6, 'both', objects)).toBe(true);
  });

  it('does not count frames a person made', () => {
    expect(isCorrection(1, 'forward', [[{ frame_index: 3, origin: 'click' as const }]])).toBe(false);
  });
});

const stop: PassStop = {
  reverse: false,
  last: 40,
  reason: 'person_made',
  objects: {
    '7': { last: 40, reason: 'person_made', at: 41 },
    '8': { last: 12, reason: 'agreement', at: 12 },
    '9': { last: 99, reason: 'end', at: 99 },
  },
};

describe('stopText', () => {
  it('says where a pass stopped and why', () => {
    expect(stopText(stop)).toBe('Forward: stopped at frame 40, before frame 41, which a person made.');
    expect(stopText({ ...stop, reverse: true, last: 12, reason: 'agreement' })).toBe(
      'Backward: stopped at frame 12; the masks agree again with the stored ones after it.',
    );
    expect(stopText({ ...stop, last: -1 })).toMatch(/nothing to recompute/);
  });
});

describe('stopMarkers', () => {
  it('marks each object where its recomputation stopped early, not where the range ended', () => {
    const markers = stopMarkers([stop]);
    expect(markers.get(7)).toEqual([expect.objectContaining({ frame: 40, reason: 'person_made' })]);
    expect(markers.get(8)).toEqual([expect.objectContaining({ frame: 12, reason: 'agreement' })]);
    expect(markers.has(9)).toBe(false);
  });
});
