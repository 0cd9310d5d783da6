/**
 * Review workflow endpoints (backend/reviews): submitting a masklet, its history, verdicts and
 * pinned comments, the verification queue with its leases, and the manager's override.
 * Hand-written types from the review contract (see api/auth.ts).
 */
import type { UserRef } from './projects';
import { apiRequest, apiUrl, csrfToken, type Page } from './client';
import type { Masklet, MaskletStatus } from './masklets';

export type Verdict = 'satisfactory' | 'unsatisfactory';
export type AssignmentStatus = 'active' | 'done' | 'released' | 'expired';
/** What a manager may set a masklet's status to. */
export type OverrideStatus = 'accepted' | 'rejected' | 'draft';

export interface StatusChange {
  id: number;
  from_status: MaskletStatus | '';
  to_status: MaskletStatus;
  /** submitted, resubmitted, reworked, accepted, rejected, override... */
  action: string;
  actor: UserRef | null;
  comment: string;
  override: boolean;
  created_at: string;
}

export interface Review {
  id: number;
  reviewer: UserRef | null;
  round: number;
  verdict: Verdict;
  comment: string;
  created_at: string;
}

export interface ReviewComment {
  id: number;
  author: UserRef | null;
  /** The verdict it came with; null for a comment on its own. */
  review: number | null;
  frame_index: number;
  /** Normalised frame coordinates of the pin, or null for a comment on the whole frame. */
  x: number | null;
  y: number | null;
  text: string;
  resolved: boolean;
  created_at: string;
}

export interface AssignmentVideo {
  id: number;
  name: string;
  width: number;
  height: number;
  frame_count: number;
  fps: number;
}

/** One masklet handed to one reviewer for a while (the lease ends at `expires_at`). */
export interface ReviewAssignment {
  id: number;
  masklet: Masklet;
  video: AssignmentVideo;
  round: number;
  expires_at: string;
}

export interface ReviewQueue {
  /** Submitted masklets nobody is verifying. */
  waiting: number;
  /** Submitted masklets someone is verifying now. */
  in_review: number;
  my_assignment: ReviewAssignment | null;
}

/** A comment pinned to a point of a frame, as sent with a verdict. */
export interface PinnedCommentInput {
  frame_index: number;
  x: number | null;
  y: number | null;
  text: string;
}

export interface VerdictInput {
  verdict: Verdict;
  comment: string;
  comments: PinnedCommentInput[];
}

/** A masklet in the project-wide list: the masklet and its video's name. */
export interface ProjectMasklet extends Masklet {
  video_name?: string;
  annotator?: UserRef | null;
}

/**
 * The list endpoints answer a plain array; should one answer a page instead, every page is read.
 */
async function readList<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const first = await apiRequest<T[] | Page<T>>(path, { signal });
  if (Array.isArray(first)) return first;
  const items = [...first.results];
  for (let page = 2, next = first.next; next !== null && items.length < first.count; page += 1) {
    const data = await apiRequest<Page<T>>(path, { query: { page }, signal });
    if (data.results.length === 0) break;
    items.push(...data.results);
    next = data.next;
  }
  return items;
}

/** Send the masklet for review at the version the annotator is looking at (409 when stale). */
export function submitMasklet(maskletId: number, version: number): Promise<Masklet> {
  return apiRequest<Masklet>(`masklets/${maskletId}/submit/`, { method: 'POST', body: { version } });
}

export function listHistory(maskletId: number, signal?: AbortSignal): Promise<StatusChange[]> {
  return readList<StatusChange>(`masklets/${maskletId}/history/`, signal);
}

export function listReviews(maskletId: number, signal?: AbortSignal): Promise<Review[]> {
  return readList<Review>(`masklets/${maskletId}/reviews/`, signal);
}

export function listComments(maskletId: number, signal?: AbortSignal): Promise<ReviewComment[]> {
  return readList<ReviewComment>(`masklets/${maskletId}/comments/`, signal);
}

export function resolveComment(maskletId: number, commentId: number): Promise<ReviewComment> {
  return apiRequest<ReviewComment>(`masklets/${maskletId}/comments/${commentId}/resolve/`, { method: 'POST' });
}

export function getReviewQueue(projectId: number, signal?: AbortSignal): Promise<ReviewQueue> {
  return apiRequest<ReviewQueue>(`projects/${projectId}/review-queue/`, { signal });
}

/** Claim the next masklet to verify (or get back the one already claimed); null when none waits. */
export async function claimNext(projectId: number): Promise<ReviewAssignment | null> {
  const assignment = await apiRequest<ReviewAssignment | undefined>(`projects/${projectId}/review-queue/next/`, {
    method: 'POST',
  });
  return assignment ?? null;
}

export function renewAssignment(assignmentId: number): Promise<ReviewAssignment> {
  return apiRequest<ReviewAssignment>(`review-assignments/${assignmentId}/renew/`, { method: 'POST' });
}

export function releaseAssignment(assignmentId: number): Promise<void> {
  return apiRequest<void>(`review-assignments/${assignmentId}/release/`, { method: 'POST' });
}

/**
 * Release while the page goes away (tab closed, reload): a keepalive request outlives the page,
 * which an ordinary fetch does not. Best effort; an unreleased lease expires on its own.
 */
export function releaseAssignmentOnUnload(assignmentId: number): void {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = csrfToken();
  if (token !== null) headers['X-CSRFToken'] = token;
  void fetch(apiUrl(`review-assignments/${assignmentId}/release/`), {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    keepalive: true,
  }).catch(() => undefined);
}

export function submitVerdict(
  assignmentId: number,
  input: VerdictInput,
): Promise<{ review: Review; masklet: Masklet }> {
  return apiRequest<{ review: Review; masklet: Masklet }>(`review-assignments/${assignmentId}/verdict/`, {
    method: 'POST',
    body: {
      verdict: input.verdict,
      comment: input.comment,
      comments: input.comments.map((c) => ({ frame_index: c.frame_index, x: c.x, y: c.y, text: c.text })),
    },
  });
}

export function overrideMasklet(
  maskletId: number,
  input: { status: OverrideStatus; reason: string },
): Promise<Masklet> {
  return apiRequest<Masklet>(`masklets/${maskletId}/override/`, { method: 'POST', body: { ...input } });
}

export function listProjectMasklets(
  projectId: number,
  query: { status?: MaskletStatus; annotator?: number; video?: number; page?: number; page_size?: number },
  signal?: AbortSignal,
): Promise<Page<ProjectMasklet>> {
  return apiRequest<Page<ProjectMasklet>>(`projects/${projectId}/masklets/`, { query, signal });
}

export const STATUS_LABELS: Record<MaskletStatus, string> = {
  draft: 'Draft',
  submitted: 'In review',
  accepted: 'Accepted',
  rejected: 'Rejected',
  reworked: 'Reworked',
};

export const ACTION_LABELS: Record<string, string> = {
  submitted: 'submitted for review',
  resubmitted: 'resubmitted for review',
  reworked: 'started fixing',
  accepted: 'accepted',
  rejected: 'rejected',
  reopened: 'reopened as a draft',
};
