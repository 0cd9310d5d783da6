/**
 * The workspace's timeline: one row per object (prompted, edited, propagated, empty frames and
 * review pins), with its own scroll so that many objects never push the page. The playhead moves
 * through a CSS variable set straight from the player, so scrubbing re-renders no row.
 */
import { useEffect, useRef } from 'react';
import type { Masklet, MaskletFrame, Prompt, ReviewPin } from '../../api/masklets';
import type { StopMarker } from '../../lib/propagationStops';
import type { PlayerStore } from '../../state/playerStore';
import { MARK_LABELS, ObjectTimeline } from './ObjectTimeline';

export function WorkspaceTimeline(props: {
  store: PlayerStore;
  frameCount: number;
  masklets: readonly Masklet[];
  colorOf: (masklet: Masklet) => string;
  frames: ReadonlyMap<number, ReadonlyMap<number, MaskletFrame>>;
  prompts: ReadonlyMap<number, readonly Prompt[]>;
  pins: ReadonlyMap<number, readonly ReviewPin[]>;
  /** Where the last re-propagation of only what changed stopped, per object. */
  stops: ReadonlyMap<number, readonly StopMarker[]>;
  selected: number | null;
  onSeek: (frame: number) => void;
}) {
  const root = useRef<HTMLDivElement>(null);
  const { store, frameCount } = props;
  useEffect(() => {
    const place = () => {
      const frame = store.state.shown ?? store.state.frame;
      root.current?.style.setProperty('--playhead', `${((frame + 0.5) / frameCount) * 100}%`);
    };
    place();
    return store.subscribe(place);
  }, [store, frameCount]);

  return (
    <div className="card timeline" aria-label="Timeline" ref={root}>
      <div className="timeline-legend muted">
        Timeline (, and . : previous / next keyframe):{' '}
        {(Object.keys(MARK_LABELS) as (keyof typeof MARK_LABELS)[]).map((mark) => (
          <span key={mark} className="legend-item">
            <span className={`legend-swatch mark-${mark}`} /> {MARK_LABELS[mark]}
          </span>
        ))}
        <span className="legend-item">
          <span className="legend-swatch legend-pin" /> review comment
        </span>
        {props.stops.size > 0 && (
          <span className="legend-item">
            <span className="legend-swatch legend-stop" /> re-propagation stopped
          </span>
        )}
      </div>
      <div className="timeline-rows">
        {props.masklets.length === 0 && <p className="muted">No objects yet.</p>}
        {props.masklets.map((m) => (
          <ObjectTimeline
            key={m.id}
            name={m.name || `Object ${m.id}`}
            color={props.colorOf(m)}
            frameCount={frameCount}
            frames={props.frames.get(m.id)}
            prompts={props.prompts.get(m.id)}
            pins={props.pins.get(m.id)}
            stops={props.stops.get(m.id)}
            selected={m.id === props.selected}
            onSeek={props.onSeek}
          />
        ))}
      </div>
    </div>
  );
}
