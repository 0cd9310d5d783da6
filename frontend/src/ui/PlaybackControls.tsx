import type { MouseEvent, ReactNode } from 'react';
import { formatFrameTime } from '../lib/frames';
import { FirstIcon, LastIcon, NextIcon, PauseIcon, PlayIcon, PrevIcon } from './icons';

/** Buttons keep the keyboard focus where it was, so the player's keys go on working. */
export const keepFocus = (event: MouseEvent) => event.preventDefault();

export interface PlaybackControlsProps {
  frame: number;
  frameCount: number;
  fps: number;
  playing: boolean;
  onSeek: (frame: number) => void;
  onStep: (delta: number) => void;
  onToggle: () => void;
  /** Also show first / last frame buttons (Home / End). */
  endButtons?: boolean;
  /** Further controls of the bar, after the frame counter. */
  children?: ReactNode;
}

/** The scrubber and the control bar shared by every frame player: step, play, frame counter. */
export function PlaybackControls(props: PlaybackControlsProps) {
  const lastFrame = Math.max(0, props.frameCount - 1);
  return (
    <>
      <input
        className="viewer-scrubber"
        type="range"
        min={0}
        max={lastFrame}
        step={1}
        value={props.frame}
        aria-label="Frame"
        onChange={(e) => props.onSeek(Number(e.target.value))}
      />
      <div className="viewer-controls">
        <div className="button-group">
          {props.endButtons && (
            <button
              type="button"
              onMouseDown={keepFocus}
              onClick={() => props.onSeek(0)}
              title="First frame (Home)"
              aria-label="First frame"
            >
              <FirstIcon />
            </button>
          )}
          <button
            type="button"
            onMouseDown={keepFocus}
            onClick={() => props.onStep(-1)}
            aria-label="Previous frame"
            title="Previous frame (←)"
          >
            <PrevIcon />
          </button>
          <button
            type="button"
            className="play-button"
            onMouseDown={keepFocus}
            onClick={props.onToggle}
            title="Play / pause (Space)"
          >
            {props.playing ? <PauseIcon /> : <PlayIcon />} {props.playing ? 'Pause' : 'Play'}
          </button>
          <button
            type="button"
            onMouseDown={keepFocus}
            onClick={() => props.onStep(1)}
            aria-label="Next frame"
            title="Next frame (→)"
          >
            <NextIcon />
          </button>
          {props.endButtons && (
            <button
              type="button"
              onMouseDown={keepFocus}
              onClick={() => props.onSeek(lastFrame)}
              title="Last frame (End)"
              aria-label="Last frame"
            >
              <LastIcon />
            </button>
          )}
        </div>
        <output className="frame-counter" data-testid="frame-counter" aria-live="off">
          frame {props.frame} / {props.frameCount}
          <span className="muted"> · {formatFrameTime(props.frame, props.fps)}</span>
        </output>
        {props.children}
      </div>
    </>
  );
}
