/**
 * The review screen's verdict panel: the time left on the lease, Satisfactory / Unsatisfactory,
 * the comments pinned to the frame (each with its text, a jump to its frame and Remove), the
 * overall comment, why the draft cannot be sent yet, "Send verdict" and "Skip (give it back)".
 */
import type { Dispatch } from 'react';
import { canSend, type ReviewSession } from './queueState';
import { formatTimeLeft, formatWhen } from './formatTime';
import { pinPixels, type DraftAction, type ReviewDraft } from './reviewDraft';
import type { ReviewLease } from './useReviewLease';

export function VerdictCard({
  draft,
  dispatchDraft,
  session,
  lease,
  frameSize,
  seek,
  problem,
  onSend,
}: {
  draft: ReviewDraft;
  dispatchDraft: Dispatch<DraftAction>;
  session: ReviewSession;
  lease: ReviewLease;
  /** The video's frame size, for the pins' pixels. */
  frameSize: { width: number; height: number };
  seek: (frame: number) => void;
  /** Why the draft cannot be sent, shown after a try; null when hidden. */
  problem: string | null;
  onSend: () => void;
}) {
  const { expiresAt, phase } = session;
  const { holding, now, skipping, skip } = lease;
  /** The verdict can still be written. */
  const editable = canSend(session);
  return (
    <div className="card verdict-card" aria-label="Verdict">
      <div className="card-header">
        <h2>Verdict</h2>
        <span className="muted" title={`Held until ${formatWhen(expiresAt)}`}>
          {holding ? `held for you: ${formatTimeLeft(expiresAt, now)}` : ''}
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
            const px = pinPixels(pin, frameSize.width, frameSize.height);
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
      {problem && (
        <p className="error-inline" role="alert">
          {problem}
        </p>
      )}
      <div className="button-row">
        <button type="button" onClick={onSend} disabled={!editable || skipping} data-testid="send-verdict">
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
  );
}
