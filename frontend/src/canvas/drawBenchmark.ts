/**
 * Measures, in the browser, what drawing a 1080p frame with N objects costs: the frame image plus
 * N mask bitmaps through the workspace's own drawing routine (`drawMaskBitmaps`), on a canvas the
 * size of the workspace's. The masks are real COCO RLEs (ellipses of different sizes), decoded by
 * the same worker as in the workspace; decoding is timed separately because it happens off the
 * main thread and once per mask, not once per draw.
 */
import { drawMaskBitmaps } from './AnnotationCanvas';
import { MaskDecoder, type MaskBitmap } from './MaskDecoder';
import { fitContain } from './viewport';
import { parseHexColor } from '../lib/maskRaster';
import { encodeRle } from '../lib/rle';

export interface DrawBenchmarkResult {
  frameWidth: number;
  frameHeight: number;
  canvasWidth: number;
  canvasHeight: number;
  objects: number;
  iterations: number;
  /** Per draw (frame + all masks, flushed), ms. */
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Worker time to decode all N masks of one frame, ms (off the main thread). */
  decodeMs: number;
}

const COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#46f0f0',
  '#f032e6',
  '#bcf60c',
  '#fabebe',
  '#008080',
];

function ellipseMask(width: number, height: number, i: number, objects: number): Uint8Array {
  const data = new Uint8Array(width * height);
  // Objects from small to a third of the frame, spread over it, overlapping a little.
  const cx = ((i + 0.5) / objects) * width;
  const cy = height * (0.3 + (0.4 * ((i * 37) % 10)) / 10);
  const rx = width * (0.04 + 0.02 * (i % 5));
  const ry = height * (0.08 + 0.04 * (i % 4));
  for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(width, Math.ceil(cx + rx)); x += 1) {
    const dx = (x - cx) / rx;
    const h = ry * Math.sqrt(Math.max(0, 1 - dx * dx));
    const y0 = Math.max(0, Math.round(cy - h));
    const y1 = Math.min(height, Math.round(cy + h));
    if (y1 > y0) data.fill(1, x * height + y0, x * height + y1);
  }
  return data;
}

export async function benchmarkDraw(options: {
  canvas: HTMLCanvasElement;
  frameWidth?: number;
  frameHeight?: number;
  objects?: number;
  iterations?: number;
}): Promise<DrawBenchmarkResult> {
  const { canvas } = options;
  const frameWidth = options.frameWidth ?? 1920;
  const frameHeight = options.frameHeight ?? 1080;
  const objects = options.objects ?? 10;
  const iterations = options.iterations ?? 60;

  // A frame with real content (gradient + noise), decoded as an ImageBitmap like the player's frames.
  const framePixels = new Uint8ClampedArray(frameWidth * frameHeight * 4);
  for (let i = 0; i < frameWidth * frameHeight; i += 1) {
    const x = i % frameWidth;
    framePixels[i * 4] = (x * 255) / frameWidth;
    framePixels[i * 4 + 1] = (i * 7) & 255;
    framePixels[i * 4 + 2] = 128;
    framePixels[i * 4 + 3] = 255;
  }
  const frame = await createImageBitmap(new ImageData(framePixels, frameWidth, frameHeight));

  const decoder = new MaskDecoder();
  try {
    const rles = Array.from({ length: objects }, (_, i) =>
      encodeRle({ height: frameHeight, width: frameWidth, data: ellipseMask(frameWidth, frameHeight, i, objects) }),
    );
    const decodeStart = performance.now();
    const decoded = await Promise.all(
      rles.map((rle, i) =>
        decoder.decode(rle, parseHexColor(COLORS[i % COLORS.length] as string), { width: 2, highlight: i === 0 }),
      ),
    );
    const decodeMs = performance.now() - decodeStart;
    const masks = decoded.filter((m): m is MaskBitmap => m !== null);

    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('No 2D context.');
    const rect = fitContain(frameWidth, frameHeight, canvas.width, canvas.height);
    const times: number[] = [];
    for (let i = 0; i < iterations + 5; i += 1) {
      const started = performance.now();
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(frame, rect.x, rect.y, rect.width, rect.height);
      drawMaskBitmaps(ctx, rect, frameWidth, masks, 0.6);
      // Reading a pixel back forces the rasterisation to finish inside the timed span.
      ctx.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1);
      const elapsed = performance.now() - started;
      if (i >= 5) times.push(elapsed); // the first draws warm caches up
    }
    for (const m of masks) m.bitmap.close();
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
    return {
      frameWidth,
      frameHeight,
      canvasWidth: canvas.width,
      canvasHeight: canvas.height,
      objects,
      iterations,
      medianMs: at(0.5),
      p95Ms: at(0.95),
      maxMs: times[times.length - 1] as number,
      decodeMs,
    };
  } finally {
    decoder.dispose();
    frame.close();
  }
}
