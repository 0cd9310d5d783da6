// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import {
  belongsToControl,
  ANNOTATE_SHORTCUTS,
  GLOBAL_SHORTCUTS,
  isModalOpen,
  matchShortcut,
  VIEWER_SHORTCUTS,
} from './shortcuts';

const press = (key: string, mods: Partial<Record<'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) => ({
  key,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('matchShortcut', () => {
  it('tells a step from a big step by Shift', () => {
    expect(matchShortcut(press('ArrowRight'), VIEWER_SHORTCUTS)?.id).toBe('nextFrame');
    expect(matchShortcut(press('ArrowRight', { shiftKey: true }), VIEWER_SHORTCUTS)?.id).toBe('forward10');
    expect(matchShortcut(press('ArrowLeft', { shiftKey: true }), VIEWER_SHORTCUTS)?.id).toBe('back10');
  });

  it('matches letters whatever Caps Lock says, and "?" with Shift', () => {
    expect(matchShortcut(press('K'), VIEWER_SHORTCUTS)?.id).toBe('togglePlay');
    expect(matchShortcut(press('?', { shiftKey: true }), GLOBAL_SHORTCUTS)?.id).toBe('help');
  });

  it('leaves Ctrl/Cmd/Alt combinations to the browser', () => {
    expect(matchShortcut(press('ArrowLeft', { altKey: true }), VIEWER_SHORTCUTS)).toBeUndefined();
    expect(matchShortcut(press('k', { metaKey: true }), VIEWER_SHORTCUTS)).toBeUndefined();
  });

  it('gives every shortcut a distinct key binding', () => {
    const bindings = [GLOBAL_SHORTCUTS, VIEWER_SHORTCUTS].flatMap((g) =>
      g.shortcuts.flatMap((s) => s.keys.map((k) => `${k}/${String(s.shift)}`)),
    );
    expect(new Set(bindings).size).toBe(bindings.length);
  });

  it('gives the workspace keys distinct bindings, viewer keys included (both act on one page)', () => {
    const bindings = [VIEWER_SHORTCUTS, ANNOTATE_SHORTCUTS].flatMap((g) =>
      g.shortcuts.flatMap((s) => s.keys.map((k) => `${k}/${String(s.shift)}/${String(s.ctrl === true)}`)),
    );
    expect(new Set(bindings).size).toBe(bindings.length);
  });

  it('tells Z from Ctrl+Z and Cmd+Z, and F from Shift+F', () => {
    expect(matchShortcut(press('z'), ANNOTATE_SHORTCUTS)?.id).toBe('undo');
    expect(matchShortcut(press('z', { ctrlKey: true }), ANNOTATE_SHORTCUTS)?.id).toBe('undoCtrl');
    expect(matchShortcut(press('z', { metaKey: true }), ANNOTATE_SHORTCUTS)?.id).toBe('undoCtrl');
    expect(matchShortcut(press('c', { ctrlKey: true }), ANNOTATE_SHORTCUTS)).toBeUndefined();
    expect(matchShortcut(press('F', { shiftKey: true }), ANNOTATE_SHORTCUTS)?.id).toBe('propagateBackward');
    expect(matchShortcut(press('f'), ANNOTATE_SHORTCUTS)?.id).toBe('propagateForward');
  });

  it('redoes with Ctrl+Shift+Z and Ctrl+Y, and picks labels with the digits', () => {
    expect(matchShortcut(press('Z', { ctrlKey: true, shiftKey: true }), ANNOTATE_SHORTCUTS)?.id).toBe('redo');
    expect(matchShortcut(press('y', { ctrlKey: true }), ANNOTATE_SHORTCUTS)?.id).toBe('redoCtrlY');
    expect(matchShortcut(press('y'), ANNOTATE_SHORTCUTS)).toBeUndefined();
    expect(matchShortcut(press('7'), ANNOTATE_SHORTCUTS)?.id).toBe('pickLabel');
    expect(matchShortcut(press('c'), ANNOTATE_SHORTCUTS)?.id).toBe('toolPositive');
  });
});

describe('belongsToControl', () => {
  it('gives every key to text fields', () => {
    const input = document.createElement('input');
    input.type = 'text';
    expect(belongsToControl(input, 'ArrowLeft')).toBe(true);
    expect(belongsToControl(document.createElement('textarea'), 'k')).toBe(true);
  });

  it('gives Space and Enter to buttons but arrows to the shortcuts', () => {
    const button = document.createElement('button');
    expect(belongsToControl(button, ' ')).toBe(true);
    expect(belongsToControl(button, 'ArrowRight')).toBe(false);
  });

  it('lets shortcuts drive the frame slider', () => {
    const range = document.createElement('input');
    range.type = 'range';
    expect(belongsToControl(range, 'ArrowRight')).toBe(false);
    expect(belongsToControl(document.body, ' ')).toBe(false);
  });
});

describe('isModalOpen', () => {
  it('sees an open modal dialog', () => {
    expect(isModalOpen()).toBe(false);
    const dialog = document.createElement('div');
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-modal', 'true');
    document.body.append(dialog);
    expect(isModalOpen()).toBe(true);
    dialog.remove();
  });
});
