/**
 * /projects/:projectId/review/:assignmentId — verifying one masklet: it plays over the video
 * (frames and mask, play/pause/step), the reviewer gives a verdict and pins comments to points of
 * frames. The lease on the masklet is renewed while the page is open and given back when the
 * reviewer leaves without a verdict; after a verdict the next masklet of the queue opens.
 *
 * This module holds the route and the loading states; the parts are in this folder:
 * useReviewData (what is loaded), ReviewGone (an assignment no longer the reviewer's),
 * ReviewScreen (the screen and the verdict), useReviewLease (renewal and release of the lease),
 * useReviewCanvas and ReviewViewer (the frames with the mask and pins, the player), VerdictCard
 * and EarlierComments (the side panels).
 */
import { useParams } from 'react-router';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { ReviewGone } from './ReviewGone';
import { ReviewScreen } from './ReviewScreen';
import { useReviewData } from './useReviewData';

export function ReviewPage() {
  const params = useParams();
  const projectId = parseId(params.projectId);
  const assignmentId = parseId(params.assignmentId);
  if (projectId === null || assignmentId === null) return <NotFoundPage />;
  return <ReviewLoader key={assignmentId} projectId={projectId} assignmentId={assignmentId} />;
}

function ReviewLoader({ projectId, assignmentId }: { projectId: number; assignmentId: number }) {
  const { state, reload } = useReviewData(projectId, assignmentId);
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
  if (state.data.kind === 'gone') return <ReviewGone project={state.data.project} assignmentId={assignmentId} />;
  return <ReviewScreen {...state.data} />;
}
