/** Propagation from the frame on screen: direction, an optional frame limit, and the job's progress. */
import { isJobActive, type Direction, type Masklet, type PropagationJob } from '../../api/masklets';
import { stopText } from '../../lib/propagationStops';
import { usePlayerValue, type PlayerStore } from '../../state/playerStore';
import { keepFocus } from '../../ui/PlaybackControls';
import { ProgressBar } from '../../ui/ProgressBar';

function jobStatusText(status: string): string {
  switch (status) {
    case 'queued':
      return 'Waiting for SAM 2';
    case 'running':
      return 'Propagating';
    case 'done':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return status;
  }
}

/**
 * What a propagation recomputes: `auto` re-propagates only what changed when it is a correction
 * (the frames ahead were propagated before), everything otherwise.
 */
export type Recompute = 'auto' | 'changed' | 'all';

const BUTTONS: readonly { direction: Direction; text: string; keys: string }[] = [
  { direction: 'backward', text: '◀ Backward', keys: 'Shift + F' },
  { direction: 'both', text: 'Both', keys: 'P' },
  { direction: 'forward', text: 'Forward ▶', keys: 'F' },
];

export function PropagatePanel(props: {
  store: PlayerStore;
  selected: Masklet | undefined;
  limitText: string;
  onLimit: (text: string) => void;
  recompute: Recompute;
  onRecompute: (recompute: Recompute) => void;
  /** Why propagation cannot start now, or null. */
  disabledReason: string | null;
  job: PropagationJob | null;
  onPropagate: (direction: Direction) => void;
  onCancel: () => void;
  onDismiss: () => void;
}) {
  const frame = usePlayerValue(props.store, (s) => s.frame);
  const { job, selected } = props;
  const running = job !== null && isJobActive(job);
  const disabled = props.disabledReason !== null || running;
  const why = (keys: string) =>
    props.disabledReason ?? (running ? 'A propagation is running; cancel it or wait for it' : keys);
  return (
    <div className="card propagate-panel">
      <h2>Propagate</h2>
      <p className="muted">
        From frame {frame}, {selected ? `for ${selected.name || `object ${selected.id}`}` : 'for every clicked object'}.
      </p>
      <label className="slider-row">
        At most this many frames each way (empty: to the end of the video)
        <input
          name="propagation-limit"
          inputMode="numeric"
          size={6}
          value={props.limitText}
          placeholder="all"
          onChange={(e) => props.onLimit(e.target.value.replace(/[^0-9]/g, ''))}
        />
      </label>
      <label className="slider-row">
        Recompute
        <select
          name="propagation-recompute"
          value={props.recompute}
          onChange={(e) => props.onRecompute(e.target.value as Recompute)}
          title="Only what changed: each object stops where its masks agree again with the stored ones (3 frames in a row) or before the next frame a person made"
        >
          <option value="auto">Automatic (only what changed after a correction)</option>
          <option value="changed">Only what changed</option>
          <option value="all">Every frame</option>
        </select>
      </label>
      <div className="button-row">
        {BUTTONS.map(({ direction, text, keys }) => (
          <button
            key={direction}
            type="button"
            onMouseDown={keepFocus}
            onClick={() => props.onPropagate(direction)}
            disabled={disabled}
            title={why(keys)}
          >
            {text}
          </button>
        ))}
      </div>
      {job && (
        <div className="job" data-testid="propagation" data-status={job.status}>
          <ProgressBar
            label="Propagation progress"
            value={job.frames_total > 0 ? job.frames_done / job.frames_total : null}
          />
          <p>
            {jobStatusText(job.status)} · {job.frames_done} / {job.frames_total || '?'} frames
            {job.error ? ` · ${job.error}` : ''}
          </p>
          {job.stops.map((stop) => (
            <p key={String(stop.reverse)} className="propagation-stop" data-testid="propagation-stop">
              {stopText(stop)}
            </p>
          ))}
          {running ? (
            <button type="button" className="button-secondary" onClick={props.onCancel} disabled={job.cancel_requested}>
              {job.cancel_requested ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : (
            <button type="button" className="button-secondary" onClick={props.onDismiss}>
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  );
}
