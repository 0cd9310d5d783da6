/** The workspace's objects: the list (select, hide, rename, relabel, delete) and "Add object". */
import type { Masklet, MaskletFrame } from '../../api/masklets';
import type { Label, Task } from '../../api/projects';
import { AddObjectForm, ObjectRow } from './ObjectList';

/** Frames where an object is: stored masks with at least one pixel. */
export function presentFrames(frames: ReadonlyMap<number, MaskletFrame> | undefined): number {
  let n = 0;
  for (const f of frames?.values() ?? []) if (f.area > 0) n += 1;
  return n;
}

export function ObjectsPanel(props: {
  masklets: readonly Masklet[];
  frames: ReadonlyMap<number, ReadonlyMap<number, MaskletFrame>>;
  labels: Label[];
  colorOf: (masklet: Masklet) => string;
  selected: number | null;
  hidden: ReadonlySet<number>;
  deniedOf: (masklet: Masklet) => string | null;
  /** Null when this user may add objects; else why not (the button is hidden). */
  addDenied: string | null;
  adding: boolean;
  onAdding: (adding: boolean) => void;
  addForm: {
    tasks: Task[];
    taskRequired: boolean;
    username: string;
    onCreate: Parameters<typeof AddObjectForm>[0]['onCreate'];
  };
  loading: boolean;
  missingTarget: number | null;
  onSelect: (id: number) => void;
  onToggle: (id: number) => void;
  onRename: (id: number, name: string) => void;
  onLabel: (id: number, labelId: number | null) => void;
  onDelete: (masklet: Masklet) => void;
}) {
  const { masklets } = props;
  return (
    <div className="card objects-panel">
      <div className="card-header">
        <h2>Objects ({masklets.length})</h2>
        {props.addDenied === null && (
          <button type="button" onClick={() => props.onAdding(true)} title="Add an object by name (A)">
            Add object
          </button>
        )}
      </div>
      {props.adding && (
        <AddObjectForm
          labels={props.labels}
          tasks={props.addForm.tasks}
          taskRequired={props.addForm.taskRequired}
          username={props.addForm.username}
          onCancel={() => props.onAdding(false)}
          onCreate={props.addForm.onCreate}
        />
      )}
      {props.loading && <p className="muted">Loading objects…</p>}
      {props.missingTarget !== null && (
        <p className="muted" role="status" data-testid="missing-target">
          Object #{props.missingTarget} (from the link) is not in this video
          {masklets.length > 0 ? '; the first object is selected instead' : ''}.
        </p>
      )}
      {!props.loading && masklets.length === 0 && (
        <p className="muted">No objects yet: pick a label above the frame, then click on the object.</p>
      )}
      <ul className="object-list">
        {masklets.map((m) => (
          <ObjectRow
            key={m.id}
            id={m.id}
            name={m.name}
            color={props.colorOf(m)}
            labelId={m.label}
            labels={props.labels}
            frames={presentFrames(props.frames.get(m.id))}
            status={m.status}
            selected={m.id === props.selected}
            hidden={props.hidden.has(m.id)}
            denied={props.deniedOf(m)}
            onSelect={() => props.onSelect(m.id)}
            onToggle={() => props.onToggle(m.id)}
            onRename={(name) => props.onRename(m.id, name)}
            onLabel={(labelId) => props.onLabel(m.id, labelId)}
            onDelete={() => props.onDelete(m)}
          />
        ))}
      </ul>
    </div>
  );
}
