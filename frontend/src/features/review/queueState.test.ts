import { describe, expect, it } from 'vitest';
import type { Masklet } from '../../api/masklets';
import type { ReviewAssignment, ReviewQueue } from '../../api/reviews';
import {
  canSend,
  describeQueue,
  holdsLease,
  queueReducer,
  reviewReducer,
  startReview,
  type QueueState,
  type ReviewSession,
} from './queueState';

const queue = (waiting: number, inReview = 0): ReviewQueue => ({ waiting, in_review: inReview, my_assignment: null });
const masklet = { id: 5, status: 'rejected', version: 4 } as Masklet;
const assignment: ReviewAssignment = {
  id: 9,
  masklet,
  video: { id: 1, name: 'v', width: 64, height: 48, frame_count: 10, fps: 24 },
  round: 1,
  expires_at: '2026-01-01T12:15:00Z',
};

describe('queueReducer', () => {
  it('claims from the loaded queue and ends claimed', () => {
    let s: QueueState = { kind: 'loading' };
    s = queueReducer(s, { type: 'loaded', queue: queue(3, 1) });
    s = queueReducer(s, { type: 'claim' });
    expect(s).toEqual({ kind: 'claiming', queue: queue(3, 1) });
    s = queueReducer(s, { type: 'claimed', assignment });
    expect(s).toEqual({ kind: 'claimed', assignment });
  });

  it('says empty when a claim finds nothing, and keeps saying so on refreshes with nothing waiting', () => {
    let s: QueueState = queueReducer({ kind: 'loading' }, { type: 'loaded', queue: queue(1, 2) });
    s = queueReducer(queueReducer(s, { type: 'claim' }), { type: 'claimed', assignment: null });
    expect(s).toEqual({ kind: 'empty', queue: queue(0, 2) });
    s = queueReducer(s, { type: 'loaded', queue: queue(0, 1) });
    expect(s.kind).toBe('empty');
    s = queueReducer(s, { type: 'loaded', queue: queue(2, 1) });
    expect(s).toEqual({ kind: 'ready', queue: queue(2, 1) });
  });

  it('does not let a refresh or a second click interrupt a claim', () => {
    const claiming = queueReducer({ kind: 'ready', queue: queue(2) }, { type: 'claim' });
    expect(queueReducer(claiming, { type: 'loaded', queue: queue(5) })).toBe(claiming);
    expect(queueReducer(claiming, { type: 'claim' })).toBe(claiming);
  });

  it('ignores a claim answer nobody asked for', () => {
    const ready: QueueState = { kind: 'ready', queue: queue(2) };
    expect(queueReducer(ready, { type: 'claimed', assignment })).toBe(ready);
  });

  it('keeps the counts it had when a request fails', () => {
    const s = queueReducer({ kind: 'claiming', queue: queue(2) }, { type: 'failed', message: 'offline' });
    expect(s).toEqual({ kind: 'error', queue: queue(2), message: 'offline' });
  });

  it('describes the counts', () => {
    expect(describeQueue(queue(0, 0))).toBe('No masklet waits for verification; 0 being verified now.');
    expect(describeQueue(queue(1, 2))).toBe('1 masklet waits for verification; 2 being verified now.');
    expect(describeQueue(queue(3, 0))).toBe('3 masklets wait for verification; 0 being verified now.');
  });
});

describe('reviewReducer', () => {
  const fresh = (): ReviewSession => startReview(assignment);

  it('sends, then advances with the judged masklet, then finishes when nothing else waits', () => {
    let s = reviewReducer(fresh(), { type: 'send' });
    expect(canSend(s)).toBe(false);
    expect(holdsLease(s)).toBe(true);
    s = reviewReducer(s, { type: 'sent', masklet });
    expect(s.phase).toEqual({ kind: 'advancing', masklet });
    expect(holdsLease(s)).toBe(false);
    s = reviewReducer(s, { type: 'noMore' });
    expect(s.phase).toEqual({ kind: 'finished', masklet });
  });

  it('goes back to reviewing with the reason when sending fails', () => {
    const s = reviewReducer(reviewReducer(fresh(), { type: 'send' }), { type: 'sendFailed', message: 'no comment' });
    expect(s.phase.kind).toBe('reviewing');
    expect(s.error).toBe('no comment');
    expect(canSend(s)).toBe(true);
  });

  it('moves the lease end on renewal and clears a renewal error', () => {
    let s = reviewReducer(fresh(), { type: 'renewFailed', message: 'offline' });
    expect(s.error).toBe('offline');
    s = reviewReducer(s, { type: 'renewed', expiresAt: '2026-01-01T12:30:00Z' });
    expect(s.expiresAt).toBe('2026-01-01T12:30:00Z');
    expect(s.error).toBeNull();
  });

  it('stops everything when the lease is lost, and later answers change nothing', () => {
    let s = reviewReducer(fresh(), { type: 'lost', message: 'expired' });
    expect(s.phase).toEqual({ kind: 'lost', message: 'expired' });
    expect(holdsLease(s)).toBe(false);
    const lost = s;
    s = reviewReducer(s, { type: 'renewed', expiresAt: 'x' });
    s = reviewReducer(s, { type: 'send' });
    expect(s).toBe(lost);
  });

  it('ignores a late renewal after the verdict', () => {
    const advancing = reviewReducer(reviewReducer(fresh(), { type: 'send' }), { type: 'sent', masklet });
    expect(reviewReducer(advancing, { type: 'renewed', expiresAt: 'x' })).toBe(advancing);
    expect(reviewReducer(advancing, { type: 'lost', message: 'x' })).toBe(advancing);
  });
});
