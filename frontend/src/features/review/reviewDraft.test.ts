import { describe, expect, it } from 'vitest';
import type { ReviewComment } from '../../api/reviews';
import {
  draftPinMarkers,
  draftProblem,
  earlierLetter,
  earlierPinMarkers,
  draftReducer,
  EMPTY_DRAFT,
  normalisePin,
  pinPixels,
  renewDelayMs,
  toVerdictInput,
  type ReviewDraft,
} from './reviewDraft';

const apply = (...actions: Parameters<typeof draftReducer>[1][]): ReviewDraft =>
  actions.reduce(draftReducer, EMPTY_DRAFT);

describe('normalisePin', () => {
  it('clamps to the frame and rounds to 4 decimals', () => {
    expect(normalisePin(0.123456, 0.98765)).toEqual({ x: 0.1235, y: 0.9877 });
    expect(normalisePin(-0.2, 1.7)).toEqual({ x: 0, y: 1 });
  });

  it('refuses what is not a number', () => {
    expect(normalisePin(Number.NaN, 0.5)).toBeNull();
    expect(normalisePin(0.5, Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('maps to frame pixels inside the frame', () => {
    expect(pinPixels({ x: 0.5, y: 0.25 }, 1920, 1080)).toEqual({ x: 960, y: 270 });
    expect(pinPixels({ x: 1, y: 1 }, 1920, 1080)).toEqual({ x: 1919, y: 1079 });
  });
});

describe('draftReducer', () => {
  it('adds a pin, selects it and makes the verdict unsatisfactory', () => {
    const draft = apply({ type: 'addPin', frame: 7, x: 0.25, y: 1.5 });
    expect(draft.pins).toEqual([{ key: 1, frame: 7, x: 0.25, y: 1, text: '' }]);
    expect(draft.activePin).toBe(1);
    expect(draft.verdict).toBe('unsatisfactory');
  });

  it('keeps a verdict chosen before the pin', () => {
    const draft = apply({ type: 'verdict', verdict: 'satisfactory' }, { type: 'addPin', frame: 0, x: 0.1, y: 0.1 });
    expect(draft.verdict).toBe('satisfactory');
  });

  it('ignores a pin on a frame that is not a frame index', () => {
    expect(apply({ type: 'addPin', frame: -1, x: 0.1, y: 0.1 }).pins).toEqual([]);
    expect(apply({ type: 'addPin', frame: 1.5, x: 0.1, y: 0.1 }).pins).toEqual([]);
  });

  it('edits and removes pins by key, keeping keys unique', () => {
    const draft = apply(
      { type: 'addPin', frame: 1, x: 0.1, y: 0.1 },
      { type: 'addPin', frame: 2, x: 0.2, y: 0.2 },
      { type: 'pinText', key: 2, text: 'edge missing' },
      { type: 'removePin', key: 1 },
      { type: 'addPin', frame: 3, x: 0.3, y: 0.3 },
    );
    expect(draft.pins.map((p) => [p.key, p.frame, p.text])).toEqual([
      [2, 2, 'edge missing'],
      [3, 3, ''],
    ]);
    expect(draft.activePin).toBe(3);
  });

  it('forgets the active pin when it is removed', () => {
    const draft = apply({ type: 'addPin', frame: 1, x: 0.1, y: 0.1 }, { type: 'removePin', key: 1 });
    expect(draft.activePin).toBeNull();
  });

  it('resets to empty but never reuses a key', () => {
    const draft = apply({ type: 'addPin', frame: 1, x: 0.1, y: 0.1 }, { type: 'reset' });
    expect(draft.pins).toEqual([]);
    expect(draft.verdict).toBeNull();
    expect(draftReducer(draft, { type: 'addPin', frame: 1, x: 0, y: 0 }).pins[0]?.key).toBe(2);
  });
});

describe('draftProblem', () => {
  it('needs a verdict', () => {
    expect(draftProblem(EMPTY_DRAFT)).toMatch(/Choose/);
  });

  it('accepts a bare satisfactory verdict', () => {
    expect(draftProblem(apply({ type: 'verdict', verdict: 'satisfactory' }))).toBeNull();
  });

  it('needs a comment or a pin for unsatisfactory', () => {
    const bare = apply({ type: 'verdict', verdict: 'unsatisfactory' });
    expect(draftProblem(bare)).toMatch(/Say what is wrong/);
    expect(draftProblem(draftReducer(bare, { type: 'comment', text: '   ' }))).toMatch(/Say what is wrong/);
    expect(draftProblem(draftReducer(bare, { type: 'comment', text: 'leaks onto the road' }))).toBeNull();
  });

  it('names the pin that has no text', () => {
    const draft = apply(
      { type: 'addPin', frame: 4, x: 0.1, y: 0.1 },
      { type: 'pinText', key: 1, text: 'ok' },
      { type: 'addPin', frame: 9, x: 0.2, y: 0.2 },
    );
    expect(draftProblem(draft)).toBe('Type what is wrong at pin 2 (frame 9), or remove the pin.');
    expect(draftProblem(draftReducer(draft, { type: 'pinText', key: 2, text: 'hole' }))).toBeNull();
  });
});

describe('toVerdictInput', () => {
  it('sends trimmed texts and the pins as comments', () => {
    const draft = apply(
      { type: 'addPin', frame: 12, x: 0.333333, y: 0.5 },
      { type: 'pinText', key: 1, text: '  wheel cut off ' },
      { type: 'comment', text: ' see the pin ' },
    );
    expect(toVerdictInput(draft)).toEqual({
      verdict: 'unsatisfactory',
      comment: 'see the pin',
      comments: [{ frame_index: 12, x: 0.3333, y: 0.5, text: 'wheel cut off' }],
    });
  });

  it('refuses a draft without a verdict', () => {
    expect(() => toVerdictInput(EMPTY_DRAFT)).toThrow(/no verdict/);
  });
});

describe('draftPinMarkers', () => {
  it('gives the pins of one frame with their list numbers', () => {
    const draft = apply(
      { type: 'addPin', frame: 3, x: 0.1, y: 0.2 },
      { type: 'addPin', frame: 5, x: 0.3, y: 0.4 },
      { type: 'addPin', frame: 3, x: 0.5, y: 0.6 },
    );
    expect(draftPinMarkers(draft, 3)).toEqual([
      { x: 0.1, y: 0.2, label: '1', active: false },
      { x: 0.5, y: 0.6, label: '3', active: true },
    ]);
    expect(draftPinMarkers(draft, 4)).toEqual([]);
  });
});

describe('earlierPinMarkers', () => {
  const comment = (id: number, frame: number, x: number | null, y: number | null): ReviewComment => ({
    id,
    author: { id: 1, username: 'rev' },
    review: null,
    frame_index: frame,
    x,
    y,
    text: `comment ${id}`,
    resolved: id === 2,
    created_at: '2026-01-01T12:00:00Z',
  });

  it('letters the earlier comments pinned on the frame, resolved ones too, skipping unpinned ones', () => {
    const earlier = [
      comment(1, 3, 0.1, 0.2),
      comment(2, 3, 0.3, 0.4),
      comment(3, 3, null, null),
      comment(4, 5, 0.5, 0.5),
    ];
    expect(earlierPinMarkers(earlier, 3)).toEqual([
      { x: 0.1, y: 0.2, label: 'A', active: false },
      { x: 0.3, y: 0.4, label: 'B', active: false },
    ]);
    expect(earlierPinMarkers(earlier, 5)).toEqual([{ x: 0.5, y: 0.5, label: 'D', active: false }]);
  });

  it('goes on past Z with two letters', () => {
    expect([earlierLetter(0), earlierLetter(25), earlierLetter(26), earlierLetter(27)]).toEqual(['A', 'Z', 'AA', 'AB']);
  });
});

describe('renewDelayMs', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('renews after a third of the time left, within bounds', () => {
    expect(renewDelayMs('2026-01-01T12:15:00Z', now)).toBe(120_000);
    expect(renewDelayMs('2026-01-01T12:01:00Z', now)).toBe(20_000);
    expect(renewDelayMs('2026-01-01T12:00:12Z', now)).toBe(5_000);
  });

  it('renews at once when the lease is (nearly) over', () => {
    expect(renewDelayMs('2026-01-01T12:00:03Z', now)).toBe(0);
    expect(renewDelayMs('2026-01-01T11:59:00Z', now)).toBe(0);
  });

  it('retries soon when the time is unreadable', () => {
    expect(renewDelayMs('soon', now)).toBe(5_000);
  });
});
