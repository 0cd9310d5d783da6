// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useAction } from './useAction';

describe('useAction', () => {
  it('is busy while the work runs and keeps its error', async () => {
    const { result } = renderHook(() => useAction());
    let finish: (() => void) | undefined;
    let running: Promise<void> | undefined;
    act(() => {
      running = result.current.run(() => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(result.current.busy).toBe(true);
    await act(async () => {
      finish?.();
      await running;
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBeNull();

    const failure = new Error('no');
    await act(() => result.current.run(() => Promise.reject(failure)));
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBe(failure);
  });

  it('clears the last error when the next run starts', async () => {
    const { result } = renderHook(() => useAction());
    await act(() => result.current.run(() => Promise.reject(new Error('no'))));
    await act(() => result.current.run(() => Promise.resolve()));
    expect(result.current.error).toBeNull();
  });
});
