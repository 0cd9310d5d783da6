import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { createProject } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NEW_PROJECT, SettingsFields, type SettingsDraft } from '../manage/SettingsFields';

/** New project with its settings; its creator becomes its manager and lands on its Members tab. */
export function CreateProjectForm() {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<SettingsDraft>(NEW_PROJECT);
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
      const project = await createProject({
        ...draft,
        name: draft.name.trim(),
        description: draft.description.trim(),
      });
      void navigate(`/projects/${project.id}/manage/members`);
    } catch (err) {
      setError(err);
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack wide" onSubmit={onSubmit} aria-label="New project">
      <h2>New project</h2>
      <SettingsFields draft={draft} onChange={setDraft} />
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || draft.name.trim() === ''}>
          {saving ? 'Creating…' : 'Create project'}
        </button>
        <button type="button" className="button-secondary" onClick={() => setOpen(false)} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
