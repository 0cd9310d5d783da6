/**
 * Frame-accurate player over a video's extracted JPEG frames, drawn on a <canvas>. Framework-free:
 * React drives it through these methods and listens to `onState`.
 *
 * Every frame is its own image, so what is on screen is exactly frame N of the API, never a
 * <video> element's nearest keyframe or decoder guess. While the asked-for frame is on its way,
 * the player shows the newest decoded frame between the one on screen and the asked-for one, so
 * a held arrow key keeps the picture moving; `state.shown` always says which frame that is (the
 * mask overlay follows it, so masks and picture never disagree). Frames move at scrubbing size;
 * once the playhead rests, its frame is drawn again at full size (`state.full`).
 */
import { describeError } from '../api/client';
import { clampFrame } from '../lib/frames';
import { playbackTick, type PlaybackClock } from '../state/playback';
import { FrameStore } from './FrameStore';
import type { FrameSource, Sized } from './frameSource';
import { backingSize, FIT_VIEW, viewRect, type View } from './viewport';

export interface PlayerState {
  /** The frame asked for (the playhead). */
  frame: number;
  /** The frame on the canvas (null before the first one arrives). */
  shown: number | null;
  /** The frame on the canvas is the full-size one (else the scrubbing-size one, for now). */
  full: boolean;
  playing: boolean;
  /** The asked-for frame is not on screen yet; `shown` is, dimmed. */
  loading: boolean;
  /** Playing, but waiting for the next frame to arrive. */
  buffering: boolean;
  /** Why the asked-for frame could not be shown, or null. */
  error: string | null;
}

/** Before the first frame arrives. */
export function initialPlayerState(frame: number): PlayerState {
  return { frame, shown: null, full: false, playing: false, loading: true, buffering: false, error: null };
}

/** What the canvas can draw; ImageBitmap in the browser. */
export type FrameImage = CanvasImageSource & { close?: () => void };

export interface Scheduler {
  request: (callback: (nowMs: number) => void) => number;
  cancel: (handle: number) => void;
  now: () => number;
  /** Call `callback` in `ms`; returns what cancels it. */
  delay: (callback: () => void, ms: number) => () => void;
}

export interface FramePlayerOptions {
  canvas: HTMLCanvasElement;
  frameCount: number;
  fps: number;
  /** Frame size in pixels (the video's width and height). */
  width: number;
  height: number;
  /** Where frames come from: frameWorkerSource (the frames worker) in the browser. */
  source: FrameSource<Sized, FrameImage>;
  onState: (state: PlayerState) => void;
  initialFrame?: number;
  scheduler?: Scheduler;
}

/** Frames decoded ahead of the playhead: ~0.4 s at 30 fps, what a held arrow key eats in 0.4 s. */
const DECODE_AHEAD = 12;
/** Frames fetched (as chunks) ahead: a couple of chunks, ~2 MB at 1080p. */
const FETCH_AHEAD = 40;
/** The playhead rests once it stayed this long: its frame is then fetched at full size. */
const REST_MS = 150;
/** Decoded-frame memory budget; bounds the cache to ~30 frames at 1080p, more for small videos. */
const CACHE_BUDGET_BYTES = 256 * 1024 * 1024;
const MIN_CACHE_FRAMES = 24;
const MAX_CACHE_FRAMES = 120;
const BACKGROUND = '#111';

export function cacheCapacity(width: number, height: number): number {
  const perFrame = Math.max(1, width * height * 4);
  const byBudget = Math.floor(CACHE_BUDGET_BYTES / perFrame);
  return Math.max(DECODE_AHEAD + 4, MIN_CACHE_FRAMES, Math.min(byBudget, MAX_CACHE_FRAMES));
}

