/** A labelled progress bar; `value` is 0..1, or null when the total is unknown. */
export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  const clamped = value === null ? null : Math.min(Math.max(value, 0), 1);
  return (
    <div className="progress" aria-label={label}>
      <progress max={1} value={clamped ?? undefined} />
      <span className="progress-text">{clamped === null ? '…' : `${Math.round(clamped * 100)}%`}</span>
    </div>
  );
}
