import { useState, type FormEvent } from 'react';
import {
  createLabel,
  deleteLabel,
  listLabels,
  reorderLabels,
  updateLabel,
  type Label,
  type Project,
} from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAction } from '../../ui/useAction';
import { useRefreshable } from '../quality/useRefreshable';
import { freeHotkey, HOTKEYS, hotkeyHolders, moved, nextColor } from './manageModel';

export function LabelsTab({ project }: { project: Project }) {
  const { state, reload, refresh, refreshError } = useRefreshable(
    (signal) => listLabels(project.id, signal),
    [project.id],
  );
  const [error, setError] = useState<unknown>(null);
  const labels = state.status === 'done' ? state.data : [];

  const move = async (index: number, delta: number) => {
    setError(null);
    try {
      await reorderLabels(
        project.id,
        moved(labels, index, delta).map((l) => l.id),
      );
      refresh();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="manage-grid">
      <section className="card">
        <h2>Labels</h2>
        <p className="hint">
          In this order in the workspace's label picker; the hotkey picks the label there (then click the object).
        </p>
        {state.status === 'loading' && <p className="muted">Loading…</p>}
        {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
        {refreshError !== null && <ErrorMessage error={refreshError} onRetry={refresh} />}
        {error !== null && <ErrorMessage error={error} />}
        {state.status === 'done' && labels.length === 0 && <p className="muted">No labels yet.</p>}
        {labels.length > 0 && (
          <table className="data-table" aria-label="Labels">
            <thead>
              <tr>
                <th>Order</th>
                <th>Colour</th>
                <th>Name</th>
                <th>Hotkey</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {labels.map((label, index) => (
                <LabelRow
                  key={`${label.id}-${label.name}-${label.color}-${label.hotkey}`}
                  label={label}
                  labels={labels}
                  first={index === 0}
                  last={index === labels.length - 1}
                  onMove={(delta) => void move(index, delta)}
                  onChanged={refresh}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <AddLabelForm projectId={project.id} labels={labels} onAdded={refresh} />
    </div>
  );
}

function HotkeySelect({
  value,
  labels,
  self,
  onChange,
  label,
}: {
  value: number | null;
  labels: readonly Label[];
  self: number | null;
  onChange: (hotkey: number | null) => void;
  label: string;
}) {
  const holders = hotkeyHolders(labels, self);
  return (
    <select
      aria-label={label}
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
    >
      <option value="">none</option>
      {HOTKEYS.map((key) => (
        <option key={key} value={key} disabled={holders.has(key)}>
          {holders.has(key) ? `${key} (${holders.get(key)})` : key}
        </option>
      ))}
    </select>
  );
}

function LabelRow({
  label,
  labels,
  first,
  last,
  onMove,
  onChanged,
}: {
  label: Label;
  labels: readonly Label[];
  first: boolean;
  last: boolean;
  onMove: (delta: number) => void;
  onChanged: () => void;
}) {
  const [name, setName] = useState(label.name);
  const [color, setColor] = useState(label.color);
  const [hotkey, setHotkey] = useState(label.hotkey);
  const dirty = name.trim() !== label.name || color !== label.color || hotkey !== label.hotkey;
  const { busy, error, run } = useAction();
  const act = (work: () => Promise<unknown>) =>
    run(async () => {
      await work();
      onChanged();
    });

  return (
    <tr>
      <td className="order-cell">
        <button
          type="button"
          className="button-secondary icon-button"
          aria-label={`Move ${label.name} up`}
          disabled={first}
          onClick={() => onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="button-secondary icon-button"
          aria-label={`Move ${label.name} down`}
          disabled={last}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
      </td>
      <td>
        <input
          type="color"
          aria-label={`Colour of ${label.name}`}
          value={color}
          onChange={(e) => setColor(e.target.value)}
        />
      </td>
      <td>
        <input
          aria-label={`Name of ${label.name}`}
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        {error !== null && <ErrorMessage error={error} />}
      </td>
      <td>
        <HotkeySelect
          label={`Hotkey of ${label.name}`}
          value={hotkey}
          labels={labels}
          self={label.id}
          onChange={setHotkey}
        />
      </td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            disabled={busy || !dirty || name.trim() === ''}
            onClick={() => void act(() => updateLabel(label.id, { name: name.trim(), color, hotkey }))}
          >
            Save
          </button>
          <button
            type="button"
            className="button-secondary"
            disabled={busy}
            onClick={() => {
              if (
                window.confirm(`Delete the label "${label.name}"? Objects with it keep their masks but lose the label.`)
              ) {
                void act(() => deleteLabel(label.id));
              }
            }}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

function AddLabelForm({ projectId, labels, onAdded }: { projectId: number; labels: Label[]; onAdded: () => void }) {
  const [name, setName] = useState('');
  const [color, setColor] = useState<string | null>(null);
  const [hotkey, setHotkey] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  // Until the manager picks, offer the next free colour and hotkey.
  const shownColor = color ?? nextColor(labels);
  const shownHotkey = hotkey === undefined ? freeHotkey(labels) : hotkey;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      await createLabel(projectId, { name: name.trim(), color: shownColor, hotkey: shownHotkey });
      setName('');
      setColor(null);
      setHotkey(undefined);
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack" onSubmit={onSubmit} aria-label="New label">
      <h2>New label</h2>
      <label>
        Name
        <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="number-row">
        <label>
          Colour
          <input type="color" value={shownColor} onChange={(e) => setColor(e.target.value)} />
        </label>
        <label>
          Hotkey
          <HotkeySelect label="Hotkey" value={shownHotkey} labels={labels} self={null} onChange={setHotkey} />
        </label>
      </div>
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || name.trim() === ''}>
          Add label
        </button>
      </div>
    </form>
  );
}
