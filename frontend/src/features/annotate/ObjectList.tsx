/** The workspace's object list: one row per masklet (select, label, hide, rename, delete) and
 * the form that adds an object by name. Rename, relabel and delete are offered only to those who
 * may (managers; the annotator of the object's task), and not while the object is under review. */
import { useEffect, useRef, useState } from 'react';
import type { MaskletStatus } from '../../api/masklets';
import type { Label, Task } from '../../api/projects';
import { StatusBadge } from '../review/StatusBadge';
import { lockReason } from './editAccess';

export function AddObjectForm({
  labels,
  tasks,
  taskRequired,
  username,
  onCancel,
  onCreate,
}: {
  labels: Label[];
  tasks: Task[];
  taskRequired: boolean;
  username: string;
  onCancel: () => void;
  onCreate: (input: { name: string; labelId: number | null; taskId: number | null }) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [labelId, setLabelId] = useState<number | null>(null);
  const [taskId, setTaskId] = useState<number | null>(tasks[0]?.id ?? null);
  const [saving, setSaving] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  useEffect(() => nameInput.current?.focus(), []);
  if (taskRequired && tasks.length === 0) {
    return (
      <div className="form-stack">
        <p className="error-inline">
          No task on this video is assigned to you ({username}); ask a manager to assign one, then add objects in it.
        </p>
        <button type="button" className="button-secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    );
  }
  return (
    <form
      className="form-stack add-object"
      aria-label="Add an object"
      onSubmit={(e) => {
        e.preventDefault();
        setSaving(true);
        void onCreate({ name: name.trim(), labelId, taskId }).finally(() => setSaving(false));
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <label>
        Name{' '}
        <input
          ref={nameInput}
          name="name"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. red car"
        />
      </label>
      <label>
        Label{' '}
        <select value={labelId ?? ''} onChange={(e) => setLabelId(e.target.value ? Number(e.target.value) : null)}>
          <option value="">(none)</option>
          {labels.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      {tasks.length > 0 && (
        <label>
          Task{' '}
          <select value={taskId ?? ''} onChange={(e) => setTaskId(e.target.value ? Number(e.target.value) : null)}>
            {!taskRequired && <option value="">(no task)</option>}
            {tasks.map((t) => (
              <option key={t.id} value={t.id}>
                Task #{t.id}: frames {t.frame_start}–{t.frame_end === null ? 'end' : t.frame_end - 1} ({t.stage})
              </option>
            ))}
          </select>
        </label>
      )}
      <div className="form-actions">
        <button type="submit" disabled={saving}>
          Create
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ObjectRow(props: {
  id: number;
  name: string;
  color: string;
  labelId: number | null;
  labels: Label[];
  /** Frames where the object is (empty masks do not count). */
  frames: number;
  status: MaskletStatus;
  selected: boolean;
  hidden: boolean;
  /** Why this user may not change the object, or null. */
  denied: string | null;
  onSelect: () => void;
  onToggle: () => void;
  onRename: (name: string) => void;
  onLabel: (labelId: number | null) => void;
  onDelete: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.name);
  const display = props.name || `Object ${props.id}`;
  // Under review or accepted: what the verifiers judge stays as it is (the server refuses too).
  const locked = props.denied ?? lockReason(props.status);
  const lockedTitle = locked === null ? undefined : `Unavailable: ${locked}`;
  return (
    <li
      className={`object-row${props.selected ? ' is-selected' : ''}`}
      data-testid="object-row"
      aria-selected={props.selected}
    >
      <button type="button" className="object-select" onClick={props.onSelect} title="Select (Tab)">
        <span className="swatch" style={{ background: props.color }} />
        {editing ? null : <span className="object-name">{display}</span>}
        <span className="muted">
          {' '}
          · {props.frames} {props.frames === 1 ? 'frame' : 'frames'}
        </span>
        {props.status !== 'draft' && <StatusBadge status={props.status} />}
      </button>
      {editing && (
        <form
          className="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            props.onRename(draft.trim());
            setEditing(false);
          }}
        >
          <input
            aria-label="New name"
            value={draft}
            autoFocus
            maxLength={100}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          />
          <button type="submit">Save</button>
        </form>
      )}
      <div className="object-actions">
        <select
          aria-label={`Label of ${display}`}
          value={props.labelId ?? ''}
          disabled={locked !== null}
          title={lockedTitle}
          onChange={(e) => props.onLabel(e.target.value ? Number(e.target.value) : null)}
        >
          <option value="">no label</option>
          {props.labels.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button-secondary"
          onClick={props.onToggle}
          aria-pressed={props.hidden}
          title="Hide / show (H)"
        >
          {props.hidden ? 'Show' : 'Hide'}
        </button>
        {props.denied === null && (
          <>
            <button
              type="button"
              className="button-secondary"
              disabled={locked !== null}
              title={lockedTitle}
              onClick={() => {
                setDraft(props.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
            <button
              type="button"
              className="button-secondary button-danger"
              disabled={locked !== null}
              title={lockedTitle}
              onClick={props.onDelete}
            >
              Delete
            </button>
          </>
        )}
      </div>
    </li>
  );
}
