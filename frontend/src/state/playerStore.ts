/**
 * The player's state for React, outside React's state: the frame changes up to 30 times a second
 * while an arrow key is held, and only the few components that show it (the counter, the scrubber,
 * the timeline's playhead, the prompt markers) re-render, not the whole workspace. Listeners hear
 * of changes once per animation frame at most: a key repeating faster than frames are drawn does
 * not re-render the page for states nobody will see.
 */
import { useSyncExternalStore } from 'react';
import type { PlayerState } from '../canvas/FramePlayer';

export class PlayerStore {
  private current: PlayerState;
  private readonly listeners = new Set<() => void>();
  private pending: number | null = null;

  constructor(
    initial: PlayerState,
    private readonly nextFrame: (callback: () => void) => number = (callback) => requestAnimationFrame(callback),
  ) {
    this.current = initial;
  }

  get state(): PlayerState {
    return this.current;
  }

  set(state: PlayerState): void {
    this.current = state;
    this.pending ??= this.nextFrame(() => {
      this.pending = null;
      for (const listener of this.listeners) listener();
    });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export { initialPlayerState } from '../canvas/FramePlayer';

/** The whole player state (re-renders on every change). */
export function usePlayerState(store: PlayerStore): PlayerState {
  return useSyncExternalStore(store.subscribe, () => store.state);
}

/** One value of it (re-renders only when that value changes). */
export function usePlayerValue<T extends string | number | boolean | null>(
  store: PlayerStore,
  select: (state: PlayerState) => T,
): T {
  return useSyncExternalStore(store.subscribe, () => select(store.state));
}
