/**
 * Re-propagating only what changed: whether a propagation from a frame is a correction (the
 * workspace then asks the server to stop where the masks agree again), and where such a
 * propagation stopped, in words and as timeline markers. Pure, so the rules are tested alone.
 */
import type { Direction, FrameOrigin } from '../api/masklets';

export type StopReason = 'agreement' | 'person_made' | 'end';

export interface ObjectStop {
  last: number;
  reason: StopReason;
  at: number;
}

export interface PassStop {
  reverse: boolean;
  last: number;
  reason: StopReason;
  objects: Record<string, ObjectStop>;
}

/**
 * Whether propagating from `frame` re-propagates frames SAM 2 already propagated for one of the
 * objects: a propagated mask lies beyond `frame` in the direction (either side for "both").
 */
export function isCorrection(
  frame: number,
  direction: Direction,
  objectFrames: Iterable<Iterable<{ frame_index: number; origin: FrameOrigin }>>,
): boolean {
  for (const frames of objectFrames) {
    for (const f of frames) {
      if (f.origin !== 'propagated') continue;
      if (direction !== 'backward' && f.frame_index > frame) return true;
      if (direction !== 'forward' && f.frame_index < frame) return true;
    }
  }
  return false;
}

/** One stop: which way, and the pass's last recomputed frame with why the pass ended there. */
export function stopText(stop: PassStop): string {
  const way = stop.reverse ? 'Backward' : 'Forward';
  if (stop.last < 0) return `${way}: nothing to recompute (the next frame is one a person made).`;
  switch (stop.reason) {
    case 'agreement':
      return `${way}: stopped at frame ${stop.last}; the masks agree again with the stored ones after it.`;
    case 'person_made': {
      const at = Math.max(...Object.values(stop.objects).map((o) => (o.reason === 'person_made' ? o.at : -1)));
      return `${way}: stopped at frame ${stop.last}, before frame ${at}, which a person made.`;
    }
    case 'end':
      return `${way}: recomputed to frame ${stop.last}, the end of the range (the masks never agreed again).`;
  }
}

export interface StopMarker {
  frame: number;
  reason: StopReason;
  title: string;
}

/** Where each object's recomputation ended, for its timeline row (masklet id -> markers). */
export function stopMarkers(stops: readonly PassStop[]): Map<number, StopMarker[]> {
  const markers = new Map<number, StopMarker[]>();
  for (const stop of stops) {
    for (const [id, object] of Object.entries(stop.objects)) {
      if (object.last < 0 || object.reason === 'end') continue;
      const title =
        object.reason === 'agreement'
          ? `Re-propagation stopped at frame ${object.last}: masks agree again with the stored ones`
          : `Re-propagation stopped at frame ${object.last}, before frame ${object.at}, which a person made`;
      const list = markers.get(Number(id)) ?? [];
      list.push({ frame: object.last, reason: object.reason, title });
      markers.set(Number(id), list);
    }
  }
  return markers;
}
