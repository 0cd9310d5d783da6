import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { cacheCapacity, FramePlayer, type FrameImage, type PlayerState, type Scheduler } from './FramePlayer';

interface Harness {
  player: FramePlayer;
  states: PlayerState[];
  drawn: string[];
  /** Resolve pending loads for these frames. */
  deliver: (...indices: number[]) => Promise<void>;
  fail: (index: number, error: unknown) => Promise<void>;
  requested: () => number[];
  /** Run animation frames up to `ms`, one every 1000/60 ms. */
  advance: (ms: number) => void;
}

function setup(options: { frameCount?: number; fps?: number; initialFrame?: number; prefetch?: number } = {}): Harness {
  const drawn: string[] = [];
  const ctx = {
    fillStyle: '',
    imageSmoothingQuality: 'low',
    fillRect: vi.fn(),
    drawImage: (image: { id: string }) => drawn.push(image.id),
  };
  const canvas = { clientWidth: 320, clientHeight: 180, width: 0, height: 0, getContext: () => ctx };

  let now = 0;
  let callbacks = new Map<number, (t: number) => void>();
  let nextHandle = 1;
  const scheduler: Scheduler = {
    request: (cb) => {
      callbacks.set(nextHandle, cb);
      return nextHandle++;
    },
    cancel: (handle) => callbacks.delete(handle),
    now: () => now,
  };

  const pending = new Map<number, { resolve: (v: FrameImage) => void; reject: (e: unknown) => void }>();
  const requestedOrder: number[] = [];
  const loader = (index: number, signal: AbortSignal): Promise<FrameImage> =>
    new Promise((resolve, reject) => {
      requestedOrder.push(index);
      pending.set(index, { resolve, reject });
      signal.addEventListener('abort', () => pending.delete(index));
    });
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 4; i += 1) await Promise.resolve();
  };

  const states: PlayerState[] = [];
  const player = new FramePlayer({
    canvas: canvas as unknown as HTMLCanvasElement,
    frameCount: options.frameCount ?? 100,
    fps: options.fps ?? 25,
    width: 640,
    height: 360,
    frameUrl: (i) => `/f/${i}.jpg`,
    onState: (s) => states.push(s),
    initialFrame: options.initialFrame ?? 0,
    prefetch: options.prefetch ?? 3,
    loader,
    scheduler,
  });

  return {
    player,
    states,
    drawn,
    requested: () => [...requestedOrder],
    deliver: async (...indices) => {
      for (const index of indices) {
        const p = pending.get(index);
        if (!p) throw new Error(`frame ${index} is not being loaded`);
        pending.delete(index);
        p.resolve({ id: `frame-${index}` } as unknown as FrameImage);
        await flush();
      }
    },
    fail: async (index, error) => {
      pending.get(index)?.reject(error);
      pending.delete(index);
      await flush();
    },
    advance: (ms) => {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + 1000 / 60);
        const due = callbacks;
        callbacks = new Map();
        for (const cb of due.values()) cb(now);
      }
    },
  };
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

describe('FramePlayer', () => {
  it('loads the current frame first, then prefetches ahead, and draws it when it arrives', async () => {
    const h = setup({ initialFrame: 10 });
    expect(h.requested()).toEqual([10, 11, 12, 13]);
    expect(last(h.states)).toMatchObject({ frame: 10, loading: true });
    await h.deliver(10);
    expect(h.drawn).toEqual(['frame-10']);
    expect(last(h.states)).toMatchObject({ frame: 10, loading: false, playing: false });
  });

  it('steps exactly one frame and prefetches in the stepping direction', async () => {
    const h = setup({ initialFrame: 10 });
    await h.deliver(10, 11);
    h.player.step(1);
    expect(h.drawn).toEqual(['frame-10', 'frame-11']);
    expect(last(h.states)?.frame).toBe(11);
    h.player.step(-1);
    h.player.step(-1);
    expect(last(h.states)).toMatchObject({ frame: 9, loading: true });
    expect(h.requested()).toContain(8); // backwards window
  });

  it('clamps seeks to the video', () => {
    const h = setup({ frameCount: 5 });
    h.player.seek(99);
    expect(h.player.state.frame).toBe(4);
    h.player.seek(-3);
    expect(h.player.state.frame).toBe(0);
  });

  it('plays at fps, frame by frame, and stops on the last frame', async () => {
    const h = setup({ frameCount: 6, fps: 25, prefetch: 10 });
    await h.deliver(0, 1, 2, 3, 4, 5);
    h.player.play();
    h.advance(100); // 2.5 frame durations at 25 fps
    expect(h.player.state.frame).toBe(2);
    h.advance(1000);
    expect(h.drawn).toEqual(['frame-0', 'frame-1', 'frame-2', 'frame-3', 'frame-4', 'frame-5']);
    expect(last(h.states)).toMatchObject({ frame: 5, playing: false });
  });

  it('waits for a frame that has not arrived instead of skipping it', async () => {
    const h = setup({ frameCount: 50, fps: 25, prefetch: 3 });
    await h.deliver(0, 1);
    h.player.play();
    h.advance(500);
    expect(h.player.state).toMatchObject({ frame: 1, playing: true, buffering: true });
    await h.deliver(2);
    h.advance(1000 / 60);
    expect(h.player.state.frame).toBe(2);
    expect(h.drawn).toEqual(['frame-0', 'frame-1', 'frame-2']);
  });

  it('shows a frame sought during playback before moving on from it', async () => {
    const h = setup({ frameCount: 100, fps: 25, prefetch: 3 });
    await h.deliver(0, 1, 2, 3);
    h.player.play();
    h.player.seek(50);
    h.advance(200);
    expect(h.player.state).toMatchObject({ frame: 50, playing: true, loading: true });
    await h.deliver(51); // the next frame arrives first
    h.advance(40);
    expect(h.drawn).toEqual(['frame-0']);
    await h.deliver(50);
    expect(h.drawn).toEqual(['frame-0', 'frame-50']);
    h.advance(40);
    expect(h.drawn).toEqual(['frame-0', 'frame-50', 'frame-51']);
  });

  it('shows a load failure of the current frame and pauses', async () => {
    const h = setup();
    await h.fail(0, new ApiError('Not found. It may have been deleted.', 404));
    expect(last(h.states)?.error).toBe('Frame 0 could not be loaded: Not found. It may have been deleted.');
    h.player.retry();
    expect(h.player.state.error).toBeNull();
  });

  it('replays from the start when play is pressed on the last frame', () => {
    const h = setup({ frameCount: 3, initialFrame: 2 });
    h.player.play();
    expect(h.player.state).toMatchObject({ frame: 0, playing: true });
  });

  it('stops scheduling after dispose', async () => {
    const h = setup();
    await h.deliver(0);
    h.player.play();
    h.player.dispose();
    h.advance(1000);
    expect(h.drawn).toEqual(['frame-0']);
  });
});

describe('cacheCapacity', () => {
  it('fits about 256 MB of decoded frames, within bounds', () => {
    expect(cacheCapacity(1920, 1080, 10)).toBe(32);
    expect(cacheCapacity(480, 848, 10)).toBe(120);
    expect(cacheCapacity(7680, 4320, 10)).toBe(24);
    expect(cacheCapacity(7680, 4320, 40)).toBe(42);
  });
});
