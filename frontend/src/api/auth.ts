/**
 * auth/ endpoints. Types are written by hand from the API contract until the backend publishes its
 * OpenAPI schema; then `api/schema.ts` is generated from it and these types derive from that.
 */
import { apiRequest, ensureCsrfToken } from './client';

export interface User {
  id: number;
  username: string;
  email: string;
}

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

export { ensureCsrfToken };
