/**
 * The project's live event stream over the websocket, for one video. Reconnects on its own with
 * the last log position (`seq`) it saw (the server then sends everything after it, so nothing is
 * missed: positions are given in commit order) and backs off while the server is unreachable.
 */
import type { ProjectEvent } from './masklets';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  projectId: number;
  videoId: number;
  /** Log position (`seq`) of the newest event already reflected in what the page shows. */
  after: number;
  onEvents: (events: ProjectEvent[]) => void;
  onStatus?: (status: StreamStatus) => void;
  /** For tests. */
  createSocket?: (url: string) => WebSocket;
}

const MAX_BACKOFF_MS = 10_000;
/** Close codes the server uses for "not logged in" and "not a member": retrying cannot help. */
const FATAL_CODES = new Set([4401, 4403]);

export function eventsUrl(
  location: Pick<Location, 'protocol' | 'host'>,
  projectId: number,
  videoId: number,
  after: number,
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/projects/${projectId}/events/?after=${after}&video=${videoId}`;
}

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
}

export class EventStream {
  private readonly options: EventStreamOptions;
  private socket: WebSocket | null = null;
  private lastId: number;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(options: EventStreamOptions) {
    this.options = options;
    this.lastId = options.after;
    this.connect();
  }

  get lastEventId(): number {
    return this.lastId;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
    this.options.onStatus?.('closed');
  }

  private connect(): void {
    if (this.closed) return;
    this.options.onStatus?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const url = eventsUrl(window.location, this.options.projectId, this.options.videoId, this.lastId);
    const socket = this.options.createSocket ? this.options.createSocket(url) : new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.options.onStatus?.('live');
    };
    socket.onmessage = (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof data !== 'object' || data === null || (data as { type?: unknown }).type !== 'events') return;
      const events = (data as { events?: unknown }).events;
      if (!Array.isArray(events)) return;
      // The server never repeats an event on one connection, but a reconnect racing a wake-up could.
      const fresh = (events as ProjectEvent[]).filter((e) => e.seq > this.lastId);
      if (fresh.length === 0) return;
      this.lastId = fresh[fresh.length - 1]!.seq;
      this.options.onEvents(fresh);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket || this.closed) return;
      this.socket = null;
      if (FATAL_CODES.has(event.code)) {
        this.closed = true;
        this.options.onStatus?.('closed');
        return;
      }
      this.options.onStatus?.('reconnecting');
      this.timer = setTimeout(() => this.connect(), backoffMs(this.attempt));
      this.attempt += 1;
    };
  }
}
