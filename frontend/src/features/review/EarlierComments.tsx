/**
 * The review screen's panel of earlier comments on the masklet (earlier rounds'), lettered as
 * their pins on the canvas; each one jumps to its frame.
 */
import type { ReviewComment } from '../../api/reviews';
import { formatWhen } from './formatTime';
import { earlierLetter } from './reviewDraft';

export function EarlierComments({
  earlier,
  seek,
}: {
  /** In frame order, as lettered on the canvas. */
  earlier: readonly ReviewComment[];
  seek: (frame: number) => void;
}) {
  if (earlier.length === 0) return null;
  return (
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
  );
}
