// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import type { Masklet } from '../../api/masklets';
import { OverrideForm } from './OverrideForm';

const api = vi.hoisted(() => ({ overrideMasklet: vi.fn() }));
vi.mock('../../api/reviews', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/reviews')>()),
  overrideMasklet: api.overrideMasklet,
}));

afterEach(cleanup);

const masklet = { id: 4, status: 'submitted', version: 3, name: 'car' } as Masklet;

describe('OverrideForm', () => {
  it('needs a reason and sends nothing without one', () => {
    const onDone = vi.fn();
    render(<OverrideForm masklet={masklet} onDone={onDone} />);
    fireEvent.click(screen.getByRole('button', { name: 'Override' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Give the reason/);
    expect(api.overrideMasklet).not.toHaveBeenCalled();
  });

  it('sends the status and the trimmed reason, then reports the new status', async () => {
    api.overrideMasklet.mockResolvedValueOnce({ ...masklet, status: 'rejected' });
    const onDone = vi.fn();
    render(<OverrideForm masklet={masklet} onDone={onDone} />);
    fireEvent.change(screen.getByLabelText('New status'), { target: { value: 'rejected' } });
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: '  wrong object  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Override' }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith({ ...masklet, status: 'rejected' }));
    expect(api.overrideMasklet).toHaveBeenCalledWith(4, { status: 'rejected', reason: 'wrong object' });
    expect(screen.getByRole('status').textContent).toBe('Status set to rejected.');
  });

  it('shows the refusal in words', async () => {
    api.overrideMasklet.mockRejectedValueOnce(new ApiError('Only managers can override.', 403));
    render(<OverrideForm masklet={masklet} onDone={vi.fn()} />);
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Override' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Only managers can override.'));
  });
});
