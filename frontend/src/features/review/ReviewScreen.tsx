/**
 * The review screen of one assignment: the state of the review (its phase and the lease) and of
 * the verdict being written, the viewer's keys, sending the verdict (then the next masklet of the
 * queue opens), the banners, and the layout of the viewer (ReviewViewer) and the side panels
 * (VerdictCard, EarlierComments).
 */
import { useMemo, useReducer, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, describeError } from '../../api/client';
import type { MaskletFrame } from '../../api/masklets';
import { claimNext, submitVerdict } from '../../api/reviews';
import { usePlaybackKeys } from '../../state/usePlaybackKeys';
import { EarlierComments } from './EarlierComments';
import { queuePath, reviewPath } from './paths';
import { canSend, reviewReducer, startReview } from './queueState';
import { draftProblem, draftReducer, EMPTY_DRAFT, toVerdictInput } from './reviewDraft';
import { ReviewViewer } from './ReviewViewer';
import { StatusBadge } from './StatusBadge';
import type { ReviewData } from './useReviewData';
import { useReviewCanvas } from './useReviewCanvas';
import { useReviewLease } from './useReviewLease';
import { VerdictCard } from './VerdictCard';

function firstFrameWithMask(frames: readonly MaskletFrame[]): number {
  let first: number | null = null;
  for (const f of frames) if (f.area > 0 && (first === null || f.frame_index < first)) first = f.frame_index;
  return first ?? frames[0]?.frame_index ?? 0;
}

export function ReviewScreen({ project, assignment, video, frames, comments }: ReviewData) {
  const navigate = useNavigate();
  const masklet = assignment.masklet;
  const [session, dispatch] = useReducer(reviewReducer, assignment, startReview);
  const [draft, dispatchDraft] = useReducer(draftReducer, EMPTY_DRAFT);
  const [showProblem, setShowProblem] = useState(false);
  const [initialFrame] = useState(() => firstFrameWithMask(frames));
  const lastFrame = video.frame_count - 1;
  const frameMap = useMemo(() => new Map(frames.map((f) => [f.frame_index, f])), [frames]);
  const earlier = useMemo(() => [...comments].sort((a, b) => a.frame_index - b.frame_index || a.id - b.id), [comments]);
  const phase = session.phase;
  const editable = canSend(session);

  const canvas = useReviewCanvas({
    video,
    masklet,
    initialFrame,
    frameMap,
    draft,
    earlier,
    editable,
    onPinPlaced: (frame, x, y) => dispatchDraft({ type: 'addPin', frame, x, y }),
  });
  const { canvasRef, seek } = canvas;

  // Keyboard: the viewer's keys.
  usePlaybackKeys({
    target: () => canvasRef.current?.player ?? null,
    lastFrame,
    goToFrame: () => document.getElementById('review-jump')?.focus(),
  });

  const lease = useReviewLease({
    projectId: project.id,
    assignmentId: assignment.id,
    session,
    dispatch,
  });

  // ---- the verdict ------------------------------------------------------------------------------

  const problem = draftProblem(draft);
  const send = () => {
    if (problem !== null) {
      setShowProblem(true);
      return;
    }
    setShowProblem(false);
    dispatch({ type: 'send' });
    submitVerdict(assignment.id, toVerdictInput(draft)).then(
      ({ masklet: judged }) => {
        dispatch({ type: 'sent', masklet: judged });
        claimNext(project.id).then(
          (next) => {
            if (next !== null) void navigate(reviewPath(project.id, next.id), { replace: true });
            else dispatch({ type: 'noMore' });
          },
          () => dispatch({ type: 'noMore' }),
        );
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 409) dispatch({ type: 'lost', message: describeError(e) });
        else dispatch({ type: 'sendFailed', message: describeError(e) });
      },
    );
  };

  return (
    <section className="page annotate-page review-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
        <Link to={queuePath(project.id)}>review</Link> / {video.name}
      </p>

      {phase.kind === 'lost' && (
        <div className="banner banner-error" role="alert" data-testid="lease-lost">
          Your hold on this masklet ended, so your verdict cannot be saved: {phase.message}{' '}
          <Link to={queuePath(project.id)}>Back to the queue</Link>
        </div>
      )}
      {session.error && phase.kind !== 'lost' && (
        <div className="banner banner-error" role="alert">
          {session.error}
        </div>
      )}
      {(phase.kind === 'advancing' || phase.kind === 'finished') && (
        <div className="banner banner-info" role="status" data-testid="verdict-saved">
          Verdict saved: {masklet.name || `object ${masklet.id}`} is now <StatusBadge status={phase.masklet.status} />.{' '}
          {phase.kind === 'advancing' ? (
            'Opening the next masklet…'
          ) : (
            <>
              Nothing else waits for verification right now. <Link to={queuePath(project.id)}>Back to the queue</Link>
            </>
          )}
        </div>
      )}

      <div className="annotate-layout">
        <ReviewViewer assignment={assignment} video={video} frames={frames} frameMap={frameMap} canvas={canvas} />

        <aside className="annotate-side">
          <VerdictCard
            draft={draft}
            dispatchDraft={dispatchDraft}
            session={session}
            lease={lease}
            frameSize={video}
            seek={seek}
            problem={showProblem ? problem : null}
            onSend={send}
          />
          <EarlierComments earlier={earlier} seek={seek} />
          <p className="muted">
            Reviewers do not edit masks: an unsatisfactory verdict sends the masklet back to its annotator with your
            comments. Press <kbd>?</kbd> for the player’s keys.
          </p>
        </aside>
      </div>
    </section>
  );
}
