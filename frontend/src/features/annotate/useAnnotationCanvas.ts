/**
 * The workspace's AnnotationCanvas: made once per video on the two stacked <canvas> elements,
 * reporting the player's state into a PlayerStore (no page re-render per frame) and its events
 * to the page. Also exposes `window.sam2Workspace` for the end-to-end test and anyone curious:
 * the draw benchmark, the live stats, and a trace of the frames shown (scrubbing figures).
 */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { ReadyVideo } from '../../api/videos';
import { AnnotationCanvas, type CanvasEvent } from '../../canvas/AnnotationCanvas';
import { benchmarkDraw } from '../../canvas/drawBenchmark';
import type { PlayerStore } from '../../state/playerStore';

interface ShownTrace {
  /** performance.now() of each change of the frame on screen, and that frame. */
  shown: { t: number; frame: number }[];
}

export interface WorkspaceHook {
  benchmark: (objects?: number, iterations?: number) => ReturnType<typeof benchmarkDraw>;
  stats: () => Record<string, unknown>;
  /** Start recording the frames shown; `stop` returns them. */
  trace: { start: () => void; stop: () => ShownTrace };
  /** Jump to a frame as "Go to frame" does; resolves with the ms until it is on screen. */
  jump: (frame: number) => Promise<number>;
}

declare global {
  interface Window {
    sam2Workspace?: WorkspaceHook;
  }
}

export function useAnnotationCanvas(options: {
  video: ReadyVideo;
  initialFrame: number;
  store: PlayerStore;
  onEvent: (event: CanvasEvent) => void;
}): {
  frameCanvasRef: RefObject<HTMLCanvasElement | null>;
  overlayRef: RefObject<HTMLCanvasElement | null>;
  canvasRef: RefObject<AnnotationCanvas | null>;
  zoom: number;
  brush: number;
  setBrush: (radius: number) => void;
} {
  const { video, initialFrame, store } = options;
  const frameCanvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const canvasRef = useRef<AnnotationCanvas | null>(null);
  const [zoom, setZoom] = useState(1);
  const [brush, setBrushState] = useState(0);
  const onEvent = useRef(options.onEvent);
  useLayoutEffect(() => {
    onEvent.current = options.onEvent;
  });

  useEffect(() => {
    const frameCanvas = frameCanvasRef.current;
    const overlay = overlayRef.current;
    if (frameCanvas === null || overlay === null) return;
    let trace: ShownTrace | null = null;
    // Told at once when the frame on screen changes (the store tells React a frame later).
    const shownListeners = new Set<(shown: number | null) => void>();
    const instance = new AnnotationCanvas({
      frameCanvas,
      overlayCanvas: overlay,
      video,
      initialFrame,
      onPlayerState: (state) => {
        if (state.shown !== store.state.shown) {
          if (trace !== null && state.shown !== null) trace.shown.push({ t: performance.now(), frame: state.shown });
          for (const listener of shownListeners) listener(state.shown);
        }
        store.set(state);
      },
      onView: (view) => setZoom(view.zoom),
      onEvent: (event) => onEvent.current(event),
    });
    canvasRef.current = instance;
    setBrushState(instance.brushSize);
    window.sam2Workspace = {
      benchmark: (objects = 10, iterations = 60) => benchmarkDraw({ canvas: overlay, objects, iterations }),
      stats: () => ({
        ...instance.stats,
        masksReady: instance.masksReady,
        frame: instance.currentFrame,
        playhead: instance.player.state.frame,
        full: instance.player.state.full,
        view: instance.currentView,
      }),
      jump: (frame) =>
        new Promise<number>((resolve) => {
          const started = performance.now();
          const listener = (shown: number | null) => {
            if (shown !== frame) return;
            shownListeners.delete(listener);
            resolve(performance.now() - started);
          };
          shownListeners.add(listener);
          instance.player.pause();
          instance.player.seek(frame);
          if (instance.player.state.shown === frame) listener(frame);
        }),
      trace: {
        start: () => {
          trace = { shown: [] };
        },
        stop: () => {
          const done = trace ?? { shown: [] };
          trace = null;
          return done;
        },
      },
    };
    return () => {
      instance.dispose();
      canvasRef.current = null;
      delete window.sam2Workspace;
    };
    // One canvas per video; `initialFrame` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [video]);

  const setBrush = (radius: number) => {
    canvasRef.current?.setBrushRadius(radius);
    setBrushState(canvasRef.current?.brushSize ?? radius);
  };

  return { frameCanvasRef, overlayRef, canvasRef, zoom, brush, setBrush };
}
