/**
 * Screen <-> frame geometry. Only this module deals in screen pixels; zoom and pan join it with the
 * annotation workspace.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Largest rectangle with the frame's aspect ratio that fits the canvas, centred (letterboxed). */
export function fitContain(frameWidth: number, frameHeight: number, canvasWidth: number, canvasHeight: number): Rect {
  if (frameWidth <= 0 || frameHeight <= 0 || canvasWidth <= 0 || canvasHeight <= 0) {
    return { x: 0, y: 0, width: 0, height: 0 };
  }
  const scale = Math.min(canvasWidth / frameWidth, canvasHeight / frameHeight);
  const width = frameWidth * scale;
  const height = frameHeight * scale;
  return { x: (canvasWidth - width) / 2, y: (canvasHeight - height) / 2, width, height };
}

/** Canvas backing-store size for a CSS box, in device pixels so frames stay sharp on HiDPI screens. */
export function backingSize(
  cssWidth: number,
  cssHeight: number,
  devicePixelRatio: number,
): { width: number; height: number } {
  const ratio = devicePixelRatio > 0 ? devicePixelRatio : 1;
  return { width: Math.max(1, Math.round(cssWidth * ratio)), height: Math.max(1, Math.round(cssHeight * ratio)) };
}

/**
 * A point on the canvas (CSS pixels relative to its top-left) in normalised frame coordinates
 * ([0, 1] across the frame), given the letterboxed frame rectangle in the same units. Points
 * outside the frame give null.
 */
export function screenToFrame(rect: Rect, x: number, y: number): { x: number; y: number } | null {
  if (rect.width <= 0 || rect.height <= 0) return null;
  const u = (x - rect.x) / rect.width;
  const v = (y - rect.y) / rect.height;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  return { x: u, y: v };
}

/** Like screenToFrame, but clamps to the frame's edge (a box dragged past the edge stops at it). */
export function screenToFrameClamped(rect: Rect, x: number, y: number): { x: number; y: number } {
  if (rect.width <= 0 || rect.height <= 0) return { x: 0, y: 0 };
  const clamp = (value: number) => Math.min(1, Math.max(0, value));
  return { x: clamp((x - rect.x) / rect.width), y: clamp((y - rect.y) / rect.height) };
}

/** Normalised frame coordinates to canvas pixels (inverse of screenToFrame). */
export function frameToScreen(rect: Rect, u: number, v: number): { x: number; y: number } {
  return { x: rect.x + u * rect.width, y: rect.y + v * rect.height };
}

// ---- zoom and pan ---------------------------------------------------------------------------------

/**
 * What part of the frame the workspace shows: `zoom` times the fitted (letterboxed) size, centred
 * on the normalised frame point (`cx`, `cy`). Free of canvas pixels, so it survives a resize and
 * both canvases of the workspace (frame below, masks above) agree on it.
 */
export interface View {
  zoom: number;
  cx: number;
  cy: number;
}

export const FIT_VIEW: View = { zoom: 1, cx: 0.5, cy: 0.5 };
export const MIN_ZOOM = 1;
export const MAX_ZOOM = 32;

/** Frame and canvas sizes, in the same pixels (canvas backing store). */
export interface Stage {
  frameWidth: number;
  frameHeight: number;
  canvasWidth: number;
  canvasHeight: number;
}

function clampCenter(center: number, scaled: number, canvas: number): number {
  // A frame no bigger than the canvas stays centred; a bigger one covers the canvas (no empty band
  // on one side while the frame runs off the other).
  if (scaled <= canvas) return 0.5;
  const half = canvas / 2 / scaled;
  return Math.min(1 - half, Math.max(half, center));
}

/** The view made valid: zoom within [MIN_ZOOM, MAX_ZOOM], and no panning past the frame's edges. */
export function clampView(view: View, stage: Stage): View {
  const zoom = Number.isFinite(view.zoom) ? Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom)) : 1;
  const fit = fitContain(stage.frameWidth, stage.frameHeight, stage.canvasWidth, stage.canvasHeight);
  if (fit.width <= 0) return { zoom, cx: 0.5, cy: 0.5 };
  const cx = Number.isFinite(view.cx) ? view.cx : 0.5;
  const cy = Number.isFinite(view.cy) ? view.cy : 0.5;
  return {
    zoom,
    cx: clampCenter(cx, fit.width * zoom, stage.canvasWidth),
    cy: clampCenter(cy, fit.height * zoom, stage.canvasHeight),
  };
}

/**
 * Where the frame lies on the canvas under a view: the rectangle every screen <-> frame mapping
 * above takes. At FIT_VIEW it is fitContain's.
 */
export function viewRect(stage: Stage, view: View): Rect {
  const fit = fitContain(stage.frameWidth, stage.frameHeight, stage.canvasWidth, stage.canvasHeight);
  if (fit.width <= 0) return fit;
  const v = clampView(view, stage);
  const width = fit.width * v.zoom;
  const height = fit.height * v.zoom;
  return { x: stage.canvasWidth / 2 - v.cx * width, y: stage.canvasHeight / 2 - v.cy * height, width, height };
}

/**
 * Zoom by `factor` keeping the frame point under the canvas point (`x`, `y`) where it is: wheel
 * zoom around the cursor. Without a point, around the canvas centre.
 */
export function zoomAround(view: View, factor: number, stage: Stage, at?: { x: number; y: number }): View {
  const current = clampView(view, stage);
  const rect = viewRect(stage, current);
  if (rect.width <= 0 || !(factor > 0)) return current;
  const x = at?.x ?? stage.canvasWidth / 2;
  const y = at?.y ?? stage.canvasHeight / 2;
  // The frame point under (x, y), unclamped: zooming with the cursor on the letterbox works too.
  const u = (x - rect.x) / rect.width;
  const v = (y - rect.y) / rect.height;
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, current.zoom * factor));
  const width = (rect.width / current.zoom) * zoom;
  const height = (rect.height / current.zoom) * zoom;
  // Solve x = canvasWidth / 2 - cx * width + u * width for cx (and likewise for y).
  return clampView(
    { zoom, cx: u - (x - stage.canvasWidth / 2) / width, cy: v - (y - stage.canvasHeight / 2) / height },
    stage,
  );
}

/** Move the frame by (`dx`, `dy`) canvas pixels, as a drag does. */
export function panBy(view: View, dx: number, dy: number, stage: Stage): View {
  const current = clampView(view, stage);
  const rect = viewRect(stage, current);
  if (rect.width <= 0) return current;
  return clampView({ ...current, cx: current.cx - dx / rect.width, cy: current.cy - dy / rect.height }, stage);
}

/** Zoom factor of one wheel event: one notch (100 px) zooms by about 1.2, trackpads smoothly. */
export function wheelZoomFactor(deltaY: number, deltaMode: number): number {
  // deltaMode 1: lines, 2: pages; 0: pixels.
  const pixels = deltaMode === 1 ? deltaY * 40 : deltaMode === 2 ? deltaY * 800 : deltaY;
  const clamped = Math.max(-300, Math.min(300, pixels));
  return Math.exp(-clamped * 0.0018);
}
