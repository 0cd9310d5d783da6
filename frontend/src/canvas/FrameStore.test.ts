import { describe, expect, it, vi } from 'vitest';
import { FrameStore, type Focus } from './FrameStore';
import type { FrameSource } from './frameSource';

const CHUNK = 4;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 8; i += 1) await Promise.resolve();
};

function harness(options: { frameCount?: number; decodedCapacity?: number; encodedBudgetBytes?: number } = {}) {
  const frameCount = options.frameCount ?? 64;
  const indexOf = new Map<Blob, number>();
  const blob = (i: number, bytes = 10) => {
    const b = new Blob(['x'.repeat(bytes)]);
    indexOf.set(b, i);
    return b;
  };
  const chunks = new Map<number, { resolve: (v: Blob[]) => void; reject: (e: unknown) => void; signal: AbortSignal }>();
  const frames = new Map<number, { resolve: (v: Blob) => void; reject: (e: unknown) => void }>();
  const decodes = new Map<number, (v: { id: number }) => void>();
  const release = vi.fn();
  const released: number[] = [];
  const source: FrameSource<Blob, { id: number }> = {
    chunkSize: CHUNK,
    decode: (encoded) =>
      new Promise((resolve) => {
        decodes.set(indexOf.get(encoded) as number, resolve);
      }),
    release: (encoded) => released.push(...encoded.map((b) => indexOf.get(b) as number)),
    chunk: (c, signal) => new Promise((resolve, reject) => chunks.set(c, { resolve, reject, signal })),
    frame: (i) => new Promise((resolve, reject) => frames.set(i, { resolve, reject })),
  };
  let now = 0;
  const decoded: number[] = [];
  const errors: number[] = [];
  const store = new FrameStore<Blob, { id: number }>({
    source,
    frameCount,
    decodedCapacity: options.decodedCapacity ?? 100,
    encodedBudgetBytes: options.encodedBudgetBytes ?? 1e9,
    onDecoded: (i) => decoded.push(i),
    onError: (i) => errors.push(i),
    release,
    now: () => now,
  });
  const focus = (frame: number, extra: Partial<Focus> = {}) =>
    store.focus({ frame, shown: null, direction: 1, decodeAhead: 3, fetchAhead: 8, rest: false, ...extra });
  return {
    store,
    focus,
    decoded,
    errors,
    release,
    released,
    blob,
    chunks,
    frames,
    decodes,
    tick: (ms: number) => (now += ms),
    deliverChunk: async (c: number, bytes = 10) => {
      const first = c * CHUNK;
      chunks
        .get(c)
        ?.resolve(Array.from({ length: Math.min(CHUNK, frameCount - first) }, (_, k) => blob(first + k, bytes)));
      chunks.delete(c);
      await flush();
    },
    finishDecodes: async (...indices: number[]) => {
      for (const i of indices) {
        decodes.get(i)?.({ id: i });
        decodes.delete(i);
      }
      await flush();
    },
  };
}

describe('FrameStore', () => {
  it("downloads the playhead's chunk alone, then two at once, nearest first, within the window", async () => {
    const h = harness();
    h.focus(10);
    expect([...h.chunks.keys()]).toEqual([2]);
    expect([...h.frames.keys()]).toEqual([]); // single frames only once the playhead rests
    await h.deliverChunk(2);
    expect([...h.chunks.keys()]).toEqual([3, 4]);
  });

  it('fetches the resting frame at full size and keeps it over its scrubbing-size one', async () => {
    const h = harness();
    h.focus(1);
    await h.deliverChunk(0);
    await h.finishDecodes(1);
    expect(h.store.get(1)).toEqual({ value: { id: 1 }, full: false });
    h.focus(1, { rest: true });
    expect([...h.frames.keys()]).toEqual([1]);
    h.frames.get(1)?.resolve(h.blob(1));
    await flush();
    await h.finishDecodes(1);
    expect(h.store.get(1)?.full).toBe(true);
    expect(h.decoded).toEqual([1, 1]);
    expect(h.release).toHaveBeenCalledWith({ id: 1 }); // the scrubbing-size bitmap
    expect(h.released).toContain(1); // the full-size bytes, once decoded
  });

  it('decodes the playhead first and a few frames ahead, the playhead even when the others are busy', async () => {
    const h = harness();
    h.focus(0);
    await h.deliverChunk(0);
    expect([...h.decodes.keys()]).toEqual([0, 1, 2]); // the playhead and two more: three at once
    h.focus(3);
    expect([...h.decodes.keys()]).toEqual([0, 1, 2, 3]);
    await h.finishDecodes(0, 1, 2, 3);
    expect(h.decoded).toEqual([0, 1, 2, 3]);
    expect(h.store.has(3)).toBe(true);
  });

  it('aborts downloads that fell out of the window after a jump', () => {
    const h = harness();
    h.focus(0);
    const first = h.chunks.get(0)?.signal;
    h.focus(40);
    expect(first?.aborted).toBe(true);
    expect([...h.chunks.keys()]).toContain(10);
  });

  it('keeps the downloads a scrub just passed, without counting them against the limit', () => {
    const h = harness();
    h.focus(0);
    const passed = h.chunks.get(0)?.signal;
    h.focus(5, { shown: 0 });
    expect(passed?.aborted).toBe(false);
    expect([...h.chunks.keys()]).toEqual([0, 1]);
  });

  it('reports a failed frame and does not ask again before the retry delay', async () => {
    const h = harness();
    h.focus(7, { rest: true });
    h.frames.get(7)?.reject(new Error('boom'));
    h.frames.delete(7);
    await flush();
    expect(h.errors).toEqual([7]);
    h.focus(7, { rest: true });
    expect(h.frames.has(7)).toBe(false);
    h.tick(2500);
    h.focus(7, { rest: true });
    expect(h.frames.has(7)).toBe(true);
  });

  it('evicts the least recently used decoded frames, never the wanted ones', async () => {
    const h = harness({ decodedCapacity: 4 });
    h.focus(0, { decodeAhead: 0 });
    await h.deliverChunk(0);
    await h.finishDecodes(0);
    for (const f of [1, 2, 3, 4, 5]) {
      h.focus(f, { decodeAhead: 0 });
      if (f === 4) await h.deliverChunk(1);
      await h.finishDecodes(f);
    }
    expect(h.store.has(5)).toBe(true);
    expect(h.store.has(4)).toBe(true); // one behind the playhead is wanted too
    expect(h.store.has(0)).toBe(false);
    expect(h.release).toHaveBeenCalled();
  });

  it('drops encoded chunks beyond the byte budget, oldest first', async () => {
    const h = harness({ encodedBudgetBytes: 100 });
    h.focus(0, { fetchAhead: 0 });
    await h.deliverChunk(0, 20); // 80 bytes
    h.focus(20, { fetchAhead: 0 });
    await h.deliverChunk(5, 20);
    h.focus(0, { fetchAhead: 0, decodeAhead: 0 });
    // chunk 0 was dropped for chunk 5 (its bytes given back): frame 0 is asked for again
    expect(h.released).toEqual([0, 1, 2, 3]);
    expect(h.chunks.has(0)).toBe(true);
  });

  it('stops everything on dispose and releases what it decoded', async () => {
    const h = harness();
    h.focus(0);
    await h.deliverChunk(0);
    await h.finishDecodes(0);
    const pending = h.chunks.get(1)?.signal;
    h.store.dispose();
    expect(pending?.aborted).toBe(true);
    expect(h.release).toHaveBeenCalledWith({ id: 0 });
  });
});
