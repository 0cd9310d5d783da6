import { describe, expect, it } from 'vitest';
import type { MaskletStatus } from '../../api/masklets';
import { TOOL_MODES } from '../../canvas/modes';
import type { UndoEntry } from '../../lib/undo';
import { lockReason, parseJumpFrame, toolAccess, undoAccess } from './editAccess';

const EDITABLE: MaskletStatus[] = ['draft', 'rejected', 'reworked'];
const LOCKED: MaskletStatus[] = ['submitted', 'accepted'];
const MASK_TOOLS = TOOL_MODES.filter((m) => m !== 'pan');

const entry: UndoEntry = { maskletId: 7, frame: 12, kind: 'brush', before: null, after: { size: [2, 2], counts: 'x' } };

describe('lockReason', () => {
  it('locks only objects under review or accepted', () => {
    for (const status of EDITABLE) expect(lockReason(status)).toBeNull();
    expect(lockReason(undefined)).toBeNull();
    expect(lockReason('submitted')).toMatch(/under review/);
    expect(lockReason('accepted')).toMatch(/accepted/);
  });
});

describe('toolAccess', () => {
  it('enables every tool on an editable object, titled with its key', () => {
    for (const status of [...EDITABLE, undefined]) {
      TOOL_MODES.forEach((mode, i) => {
        const access = toolAccess(mode, i, { canEdit: true, status, sam2Down: false });
        expect(access.enabled).toBe(true);
        expect(access.title).toContain(`(${i + 1})`);
      });
    }
  });

  it('disables the mask tools of a submitted or accepted object and says why; pan stays', () => {
    for (const status of LOCKED) {
      for (const mode of MASK_TOOLS) {
        const access = toolAccess(mode, TOOL_MODES.indexOf(mode), { canEdit: true, status, sam2Down: false });
        expect(access.enabled).toBe(false);
        expect(access.title).toContain(lockReason(status)!);
      }
      const pan = toolAccess('pan', 5, { canEdit: true, status, sam2Down: false });
      expect(pan).toEqual({ enabled: true, title: 'Pan (6)' });
    }
  });

  it('disables the mask tools for a reviewer whatever the status', () => {
    for (const status of [...EDITABLE, ...LOCKED]) {
      expect(toolAccess('brush', 3, { canEdit: false, status, sam2Down: false })).toEqual({
        enabled: false,
        title: 'Brush (4): unavailable, reviewers do not edit masks',
      });
      expect(toolAccess('pan', 5, { canEdit: false, status, sam2Down: false }).enabled).toBe(true);
    }
  });

  it('notes that the SAM 2 tools need SAM 2 when it is down, without disabling them', () => {
    const click = toolAccess('positive', 0, { canEdit: true, status: 'draft', sam2Down: true });
    expect(click).toEqual({ enabled: true, title: 'Positive click (1) — needs SAM 2' });
    expect(toolAccess('brush', 3, { canEdit: true, status: 'draft', sam2Down: true }).title).toBe('Brush (4)');
  });
});

describe('undoAccess', () => {
  it('is disabled with nothing to undo', () => {
    expect(undoAccess(undefined, undefined)).toEqual({ enabled: false, title: 'Nothing to undo' });
  });

  it('undoes changes of editable objects', () => {
    for (const status of EDITABLE) {
      expect(undoAccess(entry, status)).toEqual({
        enabled: true,
        title: 'Undo the brush stroke on frame 12 (Z or Ctrl + Z)',
      });
    }
  });

  it('refuses changes of objects under review or accepted, saying why', () => {
    for (const status of LOCKED) {
      const access = undoAccess(entry, status);
      expect(access.enabled).toBe(false);
      expect(access.title).toBe(`The brush stroke on frame 12 cannot be undone: ${lockReason(status)}`);
    }
  });
});

describe('parseJumpFrame', () => {
  it('accepts whole frame numbers of the video', () => {
    expect(parseJumpFrame('0', 99)).toBe(0);
    expect(parseJumpFrame(' 20 ', 99)).toBe(20);
    expect(parseJumpFrame('99', 99)).toBe(99);
  });

  it('rejects anything else', () => {
    for (const text of ['', ' ', '100', '-1', '2.5', '1e2', 'abc', '0x10', '12a']) {
      expect(parseJumpFrame(text, 99)).toBeNull();
    }
  });
});
