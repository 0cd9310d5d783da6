/**
 * The review side of the workspace, for the selected object: its status, "Submit for review",
 * the read-only notice while it is under review, the reviewers' comments (each one jumps to its
 * frame and shows its pin on the canvas), the verdicts and the history, and a manager's override.
 */
import { useCallback, useEffect, useMemo, useState, type RefObject } from 'react';
import { ApiError, describeError } from '../../api/client';
import { getMasklet, isMaskletEditable, type Masklet } from '../../api/masklets';
import type { ProjectRole } from '../../api/projects';
import {
  ACTION_LABELS,
  listComments,
  listHistory,
  listReviews,
  resolveComment,
  STATUS_LABELS,
  submitMasklet,
  type Review,
  type ReviewComment,
  type StatusChange,
} from '../../api/reviews';
import type { AnnotationCanvas } from '../../canvas/AnnotationCanvas';
import { formatWhen } from '../review/formatTime';
import { OverrideForm } from '../review/OverrideForm';
import { StatusBadge } from '../review/StatusBadge';
import { commentPinMarkers, lastRejection, numberComments, statusMessage } from './reviewComments';

interface ReviewData {
  comments: ReviewComment[];
  reviews: Review[];
  history: StatusChange[];
}

/** The frame on screen, and a way to hear when it changes. */
export interface FrameWatch {
  current: () => number;
  subscribe: (listener: () => void) => () => void;
}

type Load = { status: 'loading' } | { status: 'done'; data: ReviewData } | { status: 'error'; error: unknown };

export function ReviewPanel({
  masklet,
  role,
  userId,
  taskAssignee,
  framesWithMask,
  frame,
  canvas,
  onSeek,
  onMaskletChanged,
}: {
  masklet: Masklet | undefined;
  role: ProjectRole;
  userId: number;
  /** The user whose task the masklet belongs to (null: no task, so its creator). */
  taskAssignee: number | null;
  framesWithMask: number;
  /** The frame on screen (its pins are drawn), read without re-rendering the panel per frame. */
  frame: FrameWatch;
  canvas: RefObject<AnnotationCanvas | null>;
  onSeek: (frame: number) => void;
  onMaskletChanged: (masklet: Masklet) => void;
}) {
  if (masklet === undefined) return null;
  return (
    <MaskletReview
      key={masklet.id}
      masklet={masklet}
      role={role}
      userId={userId}
      taskAssignee={taskAssignee}
      framesWithMask={framesWithMask}
      frame={frame}
      canvas={canvas}
      onSeek={onSeek}
      onMaskletChanged={onMaskletChanged}
    />
  );
}

