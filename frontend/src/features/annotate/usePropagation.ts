/**
 * Propagation jobs of the workspace: starting one, following its progress (live events, and a poll
 * while it runs, so progress keeps moving if the websocket is down), cancelling it, and fetching
 * its objects again whole when it ends.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import {
  cancelPropagation,
  createPropagation,
  getPropagation,
  isJobActive,
  listPropagations,
  type Direction,
  type PropagationJob,
} from '../../api/masklets';
import type { ReadyVideo } from '../../api/videos';
import type { JobUpdate } from './useWorkspaceData';

const JOB_POLL_MS = 2000;

/**
 * The `[frame_start, frame_end)` bounds of a propagation limited to `limit` frames on each side of
 * `start` (null: to the ends of the video, which is what the API does without bounds).
 */
export function propagationRange(
  start: number,
  direction: Direction,
  limit: number | null,
  frameCount: number,
): { frame_start?: number; frame_end?: number } {
  if (limit === null || !(limit > 0)) return {};
  return {
    ...(direction !== 'forward' ? { frame_start: Math.max(0, start - limit) } : {}),
    ...(direction !== 'backward' ? { frame_end: Math.min(frameCount, start + limit + 1) } : {}),
  };
}

export function usePropagation(options: {
  video: ReadyVideo;
  /** Fetch these objects' frames again (the job's results, at its end). */
  refetch: (maskletId: number, frames: readonly number[], maskletToo: boolean) => void;
  notify: (message: string) => void;
  showError: (error: unknown) => void;
  sam2Refused: (message: string) => void;
}) {
  const { video } = options;
  const [job, setJob] = useState<PropagationJob | null>(null);
  const jobRef = useRef(job);
  useLayoutEffect(() => {
    jobRef.current = job;
  }, [job]);
  const callbacks = useRef(options);
  useLayoutEffect(() => {
    callbacks.current = options;
  });

  // A job already running when the workspace opens (another browser, or before a reload).
  useEffect(() => {
    const controller = new AbortController();
    listPropagations(video.id, controller.signal).then(
      (jobs) => {
        const active = jobs.filter(isJobActive).sort((a, b) => b.id - a.id)[0];
        if (active) setJob((now) => now ?? active);
      },
      () => undefined,
    );
    return () => controller.abort();
  }, [video.id]);

  /** Progress from an event; a job this page did not know is fetched whole. */
  const onJobEvent = useCallback((update: JobUpdate) => {
    setJob((current) => {
      if (current !== null && current.id !== update.id && isJobActive(current)) return current;
      const base = current !== null && current.id === update.id ? current : null;
      if (base === null) {
        getPropagation(update.id).then(
          (full) => setJob((now) => (now === null || now.id === full.id || !isJobActive(now) ? full : now)),
          () => undefined,
        );
        return current;
      }
      return { ...base, ...update };
    });
  }, []);

  const jobActive = job !== null && isJobActive(job);
  const jobId = job?.id;
  useEffect(() => {
    if (!jobActive || jobId === undefined) return;
    const timer = setInterval(() => {
      getPropagation(jobId).then(
        (fresh) => setJob((now) => (now?.id === fresh.id ? fresh : now)),
        () => undefined,
      );
    }, JOB_POLL_MS);
    return () => clearInterval(timer);
  }, [jobActive, jobId]);

  const finished = useRef<number | null>(null);
  useEffect(() => {
    if (job === null || isJobActive(job) || finished.current === job.id) return;
    finished.current = job.id;
    for (const id of job.masklets ?? []) callbacks.current.refetch(id, [0, video.frame_count - 1], true);
  }, [job, video.frame_count]);

  const propagate = useCallback(
    async (
      maskletIds: number[],
      startFrame: number,
      direction: Direction,
      limit: number | null,
      untilAgreement = false,
    ) => {
      const { notify, showError, sam2Refused } = callbacks.current;
      if (jobRef.current !== null && isJobActive(jobRef.current)) {
        notify('A propagation is already running; cancel it or wait for it.');
        return;
      }
      if (maskletIds.length === 0) {
        notify('Nothing to propagate: click on an object first (propagation starts from its clicks).');
        return;
      }
      try {
        setJob(
          await createPropagation(video.id, {
            masklet_ids: maskletIds,
            start_frame: startFrame,
            direction,
            ...propagationRange(startFrame, direction, limit, video.frame_count),
            until_agreement: untilAgreement,
          }),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) sam2Refused(e.message);
        showError(e);
      }
    },
    [video.frame_count, video.id],
  );

  const cancel = useCallback(async () => {
    const current = jobRef.current;
    if (current === null) return;
    try {
      setJob(await cancelPropagation(current.id));
    } catch (e) {
      callbacks.current.showError(e);
    }
  }, []);

  return { job, onJobEvent, propagate, cancel, dismiss: () => setJob(null) };
}
