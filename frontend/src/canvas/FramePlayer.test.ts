import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { cacheCapacity, FramePlayer, type FrameImage, type PlayerState, type Scheduler } from './FramePlayer';
import type { FrameSource } from './frameSource';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

interface Harness {
  player: FramePlayer;
  states: PlayerState[];
  drawn: string[];
  /** Answer the pending single-frame requests for these frames. */
  frame: (...indices: number[]) => Promise<void>;
  /** Answer the pending chunk requests for these chunks. */
  chunk: (...indices: number[]) => Promise<void>;
  failFrame: (index: number, error: unknown) => Promise<void>;
  failChunk: (index: number) => Promise<void>;
  frameRequests: () => number[];
  chunkRequests: () => number[];
  /** Run animation frames up to `ms`, one every 1000/60 ms. */
  advance: (ms: number) => void;
}

const CHUNK = 4;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 8; i += 1) await Promise.resolve();
};

function setup(options: { frameCount?: number; fps?: number; initialFrame?: number } = {}): Harness {
  const frameCount = options.frameCount ?? 100;
  const drawn: string[] = [];
  const ctx = {
    fillStyle: '',
    imageSmoothingEnabled: true,
    imageSmoothingQuality: 'low',
    fillRect: vi.fn(),
    drawImage: (image: { id: string }) => drawn.push(image.id),
  };
  const canvas = { clientWidth: 320, clientHeight: 180, width: 0, height: 0, getContext: () => ctx };

  let now = 0;
  let callbacks = new Map<number, (t: number) => void>();
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextHandle = 1;
  const scheduler: Scheduler = {
    request: (cb) => {
      callbacks.set(nextHandle, cb);
      return nextHandle++;
    },
    cancel: (handle) => callbacks.delete(handle),
    now: () => now,
    delay: (callback, ms) => {
      const handle = nextHandle++;
      timers.set(handle, { at: now + ms, callback });
      return () => timers.delete(handle);
    },
  };

  // Each encoded frame is a Blob the fake decoder recognises: "frame-N" from a chunk (scrubbing
  // size), "full-N" fetched alone (full size).
  const nameOf = new Map<Blob, string>();
  const blob = (name: string) => {
    const b = new Blob([name]);
    nameOf.set(b, name);
    return b;
  };
  const frames = new Map<number, Pending<Blob>>();
  const chunks = new Map<number, Pending<Blob[]>>();
  const frameOrder: number[] = [];
  const chunkOrder: number[] = [];
  const source: FrameSource<Blob, FrameImage> = {
    chunkSize: CHUNK,
    decode: (encoded) => Promise.resolve({ id: nameOf.get(encoded) } as unknown as FrameImage),
    chunk: (c, signal) =>
      new Promise((resolve, reject) => {
        chunkOrder.push(c);
        chunks.set(c, { resolve, reject });
        signal.addEventListener('abort', () => chunks.delete(c));
      }),
    frame: (i, signal) =>
      new Promise((resolve, reject) => {
        frameOrder.push(i);
        frames.set(i, { resolve, reject });
        signal.addEventListener('abort', () => frames.delete(i));
      }),
  };

  const states: PlayerState[] = [];
  const player = new FramePlayer({
    canvas: canvas as unknown as HTMLCanvasElement,
    frameCount,
    fps: options.fps ?? 25,
    width: 640,
    height: 360,
    source,
    onState: (s) => states.push(s),
    initialFrame: options.initialFrame ?? 0,
    scheduler,
  });

  return {
    player,
    states,
    drawn,
    frameRequests: () => [...frameOrder],
    chunkRequests: () => [...chunkOrder],
    frame: async (...indices) => {
      for (const i of indices) {
        const p = frames.get(i);
        if (!p) throw new Error(`frame ${i} is not being fetched`);
        frames.delete(i);
        p.resolve(blob(`full-${i}`));
        await flush();
      }
    },
    chunk: async (...indices) => {
      for (const c of indices) {
        const p = chunks.get(c);
        if (!p) throw new Error(`chunk ${c} is not being fetched`);
        chunks.delete(c);
        const first = c * CHUNK;
        p.resolve(Array.from({ length: Math.min(CHUNK, frameCount - first) }, (_, k) => blob(`frame-${first + k}`)));
        await flush();
      }
    },
    failFrame: async (i, error) => {
      frames.get(i)?.reject(error);
      frames.delete(i);
      await flush();
    },
    failChunk: async (c) => {
      chunks.get(c)?.reject(new Error('chunk refused'));
      chunks.delete(c);
      await flush();
    },
    advance: (ms) => {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + 1000 / 60);
        const due = callbacks;
        callbacks = new Map();
        for (const cb of due.values()) cb(now);
        for (const [handle, timer] of timers) {
          if (timer.at > now) continue;
          timers.delete(handle);
          timer.callback();
        }
      }
    },
  };
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

