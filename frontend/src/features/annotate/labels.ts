/**
 * The project's labels as the workspace offers them: in the project's order, each with its hotkey
 * (1-9) from the label API. A project whose manager set no hotkey at all gets keys by position,
 * so the keys work from the first label on.
 */
import type { Masklet } from '../../api/masklets';
import type { Label } from '../../api/projects';

export interface WorkspaceLabel extends Label {
  /** The digit that picks it, or null. */
  key: number | null;
}

export function workspaceLabels(labels: readonly Label[]): WorkspaceLabel[] {
  const sorted = [...labels].sort((a, b) => a.order - b.order || a.id - b.id);
  const hotkeys = labels.some((l) => l.hotkey !== null);
  return sorted.map((label, position) => ({
    ...label,
    key: hotkeys ? label.hotkey : position < 9 ? position + 1 : null,
  }));
}

export function labelForKey(labels: readonly WorkspaceLabel[], digit: number): WorkspaceLabel | undefined {
  return labels.find((l) => l.key === digit);
}

/** An object's colour is its label's; an object without a label keeps its own. */
export function objectColor(masklet: Pick<Masklet, 'label' | 'color'>, labels: readonly Label[]): string {
  return labels.find((l) => l.id === masklet.label)?.color ?? masklet.color;
}

/** "person 3": the label's name and the object's number among that label's objects, for new objects. */
export function newObjectName(label: Label, masklets: readonly Pick<Masklet, 'label'>[]): string {
  return `${label.name} ${masklets.filter((m) => m.label === label.id).length + 1}`;
}
