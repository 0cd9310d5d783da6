import { useState, type FormEvent } from 'react';
import {
  assignTasks,
  deleteTask,
  listMembers,
  listTasks,
  splitTasks,
  updateTask,
  type Member,
  type Project,
  type Task,
  type TaskStage,
} from '../../api/projects';
import { isReady, listVideos, type Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAction } from '../../ui/useAction';
import { ProgressBar } from '../../ui/ProgressBar';
import { useRefreshable } from '../quality/useRefreshable';
import { rangeText, splitPoints } from './manageModel';

const TASK_STAGES: readonly TaskStage[] = ['annotation', 'review', 'done'];

interface TeamData {
  tasks: Task[];
  videos: Video[];
  /** Members who can be given tasks (annotators and managers). */
  assignable: Member[];
}

async function loadTeam(projectId: number, signal: AbortSignal): Promise<TeamData> {
  const [tasks, videos, members] = await Promise.all([
    listTasks(projectId, signal),
    listVideos(projectId, signal),
    listMembers(projectId, signal),
  ]);
  return { tasks, videos, assignable: members.filter((m) => m.role === 'annotator' || m.role === 'manager') };
}

export function TasksTab({ project }: { project: Project }) {
  const { state, reload, refresh, refreshError } = useRefreshable(
    (signal) => loadTeam(project.id, signal),
    [project.id],
  );
  if (state.status === 'loading') return <p className="muted">Loading tasks…</p>;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  return (
    <div className="manage-stack">
      {refreshError !== null && <ErrorMessage error={refreshError} onRetry={refresh} />}
      <SplitForm project={project} data={state.data} onCreated={refresh} />
      <TaskTable project={project} data={state.data} onChanged={refresh} />
    </div>
  );
}

function SplitForm({ project, data, onCreated }: { project: Project; data: TeamData; onCreated: () => void }) {
  const ready = data.videos.filter(isReady);
  const [videoId, setVideoId] = useState<number | null>(ready[0]?.id ?? null);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const video = ready.find((v) => v.id === videoId) ?? null;
  const from = start === '' ? 0 : Number(start);
  const to = end === '' ? (video?.frame_count ?? 0) : Number(end) + 1; // the form's end is inclusive
  const parts = video && chosen.length > 0 ? splitPoints(from, to, project.frame_step, chosen.length) : null;

  const toggle = (username: string) =>
    setChosen((list) => (list.includes(username) ? list.filter((u) => u !== username) : [...list, username]));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (video === null) return;
    setError(null);
    setDone(null);
    setSaving(true);
    try {
      const tasks = await splitTasks(project.id, {
        video_id: video.id,
        assignees: chosen,
        frame_start: from,
        frame_end: end === '' ? null : to,
      });
      setDone(`Created ${tasks.length} task${tasks.length === 1 ? '' : 's'} on ${video.name}.`);
      setChosen([]);
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  if (ready.length === 0) {
    return (
      <section className="card">
        <h2>New tasks</h2>
        <p className="muted">Upload a video on the project page first; tasks are made once it is ready.</p>
      </section>
    );
  }
  return (
    <form className="card split-form" onSubmit={onSubmit} aria-label="New tasks">
      <h2>New tasks: split a video among annotators</h2>
      <div className="number-row">
        <label>
          Video
          <select value={videoId ?? ''} onChange={(e) => setVideoId(Number(e.target.value))}>
            {ready.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name} ({v.frame_count} frames)
              </option>
            ))}
          </select>
        </label>
        <label>
          From frame
          <input type="number" min={0} placeholder="0" value={start} onChange={(e) => setStart(e.target.value)} />
        </label>
        <label>
          To frame
          <input
            type="number"
            min={0}
            placeholder={video ? String(video.frame_count - 1) : ''}
            value={end}
            onChange={(e) => setEnd(e.target.value)}
          />
        </label>
      </div>
      <fieldset className="choice-row">
        <legend>Annotators, in frame order (one part each)</legend>
        {data.assignable.length === 0 && <span className="muted">Add annotators on the Members tab first.</span>}
        {data.assignable.map((m) => (
          <label key={m.id} className="inline">
            <input
              type="checkbox"
              checked={chosen.includes(m.user.username)}
              onChange={() => toggle(m.user.username)}
            />
            {m.user.username}
            {chosen.includes(m.user.username) && <span className="muted">#{chosen.indexOf(m.user.username) + 1}</span>}
          </label>
        ))}
      </fieldset>
      {video && chosen.length > 0 && (
        <p className="hint" role="status">
          {parts === null
            ? 'Too few frames to annotate for that many annotators.'
            : chosen
                .map((name, i) => `${name}: ${rangeText(parts[i] ?? 0, parts[i + 1] ?? null, video.frame_count)}`)
                .join(' · ')}
        </p>
      )}
      {error !== null && <ErrorMessage error={error} />}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" disabled={saving || video === null || chosen.length === 0 || parts === null}>
          {chosen.length > 1 ? `Create ${chosen.length} tasks` : 'Create task'}
        </button>
      </div>
    </form>
  );
}

