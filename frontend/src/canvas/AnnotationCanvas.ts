/**
 * The annotation canvas: the frame (drawn by FramePlayer on the lower canvas) and, on a transparent
 * canvas above it, every object's mask, the prompts of the selected object and the tool feedback.
 * Framework-free: the workspace drives it through these methods, and it reports what the person did
 * as typed events; it never calls the API (conventions §5).
 */
import { FramePlayer, type PlayerState } from './FramePlayer';
import { MaskDecoder, type MaskBitmap } from './MaskDecoder';
import {
  beginBox,
  beginPan,
  beginStroke,
  boxOf,
  IDLE,
  moveTo,
  needsSam2,
  type FramePoint,
  type Interaction,
  type ToolMode,
} from './modes';
import {
  backingSize,
  clampView,
  FIT_VIEW,
  frameToScreen,
  panBy,
  screenToFrame,
  screenToFrameClamped,
  viewRect,
  wheelZoomFactor,
  zoomAround,
  type Rect,
  type Stage,
  type View,
} from './viewport';
import { frameUrl } from '../lib/frames';
import { paintSegment, parseHexColor } from '../lib/maskRaster';
import { decodeRle, encodeRle, type CompressedRle } from '../lib/rle';

export interface OverlayObject {
  id: number;
  color: string;
  visible: boolean;
  /** The object's masks by frame index. Replaced (not mutated) when a mask changes. */
  masks: ReadonlyMap<number, { rle: CompressedRle }>;
}

export interface PromptMarker {
  /** Normalised frame coordinates. */
  x: number;
  y: number;
  label: 0 | 1;
}

/** A review comment's pin: a point on the current frame, normalised frame coordinates. */
export interface PinMarker {
  x: number;
  y: number;
  /** Drawn inside the pin (its number in the comment list). */
  label: string;
  /** The pin being looked at or placed: drawn larger. */
  active: boolean;
}

/**
 * What a click on the overlay does: `edit` runs the selected tool (the workspace), `pin` reports
 * where a review comment goes (the review screen), `none` does nothing (read-only viewing).
 */
export type PointerMode = 'edit' | 'pin' | 'none';

export type CanvasEvent =
  | { type: 'pointPrompt'; maskletId: number; frame: number; point: [number, number, 0 | 1] }
  /** A click in `pin` pointer mode: where on the frame a review comment goes. */
  | { type: 'pinPlaced'; frame: number; x: number; y: number }
  | { type: 'boxPrompt'; maskletId: number; frame: number; box: [number, number, number, number] }
  | { type: 'maskEdited'; maskletId: number; frame: number; mode: 'brush' | 'eraser'; rle: CompressedRle }
  /** A tool was used with no object selected. */
  | { type: 'noObject'; tool: ToolMode };

export interface AnnotationCanvasOptions {
  frameCanvas: HTMLCanvasElement;
  overlayCanvas: HTMLCanvasElement;
  video: { width: number; height: number; fps: number; frame_count: number; frame_url_template: string };
  initialFrame: number;
  onPlayerState: (state: PlayerState) => void;
  onEvent: (event: CanvasEvent) => void;
  /** The zoom or pan changed (wheel, drag, keys). */
  onView?: (view: View) => void;
}

/** Zoom step of the + and − keys and buttons. */
export const ZOOM_STEP = 1.25;

/** Frames of masks decoded ahead of the playhead so playback shows them without waiting. */
const DECODE_AHEAD = 6;
/** A pointer that moved less than this (CSS px) between down and up is a click, not a drag. */
const CLICK_SLOP = 4;

interface BitmapEntry {
  rle: CompressedRle;
  color: string;
  /** undefined while decoding; null for an empty mask. */
  value: MaskBitmap | null | undefined;
  /** The bitmap this entry replaced, drawn while `value` decodes (no flicker); then closed. */
  stale?: MaskBitmap | null | undefined;
}

