/**
 * Decodes COCO RLE masks into coloured ImageBitmaps off the main thread, so scrubbing through
 * frames with many objects never stalls the UI. The bitmap is transferred, not copied.
 */
import { rleToRgba } from '../lib/maskRaster';
import type { MaskWorkerRequest, MaskWorkerResponse } from './messages';

/** The part of DedicatedWorkerGlobalScope used here (the app compiles against the DOM lib, not the worker lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<MaskWorkerRequest>) => void) | null;
  postMessage(message: MaskWorkerResponse, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (event: MessageEvent<MaskWorkerRequest>) => {
  const request = event.data;
  const started = performance.now();
  void (async () => {
    try {
      const raster = rleToRgba(request.rle, request.color, request.outline, request.step);
      if (raster.width === 0) {
        scope.postMessage({ type: 'empty', id: request.id });
        return;
      }
      const bitmap = await createImageBitmap(new ImageData(raster.pixels, raster.width, raster.height));
      const response: MaskWorkerResponse = {
        type: 'decoded',
        id: request.id,
        bitmap,
        x: raster.x,
        y: raster.y,
        step: raster.step,
        decodeMs: performance.now() - started,
      };
      scope.postMessage(response, [bitmap]);
    } catch (error) {
      const response: MaskWorkerResponse = {
        type: 'error',
        id: request.id,
        message: error instanceof Error ? error.message : String(error),
      };
      scope.postMessage(response);
    }
  })();
};
