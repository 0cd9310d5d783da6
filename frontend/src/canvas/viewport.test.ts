import { describe, expect, it } from 'vitest';
import {
  backingSize,
  clampView,
  FIT_VIEW,
  fitContain,
  frameToScreen,
  MAX_ZOOM,
  panBy,
  screenToFrame,
  screenToFrameClamped,
  viewRect,
  wheelZoomFactor,
  zoomAround,
  type Stage,
} from './viewport';

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

describe('zoom and pan', () => {
  // A 1920x1080 frame on a 1200x900 canvas: fitted to 1200x675 at y 112.5.
  const stage: Stage = { frameWidth: 1920, frameHeight: 1080, canvasWidth: 1200, canvasHeight: 900 };

  it('is the letterboxed fit at zoom 1', () => {
    expect(viewRect(stage, FIT_VIEW)).toEqual(fitContain(1920, 1080, 1200, 900));
  });

  it('zooms around the cursor: the frame point under it stays under it', () => {
    const cursor = { x: 300, y: 400 };
    const before = screenToFrame(viewRect(stage, FIT_VIEW), cursor.x, cursor.y)!;
    const view = zoomAround(FIT_VIEW, 3, stage, cursor);
    expect(view.zoom).toBe(3);
    const after = screenToFrame(viewRect(stage, view), cursor.x, cursor.y)!;
    expect(after.x).toBeCloseTo(before.x, 12);
    expect(after.y).toBeCloseTo(before.y, 12);
  });

  it('maps screen -> frame -> screen exactly at zoom 3 with a pan', () => {
    let view = zoomAround(FIT_VIEW, 3, stage, { x: 900, y: 300 });
    view = panBy(view, -140, 75, stage);
    expect(view.zoom).toBe(3);
    const rect = viewRect(stage, view);
    expect(rect.width).toBeCloseTo(3600, 9);
    expect(rect.height).toBeCloseTo(2025, 9);
    for (const [x, y] of [
      [0, 0],
      [1199, 899],
      [600, 450],
      [123.25, 777.5],
    ] as const) {
      const f = screenToFrame(rect, x, y)!;
      expect(f).not.toBeNull();
      const back = frameToScreen(rect, f.x, f.y);
      expect(back.x).toBeCloseTo(x, 9);
      expect(back.y).toBeCloseTo(y, 9);
    }
    // And frame -> screen -> frame, in frame pixels: a click, a box corner, a brush centre.
    for (const [u, v] of [
      [0.5, 0.5],
      [0.41, 0.37],
      [0.6, 0.62],
    ] as const) {
      const s = frameToScreen(rect, u, v);
      const f = screenToFrame(rect, s.x, s.y)!;
      expect(f.x * 1920).toBeCloseTo(u * 1920, 9);
      expect(f.y * 1080).toBeCloseTo(v * 1080, 9);
    }
  });

  it('moves the frame with the drag: a point follows the pointer', () => {
    const view = zoomAround(FIT_VIEW, 3, stage);
    const rect = viewRect(stage, view);
    const grabbed = screenToFrame(rect, 500, 500)!;
    const moved = viewRect(stage, panBy(view, 40, -30, stage));
    const now = frameToScreen(moved, grabbed.x, grabbed.y);
    expect(now.x).toBeCloseTo(540, 9);
    expect(now.y).toBeCloseTo(470, 9);
  });

  it('never pans past the frame edge, and not at all when the frame fits', () => {
    expect(panBy(FIT_VIEW, 300, 300, stage)).toEqual(FIT_VIEW);
    const view = panBy(zoomAround(FIT_VIEW, 2, stage), 10_000, 10_000, stage);
    const rect = viewRect(stage, view);
    expect(rect.x).toBeCloseTo(0, 9); // the frame's left edge at the canvas's left edge
    expect(rect.y).toBeCloseTo(0, 9);
    // At zoom 1.2 the frame is wider but not taller than the canvas: it pans sideways only.
    const wide = viewRect(stage, panBy(zoomAround(FIT_VIEW, 1.2, stage), 0, 500, stage));
    expect(wide.y).toBeCloseTo((900 - 675 * 1.2) / 2, 9);
  });

  it('keeps the zoom within its limits, and repairs nonsense', () => {
    expect(zoomAround(FIT_VIEW, 0.1, stage).zoom).toBe(1);
    expect(zoomAround(FIT_VIEW, 1000, stage).zoom).toBe(MAX_ZOOM);
    expect(clampView({ zoom: Number.NaN, cx: Number.NaN, cy: 2 }, stage)).toEqual(FIT_VIEW);
  });

  it('turns wheel deltas into zoom factors: down zooms out, up zooms in, lines count like pixels', () => {
    expect(wheelZoomFactor(-100, 0)).toBeGreaterThan(1.15);
    expect(wheelZoomFactor(100, 0)).toBeLessThan(1);
    expect(wheelZoomFactor(100, 0) * wheelZoomFactor(-100, 0)).toBeCloseTo(1, 12);
    expect(wheelZoomFactor(-3, 1)).toBeCloseTo(wheelZoomFactor(-120, 0), 12);
  });
});
