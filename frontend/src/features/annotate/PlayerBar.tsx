/** The workspace's playback bar: scrubber, steps, play, frame counter, go to frame, zoom. */
import { useState } from 'react';
import type { AnnotationCanvas } from '../../canvas/AnnotationCanvas';
import { ZOOM_STEP } from '../../canvas/AnnotationCanvas';
import { parseFrameInput } from '../../lib/frames';
import { usePlayerValue, type PlayerStore } from '../../state/playerStore';
import { keepFocus, PlaybackControls } from '../../ui/PlaybackControls';

export function PlayerBar(props: {
  store: PlayerStore;
  canvas: () => AnnotationCanvas | null;
  frameCount: number;
  fps: number;
  zoom: number;
  onSeek: (frame: number) => void;
}) {
  const { store, canvas, frameCount } = props;
  const frame = usePlayerValue(store, (s) => s.frame);
  const playing = usePlayerValue(store, (s) => s.playing);
  // What "Go to frame" shows while the user types in it (null: the current frame).
  const [draft, setDraft] = useState<string | null>(null);
  const lastFrame = frameCount - 1;
  return (
    <PlaybackControls
      frame={frame}
      frameCount={frameCount}
      fps={props.fps}
      playing={playing}
      onSeek={(f) => canvas()?.player.seek(f)}
      onStep={(delta) => canvas()?.player.step(delta)}
      onToggle={() => canvas()?.player.toggle()}
    >
      <form
        className="jump-form"
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem('frame') as HTMLInputElement;
          const parsed = parseFrameInput(input.value, frameCount);
          if (parsed.ok) props.onSeek(parsed.index);
          input.blur();
        }}
      >
        <label>
          Go to frame{' '}
          <input
            id="annotate-jump"
            name="frame"
            inputMode="numeric"
            size={5}
            placeholder={`0–${lastFrame}`}
            title={`A frame from 0 to ${lastFrame} (G), then Enter`}
            value={draft ?? String(frame)}
            onFocus={(e) => {
              setDraft(e.currentTarget.value);
              e.currentTarget.select();
            }}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={() => setDraft(null)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') e.currentTarget.blur();
            }}
          />
        </label>
      </form>
      <div className="button-group" role="group" aria-label="Zoom">
        <button
          type="button"
          className="button-secondary"
          onMouseDown={keepFocus}
          onClick={() => canvas()?.zoomBy(1 / ZOOM_STEP)}
          disabled={props.zoom <= 1}
          aria-label="Zoom out"
          title="Zoom out (−; or the mouse wheel)"
        >
          −
        </button>
        <output className="zoom-level" data-testid="zoom-level" title="Zoom (100%: the whole frame)">
          {Math.round(props.zoom * 100)}%
        </output>
        <button
          type="button"
          className="button-secondary"
          onMouseDown={keepFocus}
          onClick={() => canvas()?.zoomBy(ZOOM_STEP)}
          aria-label="Zoom in"
          title="Zoom in (+; or the mouse wheel)"
        >
          +
        </button>
        <button
          type="button"
          className="button-secondary"
          onMouseDown={keepFocus}
          onClick={() => canvas()?.fitView()}
          disabled={props.zoom === 1}
          title="Whole frame (0)"
        >
          Fit
        </button>
      </div>
    </PlaybackControls>
  );
}
