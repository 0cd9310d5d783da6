// @vitest-environment happy-dom
import { renderHook } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ANNOTATE_SHORTCUTS, type Shortcut } from '../ui/shortcuts';
import { usePlaybackKeys, type PlaybackKeysOptions, type PlaybackTarget } from './usePlaybackKeys';

function fakePlayer() {
  const calls: string[] = [];
  const target: PlaybackTarget = {
    toggle: () => calls.push('toggle'),
    step: (d) => calls.push(`step ${d}`),
    pause: () => calls.push('pause'),
    seek: (f) => calls.push(`seek ${f}`),
  };
  return { calls, target };
}

const key = (type: 'keydown' | 'keyup', k: string, init: KeyboardEventInit = {}) => {
  const event = new KeyboardEvent(type, { key: k, bubbles: true, cancelable: true, ...init });
  window.dispatchEvent(event);
  return event;
};

function mount(options: Partial<PlaybackKeysOptions> = {}) {
  const player = fakePlayer();
  const goToFrame = vi.fn();
  const hook = renderHook(() => usePlaybackKeys({ target: () => player.target, lastFrame: 99, goToFrame, ...options }));
  return { ...player, goToFrame, hook };
}

describe('usePlaybackKeys', () => {
  it('drives the player with the viewer keys and keeps them from scrolling the page', () => {
    const { calls, goToFrame, hook } = mount();
    expect(key('keydown', ' ').defaultPrevented).toBe(true);
    key('keydown', 'ArrowRight');
    key('keydown', 'ArrowLeft', { shiftKey: true });
    key('keydown', 'End');
    key('keydown', 'Home');
    key('keydown', 'g');
    expect(calls).toEqual(['toggle', 'step 1', 'step -10', 'pause', 'seek 99', 'pause', 'seek 0']);
    expect(goToFrame).toHaveBeenCalledOnce();
    hook.unmount();
    key('keydown', 'ArrowRight');
    expect(calls).toHaveLength(7); // the listener is gone with the page
  });

  it('leaves keys to text fields', () => {
    const { calls, hook } = mount();
    const input = document.createElement('input');
    document.body.append(input);
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(calls).toEqual([]);
    input.remove();
    hook.unmount();
  });

  it("passes the page's own shortcuts on, after the viewer's", () => {
    const run = vi.fn<(shortcut: Shortcut, event: KeyboardEvent) => void>();
    const { calls, hook } = mount({ extra: { group: ANNOTATE_SHORTCUTS, run } });
    key('keydown', 'b');
    key('keydown', 'k');
    expect(run.mock.calls.map(([s]) => s.id)).toEqual(['toolBrush']);
    expect(calls).toEqual(['toggle']);
    hook.unmount();
  });

  it('with a Space hold, plays on release unless the hold was used to pan', () => {
    let panned = false;
    const press = vi.fn();
    const { calls, hook } = mount({ spaceHold: { press, release: () => panned } });
    key('keydown', ' ');
    key('keydown', ' ', { repeat: true });
    expect(press).toHaveBeenCalledOnce();
    expect(calls).toEqual([]); // nothing yet: it may become a pan
    key('keyup', ' ');
    expect(calls).toEqual(['toggle']);
    panned = true;
    key('keydown', ' ');
    key('keyup', ' ');
    expect(calls).toEqual(['toggle']); // used to pan: no play/pause
    key('keydown', 'k');
    expect(calls).toEqual(['toggle', 'toggle']); // K still toggles at once
    hook.unmount();
  });

  it('drops a Space hold when the window loses focus', () => {
    const release = vi.fn(() => false);
    const { calls, hook } = mount({ spaceHold: { press: () => undefined, release } });
    key('keydown', ' ');
    window.dispatchEvent(new Event('blur'));
    key('keyup', ' ');
    expect(release).toHaveBeenCalledOnce();
    expect(calls).toEqual([]);
    hook.unmount();
  });
});
