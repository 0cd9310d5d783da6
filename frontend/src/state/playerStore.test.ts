import { describe, expect, it, vi } from 'vitest';
import { initialPlayerState, PlayerStore } from './playerStore';

describe('PlayerStore', () => {
  it('tells its listeners once per animation frame, with the newest state', () => {
    const frames: (() => void)[] = [];
    const store = new PlayerStore(initialPlayerState(0), (callback) => frames.push(callback));
    const listener = vi.fn(() => store.state.frame);
    const unsubscribe = store.subscribe(listener);
    for (let f = 1; f <= 4; f += 1) store.set({ ...store.state, frame: f });
    expect(store.state.frame).toBe(4); // read at once
    expect(listener).not.toHaveBeenCalled();
    expect(frames).toHaveLength(1);
    frames.shift()?.();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.results[0]?.value).toBe(4);
    unsubscribe();
    store.set({ ...store.state, frame: 5 });
    frames.shift()?.();
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
