/**
 * The project's labels as the workspace offers them: in the project's order, each with its hotkey
 * (1-9). Labels carry `order` and `hotkey` from the label API; a server without them gets the
 * list's order and keys by position, so the workspace works either way.
 */
import type { Masklet } from '../../api/masklets';
import type { Label } from '../../api/projects';

export interface WorkspaceLabel extends Label {
  /** The digit that picks it, or null. */
  key: number | null;
}

export function workspaceLabels(labels: readonly Label[]): WorkspaceLabel[] {
  const sorted = labels
    .map((label, index) => ({ label, index }))
    .sort((a, b) => (a.label.order ?? a.index) - (b.label.order ?? b.index) || a.index - b.index)
    .map(({ label }) => label);
  const serverKeys = labels.some((l) => l.hotkey !== undefined);
  return sorted.map((label, position) => ({
    ...label,
    key: serverKeys ? (label.hotkey ?? null) : position < 9 ? position + 1 : null,
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
