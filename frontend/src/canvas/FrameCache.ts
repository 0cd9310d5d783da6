/**
 * Decoded frames around the playhead. Loads what the player currently wants (the current frame
 * first, then the prefetch window) with bounded concurrency, cancels loads nobody wants any more
 * (a fast scrub must not queue hundreds of requests), and keeps at most `capacity` decoded frames,
 * evicting the least recently used ones that are not wanted.
 *
 * Generic over the decoded value so tests can use plain objects instead of ImageBitmaps.
 */

export type FrameLoader<T> = (index: number, signal: AbortSignal) => Promise<T>;

export interface FrameCacheOptions<T> {
  load: FrameLoader<T>;
  /** Decoded frames kept; a 1080p ImageBitmap is ~8 MB, so the player sizes this from the frame size. */
  capacity: number;
  /** Parallel requests; 6 is what browsers allow per host over HTTP/1.1. */
  maxConcurrent?: number;
  /** A failed frame is not asked again before this many ms, so a 404 does not loop. */
  retryAfterMs?: number;
  onLoaded?: (index: number) => void;
  onError?: (index: number, error: unknown) => void;
  /** Frees a value leaving the cache (ImageBitmap.close()). */
  release?: (value: T) => void;
  now?: () => number;
}

export class FrameCache<T> {
  private readonly options: Required<Omit<FrameCacheOptions<T>, 'onLoaded' | 'onError' | 'release'>> &
    Pick<FrameCacheOptions<T>, 'onLoaded' | 'onError' | 'release'>;
  /** Map order is recency order: `get` moves an entry to the end. */
  private readonly ready = new Map<number, T>();
  private readonly inFlight = new Map<number, AbortController>();
  private readonly failedAt = new Map<number, number>();
  private wanted: number[] = [];
  private wantedSet = new Set<number>();
  private disposed = false;

  constructor(options: FrameCacheOptions<T>) {
    if (options.capacity < 1) throw new RangeError('capacity must be at least 1');
    this.options = {
      maxConcurrent: 6,
      retryAfterMs: 2000,
      now: () => performance.now(),
      ...options,
    };
  }

  has(index: number): boolean {
    return this.ready.has(index);
  }

  get(index: number): T | undefined {
    const value = this.ready.get(index);
    if (value !== undefined) {
      this.ready.delete(index);
      this.ready.set(index, value);
    }
    return value;
  }

  /** Indices currently being fetched (for tests and diagnostics). */
  loadingIndices(): number[] {
    return [...this.inFlight.keys()];
  }

  /**
   * Replace the wanted list (highest priority first). Loads that are no longer wanted are aborted;
   * missing wanted frames are fetched in order as request slots free up.
   */
  want(indices: readonly number[]): void {
    if (this.disposed) return;
    this.wanted = [...new Set(indices)];
    this.wantedSet = new Set(this.wanted);
    for (const [index, controller] of this.inFlight) {
      if (!this.wantedSet.has(index)) {
        controller.abort();
        this.inFlight.delete(index);
      }
    }
    this.pump();
  }

  /** Forget failures so the wanted frames are asked again now (the "Retry" button). */
  retry(): void {
    this.failedAt.clear();
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    for (const value of this.ready.values()) this.options.release?.(value);
    this.ready.clear();
    this.wanted = [];
    this.wantedSet.clear();
  }

  private pump(): void {
    const { maxConcurrent, retryAfterMs, now } = this.options;
    for (const index of this.wanted) {
      if (this.inFlight.size >= maxConcurrent) return;
      if (this.ready.has(index) || this.inFlight.has(index)) continue;
      const failed = this.failedAt.get(index);
      if (failed !== undefined && now() - failed < retryAfterMs) continue;
      this.start(index);
    }
  }

  private start(index: number): void {
    const controller = new AbortController();
    this.inFlight.set(index, controller);
    this.options.load(index, controller.signal).then(
      (value) => {
        if (controller.signal.aborted || this.disposed) {
          this.options.release?.(value);
          return;
        }
        this.inFlight.delete(index);
        this.failedAt.delete(index);
        this.ready.set(index, value);
        this.evict();
        this.options.onLoaded?.(index);
        this.pump();
      },
      (error: unknown) => {
        if (controller.signal.aborted || this.disposed) return;
        this.inFlight.delete(index);
        this.failedAt.set(index, this.options.now());
        this.options.onError?.(index, error);
        this.pump();
      },
    );
  }

  private evict(): void {
    if (this.ready.size <= this.options.capacity) return;
    for (const [index, value] of this.ready) {
      if (this.ready.size <= this.options.capacity) return;
      if (this.wantedSet.has(index)) continue; // never drop what is on or about to be on screen
      this.ready.delete(index);
      this.options.release?.(value);
    }
  }
}
