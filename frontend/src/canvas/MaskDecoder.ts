/**
 * Main-thread side of the mask worker: `decode()` returns a promise of the coloured bitmap cropped
 * to the mask's bounding box (null for an empty mask). Two workers, so one long decode does not
 * hold up the next frame's masks.
 */
import type { OutlineStyle, Rgb } from '../lib/maskRaster';
import type { CompressedRle } from '../lib/rle';
import type { MaskWorkerRequest, MaskWorkerResponse } from '../workers/messages';

const WORKERS = 2;

export interface MaskBitmap {
  bitmap: ImageBitmap;
  /** Top-left of the bitmap in frame pixels. */
  x: number;
  y: number;
  /** Frame pixels per bitmap pixel. */
  step: number;
}

interface Waiter {
  resolve: (value: MaskBitmap | null) => void;
  reject: (error: Error) => void;
}

export class MaskDecoder {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Waiter>();
  private nextId = 1;
  private disposed = false;

  constructor() {
    for (let i = 0; i < WORKERS; i += 1) {
      const worker = new Worker(new URL('../workers/masks.worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<MaskWorkerResponse>) => this.onMessage(event.data);
      this.workers.push(worker);
    }
  }

  /** `step`: frame pixels per bitmap pixel (more than 1 when the frame is shown smaller). */
  decode(rle: CompressedRle, color: Rgb, outline: OutlineStyle, step = 1): Promise<MaskBitmap | null> {
    if (this.disposed) return Promise.reject(new Error('The mask decoder was closed.'));
    const id = this.nextId;
    this.nextId += 1;
    const request: MaskWorkerRequest = {
      type: 'decode',
      id,
      rle: { size: [...rle.size], counts: rle.counts },
      color,
      outline,
      step,
    };
    return new Promise<MaskBitmap | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.workers[id % this.workers.length] as Worker).postMessage(request);
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const worker of this.workers) worker.terminate();
    for (const { reject } of this.pending.values()) reject(new Error('The mask decoder was closed.'));
    this.pending.clear();
  }

  private onMessage(message: MaskWorkerResponse): void {
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) {
      if (message.type === 'decoded') message.bitmap.close();
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'decoded')
      waiter.resolve({ bitmap: message.bitmap, x: message.x, y: message.y, step: message.step });
    else if (message.type === 'empty') waiter.resolve(null);
    else waiter.reject(new Error(message.message));
  }
}
