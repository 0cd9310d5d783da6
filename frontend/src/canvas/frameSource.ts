/**
 * Where a video's frames come from: the server's chunks (16 consecutive JPEGs in one immutable
 * response, backend/videos/delivery.py) for scrubbing and playback, and single JPEGs for a jump,
 * which must not wait for a whole chunk. Each JPEG is the extracted frame of the API, byte for
 * byte, so what is drawn is exactly frame N: the frame the masks of frame N belong to.
 *
 * Measured in headless Chromium on the 2-core test machine (1080p, JPEG quality 90): decoding
 * JPEGs with createImageBitmap ran at 44 frames/s one at a time and 70-80 frames/s four at a
 * time, WebCodecs' VP8/VP9 decoders at 25-45 frames/s; and the server can make JPEGs without a
 * video encoder. Hence chunks of JPEGs rather than video segments.
 *
 * The fetching, slicing and decoding run in a web worker (workers/frames.worker.ts, through
 * frameWorkerSource.ts): on the main thread, blob slicing and createImageBitmap calls took
 * hundreds of ms per second of scrubbing (profiled), time the page needs to stay responsive.
 */
import { parseApiError } from '../api/client';

export const CHUNK_MAGIC = 'SFC1';

/** Anything encoded that knows its size (a Blob, or a handle to one held elsewhere). */
export interface Sized {
  readonly size: number;
}

/**
 * Frames of one video: encoded ones fetched by chunk or one by one, decoded on demand. `E` is
 * the encoded frame (or a handle to it), `T` the decoded one.
 */
export interface FrameSource<E extends Sized = Blob, T = ImageBitmap> {
  /** Frames per chunk: chunk k holds frames k * chunkSize onwards. */
  readonly chunkSize: number;
  /** The encoded frames of chunk `index`, in frame order. */
  chunk(index: number, signal: AbortSignal): Promise<E[]>;
  /** One encoded frame. */
  frame(index: number, signal: AbortSignal): Promise<E>;
  decode(encoded: E): Promise<T>;
  /** Encoded frames nobody keeps any more (a worker frees the bytes it holds for them). */
  release?(encoded: readonly E[]): void;
  /** Nothing more will be asked (the worker, if any, stops). */
  dispose?(): void;
}

export class ChunkFormatError extends Error {
  override name = 'ChunkFormatError';
}

/**
 * The JPEGs of a chunk, as slices of its body (no copy). Layout, unsigned 32-bit little-endian:
 * "SFC1" | first frame | count | count byte lengths | the JPEGs.
 */
export async function parseChunk(body: Blob, expectedFirst: number): Promise<Blob[]> {
  const head = new DataView(await body.slice(0, 12).arrayBuffer());
  const magic = String.fromCharCode(...new Uint8Array(head.buffer, 0, Math.min(4, head.byteLength)));
  if (head.byteLength < 12 || magic !== CHUNK_MAGIC) throw new ChunkFormatError('Not a frame chunk.');
  const first = head.getUint32(4, true);
  const count = head.getUint32(8, true);
  if (first !== expectedFirst) {
    throw new ChunkFormatError(`The chunk starts at frame ${first}, not ${expectedFirst}.`);
  }
  const lengths = new DataView(await body.slice(12, 12 + 4 * count).arrayBuffer());
  if (lengths.byteLength !== 4 * count) throw new ChunkFormatError('The chunk header is cut short.');
  const frames: Blob[] = [];
  let offset = 12 + 4 * count;
  for (let i = 0; i < count; i += 1) {
    const length = lengths.getUint32(4 * i, true);
    frames.push(body.slice(offset, offset + length, 'image/jpeg'));
    offset += length;
  }
  if (offset !== body.size) throw new ChunkFormatError(`The chunk has ${body.size} bytes, its header says ${offset}.`);
  return frames;
}

async function fetchBlob(url: string, signal: AbortSignal): Promise<Blob> {
  const response = await fetch(url, { credentials: 'same-origin', signal });
  if (!response.ok) throw parseApiError(response.status, await response.text().catch(() => ''));
  const blob = await response.blob();
  // A 200 without a body is a server fault; never draw (or cache) it as a frame.
  if (blob.size === 0) throw new Error(`${url} answered with an empty body.`);
  return blob;
}

export interface VideoFrameUrls {
  frame_url_template: string;
  /** Absent on a server without chunks: every frame is then fetched alone. */
  chunk_url_template?: string;
  chunk_size?: number;
}

/** Frames from the API of `video`, fetched and decoded where this runs (the frames worker). */
export function httpFrameSource(video: VideoFrameUrls): FrameSource {
  const chunked = video.chunk_url_template !== undefined && (video.chunk_size ?? 0) > 0;
  const chunkSize = chunked ? (video.chunk_size as number) : 1;
  const frame = (index: number, signal: AbortSignal) =>
    fetchBlob(video.frame_url_template.replace('{frame}', String(index)), signal);
  return {
    chunkSize,
    async chunk(index, signal) {
      if (!chunked) return [await frame(index, signal)];
      const url = (video.chunk_url_template as string).replace('{chunk}', String(index));
      return parseChunk(await fetchBlob(url, signal), index * chunkSize);
    },
    frame,
    decode: (encoded) => createImageBitmap(encoded),
  };
}
