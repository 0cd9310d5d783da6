/**
 * SAM 2's state as the workspace shows it: ready, busy (propagating: clicks wait a frame),
 * starting (a worker is loading the model), not installed, offline. Asked at start and now and
 * then; more often while a worker starts, so clicks are offered the moment it is ready.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError } from '../../api/client';
import { getSam2Status, type Sam2State, type Sam2Status } from '../../api/masklets';

const POLL_MS = 30_000;
const POLL_STARTING_MS = 3_000;

export type Sam2View = { state: 'checking' } | (Sam2Status & { state: Sam2State });

export const SAM2_STATE_LABELS: Record<Sam2View['state'], string> = {
  checking: 'SAM 2: checking…',
  ready: 'SAM 2 ready',
  busy: 'SAM 2 busy (propagating)',
  starting: 'SAM 2 starting…',
  not_installed: 'SAM 2 not installed',
  offline: 'SAM 2 offline',
};

/** Whether clicks and boxes can be offered (while checking, they are; the server has the last word). */
export function sam2Usable(view: Sam2View): boolean {
  return view.state === 'checking' || view.available;
}

export function useSam2Status() {
  const [view, setView] = useState<Sam2View>({ state: 'checking' });
  const [generation, setGeneration] = useState(0);
  const starting = view.state === 'starting' || view.state === 'checking';

  const controller = useRef(new AbortController());
  useEffect(() => {
    const current = new AbortController();
    controller.current = current;
    return () => current.abort();
  }, []);
  const check = useCallback(() => {
    getSam2Status(controller.current.signal).then(setView, (e: unknown) => {
      if (!isAbortError(e)) {
        setView({ state: 'offline', available: false, workers: 0, message: 'The server could not be asked.' });
      }
    });
  }, []);
  useEffect(check, [check, generation]);
  useEffect(() => {
    const timer = setInterval(check, starting ? POLL_STARTING_MS : POLL_MS);
    return () => clearInterval(timer);
  }, [check, starting]);

  /** The server refused a SAM 2 request (503): show its reason, and ask for the state now. */
  const refused = useCallback((message: string) => {
    setView({ state: 'offline', available: false, workers: 0, message });
    setGeneration((g) => g + 1);
  }, []);

  return { view, refused };
}
