/**
 * The page's side of the frames worker (workers/frames.worker.ts): a FrameSource whose encoded
 * frames are handles to bytes the worker holds, and whose decodes come back as ImageBitmaps.
 */
import { ApiError } from '../api/client';
import type { FrameWorkerRequest, FrameWorkerResponse } from '../workers/messages';
import type { FrameSource, VideoFrameUrls } from './frameSource';

/** A frame held by the worker. */
export interface FrameHandle {
  readonly handle: number;
  readonly size: number;
}

interface Waiter {
  resolve: (response: FrameWorkerResponse) => void;
  reject: (error: Error) => void;
}

export class FrameWorkerSource implements FrameSource<FrameHandle, ImageBitmap> {
  readonly chunkSize: number;
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private nextHandle = 1;
  private disposed = false;

  constructor(video: VideoFrameUrls) {
    const chunked = video.chunk_url_template !== undefined && (video.chunk_size ?? 0) > 0;
    this.chunkSize = chunked ? (video.chunk_size as number) : 1;
    this.worker = new Worker(new URL('../workers/frames.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<FrameWorkerResponse>) => this.onMessage(event.data);
    this.post({
      type: 'video',
      frameUrlTemplate: video.frame_url_template,
      ...(chunked ? { chunkUrlTemplate: video.chunk_url_template as string, chunkSize: this.chunkSize } : {}),
    });
  }

  async chunk(index: number, signal: AbortSignal): Promise<FrameHandle[]> {
    const firstHandle = this.nextHandle;
    this.nextHandle += this.chunkSize;
    const answer = await this.ask((id) => ({ type: 'chunk', id, chunk: index, firstHandle }), signal);
    return answer.type === 'held' ? answer.sizes.map((size, k) => ({ handle: firstHandle + k, size })) : [];
  }

  async frame(index: number, signal: AbortSignal): Promise<FrameHandle> {
    const handle = this.nextHandle;
    this.nextHandle += 1;
    const answer = await this.ask((id) => ({ type: 'frame', id, frame: index, handle }), signal);
    return { handle, size: answer.type === 'held' ? (answer.sizes[0] ?? 0) : 0 };
  }

  async decode(encoded: FrameHandle): Promise<ImageBitmap> {
    const answer = await this.ask((id) => ({ type: 'decode', id, handle: encoded.handle }));
    if (answer.type !== 'decoded') throw new Error('The frames worker answered out of turn.');
    return answer.bitmap;
  }

  release(encoded: readonly FrameHandle[]): void {
    if (encoded.length > 0 && !this.disposed) this.post({ type: 'release', handles: encoded.map((e) => e.handle) });
  }

  dispose(): void {
    this.disposed = true;
    this.worker.terminate();
    for (const { reject } of this.waiting.values()) reject(new Error('The frames worker was closed.'));
    this.waiting.clear();
  }

  private post(message: FrameWorkerRequest): void {
    this.worker.postMessage(message);
  }

  private ask(make: (id: number) => FrameWorkerRequest, signal?: AbortSignal): Promise<FrameWorkerResponse> {
    if (this.disposed) return Promise.reject(new Error('The frames worker was closed.'));
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      const abort = () => {
        this.waiting.delete(id);
        this.post({ type: 'abort', id });
        reject(new DOMException('Aborted', 'AbortError'));
      };
      if (signal?.aborted) {
        reject(new DOMException('Aborted', 'AbortError'));
        return;
      }
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', abort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', abort);
          reject(e);
        },
      });
      this.post(make(id));
    });
  }

  private onMessage(message: FrameWorkerResponse): void {
    const waiter = this.waiting.get(message.id);
    if (waiter === undefined) {
      // Aborted while the worker was answering: nobody takes what it holds or made.
      if (message.type === 'decoded') message.bitmap.close();
      if (message.type === 'held')
        this.release(message.sizes.map((size, k) => ({ handle: message.firstHandle + k, size })));
      return;
    }
    this.waiting.delete(message.id);
    if (message.type === 'failed') {
      waiter.reject(
        message.status === null ? new Error(message.message) : new ApiError(message.message, message.status),
      );
    } else waiter.resolve(message);
  }
}
