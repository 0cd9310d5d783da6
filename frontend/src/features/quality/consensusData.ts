/**
 * Shaping the consensus answer for the page: one table row per matched pair or disagreement, and,
 * for a group of competing versions, where on the timeline they differ most (IoU straight from the
 * RLE runs, without decoding masks).
 */
import type { ConsensusPair, MaskletRef } from '../../api/quality';

export function maskletIdOf(ref: MaskletRef): number {
  return typeof ref === 'number' ? ref : ref.id;
}

export type PairRow =
  | { kind: 'match'; a: number; b: number; j: number; f: number; jf: number }
  /** A masklet only one side of the pair has: the other annotator missed it, or this one added it. */
  | { kind: 'only_a'; a: number }
  | { kind: 'only_b'; b: number };

/** The pair's table: matches worst first (where to look), then the disagreements. */
export function pairRows(pair: ConsensusPair): PairRow[] {
  const matches: PairRow[] = [...pair.matches]
    .sort((x, y) => x.jf - y.jf)
    .map((m) => ({ kind: 'match', a: m.masklet_a, b: m.masklet_b, j: m.j, f: m.f, jf: m.jf }));
  return [
    ...matches,
    ...pair.unmatched_a.map((a): PairRow => ({ kind: 'only_a', a })),
    ...pair.unmatched_b.map((b): PairRow => ({ kind: 'only_b', b })),
  ];
}

/**
 * Pixels in both masks, from two run-length lists over the same mask size (COCO layout: runs
 * alternate background/foreground starting with background). Linear in the number of runs.
 */
export function rleIntersection(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  let j = 0;
  let endA = a[0] ?? 0; // end (exclusive) of run i of a
  let endB = b[0] ?? 0;
  let pos = 0;
  let overlap = 0;
  while (i < a.length && j < b.length) {
    const next = Math.min(endA, endB);
    if (i % 2 === 1 && j % 2 === 1) overlap += next - pos;
    pos = next;
    if (endA === next) {
      i += 1;
      endA += a[i] ?? 0;
    }
    if (endB === next) {
      j += 1;
      endB += b[j] ?? 0;
    }
  }
  return overlap;
}

function area(counts: readonly number[]): number {
  let sum = 0;
  for (let k = 1; k < counts.length; k += 2) sum += counts[k] as number;
  return sum;
}

/** IoU of two masks given as runs; both empty (or missing) agree perfectly, as DAVIS counts it. */
export function runsIoU(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  const areaA = a ? area(a) : 0;
  const areaB = b ? area(b) : 0;
  if (areaA === 0 && areaB === 0) return 1;
  if (areaA === 0 || areaB === 0 || !a || !b) return 0;
  const inter = rleIntersection(a, b);
  return inter / (areaA + areaB - inter);
}

export interface FrameAgreement {
  frame: number;
  /** Mean IoU over the pairs of versions on this frame. */
  iou: number;
}

/**
 * Per frame where any version has a mask, the mean pairwise IoU of the versions (a version with
 * no mask on a frame counts as empty there). Sorted by frame.
 */
export function frameAgreement(versions: readonly ReadonlyMap<number, readonly number[]>[]): FrameAgreement[] {
  const frames = new Set<number>();
  for (const v of versions) for (const [frame, counts] of v) if (area(counts) > 0) frames.add(frame);
  const out: FrameAgreement[] = [];
  for (const frame of [...frames].sort((x, y) => x - y)) {
    let sum = 0;
    let pairs = 0;
    for (let p = 0; p < versions.length; p += 1) {
      for (let q = p + 1; q < versions.length; q += 1) {
        sum += runsIoU(versions[p]?.get(frame), versions[q]?.get(frame));
        pairs += 1;
      }
    }
    out.push({ frame, iou: pairs > 0 ? sum / pairs : 1 });
  }
  return out;
}

/** The frame where the versions agree least (the earliest on a tie), or null when none has a mask. */
export function worstFrame(agreement: readonly FrameAgreement[]): FrameAgreement | null {
  let worst: FrameAgreement | null = null;
  for (const a of agreement) if (worst === null || a.iou < worst.iou) worst = a;
  return worst;
}
