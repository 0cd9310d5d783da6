/** One tool per ToolMode (tool state is the explicit `Interaction` union of modes.ts). */
import type { ToolMode } from '../modes';
import { boxTool } from './box';
import { brushTool } from './brush';
import { clickTool } from './click';
import type { Tool } from './types';

/** A fresh set of tools (the brush and eraser keep the stroke in progress). */
export function createTools(): Record<Exclude<ToolMode, 'pan'>, Tool> {
  return {
    positive: clickTool(1),
    negative: clickTool(0),
    box: boxTool,
    brush: brushTool('brush'),
    eraser: brushTool('eraser'),
  };
}

export { panMove, panStart, startsPan } from './pan';
export type { TargetObject, Tool, ToolHost } from './types';
