/**
 * /projects/:projectId/review/:assignmentId — verifying one masklet: it plays over the video
 * (frames and mask, play/pause/step), the reviewer gives a verdict and pins comments to points of
 * frames. The lease on the masklet is renewed while the page is open and given back when the
 * reviewer leaves without a verdict; after a verdict the next masklet of the queue opens.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, describeError } from '../../api/client';
import { listMaskletFrames, type MaskletFrame } from '../../api/masklets';
import { getProject, type Project } from '../../api/projects';
import {
  claimNext,
  getReviewQueue,
  listComments,
  releaseAssignment,
  releaseAssignmentOnUnload,
  renewAssignment,
  submitVerdict,
  type ReviewAssignment,
  type ReviewComment,
} from '../../api/reviews';
import { getVideo, isReady, type ReadyVideo } from '../../api/videos';
import { AnnotationCanvas, type OverlayObject } from '../../canvas/AnnotationCanvas';
import { initialPlayerState, type PlayerState } from '../../canvas/FramePlayer';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { belongsToControl, BIG_STEP, isModalOpen, matchShortcut, VIEWER_SHORTCUTS } from '../../ui/shortcuts';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseFrameInput } from '../../lib/frames';
import { ObjectTimeline } from '../annotate/ObjectTimeline';
import { parseId } from '../routeParams';
import { formatTimeLeft, formatWhen } from './formatTime';
import { canSend, holdsLease, reviewReducer, startReview } from './queueState';
import { queuePath, reviewPath, type QueueLocationState } from './paths';
import {
  draftPinMarkers,
  earlierLetter,
  earlierPinMarkers,
  draftProblem,
  draftReducer,
  EMPTY_DRAFT,
  pinPixels,
  renewDelayMs,
  toVerdictInput,
} from './reviewDraft';
import { StatusBadge } from './StatusBadge';
import { FrameStage } from '../../ui/FrameStage';
import { PlaybackControls, keepFocus } from '../../ui/PlaybackControls';

/** Releases asked for by screens that unmounted; a remount of the same review (React's strict
 * mode in development) cancels it before it goes out. */
const pendingReleases = new Map<number, ReturnType<typeof setTimeout>>();
const RELEASE_GRACE_MS = 50;
/** Retry of a renewal that failed for want of a connection. */
const RENEW_RETRY_MS = 5_000;
/** sessionStorage key: the assignment this tab gave back as its page went away (a reload, mostly). */
const UNLOAD_RELEASE_KEY = 'review.releasedOnUnload';

/** Whether this tab itself released `assignmentId` when its previous page went away; forgets it. */
function releasedByThisTab(assignmentId: number): boolean {
  try {
    const mine = sessionStorage.getItem(UNLOAD_RELEASE_KEY) === String(assignmentId);
    sessionStorage.removeItem(UNLOAD_RELEASE_KEY);
    return mine;
  } catch {
    return false; // storage disabled
  }
}

export function ReviewPage() {
  const params = useParams();
  const projectId = parseId(params.projectId);
  const assignmentId = parseId(params.assignmentId);
  if (projectId === null || assignmentId === null) return <NotFoundPage />;
  return <ReviewLoader key={assignmentId} projectId={projectId} assignmentId={assignmentId} />;
}

type Loaded =
  | { kind: 'gone'; project: Project }
  | {
      kind: 'ok';
      project: Project;
      assignment: ReviewAssignment;
      video: ReadyVideo;
      frames: MaskletFrame[];
      comments: ReviewComment[];
    };

