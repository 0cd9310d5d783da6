import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { FrameWorkerRequest, FrameWorkerResponse } from '../workers/messages';
import { FrameWorkerSource } from './frameWorkerSource';

/** A stand-in for the frames worker: records what the page asks, answers when told to. */
class FakeWorker {
  static last: FakeWorker;
  sent: FrameWorkerRequest[] = [];
  onmessage: ((event: MessageEvent<FrameWorkerResponse>) => void) | null = null;
  terminated = false;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(message: FrameWorkerRequest): void {
    this.sent.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(message: FrameWorkerResponse): void {
    this.onmessage?.({ data: message } as MessageEvent<FrameWorkerResponse>);
  }
}

const video = { frame_url_template: '/f/{frame}.jpg', chunk_url_template: '/c/{chunk}.sfc', chunk_size: 4 };
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('FrameWorkerSource', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('tells the worker the video, then fetches chunks as handles to the bytes it holds', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const source = new FrameWorkerSource(video);
    const w = FakeWorker.last;
    expect(w.sent[0]).toEqual({
      type: 'video',
      frameUrlTemplate: '/f/{frame}.jpg',
      chunkUrlTemplate: '/c/{chunk}.sfc',
      chunkSize: 4,
    });
    const chunk = source.chunk(2, new AbortController().signal);
    expect(w.sent[1]).toEqual({ type: 'chunk', id: 1, chunk: 2, firstHandle: 1 });
    w.answer({ type: 'held', id: 1, firstHandle: 1, sizes: [10, 11, 12, 13] });
    const handles = await chunk;
    expect(handles.map((h) => [h.handle, h.size])).toEqual([
      [1, 10],
      [2, 11],
      [3, 12],
      [4, 13],
    ]);
    const decoded = source.decode(handles[1]!);
    expect(w.sent[2]).toEqual({ type: 'decode', id: 2, handle: 2 });
    const bitmap = { close: vi.fn() } as unknown as ImageBitmap;
    w.answer({ type: 'decoded', id: 2, bitmap });
    expect(await decoded).toBe(bitmap);
    source.release(handles);
    expect(w.sent[3]).toEqual({ type: 'release', handles: [1, 2, 3, 4] });
    source.dispose();
    expect(w.terminated).toBe(true);
  });

  it("passes on the server's refusal with its status", async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const source = new FrameWorkerSource(video);
    const frame = source.frame(7, new AbortController().signal);
    FakeWorker.last.answer({ type: 'failed', id: 1, message: 'Not found.', status: 404 });
    await expect(frame).rejects.toEqual(new ApiError('Not found.', 404));
  });

  it('aborts in the worker, and gives back what the worker held meanwhile', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const source = new FrameWorkerSource(video);
    const w = FakeWorker.last;
    const controller = new AbortController();
    const chunk = source.chunk(0, controller.signal);
    controller.abort();
    await expect(chunk).rejects.toThrow(/Aborted/);
    expect(w.sent.at(-1)).toEqual({ type: 'abort', id: 1 });
    w.answer({ type: 'held', id: 1, firstHandle: 1, sizes: [5, 5] }); // it answered before it heard
    await flush();
    expect(w.sent.at(-1)).toEqual({ type: 'release', handles: [1, 2] });
  });
});
