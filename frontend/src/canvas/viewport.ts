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
