import { describe, expect, it } from 'vitest';
import type { AnnotatorStats, ThroughputPoint } from '../../api/quality';
import {
  fillThroughput,
  formatPercent,
  formatScore,
  formatSeconds,
  nextSort,
  shortDate,
  sortAnnotators,
} from './dashboardData';

const point = (date: string, frames: number, submitted = 0, accepted = 0): ThroughputPoint => ({
  date,
  frames_annotated: frames,
  submitted,
  accepted,
});

function row(id: number, username: string, extra: Partial<AnnotatorStats> = {}): AnnotatorStats {
  return {
    user: { id, username },
    masklets: 0,
    accepted: 0,
    rejected: 0,
    frames_annotated: 0,
    clicks: 0,
    clicks_per_masklet: null,
    active_seconds: 0,
    seconds_per_frame: null,
    rejection_rate: null,
    agreement_jf: null,
    ground_truth_jf: null,
    ...extra,
  };
}

describe('fillThroughput', () => {
  it('gives one point per day of the range, zeros where the API had none', () => {
    const filled = fillThroughput([point('2026-11-23', 5, 1), point('2026-11-25', 7)], 7, '2026-11-25');
    expect(filled.map((p) => p.date)).toEqual([
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
    ]);
    expect(filled.map((p) => p.frames_annotated)).toEqual([0, 0, 0, 0, 5, 0, 7]);
    expect(filled[4]?.submitted).toBe(1);
  });

  it('crosses month ends and drops points before the range', () => {
    const filled = fillThroughput([point('2026-02-20', 9), point('2026-03-01', 2)], 3, '2026-03-01');
    expect(filled.map((p) => p.date)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(filled.map((p) => p.frames_annotated)).toEqual([0, 0, 2]);
  });

  it("ends at the newest day in the data when the server's clock is ahead", () => {
    const filled = fillThroughput([point('2026-11-26', 3)], 2, '2026-11-25');
    expect(filled.map((p) => p.date)).toEqual(['2026-11-25', '2026-11-26']);
  });

  it('ignores malformed dates', () => {
    const filled = fillThroughput([point('yesterday', 3)], 1, '2026-11-25');
    expect(filled).toEqual([point('2026-11-25', 0)]);
  });
});

describe('sortAnnotators', () => {
  const rows = [
    row(1, 'carol', { masklets: 3, agreement_jf: 0.8 }),
    row(2, 'alice', { masklets: 10, agreement_jf: null }),
    row(3, 'Bob', { masklets: 3, agreement_jf: 0.9 }),
  ];

  it('sorts by a number, ties by name', () => {
    expect(sortAnnotators(rows, { key: 'masklets', direction: 'desc' }).map((r) => r.user.username)).toEqual([
      'alice',
      'Bob',
      'carol',
    ]);
    expect(sortAnnotators(rows, { key: 'masklets', direction: 'asc' }).map((r) => r.user.username)).toEqual([
      'Bob',
      'carol',
      'alice',
    ]);
  });

  it('puts rows without a value last in both directions', () => {
    for (const direction of ['asc', 'desc'] as const) {
      const sorted = sortAnnotators(rows, { key: 'agreement_jf', direction });
      expect(sorted.at(-1)?.user.username).toBe('alice');
    }
  });

  it('sorts names case-insensitively', () => {
    expect(sortAnnotators(rows, { key: 'username', direction: 'asc' }).map((r) => r.user.id)).toEqual([2, 3, 1]);
  });

  it('does not change its input', () => {
    const copy = [...rows];
    sortAnnotators(rows, { key: 'username', direction: 'asc' });
    expect(rows).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('flips the same column and starts a new one descending (names ascending)', () => {
    expect(nextSort({ key: 'masklets', direction: 'desc' }, 'masklets')).toEqual({ key: 'masklets', direction: 'asc' });
    expect(nextSort({ key: 'masklets', direction: 'asc' }, 'rejection_rate')).toEqual({
      key: 'rejection_rate',
      direction: 'desc',
    });
    expect(nextSort({ key: 'masklets', direction: 'desc' }, 'username')).toEqual({ key: 'username', direction: 'asc' });
  });
});

describe('formats', () => {
  it('shows a dash for missing values', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatScore(null)).toBe('—');
    expect(formatSeconds(null)).toBe('—');
  });

  it('formats ratios, scores, durations and dates', () => {
    expect(formatPercent(0.125)).toBe('12.5%');
    expect(formatScore(0.87349)).toBe('0.873');
    expect(formatSeconds(42.4)).toBe('42 s');
    expect(formatSeconds(0.476)).toBe('0.48 s');
    expect(formatSeconds(4.25)).toBe('4.3 s');
    expect(formatSeconds(0)).toBe('0 s');
    expect(formatSeconds(725)).toBe('12 min 5 s');
    expect(formatSeconds(12_000)).toBe('3 h 20 min');
    expect(shortDate('2026-11-05')).toBe('Nov 5');
  });
});

describe('fillThroughput with a full series', () => {
  it("keeps the server's days when it sent all of them (server time zone behind UTC)", () => {
    const filled = fillThroughput([point('2026-11-23', 1), point('2026-11-24', 2)], 2, '2026-11-25');
    expect(filled.map((p) => p.date)).toEqual(['2026-11-23', '2026-11-24']);
  });
});