function ReviewLoader({ projectId, assignmentId }: { projectId: number; assignmentId: number }) {
  const { state, reload } = useAsync(
    async (signal): Promise<Loaded | string> => {
      const [project, queue] = await Promise.all([getProject(projectId, signal), getReviewQueue(projectId, signal)]);
      const assignment = queue.my_assignment;
      if (assignment === null || assignment.id !== assignmentId) return { kind: 'gone', project };
      const [video, frames, comments] = await Promise.all([
        getVideo(assignment.video.id, signal),
        listMaskletFrames(assignment.masklet.id, {}, signal),
        listComments(assignment.masklet.id, signal),
      ]);
      if (!isReady(video)) return `${video.name} has no frames to show (${video.status}).`;
      return { kind: 'ok', project, assignment, video, frames, comments };
    },
    [projectId, assignmentId],
  );
  useDocumentTitle(
    state.status === 'done' && typeof state.data !== 'string' && state.data.kind === 'ok'
      ? `Verify ${state.data.assignment.masklet.name || `object ${state.data.assignment.masklet.id}`}`
      : 'Verify',
  );
  if (state.status === 'loading') return <p className="page-status">Loading the masklet to verify…</p>;
  if (state.status === 'error') {
    return (
      <section className="page">
        <ErrorMessage error={state.error} onRetry={reload} />
      </section>
    );
  }
  if (typeof state.data === 'string') {
    return (
      <section className="page">
        <ErrorMessage error={state.data} onRetry={reload} />
      </section>
    );
  }
  if (state.data.kind === 'gone') return <Gone project={state.data.project} assignmentId={assignmentId} />;
  return <ReviewScreen {...state.data} />;
}

/** The assignment in the URL is not (or no longer) this reviewer's. */
function Gone({ project, assignmentId }: { project: Project; assignmentId: number }) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  // A reload gave the masklet back on the way out: take the next one (most likely the same) at once.
  const [reloaded] = useState(() => releasedByThisTab(assignmentId));
  const [busy, setBusy] = useState(reloaded);
  const claim = useCallback(() => {
    claimNext(project.id).then(
      (assignment) => {
        setBusy(false);
        if (assignment) void navigate(reviewPath(project.id, assignment.id), { replace: true });
        else
          void navigate(queuePath(project.id), {
            replace: true,
            state: { notice: 'Nothing else waits for verification right now.' } satisfies QueueLocationState,
          });
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  }, [navigate, project.id]);
  useEffect(() => {
    if (reloaded) claim();
  }, [reloaded, claim]);
  const next = () => {
    setBusy(true);
    claim();
  };
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
        <Link to={queuePath(project.id)}>review</Link>
      </p>
      <div className="card form-stack">
        <p>
          This verification is no longer yours: it was finished, given back, or its time ran out, and the masklet went
          back to the queue.
        </p>
        <div className="form-actions">
          <button type="button" onClick={next} disabled={busy}>
            Verify the next masklet
          </button>
          <Link to={queuePath(project.id)}>Back to the queue</Link>
        </div>
        {error && (
          <p className="error-inline" role="alert">
            {error}
          </p>
        )}
      </div>
    </section>
  );
}

function firstFrameWithMask(frames: readonly MaskletFrame[]): number {
  let first: number | null = null;
  for (const f of frames) if (f.area > 0 && (first === null || f.frame_index < first)) first = f.frame_index;
  return first ?? frames[0]?.frame_index ?? 0;
}

