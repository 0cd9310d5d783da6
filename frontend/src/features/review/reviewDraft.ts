/**
 * The review screen's state, as pure functions: the verdict being written (verdict, overall
 * comment, comments pinned to a frame and a point), whether it can be sent, and when to renew the
 * lease on the masklet.
 */
import type { PinMarker } from '../../canvas/AnnotationCanvas';
import type { PinnedCommentInput, ReviewComment, Verdict, VerdictInput } from '../../api/reviews';

/** Decimals kept of a normalised coordinate: 1/10000 of the frame is below a pixel up to 10k wide. */
const PIN_DECIMALS = 4;

/**
 * A point in normalised frame coordinates, made safe for the wire: clamped to [0, 1] and rounded.
 * Null for a point that is not a number.
 */
export function normalisePin(x: number, y: number): { x: number; y: number } | null {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
  const scale = 10 ** PIN_DECIMALS;
  const norm = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * scale) / scale;
  return { x: norm(x), y: norm(y) };
}

/** A pin in frame pixels, for people ("x 640, y 360"). */
export function pinPixels(pin: { x: number; y: number }, width: number, height: number): { x: number; y: number } {
  return {
    x: Math.min(width - 1, Math.floor(pin.x * width)),
    y: Math.min(height - 1, Math.floor(pin.y * height)),
  };
}

export interface DraftPin {
  /** Local id, stable while the draft lives. */
  key: number;
  frame: number;
  x: number;
  y: number;
  text: string;
}

export interface ReviewDraft {
  verdict: Verdict | null;
  comment: string;
  pins: DraftPin[];
  /** The pin being typed into (its text field has focus); drawn larger. */
  activePin: number | null;
  nextKey: number;
}

export const EMPTY_DRAFT: ReviewDraft = { verdict: null, comment: '', pins: [], activePin: null, nextKey: 1 };

export type DraftAction =
  | { type: 'verdict'; verdict: Verdict }
  | { type: 'comment'; text: string }
  | { type: 'addPin'; frame: number; x: number; y: number }
  | { type: 'pinText'; key: number; text: string }
  | { type: 'removePin'; key: number }
  | { type: 'activate'; key: number | null }
  | { type: 'reset' };

export function draftReducer(state: ReviewDraft, action: DraftAction): ReviewDraft {
  switch (action.type) {
    case 'verdict':
      return { ...state, verdict: action.verdict };
    case 'comment':
      return { ...state, comment: action.text };
    case 'addPin': {
      const at = normalisePin(action.x, action.y);
      if (at === null || !Number.isInteger(action.frame) || action.frame < 0) return state;
      const pin: DraftPin = { key: state.nextKey, frame: action.frame, ...at, text: '' };
      // A pinned comment is a complaint: it makes the verdict unsatisfactory unless one was chosen.
      return {
        ...state,
        verdict: state.verdict ?? 'unsatisfactory',
        pins: [...state.pins, pin],
        activePin: pin.key,
        nextKey: state.nextKey + 1,
      };
    }
    case 'pinText':
      return { ...state, pins: state.pins.map((p) => (p.key === action.key ? { ...p, text: action.text } : p)) };
    case 'removePin':
      return {
        ...state,
        pins: state.pins.filter((p) => p.key !== action.key),
        activePin: state.activePin === action.key ? null : state.activePin,
      };
    case 'activate':
      return { ...state, activePin: action.key };
    case 'reset':
      return { ...EMPTY_DRAFT, nextKey: state.nextKey };
  }
}

/** Why the draft cannot be sent yet, in words; null when it can. */
export function draftProblem(draft: ReviewDraft): string | null {
  if (draft.verdict === null) return 'Choose Satisfactory or Unsatisfactory.';
  const blank = draft.pins.find((p) => p.text.trim() === '');
  if (blank !== undefined) {
    return `Type what is wrong at pin ${draft.pins.indexOf(blank) + 1} (frame ${blank.frame}), or remove the pin.`;
  }
  if (draft.verdict === 'unsatisfactory' && draft.comment.trim() === '' && draft.pins.length === 0) {
    return 'Say what is wrong: write a comment or click on the frame to pin one where the mask is wrong.';
  }
  return null;
}

export function toVerdictInput(draft: ReviewDraft): VerdictInput {
  if (draft.verdict === null) throw new Error('The draft has no verdict yet.');
  const comments: PinnedCommentInput[] = draft.pins.map((p) => ({
    frame_index: p.frame,
    x: p.x,
    y: p.y,
    text: p.text.trim(),
  }));
  return { verdict: draft.verdict, comment: draft.comment.trim(), comments };
}

/** The draft's pins on `frame`, numbered as in the list, for the canvas. */
export function draftPinMarkers(draft: ReviewDraft, frame: number): PinMarker[] {
  return draft.pins.flatMap((p, i) =>
    p.frame === frame ? [{ x: p.x, y: p.y, label: String(i + 1), active: p.key === draft.activePin }] : [],
  );
}

/** The letter that marks an earlier comment (its place in the list) in the list and on its pin. */
export function earlierLetter(index: number): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return index < letters.length
    ? letters[index]!
    : `${letters[Math.floor(index / 26) - 1] ?? 'Z'}${letters[index % 26]}`;
}

/**
 * Pins of earlier rounds' comments on `frame` (lettered, so they never read as the numbered pins
 * of the verdict being written): where the annotator was told to fix something.
 */
export function earlierPinMarkers(earlier: readonly ReviewComment[], frame: number): PinMarker[] {
  return earlier.flatMap((c, i) =>
    c.frame_index === frame && c.x !== null && c.y !== null
      ? [{ x: c.x, y: c.y, label: earlierLetter(i), active: false }]
      : [],
  );
}

const MIN_RENEW_MS = 5_000;
const MAX_RENEW_MS = 120_000;

/**
 * How long to wait before renewing a lease that ends at `expiresAt`: a third of the time left, so
 * two renewals can fail before it runs out, between 5 s and 2 min; 0 when it is (nearly) over.
 */
export function renewDelayMs(expiresAt: string, nowMs: number): number {
  const end = Date.parse(expiresAt);
  if (!Number.isFinite(end)) return MIN_RENEW_MS;
  const left = end - nowMs;
  if (left <= MIN_RENEW_MS) return 0;
  return Math.min(MAX_RENEW_MS, Math.max(MIN_RENEW_MS, Math.floor(left / 3)));
}
