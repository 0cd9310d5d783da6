// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { LoginPage, redirectTarget } from './LoginPage';

const session = vi.hoisted(() => ({
  state: { status: 'anonymous' },
  login: vi.fn<(u: string, p: string) => Promise<unknown>>(),
}));
vi.mock('../../state/session', () => ({
  useSession: () => ({ state: session.state, login: session.login, logout: vi.fn(), recheck: vi.fn() }),
}));

afterEach(cleanup);

describe('redirectTarget', () => {
  it('returns to the page that required the login', () => {
    expect(redirectTarget({ from: '/videos/3?frame=12' })).toBe('/videos/3?frame=12');
  });

  it('never leaves the app', () => {
    expect(redirectTarget({ from: 'https://evil.example/' })).toBe('/');
    expect(redirectTarget({ from: '//evil.example/' })).toBe('/');
    expect(redirectTarget({ from: '/login' })).toBe('/');
    expect(redirectTarget(null)).toBe('/');
    expect(redirectTarget({ from: 42 })).toBe('/');
  });
});

function renderLogin() {
  render(
    <MemoryRouter initialEntries={[{ pathname: '/login', state: { from: '/projects/7' } }]}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/projects/7" element={<p>project seven</p>} />
      </Routes>
    </MemoryRouter>,
  );
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'ann' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret' } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('LoginPage', () => {
  it("shows the API's message when the credentials are wrong", async () => {
    session.login.mockRejectedValueOnce(new ApiError('Invalid username or password.', 400));
    renderLogin();
    expect((await screen.findByRole('alert')).textContent).toBe('Invalid username or password.');
    expect(session.login).toHaveBeenCalledWith('ann', 'secret');
    expect(screen.getByRole('button', { name: 'Log in' })).toHaveProperty('disabled', false);
  });

  it('goes back to the page that asked for the login', async () => {
    session.login.mockResolvedValueOnce({ id: 1, username: 'ann', email: '' });
    renderLogin();
    expect(await screen.findByText('project seven')).toBeTruthy();
  });
});
