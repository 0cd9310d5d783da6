import { useCallback, useEffect, useReducer, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { describeError } from '../../api/client';
import type { MaskletStatus } from '../../api/masklets';
import { getProject, type Project } from '../../api/projects';
import { claimNext, getReviewQueue, listProjectMasklets, STATUS_LABELS, type ProjectMasklet } from '../../api/reviews';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { formatWhen } from './formatTime';
import { OverrideForm } from './OverrideForm';
import { reviewPath, type QueueLocationState } from './paths';
import { describeQueue, queueOf, queueReducer } from './queueState';
import { StatusBadge } from './StatusBadge';
import { workspacePath } from '../annotate/workspaceUrl';

/** How often the counts are asked again while the page is open. */
const QUEUE_POLL_MS = 10_000;
const STATUS_FILTERS: readonly (MaskletStatus | '')[] = ['submitted', 'rejected', 'reworked', 'accepted', 'draft', ''];
const LIST_PAGE_SIZE = 50;

/** /projects/:projectId/review — the verification queue of a project. */
export function ReviewQueuePage() {
  const projectId = parseId(useParams().projectId);
  if (projectId === null) return <NotFoundPage />;
  return <QueueLoader key={projectId} projectId={projectId} />;
}

function QueueLoader({ projectId }: { projectId: number }) {
  const { state, reload } = useAsync((signal) => getProject(projectId, signal), [projectId]);
  useDocumentTitle(state.status === 'done' ? `Review · ${state.data.name}` : 'Review');
  if (state.status === 'loading') return <p className="page-status">Loading the review queue…</p>;
  if (state.status === 'error') {
    return (
      <section className="page">
        <ErrorMessage error={state.error} onRetry={reload} />
      </section>
    );
  }
  return <QueueView project={state.data} />;
}

function QueueView({ project }: { project: Project }) {
  const navigate = useNavigate();
  const location = useLocation();
  const notice = (location.state as QueueLocationState | null)?.notice ?? null;
  const [state, dispatch] = useReducer(queueReducer, { kind: 'loading' });
  const mayVerify = project.my_role === 'reviewer' || project.my_role === 'manager';

  const refresh = useCallback(
    (signal?: AbortSignal) =>
      getReviewQueue(project.id, signal).then(
        (queue) => dispatch({ type: 'loaded', queue }),
        (e: unknown) => {
          if (!signal?.aborted) dispatch({ type: 'failed', message: describeError(e) });
        },
      ),
    [project.id],
  );

  useEffect(() => {
    if (!mayVerify) return;
    const controller = new AbortController();
    void refresh(controller.signal);
    const timer = setInterval(() => void refresh(controller.signal), QUEUE_POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [mayVerify, refresh]);

  const start = () => {
    dispatch({ type: 'claim' });
    claimNext(project.id).then(
      (assignment) => {
        dispatch({ type: 'claimed', assignment });
        if (assignment !== null) void navigate(reviewPath(project.id, assignment.id));
      },
      (e: unknown) => dispatch({ type: 'failed', message: describeError(e) }),
    );
  };

  const queue = queueOf(state);
  const mine = queue?.my_assignment ?? null;

  return (
    <section className="page review-queue-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> / review
      </p>
      <div className="page-title">
        <h1>Review queue</h1>
      </div>

      {!mayVerify && (
        <p className="card">
          Verifying is for the project’s reviewers and managers; as an annotator you see the comments on your objects in
          the annotation workspace.
        </p>
      )}

      {mayVerify && (
        <section className="card queue-card" data-testid="review-queue" aria-label="Verification queue">
          {notice && (
            <p className="success" role="status">
              {notice}
            </p>
          )}
          {state.kind === 'loading' && <p className="muted">Loading…</p>}
          {queue && (
            <div className="queue-counts">
              <div>
                <span className="queue-number" data-testid="queue-waiting">
                  {queue.waiting}
                </span>
                <span className="muted">waiting</span>
              </div>
              <div>
                <span className="queue-number">{queue.in_review}</span>
                <span className="muted">being verified</span>
              </div>
            </div>
          )}
          {queue && <p className="muted">{describeQueue(queue)}</p>}
          {state.kind === 'empty' && (
            <p className="queue-empty" role="status" data-testid="queue-empty">
              Nothing to verify right now. Masklets you annotated yourself, or already judged in this round, are never
              given to you; new submissions appear here as annotators send them.
            </p>
          )}
          {state.kind === 'error' && <ErrorMessage error={state.message} onRetry={() => void refresh()} />}
          <div className="button-row">
            {mine ? (
              <button type="button" onClick={() => void navigate(reviewPath(project.id, mine.id))}>
                Continue verifying {mine.masklet.name || `object ${mine.masklet.id}`}
              </button>
            ) : (
              <button type="button" onClick={start} disabled={state.kind === 'claiming' || state.kind === 'loading'}>
                {state.kind === 'claiming' ? 'Finding the next masklet…' : 'Start verifying'}
              </button>
            )}
          </div>
        </section>
      )}

      <MaskletTable project={project} />
    </section>
  );
}

/** Masklets across the project by status, with a manager's override on each. */
function MaskletTable({ project }: { project: Project }) {
  const [status, setStatus] = useState<MaskletStatus | ''>('submitted');
  const [page, setPage] = useState(1);
  const [overriding, setOverriding] = useState<number | null>(null);
  const { state, reload } = useAsync(
    (signal) =>
      listProjectMasklets(project.id, { ...(status ? { status } : {}), page, page_size: LIST_PAGE_SIZE }, signal),
    [project.id, status, page],
  );
  const isManager = project.my_role === 'manager';
  const pages = state.status === 'done' ? Math.max(1, Math.ceil(state.data.count / LIST_PAGE_SIZE)) : 1;

  return (
    <section className="card" aria-label="Masklets">
      <div className="card-header">
        <h2>{project.my_role === 'annotator' ? 'Your masklets' : 'Masklets'}</h2>
        <label className="inline-label">
          Status{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as MaskletStatus | '');
              setPage(1);
            }}
          >
            {STATUS_FILTERS.map((s) => (
              <option key={s || 'all'} value={s}>
                {s ? STATUS_LABELS[s] : 'All'}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.status === 'loading' && <p className="muted">Loading…</p>}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && state.data.results.length === 0 && (
        <p className="muted">No masklet {status ? `is ${STATUS_LABELS[status].toLowerCase()}` : 'yet'}.</p>
      )}
      {state.status === 'done' && state.data.results.length > 0 && (
        <table className="data-table compact masklet-table">
          <thead>
            <tr>
              <th>Object</th>
              <th>Video</th>
              <th>Annotator</th>
              <th>Status</th>
              <th>Round</th>
              <th>Submitted</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {state.data.results.map((m) => (
              <MaskletRow
                key={m.id}
                masklet={m}
                isManager={isManager}
                overriding={overriding === m.id}
                onOverride={() => setOverriding((o) => (o === m.id ? null : m.id))}
                onOverridden={() => {
                  setOverriding(null);
                  reload();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <div className="button-row">
          <button type="button" className="button-secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span className="muted">
            Page {page} of {pages}
          </span>
          <button type="button" className="button-secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </div>
      )}
    </section>
  );
}

function MaskletRow({
  masklet: m,
  isManager,
  overriding,
  onOverride,
  onOverridden,
}: {
  masklet: ProjectMasklet;
  isManager: boolean;
  overriding: boolean;
  onOverride: () => void;
  onOverridden: () => void;
}) {
  return (
    <>
      <tr>
        <td>
          <span className="swatch" style={{ background: m.color }} aria-hidden="true" /> {m.name || `Object ${m.id}`}
        </td>
        <td>{m.video_name ?? `Video ${m.video}`}</td>
        <td>{m.annotator?.username ?? <span className="muted">—</span>}</td>
        <td>
          <StatusBadge status={m.status} />
        </td>
        <td>{m.review_round ?? 0}</td>
        <td>{m.submitted_at ? formatWhen(m.submitted_at) : <span className="muted">—</span>}</td>
        <td className="row-actions">
          <Link to={workspacePath(m.video, { masklet: m.id })} title="Open this object in the annotation workspace">
            Open
          </Link>
          {isManager && (
            <button type="button" className="button-secondary" onClick={onOverride} aria-expanded={overriding}>
              Override
            </button>
          )}
        </td>
      </tr>
      {overriding && (
        <tr>
          <td colSpan={7}>
            <OverrideForm masklet={m} onDone={onOverridden} />
          </td>
        </tr>
      )}
    </>
  );
}
