/**
 * The annotation canvas: the frame (drawn by FramePlayer on the lower canvas) and, on a transparent
 * canvas above it, every object's mask, the selected object's clicks, review pins and the tool's
 * feedback. Framework-free: the workspace drives it through these methods, and it reports what the
 * person did as typed events (events.ts); it never calls the API (conventions §5).
 *
 * The masks drawn are always those of the frame on screen (`PlayerState.shown`), which is the
 * playhead's frame except for the moments it is still on its way: picture and masks never disagree.
 */
import type { CanvasEvent } from './events';
import { FramePlayer, initialPlayerState, type PlayerState } from './FramePlayer';
import type { FrameSource, Sized, VideoFrameUrls } from './frameSource';
import { FrameWorkerSource } from './frameWorkerSource';
import { drawMaskBitmaps, MaskLayer, NEW_OBJECT_KEY, type OverlayObject } from './layers/maskLayer';
import { drawPins, drawPrompts, type PinMarker, type PromptMarker } from './layers/markers';
import { IDLE, type FramePoint, type Interaction, type ToolMode } from './modes';
import { createTools, panMove, panStart, startsPan, type TargetObject, type Tool, type ToolHost } from './tools';
import {
  backingSize,
  clampView,
  FIT_VIEW,
  screenToFrame,
  screenToFrameClamped,
  viewRect,
  wheelZoomFactor,
  zoomAround,
  type Rect,
  type Stage,
  type View,
} from './viewport';
import type { CompressedRle } from '../lib/rle';

export type { CanvasEvent } from './events';
export type { OverlayObject } from './layers/maskLayer';
export type { PinMarker, PromptMarker } from './layers/markers';
export { drawMaskBitmaps } from './layers/maskLayer';

/**
 * What a click on the overlay does: `edit` runs the selected tool (the workspace), `pin` reports
 * where a review comment goes (the review screen), `none` does nothing (read-only viewing).
 */
export type PointerMode = 'edit' | 'pin' | 'none';

export interface AnnotationCanvasOptions {
  frameCanvas: HTMLCanvasElement;
  overlayCanvas: HTMLCanvasElement;
  video: { width: number; height: number; fps: number; frame_count: number } & VideoFrameUrls;
  initialFrame: number;
  onPlayerState: (state: PlayerState) => void;
  onEvent: (event: CanvasEvent) => void;
  /** The zoom or pan changed (wheel, drag, keys). */
  onView?: (view: View) => void;
  /** Where frames come from (tests); the video's API, through the frames worker, by default. */
  source?: FrameSource<Sized, ImageBitmap>;
}

/** Zoom step of the + and − keys and buttons. */
export const ZOOM_STEP = 1.25;

/** A pointer that moved less than this (CSS px) between down and up is a click, not a drag. */
const CLICK_SLOP = 4;

export interface DrawStats {
  /** Duration of the last overlay draw, ms. */
  lastMs: number;
  /** Masks in it. */
  masks: number;
}

export class AnnotationCanvas {
  readonly player: FramePlayer;
  private readonly options: AnnotationCanvasOptions;
  private readonly overlay: HTMLCanvasElement;
  private readonly masks: MaskLayer;
  private readonly tools = createTools();
  private objects: readonly OverlayObject[] = [];
  private selected: number | null = null;
  /** The colour of the new object a picked label makes, or null (tools act on `selected`). */
  private newObjectColor: string | null = null;
  private tool: ToolMode = 'positive';
  private opacity = 0.6;
  private brushRadius: number;
  private prompts: readonly PromptMarker[] = [];
  private pins: readonly PinMarker[] = [];
  private pointerMode: PointerMode = 'edit';
  private playerState: PlayerState;
  private interaction: Interaction = IDLE;
  /** The tool that owns `interaction`, and the frame and object it works on. */
  private active: { tool: Tool; host: ToolHost } | null = null;
  private pointerDown: { x: number; y: number; id: number } | null = null;
  private hover: { x: number; y: number } | null = null;
  private rafHandle: number | null = null;
  private view: View = FIT_VIEW;
  /** Space is held down: a left drag pans. `spacePanned`: the hold was used for a pan. */
  private spaceHeld = false;
  private spacePanned = false;
  private readonly resizeObserver: ResizeObserver;
  /** The full-size frame is on screen and the playhead rests. */
  private resting = false;
  /** Canvas pixels per CSS pixel, measured on resize: reading layout in every draw forces a reflow. */
  private ratio = 1;
  private disposed = false;
  stats: DrawStats = { lastMs: 0, masks: 0 };

