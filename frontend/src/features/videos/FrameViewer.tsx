import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ReadyVideo } from '../../api/videos';
import { FramePlayer, initialPlayerState, type PlayerState } from '../../canvas/FramePlayer';
import { FrameWorkerSource } from '../../canvas/frameWorkerSource';
import { parseFrameInput } from '../../lib/frames';
import { formatFps } from '../projects/format';
import { usePlaybackKeys } from '../../state/usePlaybackKeys';
import { PlaybackControls } from '../../ui/PlaybackControls';

/** How long the frame must stay put before it is written to the URL (avoids history churn while scrubbing). */
const URL_SYNC_DELAY_MS = 300;

/** Keeps focus where it was when a control is clicked, so the keyboard shortcuts keep working. */

export function FrameViewer({
  video,
  initialFrame,
  onFrameSettled,
}: {
  video: ReadyVideo;
  initialFrame: number;
  onFrameSettled: (frame: number) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const playerRef = useRef<FramePlayer | null>(null);
  const jumpInput = useRef<HTMLInputElement>(null);
  const [player, setPlayer] = useState<PlayerState>(() => initialPlayerState(initialFrame));
  const [jumpText, setJumpText] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const lastFrame = video.frame_count - 1;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const instance = new FramePlayer({
      canvas,
      frameCount: video.frame_count,
      fps: video.fps,
      width: video.width,
      height: video.height,
      source: new FrameWorkerSource(video),
      initialFrame,
      onState: setPlayer,
    });
    playerRef.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(canvas);
    return () => {
      observer.disconnect();
      instance.dispose();
      playerRef.current = null;
    };
    // One player per video; `initialFrame` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [video]);

  useEffect(() => {
    if (player.playing) return;
    const timer = setTimeout(() => onFrameSettled(player.frame), URL_SYNC_DELAY_MS);
    return () => clearTimeout(timer);
  }, [player.frame, player.playing, onFrameSettled]);

  usePlaybackKeys({
    target: () => playerRef.current,
    lastFrame,
    goToFrame: () => {
      jumpInput.current?.focus();
      jumpInput.current?.select();
    },
  });

  const onJump = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseFrameInput(jumpText, video.frame_count);
    if (!parsed.ok) {
      setJumpError(parsed.message);
      return;
    }
    setJumpError(null);
    goTo(parsed.index);
    jumpInput.current?.blur(); // give the keys back to the shortcuts
  };

  const goTo = (frame: number) => {
    playerRef.current?.pause();
    playerRef.current?.seek(frame);
  };

  return (
    <div className="frame-viewer">
      <div className="viewer-title">
        <h1>{video.name}</h1>
        <span className="muted">
          {video.width}×{video.height} · {formatFps(video.fps)} fps · {video.frame_count} frames
        </span>
      </div>
      <div className={`viewer-stage${player.loading ? ' is-loading' : ''}`}>
        <canvas ref={canvasRef} className="viewer-canvas" aria-label={`Frame ${player.frame} of ${video.name}`} />
        {player.loading && <div className="viewer-notice">Loading frame {player.frame}…</div>}
        {player.buffering && <div className="viewer-notice">Buffering…</div>}
        {player.error && (
          <div className="viewer-notice viewer-error" role="alert">
            {player.error}{' '}
            <button type="button" className="button-secondary" onClick={() => playerRef.current?.retry()}>
              Retry
            </button>
          </div>
        )}
      </div>

      <PlaybackControls
        frame={player.frame}
        frameCount={video.frame_count}
        fps={video.fps}
        playing={player.playing}
        endButtons
        onSeek={goTo}
        onStep={(delta) => playerRef.current?.step(delta)}
        onToggle={() => playerRef.current?.toggle()}
      >
        <form className="jump-form" onSubmit={onJump}>
          <label>
            Go to frame{' '}
            <input
              ref={jumpInput}
              inputMode="numeric"
              size={6}
              value={jumpText}
              placeholder={`0–${lastFrame}`}
              onChange={(e) => {
                setJumpText(e.target.value);
                setJumpError(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  setJumpError(null);
                  e.currentTarget.blur();
                }
              }}
              aria-invalid={jumpError !== null}
            />
          </label>
          <button type="submit" className="button-secondary">
            Go
          </button>
          {jumpError && (
            <span className="error-inline" role="alert">
              {jumpError}
            </span>
          )}
        </form>
      </PlaybackControls>
    </div>
  );
}
