import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { acceptInvite, checkInvite } from '../../api/auth';
import { useSession } from '../../state/session';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAsync } from '../../ui/useAsync';
import { APP_NAME, useDocumentTitle } from '../../ui/useDocumentTitle';

/**
 * `/invite#<token>`: a new user chooses their password with the one-time link staff gave them,
 * and is logged in. The token stays in the fragment, which browsers never send to a server.
 */
export function InvitePage() {
  useDocumentTitle('Choose a password');
  const token = decodeURIComponent(useLocation().hash.replace(/^#/, ''));
  const { state } = useAsync(
    (signal) => (token ? checkInvite(token, signal) : Promise.reject(new Error('This link has no invite in it.'))),
    [token],
  );
  return (
    <div className="login-page">
      <div className="login-card">
        <h1>{APP_NAME}</h1>
        {state.status === 'loading' && <p className="muted">Checking the invite link…</p>}
        {state.status === 'error' && (
          <>
            <ErrorMessage error={state.error} />
            <p>
              <Link to="/login">Go to the login page</Link>
            </p>
          </>
        )}
        {state.status === 'done' && <ChoosePassword token={token} username={state.data.username} />}
      </div>
    </div>
  );
}

function ChoosePassword({ token, username }: { token: string; username: string }) {
  const { loggedIn } = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const mismatch = again !== '' && again !== password;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== again) return;
    setError(null);
    setSaving(true);
    try {
      const user = await acceptInvite(token, password);
      loggedIn(user);
      void navigate('/', { replace: true });
    } catch (err) {
      setError(err);
      setSaving(false);
    }
  };

  return (
    <form className="form-stack" onSubmit={onSubmit} aria-label="Choose a password">
      <p>
        Welcome, <strong>{username}</strong>. Choose a password to finish setting up your account.
      </p>
      <input type="hidden" name="username" autoComplete="username" value={username} />
      <label>
        Password
        <input
          type="password"
          autoComplete="new-password"
          required
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <label>
        Password again
        <input
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch}
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
      </label>
      {mismatch && <p className="error-inline">The two passwords differ.</p>}
      {error !== null && <ErrorMessage error={error} />}
      <button type="submit" disabled={saving || password === '' || password !== again}>
        {saving ? 'Saving…' : 'Set password and log in'}
      </button>
    </form>
  );
}