describe('FramePlayer', () => {
  it('draws a frame from its chunk at once, then at full size once the playhead rests', async () => {
    const h = setup({ initialFrame: 10 });
    expect(h.chunkRequests()).toEqual([2]); // frames 8-11 first, alone
    expect(h.frameRequests()).toEqual([]);
    expect(last(h.states)).toMatchObject({ frame: 10, shown: null, loading: true });
    await h.chunk(2);
    expect(h.drawn).toEqual(['frame-10']);
    expect(last(h.states)).toMatchObject({ frame: 10, shown: 10, full: false, loading: false });
    expect(h.chunkRequests()).toEqual([2, 3, 4]); // then the ones ahead, two at a time
    h.advance(200); // resting
    expect(h.frameRequests()).toEqual([10]);
    await h.frame(10);
    expect(h.drawn).toEqual(['frame-10', 'full-10']);
    expect(last(h.states)).toMatchObject({ frame: 10, shown: 10, full: true });
  });

  it('steps through a chunk without fetching single frames', async () => {
    const h = setup({ initialFrame: 0 });
    await h.chunk(0, 1);
    h.player.step(1);
    h.player.step(1);
    expect(h.drawn).toEqual(['frame-0', 'frame-1', 'frame-2']);
    expect(h.frameRequests()).toEqual([]);
  });

  it('keeps the picture moving towards a held arrow key instead of waiting for the last frame', async () => {
    // given: frames 0-3 here, the key repeating faster than the next chunks arrive
    const h = setup({ initialFrame: 0 });
    await h.chunk(0);
    for (let i = 0; i < 9; i += 1) h.player.step(1);
    expect(h.player.state).toMatchObject({ frame: 9, shown: 3, loading: true });
    // when: frames 4-7 arrive while the playhead is at 9
    await h.chunk(1);
    // then: the newest frame on the way is shown, and the state says which one
    expect(last(h.drawn)).toBe('frame-7');
    expect(h.player.state).toMatchObject({ frame: 9, shown: 7, loading: true });
    await h.chunk(2);
    expect(h.player.state).toMatchObject({ frame: 9, shown: 9, loading: false });
  });

  it('never shows a frame behind the one on screen, nor one past the playhead', async () => {
    const h = setup({ initialFrame: 9 });
    await h.chunk(2);
    h.player.step(-1);
    h.player.step(-1);
    h.player.step(-1); // playhead 6, frames 4-7 on their way
    await h.chunk(1);
    expect(h.drawn).toEqual(['frame-9', 'frame-8', 'frame-6']);
  });

  it('asks for chunks behind the playhead when stepping backwards', () => {
    const h = setup({ initialFrame: 40 });
    h.player.step(-1);
    expect(h.chunkRequests()).toContain(9);
  });

  it('clamps seeks to the video', () => {
    const h = setup({ frameCount: 5 });
    h.player.seek(99);
    expect(h.player.state.frame).toBe(4);
    h.player.seek(-3);
    expect(h.player.state.frame).toBe(0);
  });

  it('plays at fps, frame by frame, and stops on the last frame', async () => {
    const h = setup({ frameCount: 6, fps: 25 });
    await h.chunk(0, 1);
    h.player.play();
    h.advance(100); // 2.5 frame durations at 25 fps
    expect(h.player.state.frame).toBe(2);
    h.advance(1000);
    expect(h.drawn.slice(0, 6)).toEqual(['frame-0', 'frame-1', 'frame-2', 'frame-3', 'frame-4', 'frame-5']);
    expect(last(h.states)).toMatchObject({ frame: 5, playing: false });
  });

  it('waits for a frame that has not arrived instead of skipping it', async () => {
    const h = setup({ frameCount: 50, fps: 25 });
    await h.chunk(0);
    h.player.play();
    h.advance(500);
    expect(h.player.state).toMatchObject({ frame: 3, playing: true, buffering: true });
    await h.chunk(1);
    h.advance(1000 / 60);
    expect(h.player.state.frame).toBe(4);
    expect(h.drawn).toEqual(['frame-0', 'frame-1', 'frame-2', 'frame-3', 'frame-4']);
  });

  it('shows a frame sought during playback before moving on from it', async () => {
    const h = setup({ frameCount: 100, fps: 25 });
    await h.chunk(0);
    h.player.play();
    h.player.seek(50);
    h.advance(200);
    expect(h.player.state).toMatchObject({ frame: 50, playing: true, loading: true });
    expect(h.drawn).toEqual(['frame-0']);
    await h.chunk(12);
    expect(h.drawn).toEqual(['frame-0', 'frame-50']);
    h.advance(40);
    expect(h.drawn).toEqual(['frame-0', 'frame-50', 'frame-51']);
  });

  it("fetches the frame alone when its chunk fails, and shows that frame's failure", async () => {
    const h = setup();
    await h.failChunk(0);
    expect(h.frameRequests()).toEqual([0]);
    await h.failFrame(0, new ApiError('Not found. It may have been deleted.', 404));
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
    await h.chunk(0);
    h.player.play();
    h.player.dispose();
    h.advance(1000);
    expect(h.drawn).toEqual(['frame-0']);
  });
});

describe('cacheCapacity', () => {
  it('fits about 256 MB of decoded frames, within bounds', () => {
    expect(cacheCapacity(1920, 1080)).toBe(32);
    expect(cacheCapacity(480, 848)).toBe(120);
    expect(cacheCapacity(7680, 4320)).toBe(24);
  });
});