  constructor(options: AnnotationCanvasOptions) {
    this.options = options;
    this.overlay = options.overlayCanvas;
    const { video } = options;
    this.brushRadius = Math.max(2, Math.round(Math.min(video.width, video.height) / 60));
    this.masks = new MaskLayer(video.frame_count - 1, () => this.scheduleDraw());
    this.masks.update({ frame: options.initialFrame, playhead: { frame: options.initialFrame, direction: 1 } });
    this.playerState = initialPlayerState(options.initialFrame);
    this.player = new FramePlayer({
      canvas: options.frameCanvas,
      frameCount: video.frame_count,
      fps: video.fps,
      width: video.width,
      height: video.height,
      source: options.source ?? new FrameWorkerSource(video),
      initialFrame: options.initialFrame,
      onState: (state) => this.onPlayerState(state),
    });
    this.resizeObserver = new ResizeObserver(() => {
      this.player.resize();
      this.resizeOverlay();
    });
    this.resizeObserver.observe(this.overlay);
    this.overlay.addEventListener('pointerdown', this.onPointerDown);
    this.overlay.addEventListener('pointermove', this.onPointerMove);
    this.overlay.addEventListener('pointerup', this.onPointerUp);
    this.overlay.addEventListener('pointercancel', this.onPointerCancel);
    this.overlay.addEventListener('pointerleave', this.onPointerLeave);
    this.overlay.addEventListener('wheel', this.onWheel, { passive: false });
    this.overlay.addEventListener('mousedown', this.onMouseDown);
    this.resizeOverlay();
  }

  /** The frame whose masks are drawn: the one on screen (the playhead's until it arrives). */
  get currentFrame(): number {
    return this.playerState.shown ?? this.playerState.frame;
  }

  get brushSize(): number {
    return this.brushRadius;
  }

  setObjects(objects: readonly OverlayObject[]): void {
    this.objects = objects;
    this.masks.update({ objects });
    this.scheduleDraw();
  }

  setSelected(id: number | null): void {
    this.selected = id;
    this.masks.update({ selected: id });
    this.scheduleDraw();
  }

  /** A label was picked: the next click or stroke makes a new object in `color` (null: stop). */
  setNewObject(color: string | null): void {
    if (this.interaction.kind !== 'idle') this.cancelInteraction();
    this.newObjectColor = color;
    this.overlay.dataset['newObject'] = color === null ? 'off' : 'on';
    this.scheduleDraw();
  }

  setTool(tool: ToolMode): void {
    if (this.interaction.kind !== 'idle') this.cancelInteraction();
    this.tool = tool;
    this.overlay.dataset['tool'] = tool;
    this.updateCursor();
    this.scheduleDraw();
  }

  /** The current zoom and pan. */
  get currentView(): View {
    return this.view;
  }

  /** Zoom by `factor` around the centre of the canvas (the + and − keys). */
  zoomBy(factor: number): void {
    this.applyView(zoomAround(this.view, factor, this.stage()));
  }

  /** Back to the whole frame (the 0 key). */
  fitView(): void {
    this.applyView(FIT_VIEW);
  }

  /** Space went down: until it is released, a left drag pans whatever the tool. */
  beginSpaceHold(): void {
    this.spaceHeld = true;
    this.spacePanned = false;
    this.updateCursor();
    this.scheduleDraw();
  }

  /** Space was released; says whether the hold was used to pan (then it was no play/pause). */
  endSpaceHold(): boolean {
    const panned = this.spacePanned;
    this.spaceHeld = false;
    this.spacePanned = false;
    this.updateCursor();
    this.scheduleDraw();
    return panned;
  }

  setOpacity(opacity: number): void {
    this.opacity = Math.min(1, Math.max(0, opacity));
    this.scheduleDraw();
  }

