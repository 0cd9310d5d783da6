// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Project } from '../../api/projects';
import type { AnnotatorStats, Dashboard, DashboardQuery } from '../../api/quality';
import { DashboardPage } from './DashboardPage';

const api = vi.hoisted(() => ({
  getProject: vi.fn<(id: number, signal?: AbortSignal) => Promise<Project>>(),
  getDashboard: vi.fn<(id: number, query?: DashboardQuery, signal?: AbortSignal) => Promise<Dashboard>>(),
}));
vi.mock('../../api/projects', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/projects')>()),
  getProject: api.getProject,
}));
vi.mock('../../api/quality', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/quality')>()),
  getDashboard: api.getDashboard,
}));

const project: Project = {
  id: 3,
  name: 'Cars',
  description: '',
  guidelines: '',
  my_role: 'manager',
  frame_step: 1,
  verifications_required: 1,
  consensus_k: 1,
  created_at: '2026-01-01T00:00:00Z',
};

function annotator(id: number, username: string, masklets: number, rejection_rate: number | null): AnnotatorStats {
  return {
    user: { id, username },
    masklets,
    accepted: 1,
    rejected: 0,
    frames_annotated: masklets * 10,
    clicks: masklets * 3,
    clicks_per_masklet: 3,
    active_seconds: 600,
    seconds_per_frame: 6,
    rejection_rate,
    agreement_jf: null,
    ground_truth_jf: 0.8123,
  };
}

const dashboard: Dashboard = {
  status_counts: { draft: 2, submitted: 1, accepted: 4, rejected: 1, reworked: 0 },
  totals: { masklets: 8, frames_annotated: 80, clicks: 24, active_seconds: 1200, reviews: 6, unsatisfactory: 1 },
  annotators: [annotator(11, 'ann', 5, 0.2), annotator(12, 'ben', 3, 0.5)],
  throughput: [{ date: '2026-11-20', frames_annotated: 30, submitted: 2, accepted: 1 }],
  automatic: {
    proposed: 10,
    submitted: 10,
    awaiting: 2,
    accepted: 6,
    rejected: 2,
    acceptance_rate: 0.75,
    corrected_masklets: 2,
    corrected_seconds: 120,
    seconds_per_corrected_masklet: 60,
    manual_masklets: 4,
    manual_seconds: 960,
    seconds_per_manual_masklet: 240,
  },
};

function renderAt(url: string) {
  render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/projects/:projectId/quality" element={<DashboardPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const usernames = () =>
  within(screen.getByTestId('annotator-table'))
    .getAllByRole('row')
    .slice(1)
    .map((r) => within(r).getAllByRole('cell')[0]?.textContent);

beforeEach(() => {
  api.getProject.mockReset();
  api.getDashboard.mockReset();
  api.getProject.mockResolvedValue(project);
  api.getDashboard.mockResolvedValue(dashboard);
});

afterEach(cleanup);

describe('DashboardPage', () => {
  it("shows the automatic pipeline's yield and correction time against manual time", async () => {
    renderAt('/projects/3/quality');
    const section = await screen.findByRole('region', { name: 'Automatic pipeline' });
    const facts = within(section);
    expect(facts.getByText('Proposed').nextElementSibling?.textContent).toBe('10');
    expect(facts.getByText('Accepted').nextElementSibling?.textContent).toContain('75.0%');
    expect(facts.getByText('Rejected (manual tasks)').nextElementSibling?.textContent).toBe('2');
    expect(facts.getByText('Time per corrected masklet').nextElementSibling?.textContent).toContain('2 masklets');
    expect(facts.getByText('Time per manual masklet').nextElementSibling?.textContent).toContain('4 masklets');
  });

  it('shows totals, three charts and the annotators, most masklets first', async () => {
    renderAt('/projects/3/quality');
    await screen.findByTestId('annotator-table');
    expect(api.getDashboard).toHaveBeenCalledWith(3, { days: 30, annotator: undefined }, expect.anything());
    expect(usernames()).toEqual(['ann', 'ben']);
    expect(screen.getAllByRole('img')).toHaveLength(3);
    expect(screen.getByRole('img', { name: 'Masklets by status' })).toBeTruthy();
    expect(screen.getAllByText('0.812')).toHaveLength(2);
    expect(screen.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toBe(
      '/api/v1/projects/3/dashboard.csv?days=30',
    );
  });

  it('sorts by a column when its header is clicked', async () => {
    renderAt('/projects/3/quality');
    await screen.findByTestId('annotator-table');
    fireEvent.click(screen.getByRole('button', { name: /Rejection rate/ }));
    expect(usernames()).toEqual(['ben', 'ann']);
    const header = screen.getByRole('columnheader', { name: /Rejection rate/ });
    expect(header.getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(screen.getByRole('button', { name: /Rejection rate/ }));
    expect(usernames()).toEqual(['ann', 'ben']);
  });

  it('filters to an annotator when their name is clicked, and changes the range', async () => {
    renderAt('/projects/3/quality');
    await screen.findByTestId('annotator-table');
    fireEvent.click(screen.getByRole('button', { name: 'ben' }));
    await waitFor(() =>
      expect(api.getDashboard).toHaveBeenLastCalledWith(3, { days: 30, annotator: 12 }, expect.anything()),
    );
    await screen.findByText(/Showing/);
    expect(screen.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toBe(
      '/api/v1/projects/3/dashboard.csv?annotator=12&days=30',
    );
    fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    await waitFor(() =>
      expect(api.getDashboard).toHaveBeenLastCalledWith(3, { days: 7, annotator: 12 }, expect.anything()),
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Show everyone' }));
    await waitFor(() =>
      expect(api.getDashboard).toHaveBeenLastCalledWith(3, { days: 7, annotator: undefined }, expect.anything()),
    );
  });

  it('tells annotators the dashboard is not for them', async () => {
    api.getProject.mockResolvedValue({ ...project, my_role: 'annotator' });
    renderAt('/projects/3/quality');
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect(api.getDashboard).not.toHaveBeenCalled();
  });
});
