import { useState, type FormEvent } from 'react';
import { listMembers, type Project } from '../../api/projects';
import { assignConsensus } from '../../api/quality';
import { isReady, type Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAsync } from '../../ui/useAsync';
import './quality.css';

/**
 * Managers of a consensus project (consensus_k > 1) give a video to k annotators, chosen here or
 * picked by the server (the least loaded).
 */
export function ConsensusAssignForm({
  project,
  videos,
  onAssigned,
}: {
  project: Project;
  videos: readonly Video[] | null;
  onAssigned: () => void;
}) {
  const k = project.consensus_k;
  const members = useAsync((signal) => listMembers(project.id, signal), [project.id]);
  const [videoId, setVideoId] = useState('');
  const [mode, setMode] = useState<'auto' | 'pick'>('auto');
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const ready = (videos ?? []).filter(isReady);
  const annotators =
    members.state.status === 'done' ? members.state.data.filter((m) => m.role === 'annotator').map((m) => m.user) : [];
  const problem =
    videoId === ''
      ? 'Choose a video.'
      : mode === 'pick' && picked.size !== k
        ? `Pick exactly ${k} annotators (${picked.size} picked).`
        : null;

  const toggle = (id: number) =>
    setPicked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (problem !== null) return;
    setSaving(true);
    setError(null);
    setDone(null);
    try {
      await assignConsensus(project.id, {
        video: Number(videoId),
        annotators: mode === 'pick' ? [...picked] : undefined,
      });
      const name = ready.find((v) => v.id === Number(videoId))?.name ?? `video #${videoId}`;
      setDone(
        mode === 'pick'
          ? `${name} assigned to ${annotators
              .filter((u) => picked.has(u.id))
              .map((u) => u.username)
              .join(', ')}.`
          : `${name} assigned to the ${k} least busy annotators.`,
      );
      setPicked(new Set());
      onAssigned();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack consensus-assign" onSubmit={onSubmit} aria-label="Consensus assignment">
      <h2>Consensus assignment</h2>
      <p className="muted">
        Each video goes to {k} annotators who work independently; their masklets are then compared.
      </p>
      <label>
        Video
        <select value={videoId} onChange={(e) => setVideoId(e.target.value)} disabled={saving}>
          <option value="">Choose a video…</option>
          {ready.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="radio-row">
        <legend>Annotators</legend>
        <label>
          <input type="radio" name="consensus-mode" checked={mode === 'auto'} onChange={() => setMode('auto')} /> The{' '}
          {k} least busy (automatic)
        </label>
        <label>
          <input type="radio" name="consensus-mode" checked={mode === 'pick'} onChange={() => setMode('pick')} /> Let me
          pick {k}
        </label>
      </fieldset>
      {mode === 'pick' && (
        <div>
          {members.state.status === 'loading' && <p className="muted">Loading members…</p>}
          {members.state.status === 'error' && <ErrorMessage error={members.state.error} onRetry={members.reload} />}
          {members.state.status === 'done' && annotators.length < k && (
            <p className="error-inline">
              The project has {annotators.length} annotator{annotators.length === 1 ? '' : 's'}; consensus needs {k}.
            </p>
          )}
          <ul className="plain-list">
            {annotators.map((u) => (
              <li key={u.id}>
                <label className="checkbox-label">
                  <input
                    type="checkbox"
                    checked={picked.has(u.id)}
                    disabled={saving || (!picked.has(u.id) && picked.size >= k)}
                    onChange={() => toggle(u.id)}
                  />
                  {u.username}
                </label>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="form-actions">
        <button type="submit" disabled={saving || problem !== null} title={problem ?? undefined}>
          {saving ? 'Assigning…' : 'Assign'}
        </button>
        {problem !== null && videoId !== '' && <span className="muted">{problem}</span>}
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </form>
  );
}