  /** Brush radius in frame pixels. */
  setBrushRadius(radius: number): void {
    this.brushRadius = Math.min(200, Math.max(1, Math.round(radius)));
    this.scheduleDraw();
  }

  /** Clicks of the selected object on the frame on screen. */
  setPrompts(prompts: readonly PromptMarker[]): void {
    this.prompts = prompts;
    this.scheduleDraw();
  }

  /** Review comment pins on the frame on screen. */
  setPins(pins: readonly PinMarker[]): void {
    this.pins = pins;
    this.scheduleDraw();
  }

  setPointerMode(mode: PointerMode): void {
    if (this.interaction.kind !== 'idle') this.cancelInteraction();
    this.pointerMode = mode;
    this.overlay.dataset['pointer'] = mode;
    this.scheduleDraw();
  }

  /** A stroke or box in progress is dropped (Escape, tool change). */
  cancelInteraction(): void {
    this.active?.tool.cancel?.();
    this.active = null;
    this.interaction = IDLE;
    this.pointerDown = null;
    this.updateCursor();
    this.scheduleDraw();
  }

  dispose(): void {
    this.disposed = true;
    this.resizeObserver.disconnect();
    this.overlay.removeEventListener('pointerdown', this.onPointerDown);
    this.overlay.removeEventListener('pointermove', this.onPointerMove);
    this.overlay.removeEventListener('pointerup', this.onPointerUp);
    this.overlay.removeEventListener('pointercancel', this.onPointerCancel);
    this.overlay.removeEventListener('pointerleave', this.onPointerLeave);
    this.overlay.removeEventListener('wheel', this.onWheel);
    this.overlay.removeEventListener('mousedown', this.onMouseDown);
    if (this.rafHandle !== null) cancelAnimationFrame(this.rafHandle);
    this.player.dispose();
    this.masks.dispose();
  }

  /** Draw now (not on the next animation frame) and say how long it took; used by tests. */
  drawNow(): DrawStats {
    if (this.rafHandle !== null) cancelAnimationFrame(this.rafHandle);
    this.rafHandle = null;
    this.draw();
    return this.stats;
  }

  /** Whether every visible mask of the frame on screen is decoded (for tests waiting on the worker). */
  get masksReady(): boolean {
    return this.masks.ready;
  }

  /** Frame and overlay canvas sizes, in overlay backing-store pixels. */
  private stage(): Stage {
    const { width, height } = this.options.video;
    return {
      frameWidth: width,
      frameHeight: height,
      canvasWidth: this.overlay.width,
      canvasHeight: this.overlay.height,
    };
  }

  private applyView(view: View): void {
    const next = clampView(view, this.stage());
    if (next.zoom === this.view.zoom && next.cx === this.view.cx && next.cy === this.view.cy) return;
    const zoomed = next.zoom !== this.view.zoom;
    this.view = next;
    this.player.setView(next);
    if (zoomed) this.updateMaskScale();
    this.scheduleDraw();
    this.options.onView?.(next);
  }

  /** Masks are drawn as fine as the screen shows them (outlines ~1.5 screen pixels). */
  private updateMaskScale(): void {
    const rect = this.frameRect();
    if (rect.width > 0) this.masks.update({ scale: this.options.video.width / rect.width });
  }

  private updateCursor(): void {
    const cursor = this.interaction.kind === 'pan' ? 'grabbing' : this.spaceHeld || this.tool === 'pan' ? 'grab' : '';
    this.overlay.style.cursor = cursor;
  }

  private onPlayerState(state: PlayerState): void {
    const before = this.currentFrame;
    const playhead = this.playerState.frame;
    this.playerState = state;
    const resting = state.full && state.shown === state.frame && !state.playing;
    if (this.currentFrame !== before || state.frame !== playhead || resting !== this.resting) {
      if (this.currentFrame !== before && this.interaction.kind !== 'idle') this.cancelInteraction();
      const direction = state.frame < playhead ? -1 : 1;
      this.resting = resting;
      this.masks.update({ frame: this.currentFrame, playhead: { frame: state.frame, direction }, resting });
      this.scheduleDraw();
    }
    this.options.onPlayerState(state);
  }

