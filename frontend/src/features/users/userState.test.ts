import { describe, expect, it } from 'vitest';
import { accountState } from './userState';

const now = new Date('2026-01-02T00:00:00Z');

describe('accountState', () => {
  it('says deactivated before anything else', () => {
    expect(accountState({ is_active: false, has_password: true, invite_expires_at: null }, now)).toBe('Deactivated');
  });
  it('says active for an account with a password', () => {
    expect(accountState({ is_active: true, has_password: true, invite_expires_at: null }, now)).toBe('Active');
  });
  it('names an open invite', () => {
    const state = accountState(
      { is_active: true, has_password: false, invite_expires_at: '2026-01-03T00:00:00Z' },
      now,
    );
    expect(state).toMatch(/^Invited \(link valid until /);
  });
  it('treats an expired invite as none', () => {
    const state = accountState(
      { is_active: true, has_password: false, invite_expires_at: '2026-01-01T00:00:00Z' },
      now,
    );
    expect(state).toBe('No password yet (send an invite link or set one)');
  });
});
