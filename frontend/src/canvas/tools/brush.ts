/**
 * Brush and eraser: paint into (or out of) the target's mask on the frame on screen. The stroke
 * is painted twice as it goes: into the binary mask that is sent (column-major, frame pixels) and
 * onto a canvas in the target's colour, drawn in place of its mask, so what is seen is what is
 * saved. Released, the stroke becomes one `maskEdited` event with the whole new mask.
 */
import { beginStroke, type FramePoint, type Interaction } from '../modes';
import { paintSegment } from '../../lib/maskRaster';
import { decodeRle, encodeRle } from '../../lib/rle';
import type { FeedbackContext, Tool, ToolHost } from './types';

interface Stroke {
  data: Uint8Array;
  canvas: HTMLCanvasElement;
  color: string;
}

export function brushTool(mode: 'brush' | 'eraser'): Tool {
  let stroke: Stroke | null = null;

  const extend = (host: ToolHost, interaction: Interaction, at: FramePoint): void => {
    if (interaction.kind !== 'stroke' || stroke === null) return;
    const width = host.frameWidth;
    const height = host.frameHeight;
    const a = { x: interaction.last.x * width, y: interaction.last.y * height };
    const b = { x: at.x * width, y: at.y * height };
    const value = mode === 'brush' ? 1 : 0;
    paintSegment(stroke.data, height, width, a, b, host.brushRadius, value);
    const ctx = stroke.canvas.getContext('2d');
    if (ctx === null) return;
    ctx.globalCompositeOperation = value === 1 ? 'source-over' : 'destination-out';
    ctx.strokeStyle = stroke.color;
    ctx.fillStyle = stroke.color;
    ctx.lineCap = 'round';
    ctx.lineWidth = host.brushRadius * 2;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(b.x, b.y, host.brushRadius, 0, Math.PI * 2);
    ctx.fill();
    ctx.globalCompositeOperation = 'source-over';
  };

  return {
    down(host, at, interaction) {
      const { frameWidth: width, frameHeight: height, target } = host;
      const data = target.mask ? decodeRle(target.mask).data : new Uint8Array(width * height);
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d');
      const drawn = host.drawnMask();
      if (ctx !== null && drawn !== undefined) {
        ctx.imageSmoothingEnabled = false; // a pixel is in the mask or not
        ctx.drawImage(drawn.image, drawn.x, drawn.y, drawn.width, drawn.height);
      }
      stroke = { data, canvas, color: target.color };
      const next = beginStroke(interaction, mode, target.id, host.frame, at);
      extend(host, next, at);
      return next;
    },
    move(host, at, interaction) {
      extend(host, interaction, at);
      return interaction.kind === 'stroke' ? { ...interaction, last: at } : interaction;
    },
    up(host, interaction) {
      const done = stroke;
      stroke = null;
      if (interaction.kind !== 'stroke' || done === null) return;
      const rle = encodeRle({ height: host.frameHeight, width: host.frameWidth, data: done.data });
      host.showPreview(rle, done.canvas);
      host.emit({ type: 'maskEdited', maskletId: interaction.maskletId, frame: interaction.frame, mode, rle });
    },
    feedback({ ctx, rect, ratio, hover, frameWidth, brushRadius }: FeedbackContext) {
      if (hover === null) return;
      const r = (brushRadius * rect.width) / frameWidth;
      ctx.beginPath();
      ctx.arc(hover.x * ratio, hover.y * ratio, r, 0, Math.PI * 2);
      ctx.lineWidth = 1.5 * ratio;
      ctx.strokeStyle = mode === 'brush' ? '#fff' : '#ffb300';
      ctx.setLineDash(mode === 'eraser' ? [4 * ratio, 3 * ratio] : []);
      ctx.stroke();
      ctx.setLineDash([]);
    },
    live: (interaction) => (interaction.kind === 'stroke' && stroke !== null ? stroke.canvas : null),
    cancel: () => {
      stroke = null;
    },
  };
}
