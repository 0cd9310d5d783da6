// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PropagationJob } from '../../api/masklets';
import { initialPlayerState, PlayerStore } from '../../state/playerStore';
import { PropagatePanel } from './PropagatePanel';

afterEach(cleanup);

const job = (over: Partial<PropagationJob>): PropagationJob => ({
  id: 1,
  video: 1,
  masklets: [7],
  start_frame: 10,
  direction: 'forward',
  frame_start: 0,
  frame_end: null,
  overwrite: false,
  until_agreement: true,
  stops: [],
  status: 'done',
  frames_total: 90,
  frames_done: 90,
  cancel_requested: false,
  error: '',
  worker: '',
  attempts: 1,
  created_at: '2026-12-02T00:00:00Z',
  ...over,
});

function panel(props: { job: PropagationJob | null; onRecompute?: (value: string) => void }) {
  return (
    <PropagatePanel
      store={new PlayerStore(initialPlayerState(100), () => 0)}
      selected={undefined}
      limitText=""
      onLimit={() => undefined}
      recompute="auto"
      onRecompute={props.onRecompute ?? (() => undefined)}
      disabledReason={null}
      job={props.job}
      onPropagate={() => undefined}
      onCancel={() => undefined}
      onDismiss={() => undefined}
    />
  );
}

describe('PropagatePanel', () => {
  it('says where a propagation of only what changed stopped', () => {
    render(
      panel({
        job: job({
          stops: [
            {
              reverse: false,
              last: 13,
              reason: 'agreement',
              objects: { '7': { last: 13, reason: 'agreement', at: 13 } },
            },
          ],
        }),
      }),
    );
    expect(screen.getByTestId('propagation-stop').textContent).toBe(
      'Forward: stopped at frame 13; the masks agree again with the stored ones after it.',
    );
  });

  it('lets the annotator choose what a propagation recomputes', () => {
    const onRecompute = vi.fn();
    render(panel({ job: null, onRecompute }));
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'all' } });
    expect(onRecompute).toHaveBeenCalledWith('all');
    expect(screen.queryByTestId('propagation-stop')).toBeNull();
  });
});
