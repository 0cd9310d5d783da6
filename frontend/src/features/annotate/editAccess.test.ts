import { describe, expect, it } from 'vitest';
import type { MaskletStatus } from '../../api/masklets';
import { TOOL_MODES } from '../../canvas/modes';
import type { UndoEntry } from '../../lib/undo';
import type { Task } from '../../api/projects';
import { lockReason, ownerReason, redoAccess, REVIEWER_REASON, toolAccess, undoAccess } from './editAccess';

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

const KEYS: Record<string, string> = { positive: 'C', negative: 'N', box: 'X', brush: 'B', eraser: 'E', pan: 'V' };
const open = { denied: null, sam2: null };

describe('toolAccess', () => {
  it('enables every tool on an editable object, titled with its key', () => {
    for (const status of [...EDITABLE, undefined]) {
      for (const mode of TOOL_MODES) {
        const access = toolAccess(mode, KEYS[mode] as string, { ...open, status });
        expect(access.enabled).toBe(true);
        expect(access.title).toContain(`(${KEYS[mode]})`);
      }
    }
  });

  it('disables the mask tools of a submitted or accepted object and says why; pan stays', () => {
    for (const status of LOCKED) {
      for (const mode of MASK_TOOLS) {
        const access = toolAccess(mode, 'K', { ...open, status });
        expect(access.enabled).toBe(false);
        expect(access.title).toContain(lockReason(status)!);
      }
      expect(toolAccess('pan', 'V', { ...open, status })).toEqual({ enabled: true, title: 'Pan (V)' });
    }
  });

  it('disables the mask tools for a user who may not edit the object, saying why', () => {
    for (const status of [...EDITABLE, ...LOCKED]) {
      expect(toolAccess('brush', 'B', { denied: REVIEWER_REASON, status, sam2: null })).toEqual({
        enabled: false,
        title: 'Brush (B): unavailable, reviewers do not edit masks',
      });
      expect(toolAccess('pan', 'V', { denied: REVIEWER_REASON, status, sam2: null }).enabled).toBe(true);
    }
  });

  it('disables only the SAM 2 tools while SAM 2 cannot answer, with its reason', () => {
    const sam2 = 'SAM 2 is starting';
    expect(toolAccess('positive', 'C', { denied: null, status: 'draft', sam2 })).toEqual({
      enabled: false,
      title: 'Positive click (C): unavailable, SAM 2 is starting',
    });
    expect(toolAccess('box', 'X', { denied: null, status: 'draft', sam2 }).enabled).toBe(false);
    expect(toolAccess('brush', 'B', { denied: null, status: 'draft', sam2 })).toEqual({
      enabled: true,
      title: 'Brush (B)',
    });
  });
});

describe('ownerReason', () => {
  const task = (id: number, assignee: number | null): Task => ({
    id,
    video: 1,
    assignee: assignee === null ? null : { id: assignee, username: `user${assignee}` },
    stage: 'annotation',
    frame_start: 0,
    frame_end: null,
    progress: { frames_total: 0, frames_annotated: 0, masklets: 0, submitted: 0, accepted: 0 },
  });
  const tasks = [task(1, 7), task(2, 8)];

  it('lets managers edit everything and reviewers nothing', () => {
    expect(ownerReason('manager', 1, { task: 2 }, tasks)).toBeNull();
    expect(ownerReason('manager', 1, { task: null }, tasks)).toBeNull();
    expect(ownerReason('reviewer', 1, { task: 1 }, tasks)).toBe(REVIEWER_REASON);
  });

  it('lets annotators edit the objects of their own tasks only, naming whose it is', () => {
    expect(ownerReason('annotator', 7, { task: 1 }, tasks)).toBeNull();
    expect(ownerReason('annotator', 7, { task: 2 }, tasks)).toBe("this object belongs to user8's task");
    expect(ownerReason('annotator', 7, { task: null }, tasks)).toMatch(/no task of yours/);
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

describe('redoAccess', () => {
  it('is disabled with nothing to redo, and refuses locked objects', () => {
    expect(redoAccess(undefined, undefined)).toEqual({ enabled: false, title: 'Nothing to redo' });
    expect(redoAccess(entry, 'draft').title).toBe('Redo the brush stroke on frame 12 (Ctrl + Shift + Z or Ctrl + Y)');
    expect(redoAccess(entry, 'submitted').enabled).toBe(false);
  });
});
