/** Shaping the dashboard's answer for display: day series without gaps, sorting, number formats. */
import type { AnnotatorStats, ThroughputPoint } from '../../api/quality';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a time, in UTC (the API counts days in UTC). */
export function utcDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function parseDay(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const time = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(time) ? null : time;
}

/**
 * The last `days` days, one point per day, with zeros for days the API left out; points outside
 * the range are dropped. Lines over a gap-free axis do not lie about quiet days. The range ends on
 * the newest day of the data when the API sent a full series (it counts days in the server's time
 * zone), else on `today` or the newest day, whichever is later.
 */
export function fillThroughput(points: readonly ThroughputPoint[], days: number, today: string): ThroughputPoint[] {
  const byDate = new Map<string, ThroughputPoint>();
  let newest: number | null = null;
  for (const point of points) {
    const time = parseDay(point.date);
    if (time === null) continue;
    byDate.set(point.date, point);
    if (newest === null || time > newest) newest = time;
  }
  const todayTime = parseDay(today) ?? 0;
  const end = newest === null ? todayTime : byDate.size >= days ? newest : Math.max(newest, todayTime);
  const out: ThroughputPoint[] = [];
  const count = Math.max(1, Math.floor(days));
  for (let i = count - 1; i >= 0; i -= 1) {
    const date = utcDate(end - i * DAY_MS);
    out.push(byDate.get(date) ?? { date, frames_annotated: 0, submitted: 0, accepted: 0 });
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-11-05` -> `Nov 5`. */
export function shortDate(date: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return date;
  return `${MONTHS[Number(match[2]) - 1] ?? match[2]} ${Number(match[3])}`;
}

export type AnnotatorSortKey =
  | 'username'
  | 'masklets'
  | 'accepted'
  | 'rejected'
  | 'frames_annotated'
  | 'clicks_per_masklet'
  | 'active_seconds'
  | 'seconds_per_frame'
  | 'rejection_rate'
  | 'agreement_jf'
  | 'ground_truth_jf';

export interface SortState {
  key: AnnotatorSortKey;
  direction: 'asc' | 'desc';
}

/**
 * Rows ordered by `key`; rows without a value (null: nothing to measure yet) always go last,
 * whatever the direction, and ties keep a stable order by username.
 */
export function sortAnnotators(rows: readonly AnnotatorStats[], sort: SortState): AnnotatorStats[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  const valueOf = (row: AnnotatorStats): string | number | null =>
    sort.key === 'username' ? row.user.username.toLowerCase() : row[sort.key];
  return [...rows].sort((a, b) => {
    const va = valueOf(a);
    const vb = valueOf(b);
    if (va === null && vb !== null) return 1;
    if (vb === null && va !== null) return -1;
    if (va !== null && vb !== null && va !== vb) return (va < vb ? -1 : 1) * sign;
    return a.user.username.localeCompare(b.user.username);
  });
}

/** Next sort after clicking column `key`: same column flips, a new one starts descending (biggest first), names ascending. */
export function nextSort(current: SortState, key: AnnotatorSortKey): SortState {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { key, direction: key === 'username' ? 'asc' : 'desc' };
}

export function formatPercent(ratio: number | null): string {
  return ratio === null || !Number.isFinite(ratio) ? '—' : `${(ratio * 100).toFixed(1)}%`;
}

/** A J, F or J&F score (0..1) as people quote them: 0.873. */
export function formatScore(score: number | null): string {
  return score === null || !Number.isFinite(score) ? '—' : score.toFixed(3);
}

export function formatNumber(value: number | null, digits = 0): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `0.48 s`, `4.2 s`, `42 s`, `12 min 5 s`, `3 h 20 min`. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  // Time per frame is often under a second: keep two significant digits there.
  if (seconds > 0 && seconds < 1) return `${Number(seconds.toPrecision(2))} s`;
  if (seconds < 10 && !Number.isInteger(seconds)) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
