import { describe, expect, it } from 'vitest';
import {
  beginBox,
  beginPan,
  beginStroke,
  boxOf,
  editsMasks,
  IDLE,
  IllegalTransition,
  moveTo,
  needsSam2,
} from './modes';

describe('tool interaction', () => {
  it('drags a box and normalises its corners', () => {
    let state = beginBox(IDLE, { x: 0.6, y: 0.7 });
    state = moveTo(state, { x: 0.2, y: 0.1 });
    expect(boxOf(state)).toEqual([0.2, 0.1, 0.6, 0.7]);
  });

  it('drops a box too small to mean anything (a click in box mode)', () => {
    expect(boxOf(beginBox(IDLE, { x: 0.5, y: 0.5 }))).toBeNull();
  });

  it('throws on transitions that make no sense, naming the state', () => {
    const stroke = beginStroke(IDLE, 'brush', 1, 0, { x: 0, y: 0 });
    expect(() => beginBox(stroke, { x: 0, y: 0 })).toThrow(IllegalTransition);
    expect(() => beginBox(stroke, { x: 0, y: 0 })).toThrow(/in a stroke/);
    expect(() => moveTo(IDLE, { x: 0, y: 0 })).toThrow(/while idle/);
    expect(() => boxOf(stroke)).toThrow(/finish a box/);
  });

  it('knows which tools need SAM 2', () => {
    expect(needsSam2('positive')).toBe(true);
    expect(needsSam2('box')).toBe(true);
    expect(needsSam2('brush')).toBe(false);
    expect(needsSam2('eraser')).toBe(false);
    expect(needsSam2('pan')).toBe(false);
    expect(editsMasks('pan')).toBe(false);
    expect(editsMasks('brush')).toBe(true);
  });

  it('pans only from idle, following the pointer', () => {
    let state = beginPan(IDLE, { x: 10, y: 20 });
    state = moveTo(state, { x: 15, y: 18 });
    expect(state).toEqual({ kind: 'pan', last: { x: 15, y: 18 } });
    expect(() => beginPan(state, { x: 0, y: 0 })).toThrow(/start panning while in a pan/);
    expect(() => beginBox(state, { x: 0, y: 0 })).toThrow(/in a pan/);
    expect(() => boxOf(state)).toThrow(IllegalTransition);
  });
});
