import { describe, expect, it } from 'vitest';
import type { ReviewComment, StatusChange } from '../../api/reviews';
import { commentPinMarkers, lastRejection, numberComments, statusMessage } from './reviewComments';

const comment = (id: number, frame: number, extra: Partial<ReviewComment> = {}): ReviewComment => ({
  id,
  author: { id: 2, username: 'rev' },
  review: 1,
  frame_index: frame,
  x: 0.5,
  y: 0.25,
  text: `c${id}`,
  resolved: false,
  created_at: `2026-01-01T12:00:0${id}Z`,
  ...extra,
});

describe('numberComments', () => {
  it('numbers open comments first, by frame then time', () => {
    const numbered = numberComments([
      comment(1, 30),
      comment(2, 4, { resolved: true }),
      comment(3, 4),
      comment(4, 30, { created_at: '2026-01-01T11:00:00Z' }),
    ]);
    expect(numbered.map((n) => [n.number, n.comment.id])).toEqual([
      [1, 3],
      [2, 4],
      [3, 1],
      [4, 2],
    ]);
  });
});

describe('commentPinMarkers', () => {
  const numbered = numberComments([
    comment(1, 4),
    comment(2, 4, { x: null, y: null }),
    comment(3, 4, { resolved: true, x: 0.1, y: 0.9 }),
    comment(4, 8),
  ]);

  it('draws the open pinned comments of the frame with their numbers', () => {
    expect(commentPinMarkers(numbered, 4, null)).toEqual([{ x: 0.5, y: 0.25, label: '1', active: false }]);
  });

  it('draws the one looked at larger, even when resolved', () => {
    expect(commentPinMarkers(numbered, 4, 3)).toEqual([
      { x: 0.5, y: 0.25, label: '1', active: false },
      { x: 0.1, y: 0.9, label: '4', active: true },
    ]);
  });

  it('draws nothing on frames without comments', () => {
    expect(commentPinMarkers(numbered, 5, 1)).toEqual([]);
  });
});

describe('statusMessage', () => {
  it('explains every status but draft', () => {
    expect(statusMessage('draft')).toBeNull();
    expect(statusMessage('submitted')).toMatch(/cannot change/);
    expect(statusMessage('rejected')).toMatch(/submit it again/);
  });
});

describe('lastRejection', () => {
  const change = (id: number, to: StatusChange['to_status'], at: string): StatusChange => ({
    id,
    from_status: 'submitted',
    to_status: to,
    action: to,
    actor: null,
    comment: `r${id}`,
    override: false,
    created_at: at,
  });

  it('finds the newest rejection', () => {
    expect(
      lastRejection([
        change(1, 'rejected', '2026-01-01T10:00:00Z'),
        change(2, 'submitted', '2026-01-01T11:00:00Z'),
        change(3, 'rejected', '2026-01-01T12:00:00Z'),
      ])?.id,
    ).toBe(3);
    expect(lastRejection([change(1, 'accepted', '2026-01-01T10:00:00Z')])).toBeNull();
  });
});
