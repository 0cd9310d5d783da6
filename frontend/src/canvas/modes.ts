/**
 * Tools and the pointer interaction in progress, as explicit unions. A transition that makes no
 * sense (ending a box that was never started) throws, naming the current state, instead of
 * silently doing something odd.
 */

export type ToolMode = 'positive' | 'negative' | 'box' | 'brush' | 'eraser' | 'pan';

export const TOOL_MODES: readonly ToolMode[] = ['positive', 'negative', 'box', 'brush', 'eraser', 'pan'];

export const TOOL_LABELS: Record<ToolMode, string> = {
  positive: 'Positive click',
  negative: 'Negative click',
  box: 'Box',
  brush: 'Brush',
  eraser: 'Eraser',
  pan: 'Pan',
};

/** Tools that change masks (a reviewer may still pan). */
export function editsMasks(mode: ToolMode): boolean {
  return mode !== 'pan';
}

/** Tools that need SAM 2 (the others edit masks by hand). */
export function needsSam2(mode: ToolMode): boolean {
  return mode === 'positive' || mode === 'negative' || mode === 'box';
}

/** Normalised frame point. */
export interface FramePoint {
  x: number;
  y: number;
}

export type Interaction =
  | { kind: 'idle' }
  | { kind: 'box'; start: FramePoint; current: FramePoint }
  /** `maskletId` null: the first stroke of a new object (created when the stroke ends). */
  | { kind: 'stroke'; mode: 'brush' | 'eraser'; maskletId: number | null; frame: number; last: FramePoint }
  /** Dragging the zoomed frame; `last` in canvas pixels, the one place here that is not a frame point. */
  | { kind: 'pan'; last: { x: number; y: number } };

export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
  constructor(action: string, state: Interaction) {
    super(`Cannot ${action} while ${state.kind === 'idle' ? 'idle' : `in a ${state.kind}`}.`);
  }
}

export const IDLE: Interaction = { kind: 'idle' };

export function beginBox(state: Interaction, at: FramePoint): Interaction {
  if (state.kind !== 'idle') throw new IllegalTransition('start a box', state);
  return { kind: 'box', start: at, current: at };
}

export function beginStroke(
  state: Interaction,
  mode: 'brush' | 'eraser',
  maskletId: number | null,
  frame: number,
  at: FramePoint,
): Interaction {
  if (state.kind !== 'idle') throw new IllegalTransition('start a stroke', state);
  return { kind: 'stroke', mode, maskletId, frame, last: at };
}

export function beginPan(state: Interaction, at: { x: number; y: number }): Interaction {
  if (state.kind !== 'idle') throw new IllegalTransition('start panning', state);
  return { kind: 'pan', last: at };
}

/** Continue a box or a stroke to a frame point, or a pan to a canvas point. */
export function moveTo(state: Interaction, at: FramePoint): Interaction {
  if (state.kind === 'box') return { ...state, current: at };
  if (state.kind === 'stroke' || state.kind === 'pan') return { ...state, last: at };
  throw new IllegalTransition('drag', state);
}

/** Normalised box `[x0, y0, x1, y1]` of a drag, or null when too small to mean anything. */
export function boxOf(state: Interaction, minSize = 0.005): [number, number, number, number] | null {
  if (state.kind !== 'box') throw new IllegalTransition('finish a box', state);
  const x0 = Math.min(state.start.x, state.current.x);
  const x1 = Math.max(state.start.x, state.current.x);
  const y0 = Math.min(state.start.y, state.current.y);
  const y1 = Math.max(state.start.y, state.current.y);
  if (x1 - x0 < minSize || y1 - y0 < minSize) return null;
  return [x0, y0, x1, y1];
}
