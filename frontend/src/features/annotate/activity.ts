/**
 * Active annotating time, for the QA dashboard's "time per frame". A moment counts as active when
 * the workspace is visible and the person used the pointer or keyboard within the last
 * IDLE_AFTER_MS; the total is reported in whole seconds, in batches every REPORT_INTERVAL_MS and
 * when the page is hidden. Framework-free (the hook in useActivityReport.ts wires it to the DOM),
 * so the tests drive it with fake timers.
 */
import { ACTIVITY_MAX_SECONDS, type ActivityReport } from '../../api/quality';

/** Without input for this long the person is taken to be away (reading, in a meeting...). */
export const IDLE_AFTER_MS = 60_000;
/** How often a batch goes out: often enough that a crash loses little, rarely enough to be cheap. */
export const REPORT_INTERVAL_MS = 30_000;
/** Unsent seconds kept while the server cannot be reached (an hour); older ones are dropped. */
const MAX_PENDING_MS = 3_600_000;

export type ActivitySender = (report: ActivityReport, options: { keepalive: boolean }) => Promise<void>;

export interface ActivityTrackerOptions {
  video: number;
  send: ActivitySender;
  /** Clock; tests pass the fake one. */
  now?: () => number;
  /** Whether the page is visible when the tracker starts. */
  visible?: boolean;
}

export class ActivityTracker {
  private readonly video: number;
  private readonly send: ActivitySender;
  private readonly now: () => number;
  private visible: boolean;
  /** Time of the last pointer or key input; -Infinity before the first. */
  private lastInput = Number.NEGATIVE_INFINITY;
  /** Up to when active time has been added to `pendingMs`. */
  private accountedTo: number;
  /** Active time not yet reported, ms (the fraction of a second stays for the next batch). */
  private pendingMs = 0;
  private frame: number | undefined;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight = false;
  private stopped = false;

  constructor(options: ActivityTrackerOptions) {
    this.video = options.video;
    this.send = options.send;
    this.now = options.now ?? Date.now;
    this.visible = options.visible ?? true;
    this.accountedTo = this.now();
  }

  /** Begin the periodic reports. */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => void this.flush(false), REPORT_INTERVAL_MS);
  }

  /** Stop the timer and send what is left (keepalive: the page may be going away). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    void this.flush(true);
  }

  /** A pointer or key input in the workspace. */
  input(): void {
    if (this.stopped) return;
    this.account();
    this.lastInput = this.now();
  }

  /** The frame the person is on, sent along with the next report. */
  setFrame(frame: number): void {
    this.frame = frame;
  }

  /** The page became hidden (send now, while it still can) or visible again. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.account();
    this.visible = visible;
    if (!visible) void this.flush(true);
  }

  /** Active milliseconds counted and not yet sent (whole seconds go out, the rest waits). */
  get pendingMilliseconds(): number {
    this.account();
    return this.pendingMs;
  }

  /** Add the active part of `[accountedTo, now]`: visible, and within IDLE_AFTER_MS of the last input. */
  private account(): void {
    const now = this.now();
    if (this.visible) {
      const activeUntil = Math.min(now, this.lastInput + IDLE_AFTER_MS);
      const from = Math.max(this.accountedTo, this.lastInput);
      if (activeUntil > from) this.pendingMs = Math.min(this.pendingMs + (activeUntil - from), MAX_PENDING_MS);
    }
    this.accountedTo = Math.max(this.accountedTo, now);
  }

  /**
   * Send the whole seconds counted so far, in reports of at most ACTIVITY_MAX_SECONDS. A report the
   * network lost is counted again for the next batch; one the server refused (4xx: bad input) is
   * dropped, since sending it again would fail the same way. Keepalive sends cannot be followed up,
   * so they count as sent.
   */
  async flush(keepalive: boolean): Promise<void> {
    this.account();
    if (this.inFlight && !keepalive) return;
    let seconds = Math.floor(this.pendingMs / 1000);
    if (seconds < 1) return;
    this.pendingMs -= seconds * 1000;
    this.inFlight = !keepalive;
    try {
      while (seconds > 0) {
        const chunk = Math.min(seconds, ACTIVITY_MAX_SECONDS);
        const report: ActivityReport = { video: this.video, seconds: chunk };
        if (this.frame !== undefined) report.frame_index = this.frame;
        try {
          if (keepalive) void this.send(report, { keepalive: true }).catch(() => undefined);
          else await this.send(report, { keepalive: false });
        } catch (error) {
          const status = (error as { status?: unknown }).status;
          if (typeof status === 'number' && status >= 400 && status < 500) {
            seconds -= chunk; // refused: drop this chunk, try the rest
            continue;
          }
          this.pendingMs = Math.min(this.pendingMs + seconds * 1000, MAX_PENDING_MS);
          return;
        }
        seconds -= chunk;
      }
    } finally {
      if (!keepalive) this.inFlight = false;
    }
  }
}
