/**
 * The frames around the playhead, encoded and decoded. The player says where the playhead is,
 * which way it moves and whether it rests (`focus`); the store then fetches, nearest first:
 *
 * - the chunks from the playhead's onwards, `fetchAhead` frames deep, a few at a time: the
 *   frames at scrubbing size (backend/videos/delivery.py), cheap to fetch and to decode;
 * - decodes of the playhead's frame (always at once) and of `decodeAhead` frames after it;
 * - once the playhead rests, its frame at full size, alone, to replace the scrubbing one (also
 *   when its chunk could not be had).
 *
 * Nothing on the way from the frame on screen to the playhead is cancelled: a held arrow key
 * outrunning the network or the decoder still gets what it asked for, and the player shows the
 * newest of it while it catches up (the loader this replaced cancelled each frame as the playhead
 * passed it, and drew nothing until the key was released). Only downloads outside that stretch
 * and the window ahead are aborted.
 *
 * Generic over the encoded and decoded values so tests use plain objects.
 */
import type { FrameSource, Sized } from './frameSource';

export interface FrameStoreOptions<E extends Sized, T> {
  source: FrameSource<E, T>;
  frameCount: number;
  /** Decoded frames kept (a 1080p bitmap is ~8 MB). */
  decodedCapacity: number;
  /** Encoded bytes kept: chunks are small next to decoded frames. */
  encodedBudgetBytes?: number;
  /** Chunk downloads at once. */
  maxChunkFetches?: number;
  /** Decodes at once besides the playhead's (Chromium decodes on its own threads). */
  maxDecodes?: number;
  /** A frame or chunk that failed is not asked again before this many ms (no 404 loop). */
  retryAfterMs?: number;
  /** Frame `index` was decoded; `full`: at full size (else at scrubbing size). */
  onDecoded: (index: number, full: boolean) => void;
  onError: (index: number, error: unknown) => void;
  /** Frees a decoded value leaving the store (ImageBitmap.close()). */
  release?: (value: T) => void;
  now?: () => number;
}

export interface Focus {
  frame: number;
  /** The frame on screen, if any: chunks between it and the playhead are still worth having. */
  shown: number | null;
  direction: 1 | -1;
  /** Frames after the playhead to decode. */
  decodeAhead: number;
  /** Frames after the playhead to have encoded (whole chunks). */
  fetchAhead: number;
  /** The playhead rests: its frame is wanted at full size. */
  rest: boolean;
}

interface ChunkEntry<E> {
  frames: E[];
  bytes: number;
}

interface Decoded<T> {
  value: T;
  full: boolean;
}

const DEFAULTS = { encodedBudgetBytes: 128 * 1024 * 1024, maxChunkFetches: 2, maxDecodes: 3, retryAfterMs: 2000 };

export class FrameStore<E extends Sized, T> {
  private readonly options: FrameStoreOptions<E, T> & typeof DEFAULTS & { now: () => number };
  private readonly chunkSize: number;
  /** Map order is recency order (most recently wanted last). */
  private readonly chunks = new Map<number, ChunkEntry<E>>();
  /** Full-size frames fetched alone, until decoded. */
  private readonly singles = new Map<number, E>();
  private readonly decoded = new Map<number, Decoded<T>>();
  private readonly chunkFetches = new Map<number, AbortController>();
  private readonly frameFetches = new Map<number, AbortController>();
  /** Decodes under way, by frame: of its scrubbing-size (false) or full-size (true) version. */
  private readonly decoding = new Map<number, boolean>();
  private readonly failedAt = new Map<string, number>();
  private focusState: Focus | null = null;
  /** Frames strictly between these (the screen and the playhead) may be shown on the way. */
  private catchUp: { from: number; to: number } | null = null;
  private wantedChunks: number[] = [];
  private wantedDecodes: number[] = [];
  private disposed = false;

  constructor(options: FrameStoreOptions<E, T>) {
    if (options.decodedCapacity < 1) throw new RangeError('decodedCapacity must be at least 1');
    this.options = { ...DEFAULTS, now: () => performance.now(), ...options };
    this.chunkSize = Math.max(1, options.source.chunkSize);
  }

  has(index: number): boolean {
    return this.decoded.has(index);
  }

  /** The decoded frame (the full-size one when there is one), and which it is. */
  get(index: number): Decoded<T> | undefined {
    const entry = this.decoded.get(index);
    if (entry !== undefined) {
      this.decoded.delete(index);
      this.decoded.set(index, entry);
    }
    return entry;
  }

