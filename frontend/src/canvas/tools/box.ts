/** The box tool (SAM 2): drag a box around the object; released, it is a box prompt. */
import { beginBox, boxOf, moveTo } from '../modes';
import { frameToScreen } from '../viewport';
import type { Tool } from './types';

export const boxTool: Tool = {
  down: (_host, at, interaction) => beginBox(interaction, at),
  move: (_host, at, interaction) => moveTo(interaction, at),
  up(host, interaction) {
    if (interaction.kind !== 'box') return;
    const box = boxOf(interaction);
    if (box !== null) host.emit({ type: 'boxPrompt', maskletId: host.target.id, frame: host.frame, box });
  },
  feedback({ ctx, rect, ratio }, interaction) {
    if (interaction.kind !== 'box') return;
    const a = frameToScreen(rect, interaction.start.x, interaction.start.y);
    const b = frameToScreen(rect, interaction.current.x, interaction.current.y);
    ctx.setLineDash([6 * ratio, 4 * ratio]);
    ctx.lineWidth = 2 * ratio;
    ctx.strokeStyle = '#fff';
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.setLineDash([]);
  },
};
