/** Pure helpers of the manage screens (kept apart from the components so they are tested). */
import type { Label } from '../../api/projects';

/**
 * The boundaries the server cuts [start, end) at when it splits it among `parts` annotators
 * (backend/projects/services.split_points): equal shares of the annotation frames (multiples of
 * `step`), inner boundaries on annotation frames. Null when there are fewer such frames than parts.
 */
export function splitPoints(start: number, end: number, step: number, parts: number): number[] | null {
  const first = Math.ceil(start / step) * step;
  const frames: number[] = [];
  for (let f = first; f < end; f += step) frames.push(f);
  if (parts < 1 || frames.length < parts) return null;
  const inner = Array.from(
    { length: parts - 1 },
    (_, i) => frames[Math.floor(((i + 1) * frames.length) / parts)] ?? end,
  );
  return [start, ...inner, end];
}

/** `items` with the one at `index` moved by `delta` places (clamped to the ends). */
export function moved<T>(items: readonly T[], index: number, delta: number): T[] {
  const target = Math.min(Math.max(index + delta, 0), items.length - 1);
  const copy = [...items];
  const [item] = copy.splice(index, 1);
  if (item === undefined) return copy;
  copy.splice(target, 0, item);
  return copy;
}

export const HOTKEYS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

/** Which label holds each hotkey, other than `self` (a label may keep its own key). */
export function hotkeyHolders(labels: readonly Label[], self: number | null): Map<number, string> {
  const holders = new Map<number, string>();
  for (const label of labels) {
    if (label.hotkey !== null && label.id !== self) holders.set(label.hotkey, label.name);
  }
  return holders;
}

/** The first hotkey no label holds, or null when all nine are taken. */
export function freeHotkey(labels: readonly Label[]): number | null {
  const taken = hotkeyHolders(labels, null);
  return HOTKEYS.find((key) => !taken.has(key)) ?? null;
}

/** A distinct colour for the next label, from a palette that reads well on video. */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990'];
export function nextColor(labels: readonly Pick<Label, 'color'>[]): string {
  const used = new Set(labels.map((l) => l.color.toLowerCase()));
  return PALETTE.find((c) => !used.has(c)) ?? PALETTE[labels.length % PALETTE.length] ?? '#1f77b4';
}

/** "frames 0–499" for a task's range (end exclusive; null = the video's end). */
export function rangeText(start: number, end: number | null, frameCount: number | null): string {
  const last = end === null ? (frameCount === null ? null : frameCount - 1) : end - 1;
  return last === null ? `frames ${start}–end` : `frames ${start}–${last}`;
}