function MaskletReview({
  masklet,
  role,
  userId,
  taskAssignee,
  framesWithMask,
  frame,
  canvas,
  onSeek,
  onMaskletChanged,
}: {
  masklet: Masklet;
  role: ProjectRole;
  userId: number;
  taskAssignee: number | null;
  framesWithMask: number;
  /** The frame on screen (its pins are drawn), read without re-rendering the panel per frame. */
  frame: FrameWatch;
  canvas: RefObject<AnnotationCanvas | null>;
  onSeek: (frame: number) => void;
  onMaskletChanged: (masklet: Masklet) => void;
}) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const [active, setActive] = useState<number | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  // A sentence about the last submit, shown while the status is the one it produced.
  const [notice, setNotice] = useState<{ text: string; status: Masklet['status'] } | null>(null);
  const isManager = role === 'manager';
  const isAnnotator = taskAssignee === null ? role !== 'reviewer' : taskAssignee === userId;
  const editable = isMaskletEditable(masklet.status);
  const canSubmit = editable && (isManager || isAnnotator);

  // Comments, verdicts and history: again whenever the status or the round changes.
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    Promise.all([listComments(masklet.id, signal), listReviews(masklet.id, signal), listHistory(masklet.id, signal)])
      .then(([comments, reviews, history]) => {
        if (!signal.aborted) setLoad({ status: 'done', data: { comments, reviews, history } });
      })
      .catch((e: unknown) => {
        if (!signal.aborted) setLoad({ status: 'error', error: e });
      });
    return () => controller.abort();
  }, [masklet.id, masklet.status, masklet.review_round, generation]);

  const data = load.status === 'done' ? load.data : null;
  const numbered = useMemo(() => numberComments(data?.comments ?? []), [data]);
  const rejection = useMemo(() => lastRejection(data?.history ?? []), [data]);

  // The pins of the frame on screen.
  useEffect(() => {
    const place = () => canvas.current?.setPins(commentPinMarkers(numbered, frame.current(), active));
    place();
    return frame.subscribe(place);
  }, [canvas, numbered, frame, active]);
  useEffect(() => {
    const instance = canvas.current;
    return () => instance?.setPins([]);
  }, [canvas]);

  const submit = useCallback(
    (version: number) => {
      setSubmitting(true);
      setError(null);
      setConflict(null);
      setNotice(null);
      submitMasklet(masklet.id, version).then(
        (saved) => {
          setSubmitting(false);
          setNotice({
            text:
              saved.review_round && saved.review_round > 1
                ? `Resubmitted (round ${saved.review_round}): a reviewer will look at it again.`
                : 'Submitted: a reviewer will verify it.',
            status: saved.status,
          });
          onMaskletChanged(saved);
        },
        (e: unknown) => {
          setSubmitting(false);
          if (e instanceof ApiError && e.status === 409) setConflict(describeError(e));
          else setError(describeError(e));
        },
      );
    },
    [masklet.id, onMaskletChanged],
  );

  const reloadObject = useCallback(
    (thenSubmit: boolean) => {
      setConflict(null);
      getMasklet(masklet.id).then(
        (fresh) => {
          onMaskletChanged(fresh);
          if (thenSubmit) submit(fresh.version);
        },
        (e: unknown) => setError(describeError(e)),
      );
    },
    [masklet.id, onMaskletChanged, submit],
  );

  const resolve = (comment: ReviewComment) => {
    resolveComment(masklet.id, comment.id).then(
      (saved) =>
        setLoad((l) =>
          l.status === 'done'
            ? { ...l, data: { ...l.data, comments: l.data.comments.map((c) => (c.id === saved.id ? saved : c)) } }
            : l,
        ),
      (e: unknown) => setError(describeError(e)),
    );
  };

  const goTo = (comment: ReviewComment) => {
    setActive(comment.id);
    onSeek(comment.frame_index);
  };

  const message = statusMessage(masklet.status);
  const openCount = numbered.filter((n) => !n.comment.resolved).length;

  return (
    <div className="card review-panel" data-testid="review-panel" aria-label="Review">
      <div className="card-header">
        <h2>Review</h2>
        <StatusBadge status={masklet.status} />
      </div>
      <p className="muted review-object">
        {masklet.name || `Object ${masklet.id}`}
        {masklet.review_round ? ` · round ${masklet.review_round}` : ''}
      </p>
      {message && (
        <p className={editable ? 'review-message' : 'review-message is-locked'} data-testid="review-message">
          {message}
        </p>
      )}
      {rejection && (masklet.status === 'rejected' || masklet.status === 'reworked') && (
        <p className="review-rejection">
          Sent back by {rejection.actor?.username ?? 'someone'} on {formatWhen(rejection.created_at)}
          {rejection.comment ? `: “${rejection.comment}”` : '.'}
        </p>
      )}

      {canSubmit && (
        <div className="button-row">
          <button
            type="button"
            onClick={() => submit(masklet.version)}
            disabled={submitting || framesWithMask === 0}
            title={framesWithMask === 0 ? 'Draw a mask on at least one frame first' : undefined}
          >
            {submitting ? 'Submitting…' : masklet.review_round ? 'Resubmit for review' : 'Submit for review'}
          </button>
        </div>
      )}
      {canSubmit && framesWithMask === 0 && <p className="muted">Draw a mask on at least one frame to submit.</p>}
      {conflict && (
        <div className="banner banner-error" role="alert" data-testid="submit-conflict">
          {conflict} It was not submitted.{' '}
          <button type="button" onClick={() => reloadObject(false)}>
            Reload the object
          </button>{' '}
          <button type="button" className="button-secondary" onClick={() => reloadObject(true)}>
            Submit the newest version
          </button>
        </div>
      )}
      {error && (
        <p className="error-inline" role="alert">
          {error}
        </p>
      )}
      {notice && notice.status === masklet.status && (
        <p className="success" role="status">
          {notice.text}
        </p>
      )}

      {load.status === 'loading' && <p className="muted">Loading comments and history…</p>}
      {load.status === 'error' && (
        <p className="error-inline" role="alert">
          Could not load the review: {describeError(load.error)}{' '}
          <button type="button" className="button-secondary" onClick={() => setGeneration((g) => g + 1)}>
            Retry
          </button>
        </p>
      )}

      {numbered.length > 0 && (
        <section className="review-comments" aria-label="Reviewers' comments">
          <h3>
            Reviewers’ comments{' '}
            <span className="muted">
              ({openCount} open{numbered.length > openCount ? `, ${numbered.length - openCount} resolved` : ''})
            </span>
          </h3>
          <ol className="comment-list">
            {numbered.map(({ number, comment }) => (
              <li
                key={comment.id}
                className={`comment${comment.resolved ? ' is-resolved' : ''}${comment.id === active ? ' is-active' : ''}`}
                data-testid="review-comment"
              >
                <div className="comment-head">
                  <span className="pin-number" aria-hidden="true">
                    {number}
                  </span>
                  <span className="muted">
                    frame {comment.frame_index}
                    {comment.x === null ? ' (whole frame)' : ''} · {comment.author?.username ?? 'someone'}
                    {comment.resolved ? ' · resolved' : ''}
                  </span>
                </div>
                <p className="comment-text">{comment.text}</p>
                <div className="object-actions">
                  <button type="button" className="button-secondary" onClick={() => goTo(comment)}>
                    Go to frame {comment.frame_index}
                  </button>
                  {!comment.resolved && (isAnnotator || isManager) && (
                    <button type="button" className="button-secondary" onClick={() => resolve(comment)}>
                      Mark resolved
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ol>
        </section>
      )}

      {data && data.reviews.length > 0 && (
        <section aria-label="Verdicts">
          <h3>Verdicts</h3>
          <ul className="plain-list review-verdicts">
            {data.reviews.map((r) => (
              <li key={r.id}>
                <span className={`verdict verdict-${r.verdict}`}>
                  {r.verdict === 'satisfactory' ? 'Satisfactory' : 'Unsatisfactory'}
                </span>
                <span className="muted">
                  round {r.round} · {r.reviewer?.username ?? 'someone'} · {formatWhen(r.created_at)}
                  {r.comment ? ` · “${r.comment}”` : ''}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {data && data.history.length > 0 && (
        <details className="review-history">
          <summary>History ({data.history.length})</summary>
          <ol className="history-list" data-testid="review-history">
            {data.history.map((h) => (
              <li key={h.id}>
                <span className="muted">{formatWhen(h.created_at)}</span> {h.actor?.username ?? 'someone'}{' '}
                {ACTION_LABELS[h.action] ?? h.action}
                {h.override ? ' (manager override)' : ''}: {h.from_status ? `${STATUS_LABELS[h.from_status]} → ` : ''}
                {STATUS_LABELS[h.to_status] ?? h.to_status}
                {h.comment ? <span className="muted"> · “{h.comment}”</span> : null}
              </li>
            ))}
          </ol>
        </details>
      )}

      {isManager && (
        <details className="review-override">
          <summary>Override status (manager)</summary>
          <OverrideForm
            masklet={masklet}
            onDone={(saved) => {
              onMaskletChanged(saved);
              setGeneration((g) => g + 1);
            }}
          />
        </details>
      )}
    </div>
  );
}