function TaskTable({ project, data, onChanged }: { project: Project; data: TeamData; onChanged: () => void }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [bulkAssignee, setBulkAssignee] = useState('');
  const videos = new Map(data.videos.map((v) => [v.id, v]));
  const { busy, error, run } = useAction();
  const act = (work: () => Promise<unknown>) =>
    run(async () => {
      await work();
      onChanged();
    });
  const toggle = (id: number) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = data.tasks.length > 0 && selected.size === data.tasks.length;

  return (
    <section className="card">
      <h2>Tasks</h2>
      {data.tasks.length === 0 ? (
        <p className="muted">No tasks yet.</p>
      ) : (
        <>
          <div className="bulk-bar" aria-label="Assign selected tasks">
            <span>{selected.size} selected</span>
            <select
              aria-label="Assign selected to"
              value={bulkAssignee}
              onChange={(e) => setBulkAssignee(e.target.value)}
            >
              <option value="">unassigned</option>
              {data.assignable.map((m) => (
                <option key={m.id} value={m.user.username}>
                  {m.user.username}
                </option>
              ))}
            </select>
            <button
              type="button"
              disabled={busy || selected.size === 0}
              onClick={() =>
                void act(async () => {
                  await assignTasks(project.id, [...selected], bulkAssignee === '' ? null : bulkAssignee);
                  setSelected(new Set());
                })
              }
            >
              Assign selected
            </button>
          </div>
          {error !== null && <ErrorMessage error={error} />}
          <table className="data-table" aria-label="Tasks">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select all tasks"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(data.tasks.map((t) => t.id)))}
                  />
                </th>
                <th>Video</th>
                <th>Frames</th>
                <th>Assignee</th>
                <th>Stage</th>
                <th>Progress</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.tasks.map((task) => {
                const video = videos.get(task.video);
                const { frames_annotated: done, frames_total: total } = task.progress;
                return (
                  <tr key={task.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select task ${task.id}`}
                        checked={selected.has(task.id)}
                        onChange={() => toggle(task.id)}
                      />
                    </td>
                    <td>{video?.name ?? `Video ${task.video}`}</td>
                    <td>{rangeText(task.frame_start, task.frame_end, video?.frame_count ?? null)}</td>
                    <td>
                      <select
                        aria-label={`Assignee of task ${task.id}`}
                        value={task.assignee?.username ?? ''}
                        disabled={busy}
                        onChange={(e) =>
                          void act(() =>
                            updateTask(task.id, { assignee: e.target.value === '' ? null : e.target.value }),
                          )
                        }
                      >
                        <option value="">unassigned</option>
                        {data.assignable.map((m) => (
                          <option key={m.id} value={m.user.username}>
                            {m.user.username}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <select
                        aria-label={`Stage of task ${task.id}`}
                        value={task.stage}
                        disabled={busy}
                        onChange={(e) => void act(() => updateTask(task.id, { stage: e.target.value as TaskStage }))}
                      >
                        {TASK_STAGES.map((stage) => (
                          <option key={stage} value={stage}>
                            {stage}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="progress-cell">
                      <ProgressBar value={total > 0 ? done / total : 0} label={`Progress of task ${task.id}`} />
                      <span className="hint">
                        {done} of {total} frames · {task.progress.masklets} objects, {task.progress.submitted} in
                        review, {task.progress.accepted} accepted
                      </span>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button-secondary"
                        disabled={busy}
                        onClick={() => {
                          if (window.confirm(`Delete task ${task.id}? Its objects stay on the video.`)) {
                            void act(() => deleteTask(task.id));
                          }
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
