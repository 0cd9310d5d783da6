import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { createProject } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';

/** New project; its creator becomes its manager and lands on its page. */
export function CreateProjectForm() {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New project
      </button>
    );
  }

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      const project = await createProject({ name: name.trim(), description: description.trim() });
      void navigate(`/projects/${project.id}`);
    } catch (err) {
      setError(err);
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack" onSubmit={onSubmit} aria-label="New project">
      <h2>New project</h2>
      <label>
        Name
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <label>
        Description
        <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || name.trim() === ''}>
          {saving ? 'Creating…' : 'Create project'}
        </button>
        <button type="button" className="button-secondary" onClick={() => setOpen(false)} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
