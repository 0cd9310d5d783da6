/** The workspace's tools, brush size, mask opacity, undo and redo. */
import { TOOL_LABELS, TOOL_MODES, type ToolMode } from '../../canvas/modes';
import { describeChange, type UndoEntry } from '../../lib/undo';
import { keepFocus } from '../../ui/PlaybackControls';
import type { Access } from './editAccess';

/** The key of each tool (ui/shortcuts.ts binds the same). */
export const TOOL_KEYS: Record<ToolMode, string> = {
  positive: 'C',
  negative: 'N',
  box: 'X',
  brush: 'B',
  eraser: 'E',
  pan: 'V',
};

export function ToolPanel(props: {
  tool: ToolMode;
  access: (mode: ToolMode) => Access;
  onTool: (mode: ToolMode) => void;
  brush: number;
  onBrush: (radius: number) => void;
  opacity: number;
  onOpacity: (opacity: number) => void;
  allHidden: boolean;
  onToggleAll: () => void;
  undo: { access: Access; entry: UndoEntry | undefined; run: () => void };
  redo: { access: Access; entry: UndoEntry | undefined; run: () => void };
}) {
  const { tool } = props;
  return (
    <div className="card tool-panel">
      <h2>Tools</h2>
      <div className="tool-grid" role="radiogroup" aria-label="Tool">
        {TOOL_MODES.map((mode) => {
          const access = props.access(mode);
          return (
            <button
              key={mode}
              type="button"
              role="radio"
              aria-checked={tool === mode}
              aria-label={TOOL_LABELS[mode]}
              className={tool === mode ? 'tool-button is-active' : 'tool-button button-secondary'}
              onMouseDown={keepFocus}
              onClick={() => props.onTool(mode)}
              disabled={!access.enabled}
              title={access.title}
            >
              {TOOL_LABELS[mode]} <kbd>{TOOL_KEYS[mode]}</kbd>
            </button>
          );
        })}
      </div>
      {(tool === 'brush' || tool === 'eraser') && (
        <label className="slider-row">
          Brush {props.brush}px
          <input
            type="range"
            min={1}
            max={100}
            value={props.brush}
            onChange={(e) => props.onBrush(Number(e.target.value))}
          />
        </label>
      )}
      <label className="slider-row">
        Mask opacity {Math.round(props.opacity * 100)}%
        <input
          type="range"
          min={0}
          max={100}
          value={Math.round(props.opacity * 100)}
          onChange={(e) => props.onOpacity(Number(e.target.value) / 100)}
        />
      </label>
      <div className="button-row">
        <button
          type="button"
          className="button-secondary"
          onMouseDown={keepFocus}
          onClick={props.undo.run}
          disabled={!props.undo.access.enabled}
          title={props.undo.access.title}
        >
          Undo{props.undo.entry ? ` ${describeChange(props.undo.entry)}` : ''}
        </button>
        <button
          type="button"
          className="button-secondary"
          onMouseDown={keepFocus}
          onClick={props.redo.run}
          disabled={!props.redo.access.enabled}
          title={props.redo.access.title}
        >
          Redo
        </button>
        <button type="button" className="button-secondary" onMouseDown={keepFocus} onClick={props.onToggleAll}>
          {props.allHidden ? 'Show masks' : 'Hide masks'}
        </button>
      </div>
    </div>
  );
}
