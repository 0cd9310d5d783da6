/**
 * Frame-accurate player over a video's extracted JPEG frames, drawn on a <canvas>. Framework-free:
 * React (features/videos) drives it through these methods and listens to `onState`.
 *
 * Every frame is its own image, so what is on screen is exactly frame N of the API, never a
 * <video> element's nearest keyframe or decoder guess.
 */
import { describeError, parseApiError } from '../api/client';
import { clampFrame, prefetchWindow } from '../lib/frames';
import { playbackTick, type PlaybackClock } from '../state/playback';
import { FrameCache, type FrameLoader } from './FrameCache';
import { backingSize, FIT_VIEW, viewRect, type View } from './viewport';

export interface PlayerState {
  /** The frame asked for (and on screen unless `loading`). */
  frame: number;
  playing: boolean;
  /** The asked-for frame is not decoded yet; the canvas still shows the previous one, dimmed. */
  loading: boolean;
  /** Playing, but waiting for the next frame to arrive. */
  buffering: boolean;
  /** Why the asked-for frame could not be shown, or null. */
  error: string | null;
}

/** What the canvas can draw; ImageBitmap in the browser. */
export type FrameImage = CanvasImageSource & { close?: () => void };

export interface Scheduler {
  request: (callback: (nowMs: number) => void) => number;
  cancel: (handle: number) => void;
  now: () => number;
}

export interface FramePlayerOptions {
  canvas: HTMLCanvasElement;
  frameCount: number;
  fps: number;
  /** Frame size in pixels (the video's width and height). */
  width: number;
  height: number;
  frameUrl: (index: number) => string;
  onState: (state: PlayerState) => void;
  initialFrame?: number;
  /** Frames loaded ahead of the playhead. */
  prefetch?: number;
  loader?: FrameLoader<FrameImage>;
  scheduler?: Scheduler;
}

/** Frames ahead of the playhead to fetch: ~0.4 s at 24 fps, enough to ride out request latency. */
const DEFAULT_PREFETCH = 10;
/** Decoded-frame memory budget; bounds the cache to ~30 frames at 1080p, more for small videos. */
const CACHE_BUDGET_BYTES = 256 * 1024 * 1024;
const MIN_CACHE_FRAMES = 24;
const MAX_CACHE_FRAMES = 120;
const BACKGROUND = '#111';

export function cacheCapacity(width: number, height: number, prefetch: number): number {
  const perFrame = Math.max(1, width * height * 4);
  const byBudget = Math.floor(CACHE_BUDGET_BYTES / perFrame);
  return Math.max(prefetch + 2, MIN_CACHE_FRAMES, Math.min(byBudget, MAX_CACHE_FRAMES));
}

/** Fetches a frame JPEG with the session cookie and decodes it off the main thread. */
export function fetchFrameLoader(frameUrl: (index: number) => string): FrameLoader<FrameImage> {
  return async (index, signal) => {
    const response = await fetch(frameUrl(index), { credentials: 'same-origin', signal });
    if (!response.ok) {
      throw parseApiError(response.status, await response.text().catch(() => ''));
    }
    return createImageBitmap(await response.blob());
  };
}

const browserScheduler: Scheduler = {
  request: (callback) => requestAnimationFrame(callback),
  cancel: (handle) => cancelAnimationFrame(handle),
  now: () => performance.now(),
};

export class FramePlayer {
  private readonly options: FramePlayerOptions;
  private readonly cache: FrameCache<FrameImage>;
  private readonly scheduler: Scheduler;
  private readonly prefetch: number;
  private readonly lastFrame: number;
  private frame: number;
  /** Frame currently painted on the canvas, if any. */
  private drawn: number | null = null;
  private playing = false;
  private direction: 1 | -1 = 1;
  private clock: PlaybackClock = { anchorFrame: 0, anchorMs: 0 };
  private rafHandle: number | null = null;
  private buffering = false;
  private error: string | null = null;
  private lastEmitted: PlayerState | null = null;
  private disposed = false;
  private view: View = FIT_VIEW;

  constructor(options: FramePlayerOptions) {
    if (options.frameCount < 1) throw new RangeError('A video needs at least one frame.');
    if (!(options.fps > 0)) throw new RangeError(`fps must be positive, got ${options.fps}`);
    this.options = options;
    this.scheduler = options.scheduler ?? browserScheduler;
    this.prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    this.lastFrame = options.frameCount - 1;
    this.frame = clampFrame(options.initialFrame ?? 0, options.frameCount);
    this.cache = new FrameCache<FrameImage>({
      load: options.loader ?? fetchFrameLoader(options.frameUrl),
      capacity: cacheCapacity(options.width, options.height, this.prefetch),
      release: (image) => image.close?.(),
      onLoaded: (index) => this.onFrameLoaded(index),
      onError: (index, error) => this.onFrameError(index, error),
    });
    this.resize();
    this.requestFrames();
    this.emit();
  }

  get state(): PlayerState {
    return {
      frame: this.frame,
      playing: this.playing,
      loading: this.drawn !== this.frame && this.error === null,
      buffering: this.playing && this.buffering,
      error: this.error,
    };
  }

