import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/client';
import type { Masklet } from '../../api/masklets';
import { overrideMasklet, STATUS_LABELS, type OverrideStatus } from '../../api/reviews';

const TARGETS: readonly OverrideStatus[] = ['accepted', 'rejected', 'draft'];

/**
 * A manager sets a masklet's status by hand, with the reason (recorded in its history as an
 * override). Only rendered for managers; the API refuses everyone else anyway.
 */
export function OverrideForm({ masklet, onDone }: { masklet: Masklet; onDone: (saved: Masklet) => void }) {
  const [status, setStatus] = useState<OverrideStatus>(masklet.status === 'accepted' ? 'rejected' : 'accepted');
  const [reason, setReason] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim() === '') {
      setError('Give the reason: it is kept in the history for the annotator and the reviewers.');
      return;
    }
    if (status === masklet.status) {
      setError(`It is already ${STATUS_LABELS[status].toLowerCase()}.`);
      return;
    }
    setSaving(true);
    setError(null);
    setSaved(null);
    overrideMasklet(masklet.id, { status, reason: reason.trim() }).then(
      (result) => {
        setSaving(false);
        setReason('');
        setSaved(`Status set to ${STATUS_LABELS[result.status].toLowerCase()}.`);
        onDone(result);
      },
      (e: unknown) => {
        setSaving(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <form className="form-stack override-form" aria-label="Override status" onSubmit={onSubmit}>
      <label>
        New status
        <select value={status} onChange={(e) => setStatus(e.target.value as OverrideStatus)}>
          {TARGETS.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason
        <textarea
          name="reason"
          rows={2}
          maxLength={2000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="Why the workflow is overridden"
        />
      </label>
      <div className="form-actions">
        <button type="submit" disabled={saving}>
          {saving ? 'Saving…' : 'Override'}
        </button>
      </div>
      {error && (
        <p className="error-inline" role="alert">
          {error}
        </p>
      )}
      {saved && (
        <p className="success" role="status">
          {saved}
        </p>
      )}
    </form>
  );
}