  private resizeOverlay(): void {
    const size = backingSize(this.overlay.clientWidth, this.overlay.clientHeight, globalThis.devicePixelRatio ?? 1);
    if (this.overlay.width !== size.width || this.overlay.height !== size.height) {
      this.overlay.width = size.width;
      this.overlay.height = size.height;
    }
    this.ratio = this.overlay.clientWidth > 0 ? this.overlay.width / this.overlay.clientWidth : 1;
    // The same view may pan further (or less far) on the new size.
    this.applyView(this.view);
    this.updateMaskScale();
    this.draw();
  }

  private scheduleDraw(): void {
    if (this.rafHandle !== null || this.disposed) return;
    this.rafHandle = requestAnimationFrame(() => {
      this.rafHandle = null;
      this.draw();
    });
  }

  /** Where the frame lies on the overlay (zoomed and panned), in its backing-store pixels. */
  private frameRect(): Rect {
    return viewRect(this.stage(), this.view);
  }

  private draw(): void {
    if (this.disposed) return;
    const ctx = this.overlay.getContext('2d');
    if (ctx === null) return;
    const started = performance.now();
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const rect = this.frameRect();
    const live = this.active?.tool.live?.(this.interaction) ?? null;
    const layers = this.masks.layers(
      live === null || this.active === null ? undefined : { id: this.active.host.target.id, canvas: live },
    );
    drawMaskBitmaps(ctx, rect, this.options.video.width, layers, this.opacity);
    const ratio = this.ratio;
    drawPrompts(ctx, rect, this.prompts, ratio);
    drawPins(ctx, rect, this.pins, ratio);
    const feedbackTool = this.active?.tool ?? (this.pointerMode === 'edit' && !this.spaceHeld ? this.toolOf() : null);
    feedbackTool?.feedback?.(
      {
        ctx,
        rect,
        ratio,
        hover: this.hover,
        frameWidth: this.options.video.width,
        brushRadius: this.brushRadius,
      },
      this.interaction,
    );
    this.stats = { lastMs: performance.now() - started, masks: layers.length };
    this.overlay.dataset['drawMs'] = this.stats.lastMs.toFixed(2);
  }

  private toolOf(): Tool | null {
    return this.tool === 'pan' ? null : this.tools[this.tool];
  }

  /** Pointer position in canvas backing-store pixels (the rect's units). */
  private canvasPoint(event: MouseEvent): { x: number; y: number } {
    const box = this.overlay.getBoundingClientRect();
    const ratio = this.ratio;
    return { x: (event.clientX - box.left) * ratio, y: (event.clientY - box.top) * ratio };
  }

  /** What the tools act on: the new object of a picked label, else the selected object. */
  private target(): TargetObject | null {
    const frame = this.currentFrame;
    if (this.newObjectColor !== null) return { id: null, color: this.newObjectColor, mask: undefined };
    const object = this.objects.find((o) => o.id === this.selected);
    if (object === undefined) return null;
    return { id: object.id, color: object.color, mask: object.masks.get(frame)?.rle };
  }

