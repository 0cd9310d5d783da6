/** A timestamp of the API as a short local date and time ("25 Nov, 17:42"). */
export function formatWhen(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** Time left until `iso` in words ("4 min", "35 s"); "ended" when past. */
export function formatTimeLeft(iso: string, nowMs: number): string {
  const left = Date.parse(iso) - nowMs;
  if (!Number.isFinite(left)) return '';
  if (left <= 0) return 'ended';
  const seconds = Math.round(left / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.round(seconds / 60)} min`;
}
