import type { ManagedUser } from '../../api/users';

/** An account's state in a few words: whether and how it can log in. */
export function accountState(
  user: Pick<ManagedUser, 'is_active' | 'has_password' | 'invite_expires_at'>,
  now: Date = new Date(),
): string {
  if (!user.is_active) return 'Deactivated';
  if (user.has_password) return 'Active';
  if (user.invite_expires_at && new Date(user.invite_expires_at) > now) {
    return `Invited (link valid until ${new Date(user.invite_expires_at).toLocaleString()})`;
  }
  return 'No password yet (send an invite link or set one)';
}
