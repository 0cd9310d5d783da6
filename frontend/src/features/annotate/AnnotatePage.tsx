import { useParams } from 'react-router';
import { getProject, listLabels, listTasks } from '../../api/projects';
import { getVideo, isReady } from '../../api/videos';
import { useSession } from '../../state/session';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { Workspace, type WorkspaceContext } from './Workspace';

/** /videos/:videoId/annotate?frame=N&masklet=ID — the annotation workspace (both optional). */
export function AnnotatePage() {
  const videoId = parseId(useParams().videoId);
  if (videoId === null) return <NotFoundPage />;
  return <AnnotateLoader key={videoId} videoId={videoId} />;
}

/** The video, its project, the project's labels and tasks: four requests, whatever the video holds. */
function AnnotateLoader({ videoId }: { videoId: number }) {
  const { state, reload } = useAsync(
    async (signal): Promise<WorkspaceContext | string> => {
      const video = await getVideo(videoId, signal);
      if (!isReady(video)) return `${video.name} is not ready to annotate yet (${video.status}).`;
      const [project, labels, tasks] = await Promise.all([
        getProject(video.project, signal),
        listLabels(video.project, signal),
        listTasks(video.project, signal),
      ]);
      return { video, project, labels, tasks: tasks.filter((t) => t.video === video.id) };
    },
    [videoId],
  );
  const session = useSession().state;
  useDocumentTitle(
    state.status === 'done' && typeof state.data !== 'string' ? `Annotate ${state.data.video.name}` : 'Annotate',
  );
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  if (state.status === 'loading' || session.status !== 'authenticated')
    return <p className="page-status">Loading workspace…</p>;
  if (typeof state.data === 'string') return <ErrorMessage error={state.data} onRetry={reload} />;
  return <Workspace context={state.data} userId={session.user.id} username={session.user.username} />;
}
