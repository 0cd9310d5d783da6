import { useMemo, type MouseEvent } from 'react';
import type { MaskletFrame, Prompt } from '../../api/masklets';
import type { StopMarker } from '../../lib/propagationStops';
import { frameMarks, presentCount, segmentsOf, type FrameMark } from '../../lib/timeline';

export const MARK_LABELS: Record<Exclude<FrameMark, 'none'>, string> = {
  prompted: 'prompted (clicked)',
  edited: 'edited by hand',
  propagated: 'propagated',
  imported: 'imported',
  empty: 'empty (object absent)',
};

/**
 * One object's row: where it is present, how each frame's mask came to be, and the frames a
 * reviewer pinned a comment to. Clicking the row jumps to that frame. The playhead is drawn at
 * `currentFrame`, or (when that is left out) at the `--playhead` CSS variable of an ancestor, which
 * the workspace moves without re-rendering the rows.
 */
export function ObjectTimeline({
  name,
  color,
  frameCount,
  frames,
  prompts,
  pins,
  stops,
  currentFrame,
  selected,
  onSeek,
}: {
  name: string;
  color: string;
  frameCount: number;
  frames: ReadonlyMap<number, MaskletFrame> | undefined;
  prompts: readonly Prompt[] | undefined;
  /** Frames with review comments: unresolved ones stand out. */
  pins?: readonly { frame_index: number; resolved: boolean }[];
  /** Where the last re-propagation of only what changed stopped for this object. */
  stops?: readonly StopMarker[];
  currentFrame?: number;
  selected?: boolean;
  onSeek: (frame: number) => void;
}) {
  const marks = useMemo(
    () =>
      frameMarks(
        frameCount,
        frames?.values() ?? [],
        (prompts ?? []).map((p) => p.frame_index),
      ),
    [frameCount, frames, prompts],
  );
  const segments = useMemo(() => segmentsOf(marks), [marks]);
  const pct = (frame: number) => `${(frame / frameCount) * 100}%`;
  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    onSeek(Math.min(frameCount - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * frameCount))));
  };
  return (
    <div className={`timeline-row${selected ? ' is-selected' : ''}`}>
      <span className="timeline-name" title={name}>
        <span className="swatch" style={{ background: color }} /> {name}
      </span>
      <div
        className="timeline-track"
        onClick={onClick}
        role="img"
        aria-label={`${name}: present on ${presentCount(marks)} of ${frameCount} frames`}
        data-present={presentCount(marks)}
      >
        {segments.map((s) => (
          <span
            key={`${s.start}-${s.mark}`}
            className={`timeline-seg mark-${s.mark}`}
            style={{ left: pct(s.start), width: pct(s.end - s.start) }}
            title={`Frames ${s.start}–${s.end - 1}: ${MARK_LABELS[s.mark as Exclude<FrameMark, 'none'>]}`}
          />
        ))}
        {(pins ?? []).map((p) => (
          <span
            key={`pin-${p.frame_index}-${p.resolved}`}
            className={`timeline-pin${p.resolved ? ' is-resolved' : ''}`}
            style={{ left: pct(p.frame_index + 0.5) }}
            title={`Frame ${p.frame_index}: a reviewer's comment${p.resolved ? ' (resolved)' : ''}`}
          />
        ))}
        {(stops ?? []).map((stop) => (
          <span
            key={`stop-${stop.frame}`}
            className={`timeline-stop stop-${stop.reason}`}
            data-testid="timeline-stop"
            style={{ left: pct(stop.frame + 1) }}
            title={stop.title}
          />
        ))}
        <span
          className="timeline-playhead"
          style={currentFrame === undefined ? undefined : { left: pct(currentFrame + 0.5) }}
        />
      </div>
    </div>
  );
}
