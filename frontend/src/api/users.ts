/** users/ endpoints: accounts as staff manage them, and the name lookup for adding members. */
import { apiRequest, listAll } from './client';
import type { Schemas } from './types';

export type ManagedUser = Schemas['UserAdminOutput'];
export type UserRef = Schemas['UserBrief'];
export type NewUser = Schemas['UserCreateApiInputRequest'];
export type UserChange = Schemas['UserUpdateApiPatchedInputRequest'];
export type InviteLink = Schemas['UserInviteApiOutput'];

export function listUsers(signal?: AbortSignal): Promise<ManagedUser[]> {
  return listAll<ManagedUser>('users/', signal);
}

export function createUser(input: NewUser): Promise<ManagedUser> {
  return apiRequest<ManagedUser>('users/create/', { method: 'POST', body: { ...input } });
}

export function updateUser(userId: number, change: UserChange): Promise<ManagedUser> {
  return apiRequest<ManagedUser>(`users/${userId}/`, { method: 'PATCH', body: { ...change } });
}

export function setPassword(userId: number, password: string): Promise<ManagedUser> {
  return apiRequest<ManagedUser>(`users/${userId}/password/`, { method: 'POST', body: { password } });
}

/** A new one-time link (the user's earlier one stops working); shown once. */
export function createInvite(userId: number): Promise<InviteLink> {
  return apiRequest<InviteLink>(`users/${userId}/invite/`, { method: 'POST' });
}

/** The full link to hand to the invitee: the token rides in the fragment, never sent to a server. */
export function inviteUrl(invite: Pick<InviteLink, 'path'>, origin: string = window.location.origin): string {
  return origin + invite.path;
}

export function lookUpUsers(query: string, signal?: AbortSignal): Promise<UserRef[]> {
  return apiRequest<UserRef[]>('users/lookup/', { query: { q: query }, signal });
}