const browserScheduler: Scheduler = {
  request: (callback) => requestAnimationFrame(callback),
  cancel: (handle) => cancelAnimationFrame(handle),
  now: () => performance.now(),
  delay: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

export class FramePlayer {
  private readonly options: FramePlayerOptions;
  private readonly store: FrameStore<Sized, FrameImage>;
  private readonly scheduler: Scheduler;
  private readonly lastFrame: number;
  private frame: number;
  /** Frame currently painted on the canvas, if any. */
  private drawn: number | null = null;
  private drawnFull = false;
  /** Cancels the pending "now resting" call. */
  private restTimer: (() => void) | null = null;
  private resting = false;
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
    this.lastFrame = options.frameCount - 1;
    this.frame = clampFrame(options.initialFrame ?? 0, options.frameCount);
    this.store = new FrameStore<Sized, FrameImage>({
      source: options.source,
      frameCount: options.frameCount,
      decodedCapacity: cacheCapacity(options.width, options.height),
      release: (image) => image.close?.(),
      onDecoded: (index, full) => this.onDecoded(index, full),
      onError: (index, error) => this.onFrameError(index, error),
      now: () => this.scheduler.now(),
    });
    this.resize();
    this.requestFrames();
    this.emit();
  }

  get state(): PlayerState {
    return {
      frame: this.frame,
      shown: this.drawn,
      full: this.drawn !== null && this.drawnFull,
      playing: this.playing,
      loading: this.drawn !== this.frame && this.error === null,
      buffering: this.playing && this.buffering,
      error: this.error,
    };
  }

  /** Show frame `index` (clamped). Playback, if running, goes on from there. */
  seek(index: number): void {
    const target = clampFrame(index, this.options.frameCount);
    if (target !== this.frame) this.direction = target < this.frame ? -1 : 1;
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
    this.store.retry();
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
    this.restTimer?.();
    this.store.dispose();
    this.options.source.dispose?.();
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
      isReady: (i) => this.store.has(i),
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
    // Moving (or playing) is not resting; resting starts REST_MS after the last move.
    this.resting = false;
    this.restTimer?.();
    this.restTimer = this.playing
      ? null
      : this.scheduler.delay(() => {
          this.restTimer = null;
          this.resting = true;
          this.focusStore();
        }, REST_MS);
    this.focusStore();
  }

  private focusStore(): void {
    this.store.focus({
      frame: this.frame,
      shown: this.drawn,
      direction: this.playing ? 1 : this.direction,
      decodeAhead: DECODE_AHEAD,
      fetchAhead: FETCH_AHEAD,
      rest: this.resting,
    });
  }

  private onDecoded(index: number, full: boolean): void {
    if (this.disposed) return;
    // The asked-for frame (first at scrubbing size, then at full size), or, while it is on its
    // way, one on the way to it, newer than the one on screen: a held arrow key keeps moving.
    const d = this.direction;
    const onTheWay =
      this.drawn !== null &&
      this.drawn !== this.frame &&
      !this.playing &&
      (index - this.drawn) * d > 0 &&
      (this.frame - index) * d > 0;
    const sharper = index === this.frame && (this.drawn !== index || (full && !this.drawnFull));
    if (sharper || onTheWay) {
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
    const entry = this.store.get(index);
    if (entry === undefined) return;
    this.paint(entry.value);
    this.drawn = index;
    this.drawnFull = entry.full;
  }

  private redraw(): void {
    if (this.drawn === null) return;
    const entry = this.store.get(this.drawn);
    if (entry !== undefined) this.paint(entry.value);
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
    // Bilinear: 'high' costs 35-100 ms per 1080p frame on the main thread (measured), 'low' 2-5.
    ctx.imageSmoothingQuality = 'low';
    ctx.drawImage(image, rect.x, rect.y, rect.width, rect.height);
  }

  private emit(): void {
    const next = this.state;
    const prev = this.lastEmitted;
    if (
      prev !== null &&
      prev.frame === next.frame &&
      prev.shown === next.shown &&
      prev.full === next.full &&
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
