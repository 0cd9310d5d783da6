/** auth/ endpoints: the session, and the invite links new users choose a password with. */
import { apiRequest, ensureCsrfToken } from './client';
import type { Schemas } from './types';

export type User = Schemas['UserOutput'];
export type InviteInfo = Schemas['InviteCheckApiOutput'];

/** The logged-in user; rejects with a 403 ApiError when anonymous. */
export function fetchCurrentUser(signal?: AbortSignal): Promise<User> {
  return apiRequest<User>('auth/me/', { signal });
}

export function login(username: string, password: string): Promise<User> {
  return apiRequest<User>('auth/login/', { method: 'POST', body: { username, password } });
}

export function logout(): Promise<void> {
  return apiRequest<void>('auth/logout/', { method: 'POST' });
}

/** Whose invite a link's token is; 404 / 410 with the reason in words when it cannot be used. */
export function checkInvite(token: string, signal?: AbortSignal): Promise<InviteInfo> {
  return apiRequest<InviteInfo>('auth/invites/check/', { method: 'POST', body: { token }, signal });
}

/** Sets the invited user's password and logs them in. */
export function acceptInvite(token: string, password: string): Promise<User> {
  return apiRequest<User>('auth/invites/accept/', { method: 'POST', body: { token, password } });
}

export { ensureCsrfToken };
