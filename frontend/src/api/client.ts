/**
 * The one way the app talks to the REST API (`/api/v1/`): session cookie + CSRF header, JSON in and
 * out, every failure turned into an `ApiError` whose message can be shown to a person as is.
 */

export const API_ROOT = '/api/v1/';
const CSRF_COOKIE = 'csrftoken';
const CSRF_HEADER = 'X-CSRFToken';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A request that did not succeed. `status` is 0 when no response arrived (network down, CORS, DNS). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** The `extra` object of the API's error body (`{"message", "extra"}`), `{}` when there was none. */
  readonly extra: Record<string, unknown>;

  constructor(message: string, status: number, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /**
   * Per-field validation messages (`extra.fields`, as the API's exception handler reports a DRF
   * ValidationError), flattened to `field: message` lines.
   */
  get fieldMessages(): string[] {
    const fields = this.extra['fields'];
    if (!isRecord(fields)) return [];
    return Object.entries(fields).flatMap(([field, value]) => {
      const messages = Array.isArray(value) ? value : [value];
      return messages
        .filter((m): m is string => typeof m === 'string')
        .map((m) => (field === 'non_field_errors' ? m : `${field}: ${m}`));
    });
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** A sentence for the UI from anything a request can throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // The API's message already quotes the first field error; add only the others.
    const details = error.fieldMessages.filter((m) => !error.message.includes(m));
    return details.length > 0 ? `${error.message} ${details.join(' ')}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What to say when the body is not the API's JSON error (a proxy's HTML page, an empty 502...). */
function fallbackMessage(status: number): string {
  if (status === 400) return 'The server did not accept the request.';
  if (status === 401 || status === 403) return 'You are not allowed to do this. Try logging in again.';
  if (status === 404) return 'Not found. It may have been deleted.';
  if (status === 409) return 'Someone else changed this first. Reload and try again.';
  if (status === 413) return 'The file is larger than the server accepts.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `Request failed (HTTP ${status}).`;
}

/**
 * Build the error for a non-2xx response from its body text. Shared by `fetch` requests and the
 * XMLHttpRequest upload so both report the same sentences.
 */
export function parseApiError(status: number, bodyText: string): ApiError {
  let body: unknown;
  try {
    body = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    body = undefined;
  }
  if (isRecord(body)) {
    const extra = isRecord(body['extra']) ? body['extra'] : {};
    if (typeof body['message'] === 'string' && body['message']) {
      return new ApiError(body['message'], status, extra);
    }
    // DRF's own shape, should a view ever answer without going through the API's handler.
    if (typeof body['detail'] === 'string' && body['detail']) {
      return new ApiError(body['detail'], status, extra);
    }
  }
  return new ApiError(fallbackMessage(status), status);
}

export function readCookie(name: string, cookieString: string = document.cookie): string | null {
  for (const part of cookieString.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export function csrfToken(): string | null {
  return readCookie(CSRF_COOKIE);
}

let csrfRequest: Promise<void> | null = null;

/**
 * Make sure the `csrftoken` cookie exists (GET auth/csrf/ sets it). Concurrent callers share one
 * request; a failed one is forgotten so the next call tries again.
 */
export function ensureCsrfToken(): Promise<void> {
  if (csrfToken() !== null) return Promise.resolve();
  csrfRequest ??= apiRequest<void>('auth/csrf/').catch((error: unknown) => {
    csrfRequest = null;
    throw error;
  });
  return csrfRequest;
}

type UnauthorizedListener = (error: ApiError) => void;
let unauthorizedListener: UnauthorizedListener | null = null;

/**
 * Called on every 401/403 outside auth/ so the session can check whether the user was logged out
 * (session expired, logged out in another tab). Session auth answers 403 to anonymous requests,
 * so a 403 alone cannot tell "logged out" from "not allowed"; the listener asks auth/me/.
 */
export function setUnauthorizedListener(listener: UnauthorizedListener | null): void {
  unauthorizedListener = listener;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A FormData goes as multipart; anything else as JSON. */
  body?: JsonValue | FormData;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const url = API_ROOT + path.replace(/^\//, '');
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

/**
 * Send one request. Resolves with the decoded JSON body (`undefined` for 204), rejects with
 * `ApiError`, or with the signal's AbortError when aborted (callers usually ignore that one).
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers = new Headers({ Accept: 'application/json' });
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body; // the browser sets the multipart boundary
  } else if (options.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.body);
  }
  if (UNSAFE_METHODS.has(method)) {
    await ensureCsrfToken();
    // Read on every request: Django rotates the token at login.
    const token = csrfToken();
    if (token !== null) headers.set(CSRF_HEADER, token);
  }

  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 0);
  }

  if (!response.ok) {
    const error = parseApiError(response.status, await response.text().catch(() => ''));
    if ((error.status === 401 || error.status === 403) && !path.startsWith('auth/')) {
      unauthorizedListener?.(error);
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Largest page the client asks for; lists here (members, labels, videos) are short. */
const PAGE_SIZE = 100;

/**
 * Every item of a paginated list. Walks `?page=N` itself rather than following `next`, whose absolute
 * URL carries the host Django saw (wrong behind the dev proxy).
 */
export async function listAll<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page += 1) {
    const data = await apiRequest<Page<T>>(path, { query: { page, page_size: PAGE_SIZE }, signal });
    items.push(...data.results);
    if (data.next === null || data.results.length === 0) return items;
  }
}
