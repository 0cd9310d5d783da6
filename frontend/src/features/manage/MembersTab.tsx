import { useEffect, useState, type FormEvent } from 'react';
import {
  addMember,
  changeRole,
  listMembers,
  removeMember,
  ROLES,
  type Member,
  type Project,
  type ProjectRole,
} from '../../api/projects';
import { lookUpUsers, type UserRef } from '../../api/users';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAction } from '../../ui/useAction';
import { useRefreshable } from '../quality/useRefreshable';
import { roleLabel } from '../projects/format';

export function MembersTab({ project }: { project: Project }) {
  const { state, reload, refresh, refreshError } = useRefreshable(
    (signal) => listMembers(project.id, signal),
    [project.id],
  );
  return (
    <div className="manage-grid">
      <section className="card">
        <h2>Members</h2>
        {state.status === 'loading' && <p className="muted">Loading…</p>}
        {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
        {refreshError !== null && <ErrorMessage error={refreshError} onRetry={refresh} />}
        {state.status === 'done' && (
          <table className="data-table" aria-label="Members">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {state.data.map((member) => (
                <MemberRow key={`${member.id}-${member.role}`} member={member} onChanged={refresh} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <AddMemberForm projectId={project.id} members={state.status === 'done' ? state.data : []} onAdded={refresh} />
    </div>
  );
}

function MemberRow({ member, onChanged }: { member: Member; onChanged: () => void }) {
  const { busy, error, run } = useAction();
  const act = (work: () => Promise<unknown>) =>
    run(async () => {
      await work();
      onChanged();
    });
  return (
    <tr>
      <td>{member.user.username}</td>
      <td>
        <select
          aria-label={`Role of ${member.user.username}`}
          value={member.role}
          disabled={busy}
          onChange={(e) => void act(() => changeRole(member.id, e.target.value as ProjectRole))}
        >
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {roleLabel(role)}
            </option>
          ))}
        </select>
        {error !== null && <ErrorMessage error={error} />}
      </td>
      <td>
        <button
          type="button"
          className="button-secondary"
          disabled={busy}
          onClick={() => void act(() => removeMember(member.id))}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** Suggestions for the typed name (users:lookup), debounced. */
function useUserSuggestions(query: string): UserRef[] {
  const [users, setUsers] = useState<UserRef[]>([]);
  useEffect(() => {
    const q = query.trim();
    if (q === '') return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      lookUpUsers(q, controller.signal).then(setUsers, () => setUsers([]));
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [query]);
  return query.trim() === '' ? [] : users;
}

function AddMemberForm({ projectId, members, onAdded }: { projectId: number; members: Member[]; onAdded: () => void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<ProjectRole>('annotator');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const memberIds = new Set(members.map((m) => m.user.id));
  const suggestions = useUserSuggestions(username).filter((u) => !memberIds.has(u.id));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setAdded(null);
    setSaving(true);
    try {
      const member = await addMember(projectId, username.trim(), role);
      setAdded(`${member.user.username} joined as ${roleLabel(member.role).toLowerCase()}.`);
      setUsername('');
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-stack" onSubmit={onSubmit} aria-label="Add a member">
      <h2>Add a member</h2>
      <label>
        Username
        <input
          list="member-suggestions"
          required
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <datalist id="member-suggestions">
          {suggestions.map((u) => (
            <option key={u.id} value={u.username} />
          ))}
        </datalist>
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleLabel(r)}
            </option>
          ))}
        </select>
      </label>
      {error !== null && <ErrorMessage error={error} />}
      {added && (
        <p className="success" role="status">
          {added}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" disabled={saving || username.trim() === ''}>
          Add member
        </button>
      </div>
      <p className="hint">New people need an account first: staff create them on the Users page.</p>
    </form>
  );
}
