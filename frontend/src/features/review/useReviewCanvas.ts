/**
 * The review screen's AnnotationCanvas: made once per review on the two stacked <canvas>
 * elements, showing the frames with the one mask under review and the pins (earlier comments'
 * and the draft's) of the frame on screen; a click places a pin while the verdict can still be
 * written. It keeps the mask's visibility and opacity. Also exposes `window.sam2Review` (live
 * stats) for the end-to-end test.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { Masklet, MaskletFrame } from '../../api/masklets';
import type { ReviewComment } from '../../api/reviews';
import type { ReadyVideo } from '../../api/videos';
import { AnnotationCanvas, type OverlayObject } from '../../canvas/AnnotationCanvas';
import { initialPlayerState, type PlayerState } from '../../canvas/FramePlayer';
import { draftPinMarkers, earlierPinMarkers, type ReviewDraft } from './reviewDraft';

export interface ReviewCanvas {
  frameCanvasRef: RefObject<HTMLCanvasElement | null>;
  overlayRef: RefObject<HTMLCanvasElement | null>;
  canvasRef: RefObject<AnnotationCanvas | null>;
  player: PlayerState;
  /** Pause and show `frame`. */
  seek: (frame: number) => void;
  maskVisible: boolean;
  toggleMask: () => void;
  opacity: number;
  setOpacity: (opacity: number) => void;
}

export function useReviewCanvas(options: {
  video: ReadyVideo;
  masklet: Pick<Masklet, 'id' | 'color'>;
  /** Only seeds the canvas. */
  initialFrame: number;
  frameMap: ReadonlyMap<number, MaskletFrame>;
  draft: ReviewDraft;
  /** Earlier comments, in the order of their list. */
  earlier: readonly ReviewComment[];
  /** Whether clicks place pins. */
  editable: boolean;
  onPinPlaced: (frame: number, x: number, y: number) => void;
}): ReviewCanvas {
  const { video, masklet, initialFrame, frameMap, draft, earlier, editable } = options;
  const [opacity, setOpacity] = useState(0.55);
  const [maskVisible, setMaskVisible] = useState(true);
  const [player, setPlayer] = useState<PlayerState>(() => initialPlayerState(initialFrame));
  const frameCanvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const canvasRef = useRef<AnnotationCanvas | null>(null);
  const onPinPlaced = useRef(options.onPinPlaced);
  useLayoutEffect(() => {
    onPinPlaced.current = options.onPinPlaced;
  });

  // The canvas: frames and this one mask; clicks place pins.
  useEffect(() => {
    const frameCanvas = frameCanvasRef.current;
    const overlay = overlayRef.current;
    if (frameCanvas === null || overlay === null) return;
    const instance = new AnnotationCanvas({
      frameCanvas,
      overlayCanvas: overlay,
      video,
      initialFrame,
      onPlayerState: setPlayer,
      onEvent: (event) => {
        if (event.type === 'pinPlaced') {
          instance.player.pause();
          onPinPlaced.current(event.frame, event.x, event.y);
        }
      },
    });
    instance.setPointerMode('pin');
    instance.setSelected(masklet.id);
    canvasRef.current = instance;
    (window as unknown as { sam2Review?: unknown }).sam2Review = {
      stats: () => ({ ...instance.stats, masksReady: instance.masksReady, frame: instance.currentFrame }),
    };
    return () => {
      instance.dispose();
      canvasRef.current = null;
      delete (window as unknown as { sam2Review?: unknown }).sam2Review;
    };
    // One canvas per review; `initialFrame` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [video, masklet.id]);

  const objects: OverlayObject[] = useMemo(
    () => [{ id: masklet.id, color: masklet.color, visible: maskVisible, masks: frameMap }],
    [masklet.id, masklet.color, maskVisible, frameMap],
  );
  useEffect(() => canvasRef.current?.setObjects(objects), [objects]);
  useEffect(() => canvasRef.current?.setOpacity(opacity), [opacity]);
  useEffect(
    () =>
      canvasRef.current?.setPins([
        ...earlierPinMarkers(earlier, player.frame),
        ...draftPinMarkers(draft, player.frame),
      ]),
    [draft, earlier, player.frame],
  );
  // Pins only while the verdict can still be written.
  useEffect(() => canvasRef.current?.setPointerMode(editable ? 'pin' : 'none'), [editable]);

  const seek = useCallback((frame: number) => {
    canvasRef.current?.player.pause();
    canvasRef.current?.player.seek(frame);
  }, []);

  const toggleMask = useCallback(() => setMaskVisible((v) => !v), []);

  return { frameCanvasRef, overlayRef, canvasRef, player, seek, maskVisible, toggleMask, opacity, setOpacity };
}
