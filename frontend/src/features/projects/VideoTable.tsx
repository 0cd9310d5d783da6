import { Link } from 'react-router';
import type { Video } from '../../api/videos';
import { deleteVideo, isIngesting, isReady } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { ProgressBar } from '../../ui/ProgressBar';
import { useAction } from '../../ui/useAction';
import { formatBytes, formatDate, formatDuration, formatFps, videoStatusLabel } from './format';

/**
 * `qualityLink`: label of a link to each ready video's consensus / ground-truth page (none when
 * undefined). `onDeleted`: managers get a Delete button per video, and this is called after one.
 */
export function VideoTable({
  videos,
  qualityLink,
  onDeleted,
}: {
  videos: Video[];
  qualityLink?: string | undefined;
  onDeleted?: (() => void) | undefined;
}) {
  const { busy, error, run } = useAction();
  if (videos.length === 0) return <p className="muted">No videos yet.</p>;
  const remove = (video: Video) => {
    if (!window.confirm(`Delete ${video.name} with its frames, objects and tasks? This cannot be undone.`)) return;
    void run(async () => {
      await deleteVideo(video.id);
      onDeleted?.();
    });
  };
  return (
    <>
      {error !== null && <ErrorMessage error={error} />}
      <table className="data-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Frames</th>
            <th>Size</th>
            <th>Added</th>
            {onDeleted && <th />}
          </tr>
        </thead>
        <tbody>
          {videos.map((video) => (
            <tr key={video.id}>
              <td>
                {isReady(video) ? (
                  <>
                    <Link to={`/videos/${video.id}`}>{video.name}</Link>{' '}
                    <Link className="annotate-link" to={`/videos/${video.id}/annotate`}>
                      Annotate
                    </Link>
                    {qualityLink && (
                      <>
                        {' · '}
                        <Link className="annotate-link" to={`/videos/${video.id}/consensus`}>
                          {qualityLink}
                        </Link>
                      </>
                    )}
                  </>
                ) : (
                  video.name
                )}
              </td>
              <td className="cell-status">
                <span className={`status status-${video.status}`}>{videoStatusLabel(video.status)}</span>
                {isIngesting(video) && <ProgressBar label={`Processing ${video.name}`} value={video.progress} />}
                {video.status === 'failed' && video.status_reason && (
                  <div className="status-reason">{video.status_reason}</div>
                )}
              </td>
              <td>
                {video.frame_count}
                <span className="muted">
                  {' '}
                  · {video.width}×{video.height} · {formatFps(video.fps)} fps ·{' '}
                  {formatDuration(video.frame_count, video.fps)}
                </span>
              </td>
              <td>{formatBytes(video.size_bytes)}</td>
              <td>{formatDate(video.created_at)}</td>
              {onDeleted && (
                <td>
                  <button type="button" className="button-secondary" disabled={busy} onClick={() => remove(video)}>
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
