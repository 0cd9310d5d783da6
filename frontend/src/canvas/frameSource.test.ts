import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChunkFormatError, httpFrameSource, parseChunk } from './frameSource';

/** A chunk as backend/videos/delivery.py packs it. */
function pack(first: number, frames: string[]): Blob {
  const header = new DataView(new ArrayBuffer(12 + 4 * frames.length));
  [83, 70, 67, 49].forEach((c, i) => header.setUint8(i, c)); // "SFC1"
  header.setUint32(4, first, true);
  header.setUint32(8, frames.length, true);
  frames.forEach((f, i) => header.setUint32(12 + 4 * i, f.length, true));
  return new Blob([header.buffer, ...frames]);
}

describe('parseChunk', () => {
  it('slices the chunk into its frames, in order', async () => {
    const frames = await parseChunk(pack(32, ['aa', 'bbb', 'c']), 32);
    expect(await Promise.all(frames.map((f) => f.text()))).toEqual(['aa', 'bbb', 'c']);
    expect(frames[0]?.type).toBe('image/jpeg');
  });

  it.each([
    ['not a chunk', new Blob(['<html>error</html>']), 0, /Not a frame chunk/],
    ['another chunk', pack(16, ['a']), 0, /starts at frame 16, not 0/],
    ['cut short', new Blob([pack(0, ['aaaa', 'bb'])]).slice(0, 20), 0, /has 20 bytes/],
  ])('refuses %s', async (_name, body, first, message) => {
    await expect(parseChunk(body, first)).rejects.toThrow(ChunkFormatError);
    await expect(parseChunk(body, first)).rejects.toThrow(message);
  });
});

describe('httpFrameSource', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fetches chunks and frames from the video URLs', async () => {
    const fetchMock = vi.fn((url: string) =>
      Promise.resolve(url.includes('chunks') ? new Response(pack(16, ['x', 'y'])) : new Response('jpeg')),
    );
    vi.stubGlobal('fetch', fetchMock);
    const source = httpFrameSource({
      frame_url_template: '/v/7/frames/{frame}.jpg',
      chunk_url_template: '/v/7/frames/chunks/{chunk}.sfc',
      chunk_size: 16,
    });
    const signal = new AbortController().signal;
    expect((await source.chunk(1, signal)).length).toBe(2);
    expect(await (await source.frame(3, signal)).text()).toBe('jpeg');
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual(['/v/7/frames/chunks/1.sfc', '/v/7/frames/3.jpg']);
  });

  it('never takes an empty body for a frame', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response(''))),
    );
    const source = httpFrameSource({ frame_url_template: '/f/{frame}.jpg' });
    await expect(source.frame(0, new AbortController().signal)).rejects.toThrow(/empty body/);
  });

  it('falls back to single frames on a server without chunks', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response('jpeg'))),
    );
    const source = httpFrameSource({ frame_url_template: '/f/{frame}.jpg' });
    expect(source.chunkSize).toBe(1);
    expect((await source.chunk(5, new AbortController().signal)).length).toBe(1);
  });
});
