import { useState, type FormEvent } from 'react';
import { updateProject, type Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { SettingsFields, type SettingsDraft } from './SettingsFields';

export function SettingsTab({ project, onSaved }: { project: Project; onSaved: (project: Project) => void }) {
  const [draft, setDraft] = useState<SettingsDraft>({
    name: project.name,
    description: project.description,
    guidelines: project.guidelines,
    frame_step: project.frame_step,
    verifications_required: project.verifications_required,
    consensus_k: project.consensus_k,
  });
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    setSaving(true);
    try {
      const updated = await updateProject(project.id, { ...draft, name: draft.name.trim() });
      setSaved(true);
      onSaved(updated);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack wide" onSubmit={onSubmit} aria-label="Project settings">
      <h2>Settings</h2>
      <SettingsFields
        draft={draft}
        onChange={(next) => {
          setDraft(next);
          setSaved(false);
        }}
      />
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || draft.name.trim() === ''}>
          {saving ? 'Saving…' : 'Save settings'}
        </button>
        {saved && (
          <span className="success" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
