/**
 * The review screen's viewer: the masklet's title, the frame with the mask and pins (FrameStage),
 * the player's controls with "Go to frame", the mask's visibility and opacity, and the masklet's
 * timeline.
 */
import type { MaskletFrame } from '../../api/masklets';
import type { ReviewAssignment } from '../../api/reviews';
import type { ReadyVideo } from '../../api/videos';
import { parseFrameInput } from '../../lib/frames';
import { FrameStage } from '../../ui/FrameStage';
import { PlaybackControls, keepFocus } from '../../ui/PlaybackControls';
import { ObjectTimeline } from '../annotate/ObjectTimeline';
import type { ReviewCanvas } from './useReviewCanvas';

export function ReviewViewer({
  assignment,
  video,
  frames,
  frameMap,
  canvas,
}: {
  assignment: Pick<ReviewAssignment, 'masklet' | 'round'>;
  video: ReadyVideo;
  frames: readonly MaskletFrame[];
  frameMap: ReadonlyMap<number, MaskletFrame>;
  canvas: ReviewCanvas;
}) {
  const masklet = assignment.masklet;
  const { frameCanvasRef, overlayRef, canvasRef, player, seek, maskVisible, toggleMask, opacity, setOpacity } = canvas;
  const lastFrame = video.frame_count - 1;
  return (
    <div className="annotate-main">
      <div className="viewer-title">
        <h1>{masklet.name || `Object ${masklet.id}`}</h1>
        <span className="muted">
          {video.name} · round {assignment.round} · {frames.length} {frames.length === 1 ? 'frame' : 'frames'} with a
          mask
        </span>
      </div>
      <FrameStage
        className="annotate-stage review-stage"
        frameCanvasRef={frameCanvasRef}
        overlayRef={overlayRef}
        videoName={video.name}
        overlayLabel="The mask under review (click to pin a comment)"
        player={player}
        onRetry={() => canvasRef.current?.player.retry()}
      />
      <PlaybackControls
        frame={player.frame}
        frameCount={video.frame_count}
        fps={video.fps}
        playing={player.playing}
        onSeek={(frame) => canvasRef.current?.player.seek(frame)}
        onStep={(delta) => canvasRef.current?.player.step(delta)}
        onToggle={() => canvasRef.current?.player.toggle()}
      >
        <form
          className="jump-form"
          onSubmit={(e) => {
            e.preventDefault();
            const input = e.currentTarget.elements.namedItem('frame') as HTMLInputElement;
            const parsed = parseFrameInput(input.value, lastFrame + 1);
            if (parsed.ok) seek(parsed.index);
            input.blur();
          }}
        >
          <label>
            Go to frame{' '}
            <input id="review-jump" name="frame" inputMode="numeric" size={5} placeholder={`0–${lastFrame}`} />
          </label>
        </form>
        <button type="button" className="button-secondary" onMouseDown={keepFocus} onClick={toggleMask}>
          {maskVisible ? 'Hide mask' : 'Show mask'}
        </button>
        <label className="inline-label">
          Opacity{' '}
          <input
            type="range"
            min={0}
            max={100}
            value={Math.round(opacity * 100)}
            onChange={(e) => setOpacity(Number(e.target.value) / 100)}
            aria-label="Mask opacity"
          />
        </label>
      </PlaybackControls>
      <div className="card timeline" aria-label="Timeline">
        <ObjectTimeline
          name={masklet.name || `Object ${masklet.id}`}
          color={masklet.color}
          frameCount={video.frame_count}
          frames={frameMap}
          prompts={undefined}
          currentFrame={player.frame}
          onSeek={seek}
        />
      </div>
    </div>
  );
}
