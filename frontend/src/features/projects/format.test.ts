import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatFps, formatTaskFrames } from './format';

describe('formatBytes', () => {
  it('uses binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1738970)).toBe('1.7 MiB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('shows seconds, then minutes', () => {
    expect(formatDuration(483, 24)).toBe('20.1 s');
    expect(formatDuration(24 * 90, 24)).toBe('1 min 30 s');
    expect(formatDuration(10, 0)).toBe('');
  });
});

describe('formatFps', () => {
  it('keeps whole rates whole', () => {
    expect(formatFps(24)).toBe('24');
    expect(formatFps(30000 / 1001)).toBe('29.97');
  });
});

describe('formatTaskFrames', () => {
  it('shows the inclusive last frame of an exclusive range', () => {
    expect(formatTaskFrames(0, 100)).toBe('0 – 99');
    expect(formatTaskFrames(40, null)).toBe('40 – end');
  });
});
