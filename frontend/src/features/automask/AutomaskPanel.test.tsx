// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutomaskJob, AutomaskRequest } from '../../api/automask';
import { AutomaskPanel } from './AutomaskPanel';
import { DEFAULT_FORM, parseFrames, toRequest } from './automaskForm';

const api = vi.hoisted(() => ({
  listAutomaskJobs: vi.fn<(videoId: number, signal?: AbortSignal) => Promise<AutomaskJob[]>>(),
  getAutomaskJob: vi.fn<(jobId: number, signal?: AbortSignal) => Promise<AutomaskJob>>(),
  startAutomask: vi.fn<(videoId: number, request: AutomaskRequest) => Promise<AutomaskJob>>(),
  cancelAutomask: vi.fn<(jobId: number) => Promise<AutomaskJob>>(),
}));
vi.mock('../../api/automask', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/automask')>()),
  ...api,
}));

function job(overrides: Partial<AutomaskJob> = {}): AutomaskJob {
  return {
    id: 41,
    video: 7,
    status: 'running',
    progress_done: 30,
    progress_total: 120,
    cancel_requested: false,
    error: '',
    attempts: 1,
    worker: '',
    key_frame_mode: 'listed',
    key_frames: [0, 12],
    settings: toRequestSettings(),
    max_masklets: 50,
    dedup_iou: 0.5,
    objects_per_batch: 8,
    counts: { proposed: 5, submitted: 2, awaiting: 2, accepted: 0, rejected: 0 },
    key_frames_done: [{ frame: 0, generated: 9, duplicates: 4, over_cap: 0, generate_s: 1.5 }],
    created_at: '2026-12-02T12:00:00Z',
    finished_at: null,
    ...overrides,
  };
}

function toRequestSettings(): AutomaskJob['settings'] {
  const built = toRequest(DEFAULT_FORM);
  if ('error' in built || !built.request.settings) throw new Error('defaults must build');
  return built.request.settings;
}

beforeEach(() => {
  vi.resetAllMocks();
});
afterEach(cleanup);

describe('AutomaskPanel', () => {
  it('starts a job on listed key frames and follows it to the end', async () => {
    // given: a video without auto-annotation yet
    api.listAutomaskJobs.mockResolvedValue([]);
    api.startAutomask.mockResolvedValue(job());
    api.getAutomaskJob.mockResolvedValue(
      job({
        status: 'done',
        progress_done: 120,
        counts: { proposed: 5, submitted: 5, awaiting: 5, accepted: 0, rejected: 0 },
      }),
    );
    render(<AutomaskPanel videoId={7} />);
    await waitFor(() => expect(api.listAutomaskJobs).toHaveBeenCalledWith(7, expect.anything()));

    // when: the manager picks listed frames and a cap, and starts
    fireEvent.change(screen.getByLabelText('Key frames'), { target: { value: 'listed' } });
    fireEvent.change(screen.getByLabelText('Frames'), { target: { value: '0, 12' } });
    fireEvent.change(screen.getByLabelText('At most masklets'), { target: { value: '20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start auto-annotation' }));

    // then: the request carries them, and the running job's progress shows with a cancel button
    await waitFor(() => expect(api.startAutomask).toHaveBeenCalledTimes(1));
    const [videoId, request] = api.startAutomask.mock.calls[0]!;
    expect(videoId).toBe(7);
    expect(request).toMatchObject({ key_frame_mode: 'listed', frames: [0, 12], max_masklets: 20, dedup_iou: 0.5 });
    expect(request.settings?.points_per_side).toBe(32);
    expect(await screen.findByText('Running')).toBeTruthy();
    expect(screen.getByLabelText('Auto-annotation progress')).toBeTruthy();
    expect(screen.getByText(/1 of 2 key frames · 5 proposed · 2 in the review queue/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();

    // and polling brings the finished job: no progress bar, the form is back
    expect(await screen.findByText('Done', {}, { timeout: 10_000 })).toBeTruthy();
    expect(api.getAutomaskJob).toHaveBeenCalledWith(41, expect.anything());
    expect(screen.queryByLabelText('Auto-annotation progress')).toBeNull();
    expect(screen.getByRole('button', { name: 'Start auto-annotation' })).toBeTruthy();
  });

  it('cancels the running job', async () => {
    api.listAutomaskJobs.mockResolvedValue([job()]);
    api.getAutomaskJob.mockResolvedValue(job());
    api.cancelAutomask.mockResolvedValue(job({ status: 'cancelled', finished_at: '2026-12-02T12:01:00Z' }));
    render(<AutomaskPanel videoId={7} />);
    // the form stays hidden while a job runs
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(api.cancelAutomask).toHaveBeenCalledWith(41));
    expect(await screen.findByText('Cancelled')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Start auto-annotation' })).toBeTruthy();
  });

  it('says what is wrong with the form instead of sending it', async () => {
    api.listAutomaskJobs.mockResolvedValue([]);
    render(<AutomaskPanel videoId={7} />);
    fireEvent.change(screen.getByLabelText('Key frames'), { target: { value: 'listed' } });
    fireEvent.change(screen.getByLabelText('Frames'), { target: { value: '0, twelve' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start auto-annotation' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/frame numbers/);
    expect(api.startAutomask).not.toHaveBeenCalled();
  });
});

describe('parseFrames', () => {
  it('reads frame numbers separated by commas or spaces', () => {
    expect(parseFrames('0, 24 48;96')).toEqual([0, 24, 48, 96]);
    expect(parseFrames('')).toBeNull();
    expect(parseFrames('1.5')).toBeNull();
    expect(parseFrames('-3')).toBeNull();
  });
});
