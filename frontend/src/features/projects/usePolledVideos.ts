import { useCallback, useEffect, useState } from 'react';
import { describeError, isAbortError } from '../../api/client';
import { isIngesting, listVideos, type Video } from '../../api/videos';

/** Time between refreshes while a video is being ingested. */
export const POLL_INTERVAL_MS = 2000;

export interface PolledVideos {
  videos: Video[] | null;
  /** The first load failed: nothing to show. */
  loadError: unknown;
  /** A refresh failed; the list shown may be stale and polling goes on. */
  refreshError: string | null;
  /** Put a just-uploaded video in the list (and so start polling) without waiting for a refresh. */
  addVideo: (video: Video) => void;
  reload: () => void;
}

/**
 * The project's videos, refreshed every 2 s while any of them is uploaded or processing, and not at
 * all once every video is ready or failed. The next refresh is scheduled only after the previous
 * answer, so a slow server never gets overlapping polls.
 */
export function usePolledVideos(projectId: number): PolledVideos {
  // Callers key their component by project, so `projectId` is fixed for this hook's lifetime.
  const [videos, setVideos] = useState<Video[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  // Bumped to schedule another poll after a failed one (videos did not change, so nothing else would).
  const [retryTick, setRetryTick] = useState(0);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    listVideos(projectId, controller.signal).then(setVideos, (error: unknown) => {
      if (!isAbortError(error)) setLoadError(error);
    });
    return () => controller.abort();
  }, [projectId, generation]);

  const polling = videos !== null && videos.some(isIngesting);

  useEffect(() => {
    if (!polling) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      listVideos(projectId, controller.signal).then(
        (fresh) => {
          setRefreshError(null);
          setVideos(fresh);
        },
        (error: unknown) => {
          if (isAbortError(error)) return;
          setRefreshError(`Could not refresh the video list: ${describeError(error)}`);
          setRetryTick((t) => t + 1);
        },
      );
    }, POLL_INTERVAL_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [polling, projectId, videos, retryTick]);

  const addVideo = useCallback((video: Video) => {
    setVideos((current) => (current === null ? [video] : [video, ...current.filter((v) => v.id !== video.id)]));
  }, []);

  const reload = useCallback(() => {
    setVideos(null);
    setLoadError(null);
    setGeneration((g) => g + 1);
  }, []);

  return { videos, loadError, refreshError, addVideo, reload };
}