  /** For tests and diagnostics: what is being fetched or decoded now. */
  activity(): { chunks: number[]; frames: number[]; decodes: number[] } {
    return {
      chunks: [...this.chunkFetches.keys()],
      frames: [...this.frameFetches.keys()],
      decodes: [...this.decoding.keys()],
    };
  }

  focus(focus: Focus): void {
    if (this.disposed) return;
    this.focusState = focus;
    const { frame, shown, direction, decodeAhead, fetchAhead } = focus;
    const last = this.options.frameCount - 1;
    const inVideo = (i: number) => i >= 0 && i <= last;
    this.wantedDecodes = [frame];
    for (let k = 1; k <= decodeAhead && inVideo(frame + k * direction); k += 1) {
      this.wantedDecodes.push(frame + k * direction);
    }
    if (inVideo(frame - direction)) this.wantedDecodes.push(frame - direction); // stepping back is common
    const chunks: number[] = [];
    const farthest = Math.min(last, Math.max(0, frame + fetchAhead * direction));
    for (let c = this.chunkOf(frame); ; c += direction) {
      chunks.push(c);
      if (c === this.chunkOf(farthest)) break;
    }
    this.wantedChunks = chunks;
    // A scrub (not a jump) that outran the downloads: the chunks it passed still bring frames
    // to show on the way; they no longer count against the download limit.
    this.catchUp = null;
    const behind = shown === null ? 0 : (frame - shown) * direction;
    if (shown !== null && behind > 0 && behind <= 2 * this.chunkSize) this.catchUp = { from: shown, to: frame };
    const keep = new Set(chunks);
    if (this.catchUp !== null) {
      for (let c = this.chunkOf(this.catchUp.from); c !== this.chunkOf(frame); c += direction) keep.add(c);
    }
    for (const [c, controller] of this.chunkFetches) {
      if (!keep.has(c)) {
        controller.abort();
        this.chunkFetches.delete(c);
      }
    }
    for (const [i, controller] of this.frameFetches) {
      if (i !== frame) {
        controller.abort();
        this.frameFetches.delete(i);
      }
    }
    // Recently wanted chunks go to the end of the eviction order.
    for (const c of [...chunks].reverse()) {
      const entry = this.chunks.get(c);
      if (entry !== undefined) {
        this.chunks.delete(c);
        this.chunks.set(c, entry);
      }
    }
    this.pump();
  }

