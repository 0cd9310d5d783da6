/**
 * Who is logged in. Asked once at start-up (auth/me/), changed by log in / log out, and checked
 * again whenever a request is refused (the session may have expired or ended in another tab).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import * as auth from '../api/auth';
import type { User } from '../api/auth';
import { ApiError, setUnauthorizedListener } from '../api/client';

export type SessionState =
  | { status: 'checking' }
  | { status: 'anonymous' }
  | { status: 'authenticated'; user: User }
  /** The server could not be asked (network down, 5xx): not the same as being logged out. */
  | { status: 'unreachable'; message: string };

export interface Session {
  state: SessionState;
  login: (username: string, password: string) => Promise<User>;
  logout: () => Promise<void>;
  /** Ask the server again who is logged in. */
  recheck: () => void;
  /** The server logged this user in another way (an accepted invite link). */
  loggedIn: (user: User) => void;
}

const SessionContext = createContext<Session | null>(null);

function isLoggedOutError(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'checking' });
  const checking = useRef<AbortController | null>(null);

  const recheck = useCallback(() => {
    if (checking.current) return; // one auth/me/ at a time, however many requests were refused
    const controller = new AbortController();
    checking.current = controller;
    auth
      .ensureCsrfToken()
      .then(() => auth.fetchCurrentUser(controller.signal))
      .then(
        (user) => setState({ status: 'authenticated', user }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (isLoggedOutError(error)) setState({ status: 'anonymous' });
          else setState({ status: 'unreachable', message: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => {
        if (checking.current === controller) checking.current = null;
      });
  }, []);

  useEffect(() => {
    recheck();
    setUnauthorizedListener(() => recheck());
    return () => {
      setUnauthorizedListener(null);
      checking.current?.abort();
      checking.current = null;
    };
  }, [recheck]);

  const login = useCallback(async (username: string, password: string) => {
    const user = await auth.login(username, password);
    setState({ status: 'authenticated', user });
    return user;
  }, []);

  const logout = useCallback(async () => {
    await auth.logout();
    setState({ status: 'anonymous' });
  }, []);

  const loggedIn = useCallback((user: User) => setState({ status: 'authenticated', user }), []);

  const value = useMemo(() => ({ state, login, logout, recheck, loggedIn }), [state, login, logout, recheck, loggedIn]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession() needs a <SessionProvider> above it.');
  return session;
}

/** The logged-in user; only for components rendered behind RequireAuth. */
export function useCurrentUser(): User {
  const { state } = useSession();
  if (state.status !== 'authenticated') throw new Error('useCurrentUser() outside an authenticated route.');
  return state.user;
}