/**
 * A finished stroke, drawn in place of its object's mask until the workspace hands the edited mask
 * back (`delivered`) and the worker has decoded it: the stroke never blinks off in between.
 */
interface StrokePreview {
  key: string;
  rle: CompressedRle;
  canvas: HTMLCanvasElement;
  delivered: boolean;
  expiry: ReturnType<typeof setTimeout>;
}

/** A stroke the workspace does not take (a read-only object) is dropped from the screen after this. */
const PREVIEW_UNCLAIMED_MS = 400;

interface StrokeState {
  data: Uint8Array;
  canvas: HTMLCanvasElement;
  color: string;
}

export interface DrawStats {
  /** Duration of the last overlay draw, ms. */
  lastMs: number;
  /** Masks in it. */
  masks: number;
}

/**
 * Draw masks over the frame rectangle: the one drawing routine of the workspace, also timed by
 * the benchmark. `rect` in canvas pixels, bitmaps positioned in frame pixels.
 */
export function drawMaskBitmaps(
  ctx: CanvasRenderingContext2D,
  rect: Rect,
  frameWidth: number,
  masks: readonly (MaskBitmap | HTMLCanvasElement)[],
  opacity: number,
): void {
  const scale = rect.width / frameWidth;
  ctx.globalAlpha = opacity;
  ctx.imageSmoothingEnabled = false; // crisp mask edges: a pixel is in or out
  for (const mask of masks) {
    if (mask instanceof HTMLCanvasElement) {
      ctx.drawImage(mask, rect.x, rect.y, rect.width, rect.height);
    } else {
      ctx.drawImage(
        mask.bitmap,
        rect.x + mask.x * scale,
        rect.y + mask.y * scale,
        mask.bitmap.width * scale,
        mask.bitmap.height * scale,
      );
    }
  }
  ctx.globalAlpha = 1;
}

export class AnnotationCanvas {
  readonly player: FramePlayer;
  private readonly options: AnnotationCanvasOptions;
  private readonly overlay: HTMLCanvasElement;
  private readonly decoder: MaskDecoder;
  private readonly bitmaps = new Map<string, BitmapEntry>();
  private objects: readonly OverlayObject[] = [];
  private selected: number | null = null;
  private tool: ToolMode = 'positive';
  private opacity = 0.6;
  private brushRadius: number;
  private prompts: readonly PromptMarker[] = [];
  private pins: readonly PinMarker[] = [];
  private pointerMode: PointerMode = 'edit';
  private frame: number;
  private interaction: Interaction = IDLE;
  private stroke: StrokeState | null = null;
  private preview: StrokePreview | null = null;
  private pointerDown: { x: number; y: number; id: number } | null = null;
  private hover: { x: number; y: number } | null = null;
  private rafHandle: number | null = null;
  private view: View = FIT_VIEW;
  /** Space is held down: a left drag pans. `spacePanned`: the hold was used for a pan. */
  private spaceHeld = false;
  private spacePanned = false;
  private readonly resizeObserver: ResizeObserver;
  private disposed = false;
  stats: DrawStats = { lastMs: 0, masks: 0 };

