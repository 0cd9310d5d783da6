import { describe, expect, it } from 'vitest';
import { dueFrame, playbackTick, type TickInput } from './playback';

const always = (): boolean => true;

describe('dueFrame', () => {
  it('advances one frame per 1/fps', () => {
    const clock = { anchorFrame: 10, anchorMs: 1000 };
    expect(dueFrame(clock, 1000, 24)).toBe(10);
    expect(dueFrame(clock, 1000 + 1000 / 24 - 0.01, 24)).toBe(10);
    expect(dueFrame(clock, 1000 + 1000 / 24, 24)).toBe(11);
    expect(dueFrame(clock, 2000, 24)).toBe(34);
  });
});

describe('playbackTick', () => {
  const base: TickInput = {
    clock: { anchorFrame: 0, anchorMs: 0 },
    nowMs: 0,
    fps: 25,
    shown: 0,
    lastFrame: 99,
    isReady: always,
  };

  it('shows nothing new before the next frame is due', () => {
    expect(playbackTick({ ...base, nowMs: 39 })).toMatchObject({ show: null, buffering: false, ended: false });
  });

  it('shows the due frame when it is loaded', () => {
    expect(playbackTick({ ...base, nowMs: 40 })).toMatchObject({ show: 1, buffering: false });
    // A display slower than the video drops frames to keep real time.
    expect(playbackTick({ ...base, nowMs: 120 }).show).toBe(3);
  });

  it('falls back to the next frame and restarts the clock there when the due one is missing', () => {
    const result = playbackTick({ ...base, nowMs: 120, isReady: (i) => i !== 3 });
    expect(result.show).toBe(1);
    expect(result.clock).toEqual({ anchorFrame: 1, anchorMs: 120 });
  });

  it('waits on the current frame when the next one is not loaded', () => {
    const result = playbackTick({
      ...base,
      shown: 5,
      clock: { anchorFrame: 5, anchorMs: 0 },
      nowMs: 100,
      isReady: () => false,
    });
    expect(result).toEqual({ show: null, clock: { anchorFrame: 6, anchorMs: 100 }, buffering: true, ended: false });
    // and shows it on the first tick after it arrives
    expect(playbackTick({ ...base, shown: 5, clock: result.clock, nowMs: 101 }).show).toBe(6);
  });

  it('stops on the last frame', () => {
    const result = playbackTick({ ...base, shown: 98, clock: { anchorFrame: 98, anchorMs: 0 }, nowMs: 500 });
    expect(result).toMatchObject({ show: 99, ended: true });
  });

  it('plays every frame in order when frames arrive just in time', () => {
    // given frames that become ready one at a time, as a slow network delivers them
    let loaded = 0;
    let shown = 0;
    let clock = { anchorFrame: 0, anchorMs: 0 };
    const seen: number[] = [];
    // when ticking at 60 Hz while the video runs at 30 fps, loading one frame per 50 ms
    for (let now = 0; now <= 3000 && shown < 20; now += 1000 / 60) {
      loaded = Math.floor(now / 50);
      const r = playbackTick({ clock, nowMs: now, fps: 30, shown, lastFrame: 20, isReady: (i) => i <= loaded });
      clock = r.clock;
      if (r.show !== null) {
        shown = r.show;
        seen.push(shown);
      }
    }
    // then no frame was skipped
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
