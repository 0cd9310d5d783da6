import { useEffect, useRef, useState } from 'react';
import type { ReadyVideo } from '../../api/videos';
import { frameUrl } from '../../lib/frames';
import { parseHexColor, rleToRgba } from '../../lib/maskRaster';
import type { CompressedRle } from '../../lib/rle';

/** Widest preview drawn (backing pixels); several sit side by side. */
const MAX_WIDTH = 640;

/**
 * One frame with one masklet's mask over it, drawn on a canvas: the frame JPEG scaled to fit, the
 * mask coloured as in the workspace (lib/maskRaster, fill and outline). A still picture, so the
 * mask is rasterised here rather than in the workspace's worker.
 */
export function MaskPreview({
  video,
  frame,
  rle,
  color,
  label,
}: {
  video: ReadyVideo;
  frame: number;
  /** null: no mask on this frame. */
  rle: CompressedRle | null;
  color: string;
  label: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<string | null>(null);
  const width = Math.min(video.width, MAX_WIDTH);
  const height = Math.round((video.height / video.width) * width);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    let cancelled = false;
    const image = new Image();
    image.decoding = 'async';
    image.onload = () => {
      if (cancelled) return;
      setError(null);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (rle === null) return;
      try {
        const raster = rleToRgba(rle, parseHexColor(color));
        if (raster.width === 0 || raster.height === 0) return;
        const layer = document.createElement('canvas');
        layer.width = raster.width;
        layer.height = raster.height;
        layer.getContext('2d')?.putImageData(new ImageData(raster.pixels, raster.width, raster.height), 0, 0);
        const scale = canvas.width / video.width;
        ctx.imageSmoothingEnabled = false;
        ctx.globalAlpha = 0.75;
        ctx.drawImage(layer, raster.x * scale, raster.y * scale, raster.width * scale, raster.height * scale);
        ctx.globalAlpha = 1;
      } catch (e) {
        setError(`The mask of frame ${frame} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    image.onerror = () => {
      if (!cancelled) setError(`Frame ${frame} could not be loaded.`);
    };
    image.src = frameUrl(video.frame_url_template, frame);
    return () => {
      cancelled = true;
      image.onload = null;
      image.onerror = null;
    };
  }, [video, frame, rle, color]);

  return (
    <div className="mask-preview">
      <canvas
        ref={canvasRef}
        width={width}
        height={height}
        role="img"
        aria-label={`${label} on frame ${frame}${rle === null ? ' (no mask on this frame)' : ''}`}
        data-testid="mask-preview"
      />
      {error && (
        <p className="error-inline" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
