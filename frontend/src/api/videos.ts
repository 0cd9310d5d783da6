/** videos/ endpoints, and the upload that reports progress. Types derive from the generated schema. */
import { ApiError, apiRequest, apiUrl, csrfToken, ensureCsrfToken, listAll, parseApiError } from './client';
import type { Narrowed, Schemas } from './types';

export type VideoStatus = 'uploaded' | 'processing' | 'ready' | 'failed';

/**
 * `status_reason`: why ingest failed (empty otherwise); `progress`: ingest, 0..1; width, height, fps
 * and frame_count are probed when the upload is accepted; `frame_url_template`:
 * `/api/v1/videos/{id}/frames/{frame}.jpg`, whose `{frame}` slot takes a 0-based frame index.
 */
export type Video = Narrowed<Schemas['VideoOutput'], { status: VideoStatus }>;

/** A video whose frames can be viewed: extracted, and at least one of them. */
export type ReadyVideo = Video & { status: 'ready' };

export function isReady(video: Video): video is ReadyVideo {
  return video.status === 'ready' && video.fps > 0 && video.frame_count > 0 && video.width > 0 && video.height > 0;
}

/** Ingest still running: the project page keeps polling while any video is in one of these. */
export function isIngesting(video: Pick<Video, 'status'>): boolean {
  return video.status === 'uploaded' || video.status === 'processing';
}

export function listVideos(projectId: number, signal?: AbortSignal): Promise<Video[]> {
  return listAll<Video>(`projects/${projectId}/videos/`, signal);
}

/** Deletes the video with its frames, masklets and tasks (managers). */
export function deleteVideo(videoId: number): Promise<void> {
  return apiRequest<void>(`videos/${videoId}/`, { method: 'DELETE' });
}

export function getVideo(videoId: number, signal?: AbortSignal): Promise<Video> {
  return apiRequest<Video>(`videos/${videoId}/`, { signal });
}

export interface UploadProgress {
  loaded: number;
  /** null when the browser cannot tell the request size. */
  total: number | null;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Upload a video file (manager only). Uses XMLHttpRequest because fetch cannot report upload
 * progress. Resolves with the created Video (status "uploaded"; ingest then runs on a worker),
 * rejects with ApiError (413 too large, 422 not a video...) or an AbortError.
 */
export async function uploadVideo(projectId: number, file: File, options: UploadOptions = {}): Promise<Video> {
  const { onProgress, signal } = options;
  await ensureCsrfToken();
  signal?.throwIfAborted();
  const form = new FormData();
  form.append('file', file, file.name);

  return new Promise<Video>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const onAbort = (): void => xhr.abort();
    const settle = (): void => signal?.removeEventListener('abort', onAbort);

    xhr.open('POST', apiUrl(`projects/${projectId}/videos/upload/`));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    const token = csrfToken();
    if (token !== null) xhr.setRequestHeader('X-CSRFToken', token);

    xhr.upload.onprogress = (event) => {
      onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : null });
    };
    xhr.onload = () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as Video);
        } catch {
          reject(new ApiError('The server accepted the file but sent an unreadable answer.', xhr.status));
        }
      } else {
        reject(parseApiError(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => {
      settle();
      // A proxy that refuses an oversized body often just closes the connection: say so.
      reject(
        new ApiError(
          'The upload was interrupted: the connection failed or the server closed it (the file may be too large).',
          0,
        ),
      );
    };
    xhr.onabort = () => {
      settle();
      reject(new DOMException('Upload cancelled.', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(form);
  });
}