  /** Show frame `index` (clamped). Playback, if running, goes on from there. */
  seek(index: number): void {
    const target = clampFrame(index, this.options.frameCount);
    this.direction = target < this.frame ? -1 : 1;
    this.frame = target;
    this.error = null;
    this.clock = { anchorFrame: target, anchorMs: this.scheduler.now() };
    this.requestFrames();
    this.drawIfReady(target);
    this.emit();
  }

  /** Move by `delta` frames; stepping pauses playback, as in every editor. */
  step(delta: number): void {
    this.pause();
    this.seek(this.frame + delta);
    this.direction = delta < 0 ? -1 : 1;
    this.requestFrames();
  }

  play(): void {
    if (this.playing || this.disposed) return;
    if (this.frame >= this.lastFrame) this.seek(0); // replay from the start, like a video player
    this.playing = true;
    this.direction = 1;
    this.clock = { anchorFrame: this.frame, anchorMs: this.scheduler.now() };
    this.requestFrames();
    this.rafHandle = this.scheduler.request(this.tick);
    this.emit();
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    if (this.rafHandle !== null) this.scheduler.cancel(this.rafHandle);
    this.rafHandle = null;
    // Paused on a frame that has not arrived: keep asking for it.
    this.requestFrames();
    this.emit();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Ask again for frames that failed (network back, permission fixed). */
  retry(): void {
    this.error = null;
    this.cache.retry();
    this.emit();
  }

  /** Zoom and pan (the annotation workspace's); the frame is redrawn at once. */
  setView(view: View): void {
    this.view = view;
    this.redraw();
  }

  /** Match the canvas backing store to its CSS size; call when the layout changes. */
  resize(): void {
    const { canvas } = this.options;
    const size = backingSize(canvas.clientWidth, canvas.clientHeight, globalThis.devicePixelRatio ?? 1);
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
    }
    this.redraw();
  }

  dispose(): void {
    this.disposed = true;
    if (this.rafHandle !== null) this.scheduler.cancel(this.rafHandle);
    this.rafHandle = null;
    this.cache.dispose();
  }

  private readonly tick = (nowMs: number): void => {
    if (!this.playing || this.disposed) return;
    if (this.drawn !== this.frame) {
      // Seeked (or started) onto a frame that has not arrived: it is shown before playback moves on.
      this.clock = { anchorFrame: this.frame, anchorMs: nowMs };
      this.buffering = true;
      this.emit();
      this.rafHandle = this.scheduler.request(this.tick);
      return;
    }
    const result = playbackTick({
      clock: this.clock,
      nowMs,
      fps: this.options.fps,
      shown: this.frame,
      lastFrame: this.lastFrame,
      isReady: (i) => this.cache.has(i),
    });
    this.clock = result.clock;
    this.buffering = result.buffering;
    if (result.show !== null) {
      this.frame = result.show;
      this.drawIfReady(result.show);
      this.requestFrames();
    }
    this.emit();
    if (result.ended) {
      this.pause();
      return;
    }
    this.rafHandle = this.scheduler.request(this.tick);
  };

  private requestFrames(): void {
    const direction = this.playing ? 1 : this.direction;
    this.cache.want([this.frame, ...prefetchWindow(this.frame, this.options.frameCount, this.prefetch, direction)]);
  }

  private onFrameLoaded(index: number): void {
    if (index === this.frame && this.drawn !== index) {
      this.drawIfReady(index);
      this.emit();
    }
  }

  private onFrameError(index: number, error: unknown): void {
    // A prefetch failure matters only once that frame is due: on screen, or next while playing
    // (playback would otherwise wait for it silently).
    if (index !== this.frame && !(this.playing && index === this.frame + 1)) return;
    this.error = `Frame ${index} could not be loaded: ${describeError(error)}`;
    this.pause();
    this.emit();
  }

  private drawIfReady(index: number): void {
    const image = this.cache.get(index);
    if (image === undefined) return;
    this.paint(image);
    this.drawn = index;
  }

  private redraw(): void {
    if (this.drawn === null) return;
    const image = this.cache.get(this.drawn);
    if (image !== undefined) this.paint(image);
  }

  private paint(image: FrameImage): void {
    const { canvas, width, height } = this.options;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    const rect = viewRect(
      { frameWidth: width, frameHeight: height, canvasWidth: canvas.width, canvasHeight: canvas.height },
      this.view,
    );
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    // Zoomed in far enough to see single pixels, show them as they are (square), not blurred.
    ctx.imageSmoothingEnabled = rect.width / width < 2;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image, rect.x, rect.y, rect.width, rect.height);
  }

  private emit(): void {
    const next = this.state;
    const prev = this.lastEmitted;
    if (
      prev !== null &&
      prev.frame === next.frame &&
      prev.playing === next.playing &&
      prev.loading === next.loading &&
      prev.buffering === next.buffering &&
      prev.error === next.error
    ) {
      return;
    }
    this.lastEmitted = next;
    this.options.onState(next);
  }
}
