// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, isAbortError } from './client';
import { isIngesting, isReady, uploadVideo, type Video } from './videos';

/** Scriptable stand-in for XMLHttpRequest: records what was sent, lets the test answer. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  withCredentials = false;
  status = 0;
  responseText = '';
  aborted = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  respond(status: number, body: string): void {
    this.status = status;
    this.responseText = body;
    this.onload?.();
  }
}

function sentXhr(): FakeXhr {
  if (!FakeXhr.last) throw new Error('no request sent');
  return FakeXhr.last;
}

/** Let uploadVideo's `await ensureCsrfToken()` finish and the XHR get created. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

const file = new File([new Uint8Array(10)], 'clip.mp4', { type: 'video/mp4' });

beforeEach(() => {
  document.cookie = 'csrftoken=tok; path=/';
  FakeXhr.last = null;
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  // The cookie exists, so no fetch may happen; fail loudly if one does.
  vi.stubGlobal(
    'fetch',
    vi.fn(() => Promise.reject(new Error('unexpected fetch'))),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('uploadVideo', () => {
  it('posts the file as multipart with the CSRF header and reports progress', async () => {
    const progress = vi.fn();
    const pending = uploadVideo(3, file, { onProgress: progress });
    await flush();
    const xhr = sentXhr();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/v1/projects/3/videos/upload/');
    expect(xhr.headers['X-CSRFToken']).toBe('tok');
    expect(xhr.body).toBeInstanceOf(FormData);
    expect(((xhr.body as FormData).get('file') as File).name).toBe('clip.mp4');

    xhr.upload.onprogress?.({ loaded: 4, total: 10, lengthComputable: true });
    xhr.upload.onprogress?.({ loaded: 4, total: 0, lengthComputable: false });
    expect(progress.mock.calls).toEqual([[{ loaded: 4, total: 10 }], [{ loaded: 4, total: null }]]);

    xhr.respond(201, JSON.stringify({ id: 9, name: 'clip.mp4', status: 'uploaded' }));
    await expect(pending).resolves.toMatchObject({ id: 9, status: 'uploaded' });
  });

  it("rejects with the API's message on 4xx", async () => {
    const pending = uploadVideo(3, file);
    await flush();
    sentXhr().respond(422, JSON.stringify({ message: 'This file is not a video ffprobe can read.', extra: {} }));
    await expect(pending).rejects.toMatchObject({
      name: 'ApiError',
      status: 422,
      message: 'This file is not a video ffprobe can read.',
    });
  });

  it("explains a proxy's HTML 413", async () => {
    const pending = uploadVideo(3, file);
    await flush();
    sentXhr().respond(413, '<html>413 Request Entity Too Large</html>');
    await expect(pending).rejects.toMatchObject({
      status: 413,
      message: 'The file is larger than the server accepts.',
    });
  });

  it('reports a dropped connection as a network error', async () => {
    const pending = uploadVideo(3, file);
    await flush();
    sentXhr().onerror?.();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).isNetworkError).toBe(true);
  });

  it('aborts the request when the signal fires', async () => {
    const controller = new AbortController();
    const pending = uploadVideo(3, file, { signal: controller.signal });
    await flush();
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(sentXhr().aborted).toBe(true);
  });
});

describe('video status helpers', () => {
  const base: Video = {
    id: 1,
    project: 1,
    name: 'v',
    status: 'ready',
    status_reason: '',
    progress: 1,
    width: 640,
    height: 480,
    fps: 24,
    frame_count: 10,
    size_bytes: 1,
    checksum: '',
    environment: '',
    split: '',
    frame_url_template: '/api/v1/videos/1/frames/{frame}.jpg',
    created_at: '',
  };

  it('polls only while ingest runs', () => {
    expect(isIngesting({ status: 'uploaded' })).toBe(true);
    expect(isIngesting({ status: 'processing' })).toBe(true);
    expect(isIngesting({ status: 'ready' })).toBe(false);
    expect(isIngesting({ status: 'failed' })).toBe(false);
  });

  it('needs probed metadata before frames can be viewed', () => {
    expect(isReady(base)).toBe(true);
    expect(isReady({ ...base, fps: 0 })).toBe(false);
    expect(isReady({ ...base, frame_count: 0 })).toBe(false);
    expect(isReady({ ...base, status: 'processing' })).toBe(false);
  });
});
