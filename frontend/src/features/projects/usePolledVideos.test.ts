// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Video, VideoStatus } from '../../api/videos';
import { POLL_INTERVAL_MS, usePolledVideos } from './usePolledVideos';

const listVideos = vi.hoisted(() => vi.fn<(projectId: number, signal?: AbortSignal) => Promise<Video[]>>());
vi.mock('../../api/videos', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/videos')>()),
  listVideos,
}));

function video(id: number, status: VideoStatus, progress = 0): Video {
  return {
    id,
    project: 1,
    name: `v${id}.mp4`,
    status,
    status_reason: '',
    progress,
    width: 640,
    height: 480,
    fps: 24,
    frame_count: 48,
    size_bytes: 100,
    checksum: '',
    environment: '',
    split: '',
    frame_url_template: `/api/v1/videos/${id}/frames/{frame}.jpg`,
    created_at: '2026-01-01T00:00:00Z',
  };
}

/** Let resolved promises run their callbacks inside act(). */
async function settle(): Promise<void> {
  await act(async () => {
    await Promise.resolve();
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  listVideos.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('usePolledVideos', () => {
  it('polls every 2 s while a video is processing and stops once all are settled', async () => {
    // given a project with one video being processed
    listVideos
      .mockResolvedValueOnce([video(1, 'processing', 0.2), video(2, 'ready', 1)])
      .mockResolvedValueOnce([video(1, 'processing', 0.7), video(2, 'ready', 1)])
      .mockResolvedValueOnce([video(1, 'ready', 1), video(2, 'ready', 1)]);
    const { result } = renderHook(() => usePolledVideos(1));
    await settle();
    expect(result.current.videos?.[0]?.progress).toBe(0.2);

    // when time passes
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS - 1);
    });
    expect(listVideos).toHaveBeenCalledTimes(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(result.current.videos?.[0]?.progress).toBe(0.7);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    expect(result.current.videos?.[0]?.status).toBe('ready');

    // then polling stops
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5);
    });
    expect(listVideos).toHaveBeenCalledTimes(3);
  });

  it('does not poll when nothing is ingesting, and starts when an upload is added', async () => {
    listVideos.mockResolvedValue([video(2, 'ready', 1)]);
    const { result } = renderHook(() => usePolledVideos(1));
    await settle();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    });
    expect(listVideos).toHaveBeenCalledTimes(1);

    act(() => result.current.addVideo(video(3, 'uploaded')));
    expect(result.current.videos?.map((v) => v.id)).toEqual([3, 2]);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    expect(listVideos).toHaveBeenCalledTimes(2);
  });

  it('keeps polling after a failed refresh and says so', async () => {
    listVideos
      .mockResolvedValueOnce([video(1, 'processing', 0.1)])
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValueOnce([video(1, 'ready', 1)]);
    const { result } = renderHook(() => usePolledVideos(1));
    await settle();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    expect(result.current.refreshError).toBe('Could not refresh the video list: offline');
    expect(result.current.videos?.[0]?.status).toBe('processing');
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    expect(result.current.refreshError).toBeNull();
    expect(result.current.videos?.[0]?.status).toBe('ready');
  });

  it('stops polling on unmount', async () => {
    listVideos.mockResolvedValue([video(1, 'processing')]);
    const { unmount } = renderHook(() => usePolledVideos(1));
    await settle();
    unmount();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    });
    expect(listVideos).toHaveBeenCalledTimes(1);
  });
});