  private host(target: TargetObject): ToolHost {
    const frame = this.currentFrame;
    const { width, height } = this.options.video;
    return {
      frame,
      target,
      frameWidth: width,
      frameHeight: height,
      brushRadius: this.brushRadius,
      emit: (event) => this.options.onEvent(event),
      drawnMask: () => {
        if (target.id === null) return undefined;
        const drawn = this.masks.current(target.id);
        if (drawn === undefined) return undefined;
        const { width, height } = this.options.video;
        if (drawn instanceof HTMLCanvasElement) return { image: drawn, x: 0, y: 0, width, height };
        return {
          image: drawn.bitmap,
          x: drawn.x,
          y: drawn.y,
          width: drawn.bitmap.width * drawn.step,
          height: drawn.bitmap.height * drawn.step,
        };
      },
      showPreview: (rle: CompressedRle, canvas: HTMLCanvasElement) =>
        this.masks.showPreview(`${target.id ?? NEW_OBJECT_KEY}:${frame}`, rle, canvas),
    };
  }

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (this.interaction.kind !== 'idle') return;
    // Panning works in every pointer mode and tool, on the letterbox too.
    if (startsPan(event.button, this.spaceHeld, this.tool === 'pan')) {
      event.preventDefault();
      this.overlay.setPointerCapture?.(event.pointerId);
      this.pointerDown = { x: event.clientX, y: event.clientY, id: event.pointerId };
      this.interaction = panStart(this.interaction, this.canvasPoint(event));
      if (this.spaceHeld) this.spacePanned = true;
      this.updateCursor();
      return;
    }
    if (event.button !== 0 || this.pointerMode === 'none') return;
    const p = this.canvasPoint(event);
    const at = screenToFrame(this.frameRect(), p.x, p.y);
    if (at === null) return; // on the letterbox
    event.preventDefault();
    this.pointerDown = { x: event.clientX, y: event.clientY, id: event.pointerId };
    if (this.pointerMode === 'pin') return;
    const { frame, shown } = this.playerState;
    if (shown !== frame) {
      // The picture is another frame than the one asked for: a click would land on the wrong one.
      this.pointerDown = null;
      this.options.onEvent({ type: 'frameNotReady', frame });
      return;
    }
    const target = this.target();
    const tool = this.toolOf();
    if (target === null || tool === null) {
      this.pointerDown = null;
      if (target === null) this.options.onEvent({ type: 'noObject', tool: this.tool });
      return;
    }
    this.overlay.setPointerCapture?.(event.pointerId);
    this.active = { tool, host: this.host(target) };
    this.interaction = tool.down(this.active.host, at, this.interaction);
    this.scheduleDraw();
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    const box = this.overlay.getBoundingClientRect();
    this.hover = { x: event.clientX - box.left, y: event.clientY - box.top };
    if (this.interaction.kind === 'pan') {
      const moved = panMove(this.interaction, this.canvasPoint(event), this.view, this.stage());
      this.interaction = moved.interaction;
      this.applyView(moved.view);
      return;
    }
    if (this.active !== null && this.interaction.kind !== 'idle') {
      const p = this.canvasPoint(event);
      const at = screenToFrameClamped(this.frameRect(), p.x, p.y);
      this.interaction = this.active.tool.move(this.active.host, at, this.interaction);
    }
    if (this.tool === 'brush' || this.tool === 'eraser' || this.interaction.kind !== 'idle') this.scheduleDraw();
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    const down = this.pointerDown;
    this.pointerDown = null;
    if (down === null || down.id !== event.pointerId) return;
    if (this.interaction.kind === 'pan') {
      this.interaction = IDLE;
      this.updateCursor();
      return;
    }
    const p = this.canvasPoint(event);
    const at: FramePoint | null = screenToFrame(this.frameRect(), p.x, p.y);
    const click = Math.hypot(event.clientX - down.x, event.clientY - down.y) <= CLICK_SLOP;
    if (this.pointerMode === 'pin') {
      if (click && at !== null) this.options.onEvent({ type: 'pinPlaced', frame: this.currentFrame, x: at.x, y: at.y });
      return;
    }
    const active = this.active;
    const interaction = this.interaction;
    this.active = null;
    this.interaction = IDLE;
    active?.tool.up(active.host, interaction, at, click);
    this.scheduleDraw();
  };

  private readonly onPointerCancel = (): void => {
    this.cancelInteraction();
    this.updateCursor();
  };

  /** Wheel (or trackpad pinch, which arrives as a wheel with Ctrl): zoom around the cursor. */
  private readonly onWheel = (event: WheelEvent): void => {
    event.preventDefault(); // the page must not scroll under a zooming frame
    if (event.deltaY === 0) return;
    const factor = wheelZoomFactor(event.deltaY, event.deltaMode);
    this.applyView(zoomAround(this.view, factor, this.stage(), this.canvasPoint(event)));
  };

  /** The middle button pans here: no autoscroll, no paste. */
  private readonly onMouseDown = (event: MouseEvent): void => {
    if (event.button === 1) event.preventDefault();
  };

  private readonly onPointerLeave = (): void => {
    this.hover = null;
    this.scheduleDraw();
  };
}
