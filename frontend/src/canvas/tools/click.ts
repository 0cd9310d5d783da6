/** Positive and negative clicks (SAM 2): a click on the frame is a point prompt for the target. */
import { IDLE } from '../modes';
import type { Tool } from './types';

export function clickTool(label: 0 | 1): Tool {
  return {
    down: () => IDLE, // decided on release: a drag is not a click
    move: (_host, _at, interaction) => interaction,
    up(host, _interaction, at, click) {
      if (!click || at === null) return;
      host.emit({ type: 'pointPrompt', maskletId: host.target.id, frame: host.frame, point: [at.x, at.y, label] });
    },
  };
}
