/**
 * The masks of the frame on screen: decoded (in the mask worker) into coloured, outlined bitmaps
 * for that frame and the next few, drawn over the frame's rectangle. The selected object is drawn
 * more opaque with a thicker outline. A finished brush stroke stays on screen in place of its object's mask
 * until the edited mask has come back from the workspace and is decoded, so it never blinks off.
 */
import { MaskDecoder, type MaskBitmap } from '../MaskDecoder';
import type { Rect } from '../viewport';
import { parseHexColor } from '../../lib/maskRaster';
import type { CompressedRle } from '../../lib/rle';

export interface OverlayObject {
  id: number;
  color: string;
  visible: boolean;
  /** The object's masks by frame index. Replaced (not mutated) when a mask changes. */
  masks: ReadonlyMap<number, { rle: CompressedRle }>;
}

/** Frames of masks decoded ahead of the playhead, so the frames it reaches show them at once. */
const DECODE_AHEAD = 3;
/** A stroke the workspace does not take (a read-only object) is dropped from the screen after this. */
const PREVIEW_UNCLAIMED_MS = 400;
/** Key of a preview for a stroke that creates a new object (it has no id yet). */
export const NEW_OBJECT_KEY = 'new';

interface BitmapEntry {
  rle: CompressedRle;
  /** Colour and outline the bitmap was made with; a change re-decodes. */
  style: string;
  /** undefined while decoding; null for an empty mask. */
  value: MaskBitmap | null | undefined;
  /** The bitmap this entry replaced, drawn while `value` decodes (no flicker); then closed. */
  stale?: MaskBitmap | null | undefined;
}

interface StrokePreview {
  key: string;
  rle: CompressedRle;
  canvas: HTMLCanvasElement;
  delivered: boolean;
  expiry: ReturnType<typeof setTimeout>;
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
        mask.bitmap.width * mask.step * scale,
        mask.bitmap.height * mask.step * scale,
      );
    }
  }
  ctx.globalAlpha = 1;
}

export class MaskLayer {
  private readonly decoder = new MaskDecoder();
  private readonly bitmaps = new Map<string, BitmapEntry>();
  private objects: readonly OverlayObject[] = [];
  private selected: number | null = null;
  /** The frame on screen, and where the playhead is going (masks are decoded there too). */
  private frame = 0;
  private playhead = 0;
  private direction: 1 | -1 = 1;
  /** Outline thickness in frame pixels (~1.5 screen pixels at the fitted size). */
  private outline = 1;
  /** Frame pixels per mask bitmap pixel: 2 when the frame is shown at half size or less. */
  private step = 1;
  /** The picture rests (its full-size frame is up): its masks are drawn at full precision; while
   * it moves, at half (a quarter of the decoding work; nobody traces an outline mid-scrub). */
  private resting = false;
  private preview: StrokePreview | null = null;
  private disposed = false;

  constructor(
    private readonly lastFrame: number,
    /** Called when something on the current frame changed and the overlay needs a redraw. */
    private readonly changed: () => void,
  ) {}

  update(state: {
    objects?: readonly OverlayObject[];
    selected?: number | null;
    frame?: number;
    playhead?: { frame: number; direction: 1 | -1 };
    resting?: boolean;
    /** Frame pixels per screen pixel at the current zoom. */
    scale?: number;
  }): void {
    if (state.objects !== undefined) this.objects = state.objects;
    if (state.selected !== undefined) this.selected = state.selected;
    if (state.frame !== undefined) this.frame = state.frame;
    if (state.playhead !== undefined) ({ frame: this.playhead, direction: this.direction } = state.playhead);
    if (state.resting !== undefined) this.resting = state.resting;
    if (state.scale !== undefined) {
      this.outline = Math.max(1, Math.round(1.5 * state.scale)); // ~1.5 screen pixels
      this.step = Math.min(4, Math.max(1, Math.floor(state.scale))); // never coarser than the screen
    }
    this.ensureBitmaps();
  }

  /** Whether every visible mask of the current frame is decoded (for tests waiting on the worker). */
  get ready(): boolean {
    return this.objects.every((o) => {
      if (!o.visible || !o.masks.has(this.frame)) return true;
      return this.bitmaps.get(`${o.id}:${this.frame}`)?.value !== undefined;
    });
  }

