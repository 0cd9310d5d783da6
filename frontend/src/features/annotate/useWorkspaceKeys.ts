/**
 * The workspace's keyboard: the viewer's keys (usePlaybackKeys) plus the workspace's own, from
 * the one shortcut table the help overlay lists (ui/shortcuts.ts). The handlers read the newest
 * actions through `actions()`, so the listener is installed once.
 */
import type { Direction } from '../../api/masklets';
import { ZOOM_STEP, type AnnotationCanvas } from '../../canvas/AnnotationCanvas';
import type { ToolMode } from '../../canvas/modes';
import { usePlaybackKeys } from '../../state/usePlaybackKeys';
import { ANNOTATE_SHORTCUTS, type ShortcutId } from '../../ui/shortcuts';

export interface WorkspaceKeyActions {
  pickTool: (mode: ToolMode) => void;
  /** A digit 1-9: the label with that key. */
  pickLabel: (digit: number) => void;
  /** Escape: drop the stroke or box in progress, else the picked label. */
  cancel: () => void;
  brushBy: (direction: 1 | -1) => void;
  undo: () => void;
  redo: () => void;
  addObject: () => void;
  /** Tab / Shift+Tab. */
  nextObject: (step: 1 | -1) => void;
  toggleSelected: () => void;
  toggleAll: () => void;
  propagate: (direction: Direction) => void;
  keyframe: (direction: 1 | -1) => void;
}

const TOOL_OF: Partial<Record<ShortcutId, ToolMode>> = {
  toolPositive: 'positive',
  toolNegative: 'negative',
  toolBox: 'box',
  toolBrush: 'brush',
  toolEraser: 'eraser',
  toolPan: 'pan',
};

export function useWorkspaceKeys(options: {
  canvas: () => AnnotationCanvas | null;
  lastFrame: number;
  actions: () => WorkspaceKeyActions;
}): void {
  const { canvas, actions } = options;
  usePlaybackKeys({
    target: () => canvas()?.player ?? null,
    lastFrame: options.lastFrame,
    goToFrame: () => document.getElementById('annotate-jump')?.focus(),
    // Space + drag pans the zoomed frame; Space alone still plays or pauses (when released).
    spaceHold: {
      press: () => canvas()?.beginSpaceHold(),
      release: () => canvas()?.endSpaceHold() ?? false,
    },
    extra: {
      group: ANNOTATE_SHORTCUTS,
      run: (shortcut, event) => {
        const c = canvas();
        if (c === null) return;
        const a = actions();
        const tool = TOOL_OF[shortcut.id];
        if (tool !== undefined) {
          a.pickTool(tool);
          return;
        }
        switch (shortcut.id) {
          case 'pickLabel':
            a.pickLabel(Number(event.key));
            break;
          case 'brushSmaller':
            a.brushBy(-1);
            break;
          case 'brushBigger':
            a.brushBy(1);
            break;
          case 'undo':
          case 'undoCtrl':
            a.undo();
            break;
          case 'redo':
          case 'redoCtrlY':
            a.redo();
            break;
          case 'addObject':
            a.addObject();
            break;
          case 'nextObject':
            a.nextObject(event.shiftKey ? -1 : 1);
            break;
          case 'toggleObject':
            a.toggleSelected();
            break;
          case 'toggleAllMasks':
            a.toggleAll();
            break;
          case 'propagateForward':
            a.propagate('forward');
            break;
          case 'propagateBackward':
            a.propagate('backward');
            break;
          case 'propagateBoth':
            a.propagate('both');
            break;
          case 'prevKeyframe':
            a.keyframe(-1);
            break;
          case 'nextKeyframe':
            a.keyframe(1);
            break;
          case 'cancelTool':
            a.cancel();
            break;
          case 'zoomIn':
            c.zoomBy(ZOOM_STEP);
            break;
          case 'zoomOut':
            c.zoomBy(1 / ZOOM_STEP);
            break;
          case 'zoomFit':
            c.fitView();
            break;
          default:
            break;
        }
      },
    },
  });
}
