// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useRefreshable } from './useRefreshable';

describe('useRefreshable', () => {
  it('swaps fresh data in without a loading state, and keeps the old data when a refresh fails', async () => {
    const load = vi
      .fn<(signal: AbortSignal) => Promise<string>>()
      .mockResolvedValueOnce('first')
      .mockResolvedValueOnce('second')
      .mockRejectedValueOnce(new Error('offline'));
    const { result } = renderHook(() => useRefreshable(load, []));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'done', data: 'first' }));

    const seen: string[] = [];
    act(() => result.current.refresh());
    seen.push(result.current.state.status);
    await waitFor(() => expect(result.current.state).toEqual({ status: 'done', data: 'second' }));
    expect(seen).toEqual(['done']); // never "loading" in between

    act(() => result.current.refresh());
    await waitFor(() => expect(result.current.refreshError).toBeInstanceOf(Error));
    expect(result.current.state).toEqual({ status: 'done', data: 'second' });
  });
});
