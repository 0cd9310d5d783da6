/** What the canvas reports: the person's actions, typed; features turn them into API calls. */
import type { CompressedRle } from '../lib/rle';
import type { ToolMode } from './modes';

/**
 * `maskletId` null: the action starts a new object (a label was picked first); the workspace
 * creates it, then applies the action to it.
 */
export type CanvasEvent =
  | { type: 'pointPrompt'; maskletId: number | null; frame: number; point: [number, number, 0 | 1] }
  /** A click in `pin` pointer mode: where on the frame a review comment goes. */
  | { type: 'pinPlaced'; frame: number; x: number; y: number }
  | { type: 'boxPrompt'; maskletId: number | null; frame: number; box: [number, number, number, number] }
  | { type: 'maskEdited'; maskletId: number | null; frame: number; mode: 'brush' | 'eraser'; rle: CompressedRle }
  /** A tool was used with no object selected and no label picked. */
  | { type: 'noObject'; tool: ToolMode }
  /** A tool was used while the frame asked for is still loading (the picture is another frame). */
  | { type: 'frameNotReady'; frame: number };