  /** Forget failures so that the wanted frames are asked for again now (the Retry button). */
  retry(): void {
    this.failedAt.clear();
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of [...this.chunkFetches.values(), ...this.frameFetches.values()]) controller.abort();
    this.chunkFetches.clear();
    this.frameFetches.clear();
    for (const entry of this.decoded.values()) this.options.release?.(entry.value);
    this.decoded.clear();
    for (const entry of this.chunks.values()) this.options.source.release?.(entry.frames);
    this.options.source.release?.([...this.singles.values()]);
    this.chunks.clear();
    this.singles.clear();
  }

  private chunkOf(index: number): number {
    return Math.floor(index / this.chunkSize);
  }

  /** The frame as its chunk holds it (scrubbing size). */
  private inChunk(index: number): E | undefined {
    const c = this.chunkOf(index);
    return this.chunks.get(c)?.frames[index - c * this.chunkSize];
  }

  private recentlyFailed(key: string): boolean {
    const at = this.failedAt.get(key);
    return at !== undefined && this.options.now() - at < this.options.retryAfterMs;
  }

  private pump(): void {
    if (this.disposed || this.focusState === null) return;
    const playhead = this.focusState.frame;
    // The full-size frame alone: once the playhead rests, or when its chunk could not be had.
    const needFull = this.focusState.rest || this.recentlyFailed(`c${this.chunkOf(playhead)}`);
    if (
      needFull &&
      this.decoded.get(playhead)?.full !== true &&
      this.decoding.get(playhead) !== true &&
      !this.singles.has(playhead) &&
      !this.frameFetches.has(playhead) &&
      !this.recentlyFailed(`f${playhead}`)
    ) {
      this.fetchFrame(playhead);
    }
    const single = this.singles.get(playhead);
    if (single !== undefined && this.decoding.get(playhead) !== true && !this.recentlyFailed(`d${playhead}`)) {
      this.startDecode(playhead, single, true);
    }
    let fetching = this.wantedChunks.filter((c) => this.chunkFetches.has(c)).length;
    // After a jump, the playhead's chunk comes alone first: nothing else competes for it.
    const limit = this.chunks.has(this.chunkOf(playhead)) ? this.options.maxChunkFetches : 1;
    for (const c of this.wantedChunks) {
      if (fetching >= limit) break;
      if (this.chunks.has(c) || this.chunkFetches.has(c) || this.recentlyFailed(`c${c}`)) continue;
      this.fetchChunk(c);
      fetching += 1;
    }
    const catchUp = this.catchUpFrame();
    const decodes = catchUp === null ? this.wantedDecodes : [playhead, catchUp, ...this.wantedDecodes.slice(1)];
    for (const i of decodes) {
      if (i !== playhead && this.decoding.size >= this.options.maxDecodes) break;
      if (this.decoded.has(i) || this.decoding.has(i) || this.recentlyFailed(`d${i}`)) continue;
      const encoded = this.inChunk(i);
      if (encoded !== undefined) this.startDecode(i, encoded, false);
    }
  }

  /** The newest encoded frame on the way from the screen to the playhead, if it is worth decoding. */
  private catchUpFrame(): number | null {
    if (this.catchUp === null) return null;
    const { from, to } = this.catchUp;
    const d = to > from ? 1 : -1;
    for (let i = to - d; i !== from; i -= d) {
      if (this.decoded.has(i) || this.decoding.has(i)) return null; // already on its way to the screen
      if (this.inChunk(i) !== undefined) return i;
    }
    return null;
  }

  private fetchChunk(c: number): void {
    const controller = new AbortController();
    this.chunkFetches.set(c, controller);
    this.options.source.chunk(c, controller.signal).then(
      (frames) => {
        if (controller.signal.aborted || this.disposed) {
          this.options.source.release?.(frames);
          return;
        }
        this.chunkFetches.delete(c);
        this.chunks.set(c, { frames, bytes: frames.reduce((n, b) => n + b.size, 0) });
        this.evictEncoded();
        this.pump();
      },
      () => {
        if (controller.signal.aborted || this.disposed) return;
        this.chunkFetches.delete(c);
        this.failedAt.set(`c${c}`, this.options.now());
        // Its frames now come alone, at full size, as they become due; their failure is reported.
        this.pump();
      },
    );
  }

  private fetchFrame(i: number): void {
    const controller = new AbortController();
    this.frameFetches.set(i, controller);
    this.options.source.frame(i, controller.signal).then(
      (encoded) => {
        if (controller.signal.aborted || this.disposed) {
          this.options.source.release?.([encoded]);
          return;
        }
        this.frameFetches.delete(i);
        this.singles.set(i, encoded);
        this.pump();
      },
      (error: unknown) => {
        if (controller.signal.aborted || this.disposed) return;
        this.frameFetches.delete(i);
        this.failedAt.set(`f${i}`, this.options.now());
        this.options.onError(i, error);
        this.pump();
      },
    );
  }

  private startDecode(i: number, encoded: E, full: boolean): void {
    this.decoding.set(i, full);
    this.options.source.decode(encoded).then(
      (value) => {
        if (this.decoding.get(i) === full) this.decoding.delete(i);
        if (full) this.dropSingle(i); // decoded: the bytes are not needed any more
        const current = this.decoded.get(i);
        if (this.disposed || (current?.full === true && !full)) {
          this.options.release?.(value); // a full-size one is already here
          return;
        }
        if (current !== undefined) this.options.release?.(current.value);
        this.decoded.set(i, { value, full });
        this.evictDecoded();
        this.options.onDecoded(i, full);
        this.pump();
      },
      (error: unknown) => {
        if (this.decoding.get(i) === full) this.decoding.delete(i);
        if (full) this.dropSingle(i);
        if (this.disposed) return;
        this.failedAt.set(`d${i}`, this.options.now());
        this.options.onError(i, error);
        this.pump();
      },
    );
  }

  private evictDecoded(): void {
    if (this.decoded.size <= this.options.decodedCapacity) return;
    const keep = new Set(this.wantedDecodes);
    for (const [i, entry] of this.decoded) {
      if (this.decoded.size <= this.options.decodedCapacity) return;
      if (keep.has(i)) continue; // on screen or about to be
      this.decoded.delete(i);
      this.options.release?.(entry.value);
    }
  }

  private evictEncoded(): void {
    let bytes = 0;
    for (const entry of this.chunks.values()) bytes += entry.bytes;
    const keep = new Set(this.wantedChunks);
    for (const [c, entry] of this.chunks) {
      if (bytes <= this.options.encodedBudgetBytes) return;
      if (keep.has(c)) continue;
      this.chunks.delete(c);
      this.options.source.release?.(entry.frames);
      bytes -= entry.bytes;
    }
  }

  private dropSingle(i: number): void {
    const single = this.singles.get(i);
    if (single === undefined) return;
    this.singles.delete(i);
    this.options.source.release?.([single]);
  }
}
