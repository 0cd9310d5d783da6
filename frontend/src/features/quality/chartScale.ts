/**
 * The arithmetic behind the dashboard's SVG charts: "nice" axis ticks, linear and band scales,
 * which category labels fit. Pure, so the tests check it without rendering anything.
 */

/** The smallest step of the form 1, 2 or 5 × 10^n that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  // Float error: 0.3 / 0.1 is 2.9999999999999996, which must round to a step of 5 × 0.1, not 5.
  const eps = 1e-9;
  if (fraction <= 1 + eps) return magnitude;
  if (fraction <= 2 + eps) return 2 * magnitude;
  if (fraction <= 5 + eps) return 5 * magnitude;
  return 10 * magnitude;
}

/**
 * Ticks for a value axis that starts at 0 and covers `max`, about `count` intervals of a nice step.
 * An all-zero (or empty) series gets the axis 0..1 so the chart still has a scale. `integer`
 * keeps steps whole (counts of things cannot be 2.5).
 */
export function niceTicks(max: number, count = 4, integer = false): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  let step = niceStep(top / Math.max(1, count));
  if (integer) step = Math.max(1, Math.round(step));
  const n = Math.ceil(top / step - 1e-9);
  const ticks: number[] = [];
  for (let i = 0; i <= n; i += 1) ticks.push(roundTo(i * step, step));
  return ticks;
}

/** Remove float noise (0.30000000000000004) at the step's precision. */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

/** Maps `domain` linearly onto `range` (either may be reversed, as a y axis is). */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export interface Band {
  /** Left edge of category `i`'s bar. */
  x: (i: number) => number;
  /** Centre of category `i`'s slot. */
  center: (i: number) => number;
  bandwidth: number;
}

/**
 * `count` equal slots over `[start, end]`; each bar takes `1 - padding` of its slot, centred.
 */
export function bandScale(count: number, start: number, end: number, padding = 0.2): Band {
  const slot = count > 0 ? (end - start) / count : 0;
  const bandwidth = slot * (1 - padding);
  return {
    x: (i) => start + i * slot + (slot - bandwidth) / 2,
    center: (i) => start + i * slot + slot / 2,
    bandwidth,
  };
}

/**
 * Which of `count` category labels to draw so that at most `maxLabels` show, evenly spaced, the
 * last one always included (the newest day is the one people look for).
 */
export function labelIndices(count: number, maxLabels: number): number[] {
  if (count <= 0) return [];
  if (count <= maxLabels) return Array.from({ length: count }, (_, i) => i);
  const every = Math.ceil(count / Math.max(1, maxLabels));
  const out: number[] = [];
  for (let i = (count - 1) % every; i < count; i += every) out.push(i);
  return out;
}

/** An axis tick: 1 200, 3.5k, 0.25. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${Number((value / 1000).toFixed(1))}k`;
  if (Number.isInteger(value)) return value.toLocaleString('en-US').replace(/,/g, ' ');
  return String(Number(value.toPrecision(3)));
}
