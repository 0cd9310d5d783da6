/**
 * Label-first object creation: pick a label (or press its key), then click or paint on the frame;
 * that makes a new object of the label, coloured as it, with the click or stroke as its first
 * mask. Picking the same label again (or Esc) stops.
 */
import { keepFocus } from '../../ui/PlaybackControls';
import type { WorkspaceLabel } from './labels';

export function LabelBar({
  labels,
  armed,
  disabledReason,
  onPick,
}: {
  labels: readonly WorkspaceLabel[];
  armed: number | null;
  /** Why this user cannot add objects here, or null. */
  disabledReason: string | null;
  onPick: (labelId: number | null) => void;
}) {
  const picked = labels.find((l) => l.id === armed);
  return (
    <div className="label-bar" role="toolbar" aria-label="Labels: pick one, then click on the frame">
      <span className="label-bar-title">New object:</span>
      {labels.length === 0 && <span className="muted">this project has no labels yet (a manager adds them)</span>}
      {labels.map((label) => (
        <button
          key={label.id}
          type="button"
          className={`label-chip${label.id === armed ? ' is-armed' : ''}`}
          aria-pressed={label.id === armed}
          onMouseDown={keepFocus}
          onClick={() => onPick(label.id === armed ? null : label.id)}
          disabled={disabledReason !== null}
          title={
            disabledReason ??
            `${label.name}${label.key !== null ? ` (${label.key})` : ''}: then click or paint on the frame to add one`
          }
        >
          <span className="swatch" style={{ background: label.color }} />
          {label.key !== null && <kbd>{label.key}</kbd>} {label.name}
        </button>
      ))}
      {picked && (
        <span className="label-bar-hint" role="status">
          Click or paint on the frame to add a <strong>{picked.name}</strong> (Esc: cancel)
        </span>
      )}
    </div>
  );
}
