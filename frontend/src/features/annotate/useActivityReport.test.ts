// @vitest-environment happy-dom
import { renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityReport } from '../../api/quality';
import { useActivityReport } from './useActivityReport';

let visibility: DocumentVisibilityState = 'visible';

beforeEach(() => {
  vi.useFakeTimers();
  visibility = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
});

afterEach(() => {
  vi.useRealTimers();
});

function setup(enabled = true) {
  const sent: { report: ActivityReport; keepalive: boolean }[] = [];
  const send = vi.fn((report: ActivityReport, options: { keepalive: boolean }) => {
    sent.push({ report, keepalive: options.keepalive });
    return Promise.resolve();
  });
  const hook = renderHook(({ frame }) => useActivityReport(9, frame, enabled, send), { initialProps: { frame: 3 } });
  return { sent, hook };
}

describe('useActivityReport', () => {
  it('counts window input and reports every 30 s with the current frame', async () => {
    const { sent, hook } = setup();
    hook.rerender({ frame: 5 });
    for (let i = 0; i < 3; i += 1) {
      window.dispatchEvent(new Event('pointerdown'));
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(sent).toEqual([{ report: { video: 9, seconds: 30, frame_index: 5 }, keepalive: false }]);
    hook.unmount();
  });

  it('sends with keepalive when the page is hidden, and the rest on unmount', async () => {
    const { sent, hook } = setup();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    await vi.advanceTimersByTimeAsync(7_000);
    visibility = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(sent).toEqual([{ report: { video: 9, seconds: 7, frame_index: 3 }, keepalive: true }]);
    visibility = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('pointermove'));
    await vi.advanceTimersByTimeAsync(4_000);
    hook.unmount();
    expect(sent.at(-1)).toEqual({ report: { video: 9, seconds: 4, frame_index: 3 }, keepalive: true });
    // no listeners left behind
    window.dispatchEvent(new Event('pointerdown'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(2);
  });

  it('does nothing when disabled (reviewers)', async () => {
    const { sent, hook } = setup(false);
    window.dispatchEvent(new Event('pointerdown'));
    await vi.advanceTimersByTimeAsync(60_000);
    hook.unmount();
    expect(sent).toEqual([]);
  });
});
