import { useState, type FormEvent } from 'react';
import { Navigate } from 'react-router';
import {
  createInvite,
  createUser,
  listUsers,
  setPassword,
  updateUser,
  type InviteLink,
  type ManagedUser,
  type UserChange,
} from '../../api/users';
import { useCurrentUser } from '../../state/session';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAction } from '../../ui/useAction';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { InviteLinkBox } from './InviteLinkBox';
import { accountState } from './userState';
import '../manage/manage.css';

/** Staff only: every account, new accounts (with a password or an invite link), deactivation. */
export function UsersPage() {
  const me = useCurrentUser();
  useDocumentTitle('Users');
  if (!me.is_staff) return <Navigate to="/" replace />;
  return <UsersView myId={me.id} />;
}

function UsersView({ myId }: { myId: number }) {
  const { state, reload } = useAsync((signal) => listUsers(signal), []);
  const [invite, setInvite] = useState<{ username: string; link: InviteLink } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const onInvite = (username: string, link: InviteLink) => {
    setInvite({ username, link });
    setNotice(null);
    reload();
  };

  return (
    <section className="page">
      <p className="breadcrumb">
        <span>Administration</span> / Users
      </p>
      <h1>Users</h1>
      <CreateUserForm
        onCreated={(user, link) => {
          if (link) onInvite(user.username, link);
          else {
            setInvite(null);
            setNotice(`Created ${user.username}; they can log in with the password you set.`);
            reload();
          }
        }}
      />
      {invite && <InviteLinkBox username={invite.username} link={invite.link} onClose={() => setInvite(null)} />}
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      <section className="card">
        <h2>Accounts</h2>
        {state.status === 'loading' && <p className="muted">Loading…</p>}
        {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
        {state.status === 'done' && (
          <table className="data-table admin-table" aria-label="Users">
            <thead>
              <tr>
                <th>User</th>
                <th>Email</th>
                <th>State</th>
                <th>Staff</th>
                <th>Last login</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {state.data.map((user) => (
                <UserRow
                  key={user.id}
                  user={user}
                  isMe={user.id === myId}
                  onChanged={(message) => {
                    setNotice(message);
                    reload();
                  }}
                  onInvite={(link) => onInvite(user.username, link)}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: ManagedUser, invite: InviteLink | null) => void }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [isStaff, setIsStaff] = useState(false);
  const [mode, setMode] = useState<'invite' | 'password'>('invite');
  const [password, setPasswordValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      const user = await createUser({
        username: username.trim(),
        email: email.trim(),
        is_staff: isStaff,
        password: mode === 'password' ? password : null,
      });
      const link = mode === 'invite' ? await createInvite(user.id) : null;
      setUsername('');
      setEmail('');
      setPasswordValue('');
      setIsStaff(false);
      onCreated(user, link);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="New user">
      <h2>New user</h2>
      <label>
        Username
        <input required maxLength={150} value={username} onChange={(e) => setUsername(e.target.value)} />
      </label>
      <label>
        <span>
          Email <span className="muted">(optional)</span>
        </span>
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <fieldset className="choice-row">
        <legend>How they log in</legend>
        <label className="inline">
          <input type="radio" name="login-mode" checked={mode === 'invite'} onChange={() => setMode('invite')} />
          One-time invite link (they choose a password)
        </label>
        <label className="inline">
          <input type="radio" name="login-mode" checked={mode === 'password'} onChange={() => setMode('password')} />
          Set a password now
        </label>
      </fieldset>
      {mode === 'password' && (
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPasswordValue(e.target.value)}
          />
        </label>
      )}
      <label className="inline">
        <input type="checkbox" checked={isStaff} onChange={(e) => setIsStaff(e.target.checked)} />
        Staff (may manage users)
      </label>
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || username.trim() === ''}>
          {saving ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}

function UserRow({
  user,
  isMe,
  onChanged,
  onInvite,
}: {
  user: ManagedUser;
  isMe: boolean;
  onChanged: (message: string) => void;
  onInvite: (link: InviteLink) => void;
}) {
  const { busy, error, run: act } = useAction();
  const [settingPassword, setSettingPassword] = useState(false);
  const [password, setPasswordValue] = useState('');
  const change = (patch: UserChange, message: string) =>
    act(async () => {
      await updateUser(user.id, patch);
      onChanged(message);
    });
  const lastLogin = user.last_login ? new Date(user.last_login).toLocaleString() : 'never';

  return (
    <tr className={user.is_active ? undefined : 'row-inactive'}>
      <td>
        <strong>{user.username}</strong>
        {isMe && <span className="muted"> (you)</span>}
      </td>
      <td>{user.email || <span className="muted">—</span>}</td>
      <td>{accountState(user)}</td>
      <td>
        <input
          type="checkbox"
          aria-label={`${user.username} is staff`}
          checked={user.is_staff}
          disabled={busy || isMe}
          title={isMe ? 'You cannot take away your own staff access.' : undefined}
          onChange={(e) =>
            void change(
              { is_staff: e.target.checked },
              `${user.username} ${e.target.checked ? 'is now staff' : 'is no longer staff'}.`,
            )
          }
        />
      </td>
      <td>{lastLogin}</td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button-secondary"
            disabled={busy || !user.is_active}
            onClick={() => void act(async () => onInvite(await createInvite(user.id)))}
          >
            Invite link
          </button>
          <button
            type="button"
            className="button-secondary"
            disabled={busy}
            onClick={() => setSettingPassword((open) => !open)}
          >
            Set password
          </button>
          {user.is_active ? (
            <button
              type="button"
              className="button-secondary"
              disabled={busy || isMe}
              title={isMe ? 'You cannot deactivate your own account.' : undefined}
              onClick={() => void change({ is_active: false }, `${user.username} is deactivated and cannot log in.`)}
            >
              Deactivate
            </button>
          ) : (
            <button
              type="button"
              className="button-secondary"
              disabled={busy}
              onClick={() => void change({ is_active: true }, `${user.username} is active again.`)}
            >
              Reactivate
            </button>
          )}
        </div>
        {settingPassword && (
          <form
            className="inline-form"
            aria-label={`New password for ${user.username}`}
            onSubmit={(event) => {
              event.preventDefault();
              void act(async () => {
                await setPassword(user.id, password);
                setPasswordValue('');
                setSettingPassword(false);
                onChanged(`${user.username}'s password is set; earlier invite links no longer work.`);
              });
            }}
          >
            <input
              type="password"
              autoComplete="new-password"
              aria-label="New password"
              required
              value={password}
              onChange={(e) => setPasswordValue(e.target.value)}
            />
            <button type="submit" disabled={busy || password === ''}>
              Save password
            </button>
          </form>
        )}
        {error !== null && <ErrorMessage error={error} />}
      </td>
    </tr>
  );
}
