/**
 * Fetches a video's frames (chunks of JPEGs, or one frame), holds the encoded bytes, and decodes
 * them into ImageBitmaps that are transferred to the page: none of it runs on the main thread,
 * which only draws. Handles are numbers the page chooses (canvas/frameWorkerSource.ts).
 */
import { ApiError } from '../api/client';
import { httpFrameSource, type FrameSource } from '../canvas/frameSource';
import type { FrameWorkerRequest, FrameWorkerResponse } from './messages';

/** The part of DedicatedWorkerGlobalScope used here (the app compiles against the DOM lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<FrameWorkerRequest>) => void) | null;
  postMessage(message: FrameWorkerResponse, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let source: FrameSource | null = null;
const held = new Map<number, Blob>();
const fetches = new Map<number, AbortController>();

function fail(id: number, error: unknown): void {
  scope.postMessage({
    type: 'failed',
    id,
    message: error instanceof Error ? error.message : String(error),
    status: error instanceof ApiError ? error.status : null,
  });
}

async function fetchInto(id: number, firstHandle: number, fetch: (signal: AbortSignal) => Promise<Blob[]>) {
  const controller = new AbortController();
  fetches.set(id, controller);
  try {
    const frames = await fetch(controller.signal);
    if (controller.signal.aborted) return;
    frames.forEach((blob, k) => held.set(firstHandle + k, blob));
    scope.postMessage({ type: 'held', id, firstHandle, sizes: frames.map((b) => b.size) });
  } catch (error) {
    if (!controller.signal.aborted) fail(id, error);
  } finally {
    fetches.delete(id);
  }
}

scope.onmessage = (event: MessageEvent<FrameWorkerRequest>) => {
  const request = event.data;
  switch (request.type) {
    case 'video':
      source = httpFrameSource({
        frame_url_template: request.frameUrlTemplate,
        ...(request.chunkUrlTemplate !== undefined ? { chunk_url_template: request.chunkUrlTemplate } : {}),
        ...(request.chunkSize !== undefined ? { chunk_size: request.chunkSize } : {}),
      });
      break;
    case 'chunk': {
      const from = source;
      if (from === null) fail(request.id, new Error('No video yet.'));
      else void fetchInto(request.id, request.firstHandle, (signal) => from.chunk(request.chunk, signal));
      break;
    }
    case 'frame': {
      const from = source;
      if (from === null) fail(request.id, new Error('No video yet.'));
      else void fetchInto(request.id, request.handle, async (signal) => [await from.frame(request.frame, signal)]);
      break;
    }
    case 'decode': {
      const blob = held.get(request.handle);
      if (blob === undefined) {
        fail(request.id, new Error('That frame is no longer held.'));
        break;
      }
      createImageBitmap(blob).then(
        (bitmap) => scope.postMessage({ type: 'decoded', id: request.id, bitmap }, [bitmap]),
        (error: unknown) => fail(request.id, error),
      );
      break;
    }
    case 'abort':
      fetches.get(request.id)?.abort();
      fetches.delete(request.id);
      break;
    case 'release':
      for (const handle of request.handles) held.delete(handle);
      break;
  }
};
