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
