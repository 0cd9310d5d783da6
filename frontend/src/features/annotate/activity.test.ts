import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import type { ActivityReport } from '../../api/quality';
import { ActivityTracker, IDLE_AFTER_MS, REPORT_INTERVAL_MS, type ActivitySender } from './activity';

type Sent = { report: ActivityReport; keepalive: boolean };

function tracker(send?: ActivitySender) {
  const sent: Sent[] = [];
  const sender: ActivitySender =
    send ??
    ((report, { keepalive }) => {
      sent.push({ report, keepalive });
      return Promise.resolve();
    });
  const t = new ActivityTracker({ video: 7, send: sender, now: () => Date.now() });
  return { t, sent };
}

const total = (sent: Sent[]) => sent.reduce((s, x) => s + x.report.seconds, 0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-25T10:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ActivityTracker', () => {
  it('counts nothing before the first input', async () => {
    const { t, sent } = tracker();
    t.start();
    await vi.advanceTimersByTimeAsync(5 * REPORT_INTERVAL_MS);
    expect(sent).toEqual([]);
    expect(t.pendingMilliseconds).toBe(0);
  });

  it('counts continuous work and reports it every 30 s with the current frame', async () => {
    // given someone clicking every 10 s
    const { t, sent } = tracker();
    t.start();
    t.setFrame(12);
    for (let i = 0; i < 6; i += 1) {
      t.input();
      await vi.advanceTimersByTimeAsync(10_000);
    }
    // then two batches of 30 s went out, tagged with the video and frame
    expect(sent).toEqual([
      { report: { video: 7, seconds: 30, frame_index: 12 }, keepalive: false },
      { report: { video: 7, seconds: 30, frame_index: 12 }, keepalive: false },
    ]);
  });

  it('stops counting 60 s after the last input', async () => {
    const { t, sent } = tracker();
    t.start();
    t.input();
    await vi.advanceTimersByTimeAsync(10 * 60_000); // away for ten minutes
    expect(total(sent)).toBe(IDLE_AFTER_MS / 1000);
    expect(t.pendingMilliseconds).toBe(0);
  });

  it('does not count time while the page is hidden, and sends with keepalive on hide', async () => {
    const { t, sent } = tracker();
    t.start();
    t.input();
    await vi.advanceTimersByTimeAsync(20_000);
    t.setVisible(false);
    expect(sent).toEqual([{ report: { video: 7, seconds: 20 }, keepalive: true }]);
    // hidden: even an input in the window does not count
    t.input();
    await vi.advanceTimersByTimeAsync(40_000);
    expect(t.pendingMilliseconds).toBe(0);
    t.setVisible(true);
    t.input();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.pendingMilliseconds).toBe(5_000);
  });

  it('keeps fractions of a second for the next batch', async () => {
    const { t, sent } = tracker();
    t.input();
    await vi.advanceTimersByTimeAsync(1_500);
    await t.flush(false);
    expect(total(sent)).toBe(1);
    expect(t.pendingMilliseconds).toBe(500);
    t.input();
    await vi.advanceTimersByTimeAsync(500);
    await t.flush(false);
    expect(total(sent)).toBe(2);
  });

  it('counts overlapping inputs once', async () => {
    const { t } = tracker();
    t.input();
    await vi.advanceTimersByTimeAsync(1_000);
    t.input();
    t.input();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.pendingMilliseconds).toBe(2_000);
  });

  it('keeps the seconds when the network fails and sends them with the next batch', async () => {
    const calls: number[] = [];
    let fail = true;
    const { t } = tracker((report) => {
      calls.push(report.seconds);
      return fail ? Promise.reject(new ApiError('offline', 0)) : Promise.resolve();
    });
    t.start();
    for (let i = 0; i < 3; i += 1) {
      t.input();
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(calls).toEqual([30]);
    fail = false;
    for (let i = 0; i < 3; i += 1) {
      t.input();
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(calls).toEqual([30, 60]);
    expect(t.pendingMilliseconds).toBe(0);
  });

  it('drops a batch the server refuses', async () => {
    const calls: number[] = [];
    const { t } = tracker((report) => {
      calls.push(report.seconds);
      return Promise.reject(new ApiError('bad video', 400));
    });
    t.input();
    await vi.advanceTimersByTimeAsync(20_000);
    await t.flush(false);
    await t.flush(false);
    expect(calls).toEqual([20]);
  });

  it('splits long batches into reports of at most 300 s', async () => {
    const { t, sent } = tracker();
    // input every 50 s for 700 s without the periodic timer (as a throttled background tab would)
    for (let i = 0; i < 14; i += 1) {
      t.input();
      await vi.advanceTimersByTimeAsync(50_000);
    }
    await t.flush(false);
    expect(sent.map((s) => s.report.seconds)).toEqual([300, 300, 100]);
  });

  it('sends the rest with keepalive on stop and ignores later input', async () => {
    const { t, sent } = tracker();
    t.start();
    t.input();
    await vi.advanceTimersByTimeAsync(12_000);
    t.stop();
    expect(sent).toEqual([{ report: { video: 7, seconds: 12 }, keepalive: true }]);
    t.input();
    await vi.advanceTimersByTimeAsync(REPORT_INTERVAL_MS * 2);
    expect(sent).toHaveLength(1);
  });
});
