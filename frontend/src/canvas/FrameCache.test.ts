import { describe, expect, it, vi } from 'vitest';
import { FrameCache } from './FrameCache';

/** A loader whose requests the test resolves or fails by hand. */
function manualLoader() {
  const pending = new Map<
    number,
    { resolve: (v: string) => void; reject: (e: unknown) => void; signal: AbortSignal }
  >();
  const load = vi.fn(
    (index: number, signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        pending.set(index, { resolve, reject, signal });
      }),
  );
  const settle = async (index: number, ok = true): Promise<void> => {
    const p = pending.get(index);
    if (!p) throw new Error(`frame ${index} was not requested`);
    pending.delete(index);
    if (ok) p.resolve(`frame-${index}`);
    else p.reject(new Error(`frame ${index} failed`));
    await Promise.resolve();
    await Promise.resolve();
  };
  return { load, pending, settle };
}

describe('FrameCache', () => {
  it('loads wanted frames in priority order within the concurrency limit', async () => {
    const loader = manualLoader();
    const cache = new FrameCache({ load: loader.load, capacity: 10, maxConcurrent: 2 });
    cache.want([5, 6, 7, 8]);
    expect(loader.load.mock.calls.map((c) => c[0])).toEqual([5, 6]);
    await loader.settle(5);
    expect(cache.get(5)).toBe('frame-5');
    expect(loader.load.mock.calls.map((c) => c[0])).toEqual([5, 6, 7]);
  });

  it('aborts loads that are no longer wanted and ignores their late results', async () => {
    const loader = manualLoader();
    const release = vi.fn();
    const cache = new FrameCache({ load: loader.load, capacity: 10, maxConcurrent: 6, release });
    cache.want([1, 2, 3]);
    const signal2 = loader.pending.get(2)?.signal;
    cache.want([50, 51]); // a scrub far away
    expect(signal2?.aborted).toBe(true);
    expect(cache.loadingIndices().sort()).toEqual([50, 51]);
    await loader.settle(2); // the aborted request answers anyway
    expect(cache.has(2)).toBe(false);
    expect(release).toHaveBeenCalledWith('frame-2');
  });

  it('does not load a frame twice', async () => {
    const loader = manualLoader();
    const cache = new FrameCache({ load: loader.load, capacity: 10 });
    cache.want([1, 2]);
    cache.want([2, 1]);
    await loader.settle(1);
    cache.want([1, 2, 3]);
    expect(loader.load.mock.calls.map((c) => c[0])).toEqual([1, 2, 3]);
  });

  it('evicts the least recently used frames that are not wanted', async () => {
    const loader = manualLoader();
    const release = vi.fn();
    const cache = new FrameCache({ load: loader.load, capacity: 2, release });
    cache.want([1]);
    await loader.settle(1);
    cache.want([2]);
    await loader.settle(2);
    cache.get(1); // 1 is now more recent than 2
    cache.want([3]);
    await loader.settle(3);
    expect(cache.has(1)).toBe(true);
    expect(cache.has(2)).toBe(false);
    expect(release).toHaveBeenCalledWith('frame-2');
  });

  it('keeps wanted frames even past capacity', async () => {
    const loader = manualLoader();
    const cache = new FrameCache({ load: loader.load, capacity: 1 });
    cache.want([1, 2]);
    await loader.settle(1);
    await loader.settle(2);
    expect(cache.has(1) && cache.has(2)).toBe(true);
  });

  it('reports failures and waits before asking for that frame again', async () => {
    const loader = manualLoader();
    let now = 0;
    const onError = vi.fn();
    const cache = new FrameCache({ load: loader.load, capacity: 4, retryAfterMs: 1000, onError, now: () => now });
    cache.want([7]);
    await loader.settle(7, false);
    expect(onError).toHaveBeenCalledWith(7, expect.any(Error));
    cache.want([7]);
    expect(loader.load).toHaveBeenCalledTimes(1);
    now = 1500;
    cache.want([7]);
    expect(loader.load).toHaveBeenCalledTimes(2);
    await loader.settle(7, false);
    cache.retry(); // explicit retry ignores the wait
    expect(loader.load).toHaveBeenCalledTimes(3);
  });

  it('calls onLoaded and frees everything on dispose', async () => {
    const loader = manualLoader();
    const onLoaded = vi.fn();
    const release = vi.fn();
    const cache = new FrameCache({ load: loader.load, capacity: 4, onLoaded, release });
    cache.want([1, 2]);
    await loader.settle(1);
    expect(onLoaded).toHaveBeenCalledWith(1);
    const signal2 = loader.pending.get(2)?.signal;
    cache.dispose();
    expect(signal2?.aborted).toBe(true);
    expect(release).toHaveBeenCalledWith('frame-1');
    expect(cache.has(1)).toBe(false);
  });
});
