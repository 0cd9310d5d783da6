/** The project's members, labels and tasks at a glance; managers change them under Manage. */
import type { ReactNode } from 'react';
import { listLabels, listMembers, listTasks } from '../../api/projects';
import type { Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAsync, type AsyncState } from '../../ui/useAsync';
import { formatTaskFrames, roleLabel } from './format';

function Panel<T>({
  title,
  state,
  reload,
  empty,
  children,
}: {
  title: string;
  state: AsyncState<T[]>;
  reload: () => void;
  empty: string;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <section className="card panel">
      <h2>{title}</h2>
      {state.status === 'loading' && <p className="muted">Loading…</p>}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (state.data.length === 0 ? <p className="muted">{empty}</p> : children(state.data))}
    </section>
  );
}

export function MembersPanel({ projectId }: { projectId: number }) {
  const { state, reload } = useAsync((signal) => listMembers(projectId, signal), [projectId]);
  return (
    <Panel title="Members" state={state} reload={reload} empty="No members.">
      {(members) => (
        <ul className="plain-list">
          {members.map((m) => (
            <li key={m.id}>
              {m.user.username} <span className="muted">· {roleLabel(m.role)}</span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

export function LabelsPanel({ projectId }: { projectId: number }) {
  const { state, reload } = useAsync((signal) => listLabels(projectId, signal), [projectId]);
  return (
    <Panel title="Labels" state={state} reload={reload} empty="No labels defined yet.">
      {(labels) => (
        <ul className="plain-list">
          {labels.map((label) => (
            <li key={label.id}>
              <span className="swatch" style={{ backgroundColor: label.color }} aria-hidden="true" />
              {label.name}
              {label.hotkey !== null && <kbd title="Hotkey in the workspace">{label.hotkey}</kbd>}
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

export function TasksPanel({ projectId, videos }: { projectId: number; videos: Video[] | null }) {
  const { state, reload } = useAsync((signal) => listTasks(projectId, signal), [projectId]);
  const videoName = (id: number) => videos?.find((v) => v.id === id)?.name ?? `Video ${id}`;
  return (
    <Panel title="Tasks" state={state} reload={reload} empty="No tasks assigned yet.">
      {(tasks) => (
        <table className="data-table compact">
          <thead>
            <tr>
              <th>Video</th>
              <th>Frames</th>
              <th>Assignee</th>
              <th>Stage</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr key={task.id}>
                <td>{videoName(task.video)}</td>
                <td>{formatTaskFrames(task.frame_start, task.frame_end)}</td>
                <td>{task.assignee?.username ?? <span className="muted">unassigned</span>}</td>
                <td>{task.stage}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
