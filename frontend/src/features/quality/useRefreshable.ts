import { useCallback, useEffect, useState, type DependencyList } from 'react';
import { isAbortError } from '../../api/client';
import { useAsync, type AsyncState } from '../../ui/useAsync';

/**
 * useAsync, plus `refresh()`: load again in the background and swap the data in when it arrives,
 * without going through "loading" (the page keeps its open panels, messages and scroll position).
 * A failed refresh keeps the old data and reports `refreshError`.
 */
export function useRefreshable<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): { state: AsyncState<T>; reload: () => void; refresh: () => void; refreshError: unknown } {
  const { state, reload } = useAsync(load, deps);
  const [fresh, setFresh] = useState<{ data: T; from: AsyncState<T> } | null>(null);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (generation === 0) return;
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setFresh({ data, from: state });
        setRefreshError(null);
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbortError(error)) setRefreshError(error);
      },
    );
    return () => controller.abort();
    // Runs per refresh() call; `load` and `state` are read as they are then.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [generation]);

  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  // A refreshed answer counts only on top of the state it was asked from (a reload or new deps win).
  const shown: AsyncState<T> = fresh !== null && fresh.from === state ? { status: 'done', data: fresh.data } : state;
  return { state: shown, reload, refresh, refreshError };
}
