/**
 * What the workspace has to say, where it never moves the frame: notices that need an answer
 * float over the top of the stage (a write kept while offline, a write refused because the object
 * changed, an error), and the status line below the controls holds the rest (what the last key
 * did, SAM 2's state, live updates) in a fixed height.
 */
import type { StreamStatus } from '../../api/eventStream';
import type { Conflict, PendingSave } from './useWriteQueue';
import { SAM2_STATE_LABELS, type Sam2View } from './useSam2Status';

export function StageNotices(props: {
  busy: string | null;
  pending: PendingSave | null;
  conflict: Conflict | null;
  error: string | null;
  onDismissError: () => void;
}) {
  const { pending, conflict, error } = props;
  return (
    <div className="stage-notices" aria-live="polite">
      {props.busy && <div className="stage-notice">{props.busy}</div>}
      {pending && (
        <div className="stage-notice notice-warning" role="status" data-testid="pending-banner">
          Cannot reach the server: your {pending.description} is kept and will be saved when the connection is back.{' '}
          <button type="button" className="button-secondary" onClick={pending.retry}>
            Retry now
          </button>
        </div>
      )}
      {conflict && (
        <div className="stage-notice notice-error" role="alert" data-testid="conflict-banner">
          Someone else changed this object first, so your {conflict.description} was not saved.{' '}
          <button type="button" onClick={conflict.reload}>
            Reload the object
          </button>{' '}
          <button type="button" className="button-secondary" onClick={conflict.reapply}>
            Apply my change on top
          </button>
        </div>
      )}
      {error && (
        <div className="stage-notice notice-error" role="alert">
          {error}{' '}
          <button type="button" className="button-secondary" onClick={props.onDismissError}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}

export function StatusLine(props: { info: string | null; sam2: Sam2View; stream: StreamStatus }) {
  const { sam2 } = props;
  const unavailable = sam2.state !== 'checking' && !sam2.available;
  const message = 'message' in sam2 ? sam2.message : '';
  return (
    <div className="status-line">
      <span className="status-info" role="status" title={props.info ?? undefined}>
        {props.info ?? ''}
      </span>
      <span
        className={`status-chip sam2-${sam2.state}`}
        data-testid={unavailable ? 'sam2-banner' : 'sam2-status'}
        data-state={sam2.state}
        title={message || SAM2_STATE_LABELS[sam2.state]}
      >
        {SAM2_STATE_LABELS[sam2.state]}
        {unavailable && ': clicks and boxes are off, the brush works'}
      </span>
      <span className="status-chip">Live updates: {props.stream === 'live' ? 'on' : props.stream}</span>
      <span className="muted">
        <kbd>?</kbd> shortcuts
      </span>
    </div>
  );
}
