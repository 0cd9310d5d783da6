// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, EventStream, eventsUrl } from './eventStream';
import type { ProjectEvent } from './masklets';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  send(events: Partial<ProjectEvent>[]) {
    this.onmessage?.({ data: JSON.stringify({ type: 'events', events }) });
  }
}

// Ids are taken at insert, positions (seq) at commit: they may disagree, and seq is what counts.
const ev = (seq: number): Partial<ProjectEvent> => ({ id: 100 - seq, seq, kind: 'masklet.updated', payload: {} });

describe('EventStream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const open = (after: number, onEvents = vi.fn(), onStatus = vi.fn()) =>
    new EventStream({
      projectId: 3,
      videoId: 5,
      after,
      onEvents,
      onStatus,
      createSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
    });

  it('connects from the given position and reconnects from the last position seen', () => {
    const onEvents = vi.fn();
    const stream = open(10, onEvents);
    expect(FakeSocket.all[0]?.url).toMatch(/\/ws\/projects\/3\/events\/\?after=10&video=5$/);
    FakeSocket.all[0]?.onopen?.();
    FakeSocket.all[0]?.send([ev(11), ev(12)]);
    expect(onEvents).toHaveBeenCalledWith([ev(11), ev(12)]);
    FakeSocket.all[0]?.onclose?.({ code: 1006 });
    vi.advanceTimersByTime(backoffMs(0));
    expect(FakeSocket.all[1]?.url).toContain('after=12&');
    // A replayed event (reconnect racing a wake-up) is not delivered twice.
    FakeSocket.all[1]?.send([ev(12), ev(13)]);
    expect(onEvents).toHaveBeenLastCalledWith([ev(13)]);
    expect(stream.lastEventId).toBe(13);
    stream.close();
  });

  it('backs off while the server stays away, and stops for good on 4401/4403', () => {
    const onStatus = vi.fn();
    const stream = open(0, vi.fn(), onStatus);
    FakeSocket.all[0]?.onclose?.({ code: 1006 });
    vi.advanceTimersByTime(backoffMs(0));
    FakeSocket.all[1]?.onclose?.({ code: 1006 });
    vi.advanceTimersByTime(backoffMs(1) - 1);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2]?.onclose?.({ code: 4401 });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(3);
    expect(onStatus).toHaveBeenLastCalledWith('closed');
    stream.close();
  });

  it('builds ws/wss URLs and caps the backoff', () => {
    expect(eventsUrl({ protocol: 'https:', host: 'a.example' }, 1, 2, 3)).toBe(
      'wss://a.example/ws/projects/1/events/?after=3&video=2',
    );
    expect(eventsUrl({ protocol: 'http:', host: 'h:8000' }, 1, 2, 0)).toBe(
      'ws://h:8000/ws/projects/1/events/?after=0&video=2',
    );
    expect(backoffMs(0)).toBe(500);
    expect(backoffMs(20)).toBe(10_000);
  });
});
