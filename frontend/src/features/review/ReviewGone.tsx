/**
 * The review screen when the assignment in the URL is not (or no longer) this reviewer's: a way
 * to the next masklet, taken at once when this tab itself gave the masklet back as its previous
 * page went away (a reload).
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError } from '../../api/client';
import type { Project } from '../../api/projects';
import { claimNext } from '../../api/reviews';
import { queuePath, reviewPath, type QueueLocationState } from './paths';
import { releasedByThisTab } from './useReviewLease';

export function ReviewGone({ project, assignmentId }: { project: Project; assignmentId: number }) {
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
