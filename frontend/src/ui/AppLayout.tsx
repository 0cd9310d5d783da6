import { useCallback, useEffect, useState } from 'react';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { describeError } from '../api/client';
import { useSession } from '../state/session';
import { HelpOverlay } from './HelpOverlay';
import { belongsToControl, GLOBAL_SHORTCUTS, matchShortcut } from './shortcuts';
import { APP_NAME } from './useDocumentTitle';

/** Header, help overlay and the page below, for logged-in users; others are sent to /login. */
export function AppLayout() {
  const { state, logout, recheck } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [helpOpen, setHelpOpen] = useState(false);
  const [logoutError, setLogoutError] = useState<string | null>(null);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (belongsToControl(event.target, event.key)) return;
      const shortcut = matchShortcut(event, GLOBAL_SHORTCUTS);
      if (shortcut?.id === 'help') {
        event.preventDefault();
        setHelpOpen((open) => !open);
      } else if (shortcut?.id === 'closeOverlay') {
        setHelpOpen(false);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  const onLogout = useCallback(async () => {
    setLogoutError(null);
    try {
      await logout();
      void navigate('/login', { replace: true });
    } catch (error) {
      // Still logged in on the server: say so instead of pretending.
      setLogoutError(`Could not log out: ${describeError(error)}`);
    }
  }, [logout, navigate]);

  if (state.status === 'checking') return <p className="page-status">Loading…</p>;
  if (state.status === 'unreachable') {
    return (
      <div className="page-status">
        <p role="alert">Cannot reach the server: {state.message}</p>
        <button type="button" onClick={recheck}>
          Try again
        </button>
      </div>
    );
  }
  if (state.status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }

  return (
    <div className="app">
      <header className="app-header">
        <Link to="/" className="app-name">
          {APP_NAME}
        </Link>
        <nav className="app-nav">
          <Link to="/">Projects</Link>
          {state.user.is_staff && <Link to="/users">Users</Link>}
        </nav>
        <div className="app-user">
          {logoutError && (
            <span className="error-inline" role="alert">
              {logoutError}
            </span>
          )}
          <span className="user-name" title={state.user.email || undefined}>
            {state.user.username}
          </span>
          <button
            type="button"
            className="button-secondary help-button"
            onClick={() => setHelpOpen(true)}
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
          >
            ?
          </button>
          <button type="button" className="button-secondary" onClick={onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main className="app-main">
        <Outlet />
      </main>
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
    </div>
  );
}
