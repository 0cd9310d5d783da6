// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LabelBar } from './LabelBar';
import { StatusLine } from './WorkspaceNotices';

afterEach(cleanup);

describe('StatusLine', () => {
  it('names SAM 2 state honestly, and flags it only when clicks are off', () => {
    const { rerender } = render(
      <StatusLine info={null} stream="live" sam2={{ state: 'ready', available: true, workers: 1, message: '' }} />,
    );
    expect(screen.getByTestId('sam2-status').textContent).toBe('SAM 2 ready');
    expect(screen.getByText('Live updates: on')).toBeTruthy();
    rerender(
      <StatusLine
        info="Undid the click on frame 3."
        stream="reconnecting"
        sam2={{ state: 'starting', available: false, workers: 0, message: 'SAM 2 is starting (loading the model).' }}
      />,
    );
    const chip = screen.getByTestId('sam2-banner');
    expect(chip.textContent).toMatch(/^SAM 2 starting…: clicks and boxes are off, the brush works$/);
    expect(chip.getAttribute('title')).toBe('SAM 2 is starting (loading the model).');
    expect(screen.getByRole('status').textContent).toBe('Undid the click on frame 3.');
    expect(screen.getByText('Live updates: reconnecting')).toBeTruthy();
  });
});

describe('LabelBar', () => {
  const labels = [
    { id: 1, name: 'person', color: '#ff0000', order: 0, hotkey: 1, key: 1 },
    { id: 2, name: 'car', color: '#00ff00', order: 1, hotkey: null, key: null },
  ];

  it('shows each label with its key, and says what a picked label does', () => {
    const onPick = vi.fn();
    const { rerender } = render(<LabelBar labels={labels} armed={null} disabledReason={null} onPick={onPick} />);
    fireEvent.click(screen.getByRole('button', { name: /person/ }));
    expect(onPick).toHaveBeenCalledWith(1);
    rerender(<LabelBar labels={labels} armed={1} disabledReason={null} onPick={onPick} />);
    expect(screen.getByRole('button', { name: /person/ }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('status').textContent).toBe('Click or paint on the frame to add a person (Esc: cancel)');
    fireEvent.click(screen.getByRole('button', { name: /person/ }));
    expect(onPick).toHaveBeenLastCalledWith(null);
  });

  it('is disabled with the reason for those who may not add objects', () => {
    render(<LabelBar labels={labels} armed={null} disabledReason="no task is yours" onPick={vi.fn()} />);
    const button = screen.getByRole<HTMLButtonElement>('button', { name: /car/ });
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('no task is yours');
  });
});
