/** What is drawn on top of the masks: the selected object's clicks and the review pins. */
import { frameToScreen, type Rect } from '../viewport';

export interface PromptMarker {
  /** Normalised frame coordinates. */
  x: number;
  y: number;
  label: 0 | 1;
}

/** A review comment's pin: a point on the current frame, normalised frame coordinates. */
export interface PinMarker {
  x: number;
  y: number;
  /** Drawn inside the pin (its number in the comment list). */
  label: string;
  /** The pin being looked at or placed: drawn larger. */
  active: boolean;
}

/** Clicks: green (positive) or red (negative) discs with a + or − inside. `ratio`: canvas px per CSS px. */
export function drawPrompts(
  ctx: CanvasRenderingContext2D,
  rect: Rect,
  prompts: readonly PromptMarker[],
  ratio: number,
): void {
  const radius = 6 * ratio;
  for (const prompt of prompts) {
    const { x, y } = frameToScreen(rect, prompt.x, prompt.y);
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, Math.PI * 2);
    ctx.fillStyle = prompt.label === 1 ? '#18a957' : '#d93025';
    ctx.fill();
    ctx.lineWidth = 2 * ratio;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    // + or − inside, so the two kinds differ without relying on colour.
    ctx.beginPath();
    ctx.moveTo(x - radius / 2, y);
    ctx.lineTo(x + radius / 2, y);
    if (prompt.label === 1) {
      ctx.moveTo(x, y - radius / 2);
      ctx.lineTo(x, y + radius / 2);
    }
    ctx.lineWidth = 1.5 * ratio;
    ctx.stroke();
  }
}

/** Review pins: a teardrop whose tip is the point, with the comment's number in its head. */
export function drawPins(ctx: CanvasRenderingContext2D, rect: Rect, pins: readonly PinMarker[], ratio: number): void {
  for (const pin of pins) {
    const { x, y } = frameToScreen(rect, pin.x, pin.y);
    const r = (pin.active ? 11 : 8) * ratio;
    const cy = y - r * 1.9;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.arc(x, cy, r, Math.PI * 0.75, Math.PI * 0.25);
    ctx.closePath();
    ctx.fillStyle = pin.active ? '#f79009' : '#2f6fdb';
    ctx.fill();
    ctx.lineWidth = 2 * ratio;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    ctx.fillStyle = '#fff';
    ctx.font = `600 ${Math.round(r * 1.1)}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(pin.label, x, cy);
  }
}
