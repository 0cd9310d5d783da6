// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type ClientModule = typeof import('./client');
let client: ClientModule;
let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function urlOf(input: RequestInfo | URL | undefined): string {
  if (input === undefined) return '';
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

function clearCookies(): void {
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0]?.trim();
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
}

function sentHeaders(call: number): Headers {
  const init = fetchMock.mock.calls[call]?.[1];
  return new Headers(init?.headers);
}

beforeEach(async () => {
  clearCookies();
  fetchMock = vi.fn<typeof fetch>();
  vi.stubGlobal('fetch', fetchMock);
  // Fresh module state: the memoized CSRF request and the unauthorized listener.
  vi.resetModules();
  client = await import('./client');
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('CSRF', () => {
  it('fetches auth/csrf/ before the first unsafe request and sends the cookie back as X-CSRFToken', async () => {
    fetchMock.mockImplementationOnce(() => {
      document.cookie = 'csrftoken=tok123; path=/';
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { id: 1, username: 'ann', email: '' }));

    const user = await client.apiRequest('auth/login/', {
      method: 'POST',
      body: { username: 'ann', password: 'pw' },
    });

    expect(user).toEqual({ id: 1, username: 'ann', email: '' });
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual(['/api/v1/auth/csrf/', '/api/v1/auth/login/']);
    const headers = sentHeaders(1);
    expect(headers.get('X-CSRFToken')).toBe('tok123');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(fetchMock.mock.calls[1]?.[1]).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      body: JSON.stringify({ username: 'ann', password: 'pw' }),
    });
  });

  it('reads the token anew for each request (Django rotates it at login)', async () => {
    document.cookie = 'csrftoken=first; path=/';
    fetchMock.mockImplementation(() => Promise.resolve(new Response(null, { status: 204 })));
    await client.apiRequest('auth/logout/', { method: 'POST' });
    document.cookie = 'csrftoken=second; path=/';
    await client.apiRequest('auth/logout/', { method: 'POST' });

    expect(fetchMock).toHaveBeenCalledTimes(2); // the cookie existed: no auth/csrf/ round trip
    expect(sentHeaders(0).get('X-CSRFToken')).toBe('first');
    expect(sentHeaders(1).get('X-CSRFToken')).toBe('second');
  });

  it('shares one auth/csrf/ request between concurrent writes', async () => {
    fetchMock.mockImplementation((input) => {
      if (urlOf(input).endsWith('auth/csrf/')) {
        document.cookie = 'csrftoken=t; path=/';
        return Promise.resolve(new Response(null, { status: 204 }));
      }
      return Promise.resolve(jsonResponse(201, {}));
    });
    await Promise.all([
      client.apiRequest('projects/create/', { method: 'POST', body: { name: 'a' } }),
      client.apiRequest('projects/create/', { method: 'POST', body: { name: 'b' } }),
    ]);
    const csrfCalls = fetchMock.mock.calls.filter((c) => urlOf(c[0]).endsWith('auth/csrf/'));
    expect(csrfCalls).toHaveLength(1);
  });

  it('sends no CSRF header and no csrf round trip on GET', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { ok: true }));
    await client.apiRequest('auth/me/');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(sentHeaders(0).has('X-CSRFToken')).toBe(false);
  });
});

describe('errors', () => {
  it('turns the API error body into an ApiError with message, extra and status', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(409, { message: 'Masklet is under review.', extra: { status: 'submitted' } }),
    );
    const error = await client.apiRequest('videos/1/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(client.ApiError);
    expect(error).toMatchObject({
      message: 'Masklet is under review.',
      status: 409,
      extra: { status: 'submitted' },
    });
  });

  it('adds the other field errors of extra.fields to the message', async () => {
    // The API's handler puts the first field error in `message` and all of them in extra.fields.
    fetchMock.mockResolvedValueOnce(
      jsonResponse(400, {
        message: 'name: This field is required.',
        extra: {
          fields: {
            name: ['This field is required.'],
            frame_step: ['Ensure this value is greater than or equal to 1.'],
            non_field_errors: ['Try again.'],
          },
        },
      }),
    );
    const error = await client.apiRequest('projects/').catch((e: unknown) => e);
    expect(client.describeError(error)).toBe(
      'name: This field is required. frame_step: Ensure this value is greater than or equal to 1. Try again.',
    );
  });

  it('falls back to DRF detail and to a plain sentence for non-JSON bodies', () => {
    expect(client.parseApiError(403, '{"detail":"CSRF Failed: token missing."}').message).toBe(
      'CSRF Failed: token missing.',
    );
    const html = client.parseApiError(413, '<html><body>413 Request Entity Too Large</body></html>');
    expect(html).toMatchObject({ status: 413, message: 'The file is larger than the server accepts.', extra: {} });
    expect(client.parseApiError(502, '').message).toMatch(/HTTP 502/);
  });

  it('reports a network failure as status 0', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const error = await client.apiRequest('projects/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(client.ApiError);
    expect((error as InstanceType<ClientModule['ApiError']>).isNetworkError).toBe(true);
  });

  it('passes an abort through untouched', async () => {
    const controller = new AbortController();
    fetchMock.mockImplementationOnce(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
        }),
    );
    const pending = client.apiRequest('projects/', { signal: controller.signal });
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(client.isAbortError(error)).toBe(true);
    expect(fetchMock.mock.calls[0]?.[1]?.signal).toBe(controller.signal);
  });

  it('tells the session about 401/403 outside auth/, but not for auth/ itself', async () => {
    const listener = vi.fn();
    client.setUnauthorizedListener(listener);
    fetchMock.mockImplementation(() => Promise.resolve(jsonResponse(403, { message: 'Not allowed.' })));
    await client.apiRequest('projects/1/').catch(() => undefined);
    await client.apiRequest('auth/me/').catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]?.[0]).toMatchObject({ status: 403, message: 'Not allowed.' });
  });
});

describe('listAll', () => {
  it('walks the pages until next is null', async () => {
    fetchMock
      .mockResolvedValueOnce(jsonResponse(200, { count: 3, next: 'http://x/?page=2', previous: null, results: [1, 2] }))
      .mockResolvedValueOnce(jsonResponse(200, { count: 3, next: null, previous: 'http://x/', results: [3] }));
    expect(await client.listAll<number>('projects/')).toEqual([1, 2, 3]);
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual([
      '/api/v1/projects/?page=1&page_size=100',
      '/api/v1/projects/?page=2&page_size=100',
    ]);
  });
});

describe('readCookie', () => {
  it('finds a cookie among others and decodes it', () => {
    expect(client.readCookie('csrftoken', 'a=1; csrftoken=x%2Fy; b=2')).toBe('x/y');
    expect(client.readCookie('csrftoken', 'xcsrftoken=1')).toBeNull();
  });
});
