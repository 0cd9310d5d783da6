/**
 * Keyboard shortcuts: one table that both the key handlers and the help overlay read, so the help
 * can never list a key that does nothing (or miss one that does something).
 */

export type ShortcutId =
  | 'help'
  | 'closeOverlay'
  | 'togglePlay'
  | 'prevFrame'
  | 'nextFrame'
  | 'back10'
  | 'forward10'
  | 'firstFrame'
  | 'lastFrame'
  | 'goToFrame';

export interface Shortcut {
  id: ShortcutId;
  /** KeyboardEvent.key values that trigger it. */
  keys: readonly string[];
  /** Required Shift state; undefined when it does not matter ('?' needs Shift on most layouts). */
  shift?: boolean;
  /** How the help overlay writes the key. */
  label: string;
  description: string;
}

export interface ShortcutGroup {
  title: string;
  shortcuts: readonly Shortcut[];
}

/** Frames moved by Shift+arrow. */
export const BIG_STEP = 10;

export const GLOBAL_SHORTCUTS: ShortcutGroup = {
  title: 'Everywhere',
  shortcuts: [
    { id: 'help', keys: ['?'], label: '?', description: 'Show or hide this help' },
    { id: 'closeOverlay', keys: ['Escape'], label: 'Esc', description: 'Close this help' },
  ],
};

export const VIEWER_SHORTCUTS: ShortcutGroup = {
  title: 'Video viewer',
  shortcuts: [
    { id: 'togglePlay', keys: [' ', 'k'], shift: false, label: 'Space or K', description: 'Play / pause' },
    { id: 'prevFrame', keys: ['ArrowLeft'], shift: false, label: '←', description: 'Previous frame' },
    { id: 'nextFrame', keys: ['ArrowRight'], shift: false, label: '→', description: 'Next frame' },
    { id: 'back10', keys: ['ArrowLeft'], shift: true, label: 'Shift + ←', description: `Back ${BIG_STEP} frames` },
    {
      id: 'forward10',
      keys: ['ArrowRight'],
      shift: true,
      label: 'Shift + →',
      description: `Forward ${BIG_STEP} frames`,
    },
    { id: 'firstFrame', keys: ['Home'], label: 'Home', description: 'First frame' },
    { id: 'lastFrame', keys: ['End'], label: 'End', description: 'Last frame' },
    { id: 'goToFrame', keys: ['g'], shift: false, label: 'G', description: 'Type a frame number to jump to' },
  ],
};

export const ALL_SHORTCUT_GROUPS: readonly ShortcutGroup[] = [GLOBAL_SHORTCUTS, VIEWER_SHORTCUTS];

type KeyInfo = Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>;

/** The shortcut of `group` this key press means, if any. Presses with Ctrl/Cmd/Alt are the browser's. */
export function matchShortcut(event: KeyInfo, group: ShortcutGroup): Shortcut | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return group.shortcuts.find((s) => s.keys.includes(key) && (s.shift === undefined || s.shift === event.shiftKey));
}

/**
 * Whether a key press belongs to the focused control rather than to the shortcuts: text fields
 * always; buttons, links and checkboxes for Space and Enter (keyboard users activate them so).
 */
export function belongsToControl(target: EventTarget | null, key: string): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    if (type !== 'range' && type !== 'checkbox' && type !== 'radio' && type !== 'button' && type !== 'submit') {
      return true;
    }
  }
  const activates = key === ' ' || key === 'Enter';
  return activates && (tag === 'BUTTON' || tag === 'A' || tag === 'INPUT');
}

/** A modal dialog (the help overlay) is open: page shortcuts must not act on what lies behind it. */
export function isModalOpen(): boolean {
  return typeof document !== 'undefined' && document.querySelector('[role="dialog"][aria-modal="true"]') !== null;
}
