import { useCallback, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { getProject } from '../../api/projects';
import { getVideo, isIngesting, isReady } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { ProgressBar } from '../../ui/ProgressBar';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { AutomaskPanel } from '../automask/AutomaskPanel';
import { videoStatusLabel } from '../projects/format';
import { POLL_INTERVAL_MS } from '../projects/usePolledVideos';
import { parseId } from '../routeParams';
import { FrameViewer } from './FrameViewer';

/** /videos/:videoId?frame=N — the frame viewer; `frame` makes a frame linkable (reviews, bug reports). */
export function VideoViewerPage() {
  const videoId = parseId(useParams().videoId);
  if (videoId === null) return <NotFoundPage />;
  return <VideoView key={videoId} videoId={videoId} />;
}

function VideoView({ videoId }: { videoId: number }) {
  const { state, reload } = useAsync((signal) => getVideo(videoId, signal), [videoId]);
  const video = state.status === 'done' ? state.data : null;
  const project = useAsync(
    (signal) => (video ? getProject(video.project, signal) : Promise.resolve(null)),
    [video?.project],
  ).state;
  useDocumentTitle(video?.name ?? 'Video');

  // Opened while still ingesting: check again until the frames exist.
  useEffect(() => {
    if (!video || !isIngesting(video)) return;
    const timer = setTimeout(reload, POLL_INTERVAL_MS);
    return () => clearTimeout(timer);
  }, [video, reload]);

  const [searchParams, setSearchParams] = useSearchParams();
  // Read once: afterwards the player owns the frame and only writes it back to the URL.
  const [initialFrame] = useState(() => Number(searchParams.get('frame') ?? 0) || 0);
  const onFrameSettled = useCallback(
    (frame: number) => setSearchParams({ frame: String(frame) }, { replace: true, preventScrollReset: true }),
    [setSearchParams],
  );

  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  if (video === null) return <p className="page-status">Loading video…</p>;

  return (
    <section className="page viewer-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> /{' '}
        <Link to={`/projects/${video.project}`}>
          {project.status === 'done' && project.data ? project.data.name : 'Project'}
        </Link>{' '}
        / {video.name}
        {isReady(video) && (
          <>
            {' '}
            · <Link to={`/videos/${video.id}/annotate`}>Annotate this video</Link>
          </>
        )}
      </p>
      {isReady(video) ? (
        <>
          <FrameViewer video={video} initialFrame={initialFrame} onFrameSettled={onFrameSettled} />
          {project.status === 'done' && project.data?.my_role === 'manager' && <AutomaskPanel videoId={video.id} />}
        </>
      ) : (
        <div className="card">
          <h1>{video.name}</h1>
          <p>
            <span className={`status status-${video.status}`}>{videoStatusLabel(video.status)}</span>
          </p>
          {isIngesting(video) && <ProgressBar label="Processing" value={video.progress} />}
          {video.status === 'failed' && <ErrorMessage error={video.status_reason || 'Processing failed.'} />}
          {video.status === 'ready' && <ErrorMessage error="This video has no frames to show." />}
        </div>
      )}
    </section>
  );
}