  constructor(options: AnnotationCanvasOptions) {
    this.options = options;
    this.overlay = options.overlayCanvas;
    this.frame = options.initialFrame;
    this.brushRadius = Math.max(2, Math.round(Math.min(options.video.width, options.video.height) / 60));
    this.decoder = new MaskDecoder();
    this.player = new FramePlayer({
      canvas: options.frameCanvas,
      frameCount: options.video.frame_count,
      fps: options.video.fps,
      width: options.video.width,
      height: options.video.height,
      frameUrl: (index) => frameUrl(options.video.frame_url_template, index),
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

  get currentFrame(): number {
    return this.frame;
  }

  get brushSize(): number {
    return this.brushRadius;
  }

  setObjects(objects: readonly OverlayObject[]): void {
    this.objects = objects;
    this.ensureBitmaps();
    this.scheduleDraw();
  }

  setSelected(id: number | null): void {
    this.selected = id;
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

  /** Clicks of the selected object on the current frame. */
  setPrompts(prompts: readonly PromptMarker[]): void {
    this.prompts = prompts;
    this.scheduleDraw();
  }

  /** Review comment pins on the current frame. */
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
    this.interaction = IDLE;
    this.stroke = null;
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
    this.decoder.dispose();
    this.dropPreview();
    for (const entry of this.bitmaps.values()) {
      entry.value?.bitmap.close();
      entry.stale?.bitmap.close();
    }
    this.bitmaps.clear();
  }

  /** Draw now (not on the next animation frame) and say how long it took; used by tests. */
  drawNow(): DrawStats {
    if (this.rafHandle !== null) cancelAnimationFrame(this.rafHandle);
    this.rafHandle = null;
    this.draw();
    return this.stats;
  }

  /** Whether every visible mask of the current frame is decoded (for tests waiting on the worker). */
  get masksReady(): boolean {
    return this.objects.every((o) => {
      if (!o.visible || !o.masks.has(this.frame)) return true;
      return this.bitmaps.get(`${o.id}:${this.frame}`)?.value !== undefined;
    });
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
    this.view = next;
    this.player.setView(next);
    this.scheduleDraw();
    this.options.onView?.(next);
  }

  private updateCursor(): void {
    const cursor = this.interaction.kind === 'pan' ? 'grabbing' : this.spaceHeld || this.tool === 'pan' ? 'grab' : '';
    this.overlay.style.cursor = cursor;
  }

  private onPlayerState(state: PlayerState): void {
    if (state.frame !== this.frame) {
      this.frame = state.frame;
      if (this.interaction.kind !== 'idle') this.cancelInteraction();
      this.ensureBitmaps();
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
    // The same view may pan further (or less far) on the new size.
    this.applyView(this.view);
    this.draw();
  }

  /** Decode the masks of the current frame and the next few; forget bitmaps far from the playhead. */
  private ensureBitmaps(): void {
    if (this.disposed) return;
    const lastFrame = this.options.video.frame_count - 1;
    const wanted = new Set<string>();
    for (let f = this.frame; f <= Math.min(lastFrame, this.frame + DECODE_AHEAD); f += 1) {
      for (const object of this.objects) {
        const mask = object.masks.get(f);
        const key = `${object.id}:${f}`;
        const preview = this.preview?.key === key ? this.preview : null;
        if (preview !== null) {
          if (mask?.rle === preview.rle) preview.delivered = true;
          else if (preview.delivered) this.dropPreview(); // replaced since (dropped write, newer data)
        }
        if (!object.visible || mask === undefined) continue;
        wanted.add(key);
        const entry = this.bitmaps.get(key);
        if (entry !== undefined && entry.rle === mask.rle && entry.color === object.color) continue;
        // The mask on screen stays until its successor is decoded.
        let stale = entry?.value;
        if (stale === undefined) stale = entry?.stale;
        else entry?.stale?.bitmap.close();
        if (entry !== undefined) entry.stale = undefined; // handed over
        const fresh: BitmapEntry = { rle: mask.rle, color: object.color, value: undefined, stale };
        this.bitmaps.set(key, fresh);
        const settle = (value: MaskBitmap | null) => {
          if (this.bitmaps.get(key) !== fresh) {
            value?.bitmap.close(); // replaced or evicted meanwhile
            return;
          }
          fresh.value = value;
          fresh.stale?.bitmap.close();
          fresh.stale = undefined;
          if (this.preview?.key === key && this.preview.rle === fresh.rle) this.dropPreview();
          if (f === this.frame) this.scheduleDraw();
        };
        this.decoder.decode(mask.rle, parseHexColor(object.color)).then(
          settle,
          () => settle(null), // undecodable: draw nothing, do not loop
        );
      }
    }
    // Keep one frame behind too: stepping back and forth is common.
    for (const [key, entry] of this.bitmaps) {
      const frame = Number(key.slice(key.indexOf(':') + 1));
      if (!wanted.has(key) && frame !== this.frame - 1) {
        entry.value?.bitmap.close();
        entry.stale?.bitmap.close();
        this.bitmaps.delete(key);
      }
    }
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
    const layers: (MaskBitmap | HTMLCanvasElement)[] = [];
    for (const object of this.objects) {
      if (!object.visible) continue;
      if (this.stroke !== null && this.interaction.kind === 'stroke' && this.interaction.maskletId === object.id) {
        layers.push(this.stroke.canvas);
        continue;
      }
      const key = `${object.id}:${this.frame}`;
      if (this.preview?.key === key) {
        layers.push(this.preview.canvas);
        continue;
      }
      const entry = this.bitmaps.get(key);
      const value = entry?.value === undefined ? entry?.stale : entry.value;
      if (value && object.masks.has(this.frame)) layers.push(value);
    }
    drawMaskBitmaps(ctx, rect, this.options.video.width, layers, this.opacity);
    this.drawPrompts(ctx, rect);
    this.drawPins(ctx, rect);
    this.drawToolFeedback(ctx, rect);
    this.stats = { lastMs: performance.now() - started, masks: layers.length };
    this.overlay.dataset['drawMs'] = this.stats.lastMs.toFixed(2);
  }

  private drawPrompts(ctx: CanvasRenderingContext2D, rect: Rect): void {
    const ratio = this.pixelRatio();
    const radius = 6 * ratio;
    for (const prompt of this.prompts) {
      const { x, y } = frameToScreen(rect, prompt.x, prompt.y);
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, Math.PI * 2);
      ctx.fillStyle = prompt.label === 1 ? '#18a957' : '#d93025';
      ctx.fill();
      ctx.lineWidth = 2 * ratio;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      // + or − inside, so the two kinds differ without relying on colour.
      ctx.beginPath();
      ctx.moveTo(x - radius / 2, y);
      ctx.lineTo(x + radius / 2, y);
      if (prompt.label === 1) {
        ctx.moveTo(x, y - radius / 2);
        ctx.lineTo(x, y + radius / 2);
      }
      ctx.lineWidth = 1.5 * ratio;
      ctx.stroke();
    }
  }

  /** Review pins: a teardrop whose tip is the point, with the comment's number in its head. */
  private drawPins(ctx: CanvasRenderingContext2D, rect: Rect): void {
    const ratio = this.pixelRatio();
    for (const pin of this.pins) {
      const { x, y } = frameToScreen(rect, pin.x, pin.y);
      const r = (pin.active ? 11 : 8) * ratio;
      const cy = y - r * 1.9;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.arc(x, cy, r, Math.PI * 0.75, Math.PI * 0.25);
      ctx.closePath();
      ctx.fillStyle = pin.active ? '#f79009' : '#2f6fdb';
      ctx.fill();
      ctx.lineWidth = 2 * ratio;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      ctx.fillStyle = '#fff';
      ctx.font = `600 ${Math.round(r * 1.1)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(pin.label, x, cy);
    }
  }

  private drawToolFeedback(ctx: CanvasRenderingContext2D, rect: Rect): void {
    const ratio = this.pixelRatio();
    if (this.interaction.kind === 'box') {
      const a = frameToScreen(rect, this.interaction.start.x, this.interaction.start.y);
      const b = frameToScreen(rect, this.interaction.current.x, this.interaction.current.y);
      ctx.setLineDash([6 * ratio, 4 * ratio]);
      ctx.lineWidth = 2 * ratio;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
      ctx.setLineDash([]);
    }
    if (
      this.pointerMode === 'edit' &&
      (this.tool === 'brush' || this.tool === 'eraser') &&
      this.hover !== null &&
      !this.spaceHeld
    ) {
      const r = (this.brushRadius * rect.width) / this.options.video.width;
      ctx.beginPath();
      ctx.arc(this.hover.x * ratio, this.hover.y * ratio, r, 0, Math.PI * 2);
      ctx.lineWidth = 1.5 * ratio;
      ctx.strokeStyle = this.tool === 'brush' ? '#fff' : '#ffb300';
      ctx.setLineDash(this.tool === 'eraser' ? [4 * ratio, 3 * ratio] : []);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  private pixelRatio(): number {
    return this.overlay.clientWidth > 0 ? this.overlay.width / this.overlay.clientWidth : 1;
  }

  /** Pointer position in canvas backing-store pixels (the rect's units). */
  private canvasPoint(event: MouseEvent): { x: number; y: number } {
    const box = this.overlay.getBoundingClientRect();
    const ratio = this.pixelRatio();
    return { x: (event.clientX - box.left) * ratio, y: (event.clientY - box.top) * ratio };
  }

  private selectedObject(): OverlayObject | undefined {
    return this.objects.find((o) => o.id === this.selected);
  }

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (this.interaction.kind !== 'idle') return;
    // Panning works in every pointer mode and tool, on the letterbox too.
    const panning = event.button === 1 || (event.button === 0 && (this.spaceHeld || this.tool === 'pan'));
    if (panning) {
      event.preventDefault();
      this.overlay.setPointerCapture?.(event.pointerId);
      this.pointerDown = { x: event.clientX, y: event.clientY, id: event.pointerId };
      this.interaction = beginPan(this.interaction, this.canvasPoint(event));
      if (this.spaceHeld) this.spacePanned = true;
      this.updateCursor();
      return;
    }
    if (event.button !== 0) return;
    const p = this.canvasPoint(event);
    const at = screenToFrame(this.frameRect(), p.x, p.y);
    if (at === null) return; // on the letterbox
    if (this.pointerMode === 'none') return;
    event.preventDefault();
    if (this.pointerMode === 'pin') {
      this.pointerDown = { x: event.clientX, y: event.clientY, id: event.pointerId };
      return;
    }
    const object = this.selectedObject();
    if (object === undefined) {
      this.options.onEvent({ type: 'noObject', tool: this.tool });
      return;
    }
    this.overlay.setPointerCapture?.(event.pointerId);
    this.pointerDown = { x: event.clientX, y: event.clientY, id: event.pointerId };
    if (this.tool === 'box') {
      this.interaction = beginBox(this.interaction, at);
    } else if (this.tool === 'brush' || this.tool === 'eraser') {
      this.startStroke(object, at);
    }
    this.scheduleDraw();
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    const box = this.overlay.getBoundingClientRect();
    this.hover = { x: event.clientX - box.left, y: event.clientY - box.top };
    if (this.interaction.kind === 'pan') {
      const p = this.canvasPoint(event);
      const { last } = this.interaction;
      this.interaction = moveTo(this.interaction, p);
      this.applyView(panBy(this.view, p.x - last.x, p.y - last.y, this.stage()));
      return;
    }
    if (this.interaction.kind !== 'idle') {
      const p = this.canvasPoint(event);
      const at = screenToFrameClamped(this.frameRect(), p.x, p.y);
      if (this.interaction.kind === 'stroke') this.extendStroke(at);
      this.interaction = moveTo(this.interaction, at);
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
    if (this.pointerMode === 'pin') {
      const p = this.canvasPoint(event);
      const at = screenToFrame(this.frameRect(), p.x, p.y);
      if (Math.hypot(event.clientX - down.x, event.clientY - down.y) <= CLICK_SLOP && at !== null) {
        this.options.onEvent({ type: 'pinPlaced', frame: this.frame, x: at.x, y: at.y });
      }
      return;
    }
    const object = this.selectedObject();
    const frame = this.frame;
    const interaction = this.interaction;
    this.interaction = IDLE;
    if (object === undefined) {
      this.cancelInteraction();
      return;
    }
    if (interaction.kind === 'box') {
      const box = boxOf(interaction);
      if (box !== null) this.options.onEvent({ type: 'boxPrompt', maskletId: object.id, frame, box });
    } else if (interaction.kind === 'stroke') {
      const stroke = this.stroke;
      this.stroke = null;
      if (stroke !== null) {
        const { width, height } = this.options.video;
        const rle = encodeRle({ height, width, data: stroke.data });
        this.showPreview(`${interaction.maskletId}:${interaction.frame}`, rle, stroke.canvas);
        this.options.onEvent({
          type: 'maskEdited',
          maskletId: interaction.maskletId,
          frame: interaction.frame,
          mode: interaction.mode,
          rle,
        });
      }
    } else if (needsSam2(this.tool)) {
      const moved = Math.hypot(event.clientX - down.x, event.clientY - down.y);
      const p = this.canvasPoint(event);
      const at = screenToFrame(this.frameRect(), p.x, p.y);
      if (moved <= CLICK_SLOP && at !== null) {
        const label = this.tool === 'negative' ? 0 : 1;
        this.options.onEvent({ type: 'pointPrompt', maskletId: object.id, frame, point: [at.x, at.y, label] });
      }
    }
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

  private showPreview(key: string, rle: CompressedRle, canvas: HTMLCanvasElement): void {
    this.dropPreview();
    const preview: StrokePreview = {
      key,
      rle,
      canvas,
      delivered: false,
      expiry: setTimeout(() => {
        if (this.preview === preview && !preview.delivered) {
          this.dropPreview();
          this.scheduleDraw();
        }
      }, PREVIEW_UNCLAIMED_MS),
    };
    this.preview = preview;
  }

  private dropPreview(): void {
    if (this.preview === null) return;
    clearTimeout(this.preview.expiry);
    this.preview = null;
  }

  private startStroke(object: OverlayObject, at: FramePoint): void {
    const { width, height } = this.options.video;
    const current = object.masks.get(this.frame);
    const data = current ? decodeRle(current.rle).data : new Uint8Array(width * height);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    const key = `${object.id}:${this.frame}`;
    const existing = this.bitmaps.get(key)?.value;
    if (ctx !== null && this.preview?.key === key) ctx.drawImage(this.preview.canvas, 0, 0);
    else if (ctx !== null && existing) ctx.drawImage(existing.bitmap, existing.x, existing.y);
    this.dropPreview();
    const mode = this.tool === 'eraser' ? 'eraser' : 'brush';
    this.stroke = { data, canvas, color: object.color };
    this.interaction = beginStroke(this.interaction, mode, object.id, this.frame, at);
    this.extendStroke(at);
  }

  /** Paint from the stroke's last point to `at`, into the mask and into its preview. */
  private extendStroke(at: FramePoint): void {
    if (this.interaction.kind !== 'stroke' || this.stroke === null) return;
    const { width, height } = this.options.video;
    const from = this.interaction.last;
    const a = { x: from.x * width, y: from.y * height };
    const b = { x: at.x * width, y: at.y * height };
    const value = this.interaction.mode === 'brush' ? 1 : 0;
    paintSegment(this.stroke.data, height, width, a, b, this.brushRadius, value);
    const ctx = this.stroke.canvas.getContext('2d');
    if (ctx === null) return;
    ctx.globalCompositeOperation = value === 1 ? 'source-over' : 'destination-out';
    ctx.strokeStyle = this.stroke.color;
    ctx.fillStyle = this.stroke.color;
    ctx.lineCap = 'round';
    ctx.lineWidth = this.brushRadius * 2;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(b.x, b.y, this.brushRadius, 0, Math.PI * 2);
    ctx.fill();
    ctx.globalCompositeOperation = 'source-over';
  }
}
