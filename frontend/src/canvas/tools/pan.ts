/**
 * Panning the zoomed frame: with the pan tool, the middle button, or a left drag while Space is
 * held, whatever the tool. It moves the view, not the masks, so it works in every pointer mode.
 */
import { beginPan, IDLE, type Interaction } from '../modes';
import { panBy, type Stage, type View } from '../viewport';

/** Whether a pointer press starts a pan rather than the tool's action. */
export function startsPan(button: number, spaceHeld: boolean, panTool: boolean): boolean {
  return button === 1 || (button === 0 && (spaceHeld || panTool));
}

export function panStart(interaction: Interaction, at: { x: number; y: number }): Interaction {
  return beginPan(interaction, at);
}

/** The view after dragging to `at` (canvas pixels), and the interaction to carry on with. */
export function panMove(
  interaction: Interaction,
  at: { x: number; y: number },
  view: View,
  stage: Stage,
): { interaction: Interaction; view: View } {
  if (interaction.kind !== 'pan') return { interaction, view };
  const { last } = interaction;
  return { interaction: { kind: 'pan', last: at }, view: panBy(view, at.x - last.x, at.y - last.y, stage) };
}

export const panEnd = (): Interaction => IDLE;
