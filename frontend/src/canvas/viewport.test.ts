import { describe, expect, it } from 'vitest';
import { backingSize, fitContain, frameToScreen, screenToFrame, screenToFrameClamped } from './viewport';

describe('fitContain', () => {
  it('letterboxes a wide frame in a tall canvas', () => {
    expect(fitContain(1920, 1080, 960, 1080)).toEqual({ x: 0, y: 270, width: 960, height: 540 });
  });

  it('pillarboxes a portrait frame (SA-V is 480x848) in a wide canvas', () => {
    const rect = fitContain(480, 848, 1600, 848);
    expect(rect).toEqual({ x: 560, y: 0, width: 480, height: 848 });
  });

  it('scales up small frames', () => {
    expect(fitContain(100, 50, 400, 400)).toEqual({ x: 0, y: 100, width: 400, height: 200 });
  });

  it('is empty for degenerate sizes', () => {
    expect(fitContain(0, 10, 100, 100).width).toBe(0);
    expect(fitContain(10, 10, 0, 100).height).toBe(0);
  });
});

describe('backingSize', () => {
  it('multiplies by the device pixel ratio and never returns 0', () => {
    expect(backingSize(300, 200, 2)).toEqual({ width: 600, height: 400 });
    expect(backingSize(0, 0, 1)).toEqual({ width: 1, height: 1 });
    expect(backingSize(10, 10, 0)).toEqual({ width: 10, height: 10 });
  });
});

describe('screen <-> normalised frame coordinates', () => {
  const rect = { x: 100, y: 50, width: 400, height: 200 };

  it('maps points on the frame to [0, 1] and back', () => {
    expect(screenToFrame(rect, 100, 50)).toEqual({ x: 0, y: 0 });
    expect(screenToFrame(rect, 300, 150)).toEqual({ x: 0.5, y: 0.5 });
    expect(frameToScreen(rect, 0.25, 1)).toEqual({ x: 200, y: 250 });
  });

  it('ignores the letterbox, or clamps to the frame edge when dragging', () => {
    expect(screenToFrame(rect, 99, 60)).toBeNull();
    expect(screenToFrame(rect, 200, 251)).toBeNull();
    expect(screenToFrameClamped(rect, 0, 400)).toEqual({ x: 0, y: 1 });
    expect(screenToFrame({ x: 0, y: 0, width: 0, height: 0 }, 0, 0)).toBeNull();
  });
});
