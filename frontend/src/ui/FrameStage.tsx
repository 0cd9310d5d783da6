import type { ReactNode, RefObject } from 'react';
import type { PlayerState } from '../canvas/FramePlayer';

/**
 * The two stacked canvases an AnnotationCanvas draws on (frame below, masks and pins above),
 * with the player's loading and error notices. `className` adds the page's stage classes.
 */
export function FrameStage({
  className,
  frameCanvasRef,
  overlayRef,
  videoName,
  overlayLabel,
  player,
  onRetry,
  children,
}: {
  className: string;
  frameCanvasRef: RefObject<HTMLCanvasElement | null>;
  overlayRef: RefObject<HTMLCanvasElement | null>;
  videoName: string;
  overlayLabel: string;
  player: PlayerState;
  onRetry: () => void;
  /** Further notices over the frame (e.g. SAM 2 at work). */
  children?: ReactNode;
}) {
  return (
    <div className={`viewer-stage ${className}${player.loading ? ' is-loading' : ''}`}>
      <canvas ref={frameCanvasRef} className="viewer-canvas" aria-label={`Frame ${player.frame} of ${videoName}`} />
      <canvas ref={overlayRef} className="overlay-canvas" data-testid="mask-overlay" aria-label={overlayLabel} />
      {player.loading && <div className="viewer-notice loading-notice">Loading frame {player.frame}…</div>}
      {children}
      {player.error && (
        <div className="viewer-notice viewer-error" role="alert">
          {player.error}{' '}
          <button type="button" className="button-secondary" onClick={onRetry}>
            Retry
          </button>
        </div>
      )}
    </div>
  );
}
