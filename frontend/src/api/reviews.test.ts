// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './client';
import { claimNext, listComments, submitMasklet, submitVerdict } from './reviews';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

let sent: Sent[] = [];
let answers: Response[] = [];

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

beforeEach(() => {
  sent = [];
  answers = [];
  document.cookie = 'csrftoken=token123';
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    sent.push({
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    });
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected request ${url}`);
    return Promise.resolve(answer);
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const assignment = {
  id: 3,
  masklet: { id: 7 },
  video: { id: 1, name: 'v.mp4', width: 64, height: 48, frame_count: 10, fps: 24 },
  round: 1,
  expires_at: '2026-01-01T12:15:00Z',
};

describe('claimNext', () => {
  it('answers the assignment, posting with the CSRF token', async () => {
    answers.push(json(200, assignment));
    await expect(claimNext(5)).resolves.toEqual(assignment);
    expect(sent[0]?.url).toBe('/api/v1/projects/5/review-queue/next/');
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.headers.get('X-CSRFToken')).toBe('token123');
  });

  it('answers null when nothing waits (204)', async () => {
    answers.push(new Response(null, { status: 204 }));
    await expect(claimNext(5)).resolves.toBeNull();
  });
});

describe('submitMasklet', () => {
  it('sends the version and turns a stale one into a 409 ApiError with the server message', async () => {
    answers.push(json(409, { message: 'This masklet was changed by someone else.', extra: { current_version: 4 } }));
    const error = await submitMasklet(7, 3).catch((e: unknown) => e);
    expect(sent[0]?.body).toEqual({ version: 3 });
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe('This masklet was changed by someone else.');
    expect((error as ApiError).extra).toEqual({ current_version: 4 });
  });
});

describe('submitVerdict', () => {
  it('sends the verdict with its pinned comments', async () => {
    answers.push(json(200, { review: { id: 1 }, masklet: { id: 7, status: 'rejected' } }));
    await submitVerdict(3, {
      verdict: 'unsatisfactory',
      comment: 'fix it',
      comments: [{ frame_index: 4, x: 0.25, y: 0.5, text: 'hole' }],
    });
    expect(sent[0]?.url).toBe('/api/v1/review-assignments/3/verdict/');
    expect(sent[0]?.body).toEqual({
      verdict: 'unsatisfactory',
      comment: 'fix it',
      comments: [{ frame_index: 4, x: 0.25, y: 0.5, text: 'hole' }],
    });
  });
});

describe('listComments', () => {
  const comment = (id: number) => ({ id, text: `c${id}` });

  it('reads a plain array', async () => {
    answers.push(json(200, [comment(1), comment(2)]));
    await expect(listComments(7)).resolves.toEqual([comment(1), comment(2)]);
    expect(sent).toHaveLength(1);
  });

  it('reads every page of a paginated answer', async () => {
    answers.push(json(200, { count: 3, next: 'http://x/?page=2', previous: null, results: [comment(1), comment(2)] }));
    answers.push(json(200, { count: 3, next: null, previous: 'http://x/', results: [comment(3)] }));
    await expect(listComments(7)).resolves.toEqual([comment(1), comment(2), comment(3)]);
    expect(sent[1]?.url).toBe('/api/v1/masklets/7/comments/?page=2');
  });
});