  /** The decoded mask of an object on the current frame (a stroke starts from it). */
  current(objectId: number): MaskBitmap | HTMLCanvasElement | undefined {
    const key = `${objectId}:${this.frame}`;
    if (this.preview?.key === key) return this.preview.canvas;
    return this.bitmaps.get(key)?.value ?? undefined;
  }

  /** What to draw for the current frame, in object order; `replaced` draws instead of an object's mask. */
  layers(replaced?: { id: number | null; canvas: HTMLCanvasElement }): (MaskBitmap | HTMLCanvasElement)[] {
    const layers: (MaskBitmap | HTMLCanvasElement)[] = [];
    for (const object of this.objects) {
      if (!object.visible) continue;
      if (replaced !== undefined && replaced.id === object.id) {
        layers.push(replaced.canvas);
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
    // A new object's first stroke, before the object exists.
    if (replaced !== undefined && replaced.id === null) layers.push(replaced.canvas);
    else if (this.preview?.key === `${NEW_OBJECT_KEY}:${this.frame}`) layers.push(this.preview.canvas);
    return layers;
  }

  /** Keep a finished stroke on screen until its mask comes back decoded (or is not taken). */
  showPreview(key: string, rle: CompressedRle, canvas: HTMLCanvasElement): void {
    this.dropPreview();
    const preview: StrokePreview = {
      key,
      rle,
      canvas,
      delivered: false,
      expiry: setTimeout(() => {
        if (this.preview === preview && !preview.delivered) {
          this.dropPreview();
          this.changed();
        }
      }, PREVIEW_UNCLAIMED_MS),
    };
    this.preview = preview;
  }

  dropPreview(): void {
    if (this.preview === null) return;
    clearTimeout(this.preview.expiry);
    this.preview = null;
  }

  dispose(): void {
    this.disposed = true;
    this.decoder.dispose();
    this.dropPreview();
    for (const entry of this.bitmaps.values()) {
      entry.value?.bitmap.close();
      entry.stale?.bitmap.close();
    }
    this.bitmaps.clear();
  }

  /**
   * Decode the masks of the frame on screen, then of the playhead's frame and the few after it
   * (what a scrub shows next; not the frames it skips); forget the others.
   */
  private ensureBitmaps(): void {
    if (this.disposed) return;
    const wanted = new Set<string>();
    const frames = [this.frame];
    // Catching up with a fast scrub, the frames after the playhead would be decoded in vain.
    const ahead = Math.abs(this.playhead - this.frame) <= 1 ? DECODE_AHEAD : 0;
    for (let k = 0; k <= ahead; k += 1) {
      const f = this.playhead + k * this.direction;
      if (f >= 0 && f <= this.lastFrame && !frames.includes(f)) frames.push(f);
    }
    for (const f of frames) {
      for (const object of this.objects) this.ensureBitmap(object, f, wanted);
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

  private ensureBitmap(object: OverlayObject, f: number, wanted: Set<string>): void {
    const mask = object.masks.get(f);
    const key = `${object.id}:${f}`;
    const preview = this.preview?.key === key ? this.preview : null;
    if (preview !== null) {
      if (mask?.rle === preview.rle) preview.delivered = true;
      else if (preview.delivered) this.dropPreview(); // replaced since (dropped write, newer data)
    }
    if (!object.visible || mask === undefined) return;
    wanted.add(key);
    const highlight = object.id === this.selected;
    const outline = { width: highlight ? this.outline * 2 : this.outline, highlight };
    const step = f === this.frame && this.resting ? this.step : Math.min(4, this.step * 2);
    const style = `${object.color}/${outline.width}/${highlight}/${step}`;
    const entry = this.bitmaps.get(key);
    if (entry !== undefined && entry.rle === mask.rle && entry.style === style) return;
    // The mask on screen stays until its successor is decoded.
    let stale = entry?.value;
    if (stale === undefined) stale = entry?.stale;
    else entry?.stale?.bitmap.close();
    if (entry !== undefined) entry.stale = undefined; // handed over
    const fresh: BitmapEntry = { rle: mask.rle, style, value: undefined, stale };
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
      if (f === this.frame) this.changed();
    };
    this.decoder.decode(mask.rle, parseHexColor(object.color), outline, step).then(
      settle,
      () => settle(null), // undecodable: draw nothing, do not loop
    );
  }
}
