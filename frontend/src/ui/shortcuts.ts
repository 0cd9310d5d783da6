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
  | 'goToFrame'
  | 'toolPositive'
  | 'toolNegative'
  | 'toolBox'
  | 'toolBrush'
  | 'toolEraser'
  | 'toolPan'
  | 'zoomIn'
  | 'zoomOut'
  | 'zoomFit'
  | 'panDrag'
  | 'wheelZoom'
  | 'brushSmaller'
  | 'brushBigger'
  | 'undo'
  | 'undoCtrl'
  | 'redo'
  | 'redoCtrlY'
  | 'pickLabel'
  | 'prevKeyframe'
  | 'nextKeyframe'
  | 'addObject'
  | 'nextObject'
  | 'toggleObject'
  | 'toggleAllMasks'
  | 'propagateForward'
  | 'propagateBackward'
  | 'propagateBoth'
  | 'cancelTool';

export interface Shortcut {
  id: ShortcutId;
  /** KeyboardEvent.key values that trigger it. */
  keys: readonly string[];
  /** Required Shift state; undefined when it does not matter ('?' needs Shift on most layouts). */
  shift?: boolean;
  /** Needs Ctrl (or Cmd on a Mac); other shortcuts ignore presses with Ctrl/Cmd/Alt. */
  ctrl?: boolean;
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

export const ANNOTATE_SHORTCUTS: ShortcutGroup = {
  title: 'Annotation workspace (also the viewer keys above)',
  shortcuts: [
    {
      id: 'pickLabel',
      keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'],
      shift: false,
      label: '1 … 9',
      description: 'Pick a label (its hotkey): the next click or stroke makes a new object of it',
    },
    { id: 'toolPositive', keys: ['c'], shift: false, label: 'C', description: 'Positive click tool (SAM 2)' },
    { id: 'toolNegative', keys: ['n'], shift: false, label: 'N', description: 'Negative click tool (SAM 2)' },
    { id: 'toolBox', keys: ['x'], shift: false, label: 'X', description: 'Box tool: drag a box (SAM 2)' },
    { id: 'toolBrush', keys: ['b'], shift: false, label: 'B', description: 'Brush: paint the mask' },
    { id: 'toolEraser', keys: ['e'], shift: false, label: 'E', description: 'Eraser: remove from the mask' },
    { id: 'toolPan', keys: ['v'], shift: false, label: 'V', description: 'Pan tool: drag to move the zoomed frame' },
    {
      id: 'prevKeyframe',
      keys: [','],
      label: ',',
      description: 'Previous keyframe (a clicked, edited or commented frame)',
    },
    { id: 'nextKeyframe', keys: ['.'], label: '.', description: 'Next keyframe' },
    { id: 'zoomIn', keys: ['+', '='], label: '+', description: 'Zoom in' },
    { id: 'zoomOut', keys: ['-', '_'], label: '−', description: 'Zoom out' },
    { id: 'zoomFit', keys: ['0'], shift: false, label: '0', description: 'Zoom to fit: the whole frame' },
    // Mouse gestures: listed in the help, matched by the canvas (no key of their own).
    { id: 'wheelZoom', keys: [], label: 'Mouse wheel', description: 'Zoom in or out around the pointer' },
    {
      id: 'panDrag',
      keys: [],
      label: 'Space + drag, or middle-button drag',
      description: 'Pan the zoomed frame with any tool (Space alone still plays / pauses)',
    },
    { id: 'brushSmaller', keys: ['['], label: '[', description: 'Smaller brush' },
    { id: 'brushBigger', keys: [']'], label: ']', description: 'Bigger brush' },
    { id: 'undo', keys: ['z'], shift: false, label: 'Z', description: 'Undo the last click or edit' },
    { id: 'undoCtrl', keys: ['z'], shift: false, ctrl: true, label: 'Ctrl + Z', description: 'Undo (also)' },
    {
      id: 'redo',
      keys: ['z'],
      shift: true,
      ctrl: true,
      label: 'Ctrl + Shift + Z',
      description: 'Redo what was undone',
    },
    { id: 'redoCtrlY', keys: ['y'], shift: false, ctrl: true, label: 'Ctrl + Y', description: 'Redo (also)' },
    { id: 'addObject', keys: ['a'], shift: false, label: 'A', description: 'Add an object by name (form)' },
    { id: 'nextObject', keys: ['Tab'], label: 'Tab / Shift + Tab', description: 'Select the next / previous object' },
    { id: 'toggleObject', keys: ['h'], shift: false, label: 'H', description: 'Hide / show the selected object' },
    { id: 'toggleAllMasks', keys: ['m'], shift: false, label: 'M', description: 'Hide / show all masks' },
    { id: 'propagateForward', keys: ['f'], shift: false, label: 'F', description: 'Propagate forward from this frame' },
    { id: 'propagateBackward', keys: ['f'], shift: true, label: 'Shift + F', description: 'Propagate backward' },
    { id: 'propagateBoth', keys: ['p'], shift: false, label: 'P', description: 'Propagate both ways' },
    {
      id: 'cancelTool',
      keys: ['Escape'],
      label: 'Esc',
      description: 'Drop the box or stroke being drawn, or the picked label',
    },
  ],
};

export const ALL_SHORTCUT_GROUPS: readonly ShortcutGroup[] = [GLOBAL_SHORTCUTS, VIEWER_SHORTCUTS, ANNOTATE_SHORTCUTS];

type KeyInfo = Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>;

/** The shortcut of `group` this key press means, if any. Presses with Ctrl/Cmd/Alt are the browser's. */
export function matchShortcut(event: KeyInfo, group: ShortcutGroup): Shortcut | undefined {
  const ctrl = event.ctrlKey || event.metaKey;
  if (event.altKey) return undefined;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return group.shortcuts.find(
    (s) => s.keys.includes(key) && (s.shift === undefined || s.shift === event.shiftKey) && (s.ctrl === true) === ctrl,
  );
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
