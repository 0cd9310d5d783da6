/**
 * The verification queue as explicit states: the queue page (counts, claiming the next masklet)
 * and one review on the review screen (lease, sending the verdict, moving on to the next item).
 */
import type { Masklet } from '../../api/masklets';
import type { ReviewAssignment, ReviewQueue } from '../../api/reviews';

// ---- the queue page ------------------------------------------------------------------------------

export type QueueState =
  | { kind: 'loading' }
  | { kind: 'ready'; queue: ReviewQueue }
  | { kind: 'claiming'; queue: ReviewQueue | null }
  /** The last claim found nothing to verify. */
  | { kind: 'empty'; queue: ReviewQueue }
  | { kind: 'claimed'; assignment: ReviewAssignment }
  | { kind: 'error'; queue: ReviewQueue | null; message: string };

export type QueueAction =
  | { type: 'loaded'; queue: ReviewQueue }
  | { type: 'claim' }
  | { type: 'claimed'; assignment: ReviewAssignment | null }
  | { type: 'failed'; message: string };

export function queueOf(state: QueueState): ReviewQueue | null {
  switch (state.kind) {
    case 'ready':
    case 'empty':
      return state.queue;
    case 'claiming':
    case 'error':
      return state.queue;
    default:
      return null;
  }
}

export function queueReducer(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case 'loaded':
      // A refresh while claiming must not undo the claim in flight; after an empty claim the
      // "nothing to verify" message stays until the counts say there is something again.
      if (state.kind === 'claiming' || state.kind === 'claimed') return state;
      if (state.kind === 'empty' && action.queue.waiting === 0) return { kind: 'empty', queue: action.queue };
      return { kind: 'ready', queue: action.queue };
    case 'claim':
      if (state.kind === 'claiming' || state.kind === 'claimed') return state;
      return { kind: 'claiming', queue: queueOf(state) };
    case 'claimed': {
      if (state.kind !== 'claiming') return state;
      if (action.assignment !== null) return { kind: 'claimed', assignment: action.assignment };
      const queue = state.queue ?? { waiting: 0, in_review: 0, my_assignment: null };
      return { kind: 'empty', queue: { ...queue, waiting: 0 } };
    }
    case 'failed':
      return { kind: 'error', queue: queueOf(state), message: action.message };
  }
}

/** The counts in words. */
export function describeQueue(queue: Pick<ReviewQueue, 'waiting' | 'in_review'>): string {
  const waiting =
    queue.waiting === 0
      ? 'No masklet waits'
      : queue.waiting === 1
        ? '1 masklet waits'
        : `${queue.waiting} masklets wait`;
  return `${waiting} for verification; ${queue.in_review} being verified now.`;
}

// ---- one review ------------------------------------------------------------------------------------

export type ReviewPhase =
  /** Looking, writing the verdict; the lease is renewed meanwhile. */
  | { kind: 'reviewing' }
  | { kind: 'sending' }
  /** The verdict is saved; the next masklet is being claimed. */
  | { kind: 'advancing'; masklet: Masklet }
  /** Saved, and nothing else waits. */
  | { kind: 'finished'; masklet: Masklet }
  /** The lease ended (expired, or the masklet was taken back): the verdict cannot be sent. */
  | { kind: 'lost'; message: string };

export interface ReviewSession {
  phase: ReviewPhase;
  expiresAt: string;
  /** The last failure, in words (sending or renewing); cleared by the next success. */
  error: string | null;
}

export type ReviewAction =
  | { type: 'send' }
  | { type: 'sent'; masklet: Masklet }
  | { type: 'sendFailed'; message: string }
  | { type: 'renewed'; expiresAt: string }
  | { type: 'renewFailed'; message: string }
  | { type: 'lost'; message: string }
  | { type: 'noMore' };

export function startReview(assignment: Pick<ReviewAssignment, 'expires_at'>): ReviewSession {
  return { phase: { kind: 'reviewing' }, expiresAt: assignment.expires_at, error: null };
}

/** Whether the verdict form may be used. */
export function canSend(session: ReviewSession): boolean {
  return session.phase.kind === 'reviewing';
}

/** Whether the lease still matters (renew it; release it when leaving). */
export function holdsLease(session: ReviewSession): boolean {
  return session.phase.kind === 'reviewing' || session.phase.kind === 'sending';
}

export function reviewReducer(state: ReviewSession, action: ReviewAction): ReviewSession {
  switch (action.type) {
    case 'send':
      return state.phase.kind === 'reviewing' ? { ...state, phase: { kind: 'sending' }, error: null } : state;
    case 'sent':
      return state.phase.kind === 'sending'
        ? { ...state, phase: { kind: 'advancing', masklet: action.masklet }, error: null }
        : state;
    case 'sendFailed':
      return state.phase.kind === 'sending' ? { ...state, phase: { kind: 'reviewing' }, error: action.message } : state;
    case 'renewed':
      return holdsLease(state) ? { ...state, expiresAt: action.expiresAt, error: null } : state;
    case 'renewFailed':
      return holdsLease(state) ? { ...state, error: action.message } : state;
    case 'lost':
      return holdsLease(state) ? { ...state, phase: { kind: 'lost', message: action.message }, error: null } : state;
    case 'noMore':
      return state.phase.kind === 'advancing'
        ? { ...state, phase: { kind: 'finished', masklet: state.phase.masklet } }
        : state;
  }
}
