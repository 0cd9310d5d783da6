import { useCallback, useState } from 'react';

/**
 * One button's request at a time: `run(work)` marks the control busy, clears the last error, runs
 * `work` and keeps its error for the UI (ErrorMessage), whatever happens.
 */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (work: () => Promise<unknown>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