function ReviewScreen({
  project,
  assignment,
  video,
  frames,
  comments,
}: {
  project: Project;
  assignment: ReviewAssignment;
  video: ReadyVideo;
  frames: MaskletFrame[];
  comments: ReviewComment[];
}) {
  const navigate = useNavigate();
  const masklet = assignment.masklet;
  const [session, dispatch] = useReducer(reviewReducer, assignment, startReview);
  const [draft, dispatchDraft] = useReducer(draftReducer, EMPTY_DRAFT);
  const [showProblem, setShowProblem] = useState(false);
  const [opacity, setOpacity] = useState(0.55);
  const [maskVisible, setMaskVisible] = useState(true);
  const [now, setNow] = useState(() => Date.now());
  const [initialFrame] = useState(() => firstFrameWithMask(frames));
  const [player, setPlayer] = useState<PlayerState>(() => initialPlayerState(initialFrame));
  const frameCanvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const canvasRef = useRef<AnnotationCanvas | null>(null);
  const lastFrame = video.frame_count - 1;
  const frameMap = useMemo(() => new Map(frames.map((f) => [f.frame_index, f])), [frames]);
  const earlier = useMemo(() => [...comments].sort((a, b) => a.frame_index - b.frame_index || a.id - b.id), [comments]);

  // The canvas: frames and this one mask; clicks place pins.
  useEffect(() => {
    const frameCanvas = frameCanvasRef.current;
    const overlay = overlayRef.current;
    if (frameCanvas === null || overlay === null) return;
    const instance = new AnnotationCanvas({
      frameCanvas,
      overlayCanvas: overlay,
      video,
      initialFrame,
      onPlayerState: setPlayer,
      onEvent: (event) => {
        if (event.type === 'pinPlaced') {
          instance.player.pause();
          dispatchDraft({ type: 'addPin', frame: event.frame, x: event.x, y: event.y });
        }
      },
    });
    instance.setPointerMode('pin');
    instance.setSelected(masklet.id);
    canvasRef.current = instance;
    (window as unknown as { sam2Review?: unknown }).sam2Review = {
      stats: () => ({ ...instance.stats, masksReady: instance.masksReady, frame: instance.currentFrame }),
    };
    return () => {
      instance.dispose();
      canvasRef.current = null;
      delete (window as unknown as { sam2Review?: unknown }).sam2Review;
    };
    // One canvas per review; `initialFrame` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [video, masklet.id]);

  const objects: OverlayObject[] = useMemo(
    () => [{ id: masklet.id, color: masklet.color, visible: maskVisible, masks: frameMap }],
    [masklet.id, masklet.color, maskVisible, frameMap],
  );
  useEffect(() => canvasRef.current?.setObjects(objects), [objects]);
  useEffect(() => canvasRef.current?.setOpacity(opacity), [opacity]);
  useEffect(
    () =>
      canvasRef.current?.setPins([
        ...earlierPinMarkers(earlier, player.frame),
        ...draftPinMarkers(draft, player.frame),
      ]),
    [draft, earlier, player.frame],
  );

  const seek = useCallback((frame: number) => {
    canvasRef.current?.player.pause();
    canvasRef.current?.player.seek(frame);
  }, []);

  // Keyboard: the viewer's keys.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const p = canvasRef.current?.player;
      if (!p || isModalOpen() || belongsToControl(event.target, event.key)) return;
      const shortcut = matchShortcut(event, VIEWER_SHORTCUTS);
      if (shortcut === undefined) return;
      event.preventDefault();
      switch (shortcut.id) {
        case 'togglePlay':
          p.toggle();
          break;
        case 'prevFrame':
          p.step(-1);
          break;
        case 'nextFrame':
          p.step(1);
          break;
        case 'back10':
          p.step(-BIG_STEP);
          break;
        case 'forward10':
          p.step(BIG_STEP);
          break;
        case 'firstFrame':
          p.pause();
          p.seek(0);
          break;
        case 'lastFrame':
          p.pause();
          p.seek(lastFrame);
          break;
        case 'goToFrame':
          document.getElementById('review-jump')?.focus();
          break;
        default:
          break;
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [lastFrame]);

  // ---- the lease ------------------------------------------------------------------------------

  const holding = holdsLease(session);
  const holdingRef = useRef(holding);
  useLayoutEffect(() => {
    holdingRef.current = holding;
  }, [holding]);
  /** Given back by "Skip": nothing left to release when the screen goes. */
  const givenBack = useRef(false);
  const [skipping, setSkipping] = useState(false);
  const [renewAttempt, setRenewAttempt] = useState(0);
  useEffect(() => {
    if (!holding) return;
    const delay = Math.max(renewAttempt > 0 ? RENEW_RETRY_MS : 0, renewDelayMs(session.expiresAt, Date.now()));
    const timer = setTimeout(() => {
      renewAssignment(assignment.id).then(
        (renewed) => {
          setRenewAttempt(0);
          dispatch({ type: 'renewed', expiresAt: renewed.expires_at });
        },
        (e: unknown) => {
          if (e instanceof ApiError && !e.isNetworkError && e.status < 500) {
            dispatch({ type: 'lost', message: describeError(e) });
          } else {
            dispatch({
              type: 'renewFailed',
              message: `Could not renew your hold on this masklet: ${describeError(e)}`,
            });
            setRenewAttempt((a) => a + 1);
          }
        },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [assignment.id, holding, session.expiresAt, renewAttempt]);

  // The time left, in words.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);

  // Leaving without a verdict gives the masklet back: in the app (unmount) and when the tab goes.
  useEffect(() => {
    const id = assignment.id;
    const pending = pendingReleases.get(id);
    if (pending !== undefined) {
      clearTimeout(pending);
      pendingReleases.delete(id);
    }
    const onPageHide = () => {
      if (!holdingRef.current || givenBack.current) return;
      releaseAssignmentOnUnload(id);
      try {
        sessionStorage.setItem(UNLOAD_RELEASE_KEY, String(id));
      } catch {
        // storage disabled: a reload then shows "no longer yours" with a button instead
      }
    };
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      if (!holdingRef.current || givenBack.current) return;
      pendingReleases.set(
        id,
        setTimeout(() => {
          pendingReleases.delete(id);
          releaseAssignment(id).catch(() => undefined); // it expires on its own otherwise
        }, RELEASE_GRACE_MS),
      );
    };
  }, [assignment.id]);

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

  const skip = () => {
    // Released before leaving, so that the queue page already counts it as waiting.
    givenBack.current = true;
    setSkipping(true);
    releaseAssignment(assignment.id)
      .catch(() => undefined) // the lease then ends on its own
      .finally(() => void navigate(queuePath(project.id)));
  };

  const phase = session.phase;
  const editable = canSend(session);
  // Pins only while the verdict can still be written.
  useEffect(() => canvasRef.current?.setPointerMode(editable ? 'pin' : 'none'), [editable]);

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
        <div className="annotate-main">
          <div className="viewer-title">
            <h1>{masklet.name || `Object ${masklet.id}`}</h1>
            <span className="muted">
              {video.name} · round {assignment.round} · {frames.length} {frames.length === 1 ? 'frame' : 'frames'} with
              a mask
            </span>
          </div>
          <FrameStage
            className="annotate-stage review-stage"
            frameCanvasRef={frameCanvasRef}
            overlayRef={overlayRef}
            videoName={video.name}
            overlayLabel="The mask under review (click to pin a comment)"
            player={player}
            onRetry={() => canvasRef.current?.player.retry()}
          />
          <PlaybackControls
            frame={player.frame}
            frameCount={video.frame_count}
            fps={video.fps}
            playing={player.playing}
            onSeek={(frame) => canvasRef.current?.player.seek(frame)}
            onStep={(delta) => canvasRef.current?.player.step(delta)}
            onToggle={() => canvasRef.current?.player.toggle()}
          >
            <form
              className="jump-form"
              onSubmit={(e) => {
                e.preventDefault();
                const input = e.currentTarget.elements.namedItem('frame') as HTMLInputElement;
                const parsed = parseFrameInput(input.value, lastFrame + 1);
                if (parsed.ok) seek(parsed.index);
                input.blur();
              }}
            >
              <label>
                Go to frame{' '}
                <input id="review-jump" name="frame" inputMode="numeric" size={5} placeholder={`0–${lastFrame}`} />
              </label>
            </form>
            <button
              type="button"
              className="button-secondary"
              onMouseDown={keepFocus}
              onClick={() => setMaskVisible((v) => !v)}
            >
              {maskVisible ? 'Hide mask' : 'Show mask'}
            </button>
            <label className="inline-label">
              Opacity{' '}
              <input
                type="range"
                min={0}
                max={100}
                value={Math.round(opacity * 100)}
                onChange={(e) => setOpacity(Number(e.target.value) / 100)}
                aria-label="Mask opacity"
              />
            </label>
          </PlaybackControls>
          <div className="card timeline" aria-label="Timeline">
            <ObjectTimeline
              name={masklet.name || `Object ${masklet.id}`}
              color={masklet.color}
              frameCount={video.frame_count}
              frames={frameMap}
              prompts={undefined}
              currentFrame={player.frame}
              onSeek={seek}
            />
          </div>
        </div>

        <aside className="annotate-side">
          <div className="card verdict-card" aria-label="Verdict">
            <div className="card-header">
              <h2>Verdict</h2>
              <span className="muted" title={`Held until ${formatWhen(session.expiresAt)}`}>
                {holding ? `held for you: ${formatTimeLeft(session.expiresAt, now)}` : ''}
              </span>
            </div>
            <div className="verdict-choice" role="radiogroup" aria-label="Verdict">
              <button
                type="button"
                role="radio"
                aria-checked={draft.verdict === 'satisfactory'}
                className={`verdict-button verdict-satisfactory${draft.verdict === 'satisfactory' ? ' is-active' : ''}`}
                onClick={() => dispatchDraft({ type: 'verdict', verdict: 'satisfactory' })}
                disabled={!editable}
              >
                Satisfactory
              </button>
              <button
                type="button"
                role="radio"
                aria-checked={draft.verdict === 'unsatisfactory'}
                className={`verdict-button verdict-unsatisfactory${draft.verdict === 'unsatisfactory' ? ' is-active' : ''}`}
                onClick={() => dispatchDraft({ type: 'verdict', verdict: 'unsatisfactory' })}
                disabled={!editable}
              >
                Unsatisfactory
              </button>
            </div>

            <h3>Pinned comments</h3>
            <p className="muted">Click on the frame where the mask is wrong to pin a comment there.</p>
            {draft.pins.length > 0 && (
              <ol className="comment-list" data-testid="draft-pins">
                {draft.pins.map((pin, i) => {
                  const px = pinPixels(pin, video.width, video.height);
                  return (
                    <li key={pin.key} className={`comment${pin.key === draft.activePin ? ' is-active' : ''}`}>
                      <div className="comment-head">
                        <span className="pin-number" aria-hidden="true">
                          {i + 1}
                        </span>
                        <span className="muted">
                          frame {pin.frame} · x {px.x}, y {px.y}
                        </span>
                      </div>
                      <textarea
                        aria-label={`Comment at pin ${i + 1}`}
                        rows={2}
                        maxLength={2000}
                        value={pin.text}
                        autoFocus={pin.key === draft.activePin}
                        disabled={!editable}
                        onFocus={() => dispatchDraft({ type: 'activate', key: pin.key })}
                        onChange={(e) => dispatchDraft({ type: 'pinText', key: pin.key, text: e.target.value })}
                        placeholder="What is wrong here?"
                      />
                      <div className="object-actions">
                        <button
                          type="button"
                          className="button-secondary"
                          onClick={() => {
                            dispatchDraft({ type: 'activate', key: pin.key });
                            seek(pin.frame);
                          }}
                        >
                          Go to frame {pin.frame}
                        </button>
                        <button
                          type="button"
                          className="button-secondary button-danger"
                          onClick={() => dispatchDraft({ type: 'removePin', key: pin.key })}
                          disabled={!editable}
                        >
                          Remove
                        </button>
                      </div>
                    </li>
                  );
                })}
              </ol>
            )}

            <label className="form-stack verdict-comment">
              Overall comment
              <textarea
                name="comment"
                rows={3}
                maxLength={5000}
                value={draft.comment}
                disabled={!editable}
                onChange={(e) => dispatchDraft({ type: 'comment', text: e.target.value })}
                placeholder={draft.verdict === 'unsatisfactory' ? 'What must be fixed' : 'Optional'}
              />
            </label>
            {showProblem && problem && (
              <p className="error-inline" role="alert">
                {problem}
              </p>
            )}
            <div className="button-row">
              <button type="button" onClick={send} disabled={!editable || skipping} data-testid="send-verdict">
                {phase.kind === 'sending' ? 'Sending…' : 'Send verdict'}
              </button>
              {holding && (
                <button
                  type="button"
                  className="button-secondary"
                  onClick={skip}
                  disabled={phase.kind === 'sending' || skipping}
                >
                  Skip (give it back)
                </button>
              )}
            </div>
          </div>

          {earlier.length > 0 && (
            <div className="card" aria-label="Earlier comments">
              <h2>Earlier comments</h2>
              <ol className="comment-list">
                {earlier.map((c, i) => (
                  <li key={c.id} className={`comment${c.resolved ? ' is-resolved' : ''}`}>
                    <div className="comment-head">
                      {c.x !== null && (
                        <span className="pin-number" aria-hidden="true">
                          {earlierLetter(i)}
                        </span>
                      )}
                      <span className="muted">
                        frame {c.frame_index} · {c.author?.username ?? 'someone'} · {formatWhen(c.created_at)}
                        {c.resolved ? ' · resolved' : ''}
                      </span>
                    </div>
                    <p className="comment-text">{c.text}</p>
                    <button type="button" className="button-secondary" onClick={() => seek(c.frame_index)}>
                      Go to frame {c.frame_index}
                    </button>
                  </li>
                ))}
              </ol>
            </div>
          )}
          <p className="muted">
            Reviewers do not edit masks: an unsatisfactory verdict sends the masklet back to its annotator with your
            comments. Press <kbd>?</kbd> for the player’s keys.
          </p>
        </aside>
      </div>
    </section>
  );
}
