import { useState, type FormEvent } from 'react';
import type { UserRef } from '../../api/projects';
import { getGroundTruthScores, setGroundTruth, type QualityMasklet } from '../../api/quality';
import type { ReadyVideo } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAsync } from '../../ui/useAsync';
import { formatScore } from './dashboardData';

/**
 * The video's ground truth: managers tick the masklets that are the reference and save; everyone
 * here sees each annotator's J&F against it.
 */
export function GroundTruthPanel({
  video,
  masklets,
  canEdit,
  ownerOf,
  onSaved,
}: {
  video: ReadyVideo;
  masklets: readonly QualityMasklet[];
  canEdit: boolean;
  ownerOf: ReadonlyMap<number, UserRef>;
  onSaved: () => void;
}) {
  const saved = new Set(masklets.filter((m) => m.is_ground_truth).map((m) => m.id));
  const savedKey = [...saved].sort((a, b) => a - b).join(',');
  const [checked, setChecked] = useState<ReadonlySet<number>>(saved);
  const [checkedFor, setCheckedFor] = useState(savedKey);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const scores = useAsync((signal) => getGroundTruthScores(video.id, signal), [video.id, savedKey]);

  // The list was reloaded (after a save, or someone else's): start from what the server has.
  if (checkedFor !== savedKey) {
    setCheckedFor(savedKey);
    setChecked(saved);
  }
  const dirty = [...checked].sort((a, b) => a - b).join(',') !== savedKey;

  const toggle = (id: number) => {
    setDone(null);
    setChecked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setDone(null);
    try {
      await setGroundTruth(video.id, [...checked]);
      setDone(
        checked.size === 0
          ? 'This video has no ground truth now.'
          : `Saved: ${checked.size} masklet${checked.size === 1 ? ' is' : 's are'} the ground truth.`,
      );
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="card" aria-labelledby="ground-truth-title">
      <h2 id="ground-truth-title">Ground truth</h2>
      {masklets.length === 0 ? (
        <p className="muted">This video has no masklets yet.</p>
      ) : (
        <form onSubmit={onSubmit} aria-label="Ground truth masklets">
          <p className="muted">
            {canEdit
              ? 'Tick the masklets that are the reference for this video; the other masklets are scored against them.'
              : 'The masklets ticked here are the reference for this video (managers change them).'}
          </p>
          <ul className="plain-list gt-list">
            {masklets.map((m) => {
              const owner = ownerOf.get(m.id);
              return (
                <li key={m.id}>
                  <label className="checkbox-label">
                    <input
                      type="checkbox"
                      checked={checked.has(m.id)}
                      disabled={!canEdit || saving}
                      onChange={() => toggle(m.id)}
                    />
                    <span className="swatch" style={{ backgroundColor: m.color }} aria-hidden="true" />
                    {m.name || `Masklet #${m.id}`}
                    <span className="muted">
                      {' '}
                      · #{m.id} · {m.status}
                      {owner ? ` · ${owner.username}` : ''}
                      {m.frame_count !== undefined ? ` · ${m.frame_count} frame${m.frame_count === 1 ? '' : 's'}` : ''}
                    </span>
                    {m.consensus_discarded && <span className="badge">discarded</span>}
                  </label>
                </li>
              );
            })}
          </ul>
          {canEdit && (
            <div className="form-actions">
              <button type="submit" disabled={saving || !dirty}>
                {saving ? 'Saving…' : 'Save ground truth'}
              </button>
              {dirty && (
                <button type="button" className="button-secondary" onClick={() => setChecked(saved)}>
                  Undo changes
                </button>
              )}
            </div>
          )}
          {error !== null && <ErrorMessage error={error} />}
          {done && (
            <p className="success" role="status">
              {done}
            </p>
          )}
        </form>
      )}

      <h3>Scores against the ground truth</h3>
      {scores.state.status === 'loading' && <p className="muted">Scoring…</p>}
      {scores.state.status === 'error' && <ErrorMessage error={scores.state.error} onRetry={scores.reload} />}
      {scores.state.status === 'done' &&
        (saved.size === 0 ? (
          <p className="muted">No ground truth yet, so nothing to score.</p>
        ) : scores.state.data.length === 0 ? (
          <p className="muted">No annotator has other masklets on this video to score.</p>
        ) : (
          <table className="data-table compact" data-testid="ground-truth-scores">
            <thead>
              <tr>
                <th>Annotator</th>
                <th className="cell-number">Matched</th>
                <th className="cell-number">Missed</th>
                <th className="cell-number">Extra</th>
                <th className="cell-number">J</th>
                <th className="cell-number">F</th>
                <th className="cell-number">J&amp;F</th>
              </tr>
            </thead>
            <tbody>
              {scores.state.data.map((s) => (
                <tr key={s.user.id}>
                  <td>{s.user.username}</td>
                  <td className="cell-number">{s.matched}</td>
                  <td className={`cell-number${s.missed > 0 ? ' text-danger' : ''}`}>{s.missed}</td>
                  <td className={`cell-number${s.extra > 0 ? ' text-danger' : ''}`}>{s.extra}</td>
                  <td className="cell-number">{formatScore(s.j)}</td>
                  <td className="cell-number">{formatScore(s.f)}</td>
                  <td className="cell-number">{formatScore(s.jf)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
